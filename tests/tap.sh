# A small KTAP-style test helper for the shell tests, and their preamble.
# Sourced as  T_NAME=name; . "$(dirname "$0")/tap.sh"  it sets top (the
# tree, the working directory from then on), S (scripts/), tmp (a scratch
# directory removed on exit: a test that needs more cleanup sets its own
# trap, and removes tmp too), t0 (the start) and CACHE (the kernel cache).
set -u
# the tree: the first directory up from the script's that has scripts/lib.sh
top=$(cd "$(dirname "$0")" && pwd)
while [ ! -f "$top/scripts/lib.sh" ] && [ "$top" != / ]; do top=$(dirname "$top"); done
cd "$top" || exit 1
S=scripts
CACHE=${HMMBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hmmbench}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hmmbench-${T_NAME:-test}.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s)

# expect_ok NAME CMD...: CMD must exit 0.
# expect_fail NAME PATTERN CMD...: CMD must exit non-zero and its stderr
# must match PATTERN (a grep -E regex) on one line.
T_PASS=0
T_FAIL=0
T_N=0
T_LOG=$(mktemp -d "${TMPDIR:-/tmp}/hmmbench-test.XXXXXX")

t_report() {
	T_N=$((T_N + 1))
	if [ "$1" = ok ]; then
		T_PASS=$((T_PASS + 1))
		echo "ok $T_N $2"
	else
		T_FAIL=$((T_FAIL + 1))
		echo "not ok $T_N $2"
		[ -z "${3:-}" ] || echo "$3" | sed 's/^/# /' | tail -n 20
	fi
}

# what a failed guest left (the test's $tmp goes at exit): its last
# stderr lines (the point it was on) and its console's last lines
t_guest_tail() { # VM_RUN_OUT
	tail -n 5 "$1/vm/stderr" 2>/dev/null | sed 's/^/guest: /'
	tail -n 8 "$1/vm/console.log" 2>/dev/null | sed 's/^/console: /'
}

expect_ok() {
	name=$1
	shift
	if "$@" > "$T_LOG/out" 2> "$T_LOG/err"; then
		t_report ok "$name"
	else
		t_report fail "$name" "exit $?: $(tail -n 20 "$T_LOG/err")"
	fi
}

expect_fail() {
	name=$1 pattern=$2
	shift 2
	if "$@" > "$T_LOG/out" 2> "$T_LOG/err"; then
		t_report fail "$name" "succeeded but should have failed"
	elif grep -q -E -- "$pattern" "$T_LOG/err"; then
		t_report ok "$name: $(grep -m1 -E -- "$pattern" "$T_LOG/err")"
	else
		t_report fail "$name" "stderr does not match /$pattern/: $(tail -n 5 "$T_LOG/err")"
	fi
}

# t_done: the closing line CI reads, and the exit status
t_done() {
	rm -rf "$T_LOG"
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
