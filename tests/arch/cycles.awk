# SPDX-License-Identifier: BSD-2-Clause
# Every elementary cycle of a directed graph, each once, as "a -> b -> ... -> a".
# Usage: awk -f cycles.awk NODES EDGES
#   NODES: one node name per line, sorted (it fixes the order of the output);
#   EDGES: "FROM TO [DETAIL]" per line; the DETAILs of an edge (e.g. the symbols one
#          file takes from the other; the first 6) are listed after the cycles for the
#          edges in them.
# Prints nothing for an acyclic graph. Each cycle is found from its smallest node: a
# walk from s over nodes after s that can both be reached from s and reach s back.
# The listing stops after max_cycles (-v max_cycles=N, default 2000) and says so.
# POSIX awk (mawk): no gawk extensions.

FNR == NR {
	if ($1 != "" && !($1 in id)) {
		id[$1] = ++n
		name[n] = $1
	}
	next
}

$1 != "" && $2 != "" && $1 != $2 {
	u = id[$1]
	v = id[$2]
	if (u == "" || v == "") {
		printf "cycles.awk: edge %s -> %s names an unknown node\n", $1, $2 > "/dev/stderr"
		bad = 1
		exit 2
	}
	if (!((u, v) in has)) {
		has[u, v] = 1
		out_n[u]++
		out[u, out_n[u]] = v
		in_n[v]++
		inn[v, in_n[v]] = u
	}
	if ($3 != "" && !((u, v, $3) in detail_seen)) {
		detail_seen[u, v, $3] = 1
		if (++detail_n[u, v] <= 6)
			detail[u, v] = detail[u, v] (detail[u, v] == "" ? "" : " ") $3
	}
}

# Marks in[] the nodes >= s that s reaches and that reach s (its strong component
# among the nodes >= s). Iterative, with an explicit stack.
function component(s,    sp, x, k, y) {
	split("", fwd)
	split("", in_comp)
	sp = 0
	stack[++sp] = s
	fwd[s] = 1
	while (sp > 0) {
		x = stack[sp--]
		for (k = 1; k <= out_n[x]; k++) {
			y = out[x, k]
			if (y >= s && !(y in fwd)) {
				fwd[y] = 1
				stack[++sp] = y
			}
		}
	}
	stack[++sp] = s
	in_comp[s] = 1
	while (sp > 0) {
		x = stack[sp--]
		for (k = 1; k <= in_n[x]; k++) {
			y = inn[x, k]
			if ((y in fwd) && !(y in in_comp)) {
				in_comp[y] = 1
				stack[++sp] = y
			}
		}
	}
}

function print_cycle(depth,    d, line) {
	line = name[path[1]]
	for (d = 2; d <= depth; d++)
		line = line " -> " name[path[d]]
	print "  " line " -> " name[path[1]]
	for (d = 1; d <= depth; d++)
		in_cycle[path[d], d < depth ? path[d + 1] : path[1]] = 1
	ncycles++
}

END {
	if (bad)
		exit 2
	ncycles = 0
	for (s = 1; s <= n && ncycles < max_cycles; s++) {
		component(s)
		# depth-first over simple paths from s; pos[d] is the next edge to try at depth d
		depth = 1
		path[1] = s
		pos[1] = 1
		on_path[s] = 1
		while (depth > 0 && ncycles < max_cycles) {
			x = path[depth]
			if (pos[depth] > out_n[x]) {
				delete on_path[x]
				depth--
				continue
			}
			y = out[x, pos[depth]++]
			if (y == s) {
				print_cycle(depth)
			} else if (y > s && (y in in_comp) && !(y in on_path)) {
				path[++depth] = y
				pos[depth] = 1
				on_path[y] = 1
			}
		}
		split("", on_path)
	}
	if (ncycles >= max_cycles)
		print "  ... listing stopped after " max_cycles " cycles"
	if (ncycles == 0)
		exit 0
	header = 0
	for (u = 1; u <= n; u++)
		for (k = 1; k <= out_n[u]; k++) {
			v = out[u, k]
			if ((u, v) in in_cycle && detail[u, v] != "") {
				if (!header++)
					print "  uses along these cycles:"
				print "    " name[u] " -> " name[v] ": " detail[u, v] \
				    (detail_n[u, v] > 6 ? " (+" detail_n[u, v] - 6 " more)" : "")
			}
		}
}

BEGIN {
	if (max_cycles == "")
		max_cycles = 2000
}
