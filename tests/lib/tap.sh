# SPDX-License-Identifier: BSD-2-Clause
# TAP output for the shell tests: source it, check with `ok DESCRIPTION COMMAND...`,
# and end with the plan line "1..$N" and a non-zero exit when FAIL > 0.
FAIL=0
N=0
ok() {  # ok <description> <command...>
	local what=$1
	shift
	N=$((N + 1))
	if "$@"; then
		echo "ok $N - $what"
	else
		echo "not ok $N - $what"
		FAIL=$((FAIL + 1))
	fi
}
