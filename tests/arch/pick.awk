# SPDX-License-Identifier: BSD-2-Clause
# What deps_symbols.sh and deps_headers.sh share: which of several files a name means.

# The top-level folder of a path relative to the source tree ("mediad/relay/x.c" -> "mediad").
function arch_top(p) {
	sub(/\/.*/, "", p)
	return p
}

# Of the n files cand[1..n] that could be what file "from" means: the only one; else the
# only one in from's own top-level folder; else the only one outside the daemons' folders
# (common, proto). "" when none is left or it is still ambiguous: then no edge is made,
# since an edge that is not there could invent a cycle.
function arch_pick(from, cand, n,    pass, k, m, got) {
	if (n == 1)
		return cand[1]
	for (pass = 1; pass <= 2; pass++) {
		m = 0
		for (k = 1; k <= n; k++)
			if ((pass == 1 && arch_top(cand[k]) == arch_top(from)) ||
			    (pass == 2 && arch_top(cand[k]) != "mediad" && arch_top(cand[k]) != "sigproxy")) {
				m++
				got = cand[k]
			}
		if (m == 1)
			return got
		if (m > 1)
			return ""
	}
	return ""
}
