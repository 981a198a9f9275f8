#!/bin/sh
# Replay the committed corpus (tests/fuzz/corpus/TARGET/*: the seeds and
# every input that once crashed) through the sanitized fuzz targets, once
# each, no mutation; and the results corpus through the sanitized runner's
# summary (bench/san/hmmbench), the one reader of results the fuzz targets
# do not link. Any crash, leak or sanitizer report fails.
# Run: make fuzz-replay (part of make check).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/tap.sh
B=tests/fuzz/build
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hmmbench-replay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/reports"

for t in results compare thresholds; do
	n=$(ls tests/fuzz/corpus/$t | wc -l)
	if [ ! -x "$B/fuzz_$t" ]; then
		t_report fail "replay $t" "$B/fuzz_$t is not built (make -C tests/fuzz)"
	elif [ "$n" -eq 0 ]; then
		t_report fail "replay $t" "tests/fuzz/corpus/$t is empty"
	elif "$B/fuzz_$t" -runs=1 tests/fuzz/corpus/$t/* > "$T_LOG/log" 2>&1 &&
		[ "$(grep -c '^Executed ' "$T_LOG/log")" -eq "$n" ]; then
		t_report ok "replay $t: $n inputs"
	else
		t_report fail "replay $t" "$(grep -E 'Running:|ERROR|SUMMARY|runtime error' "$T_LOG/log" | tail -n 8)"
	fi
done

R=bench/san/hmmbench
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:detect_leaks=1:log_path=$tmp/reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$tmp/reports/ubsan"
if [ ! -x $R ]; then
	t_report fail "summary of the results corpus" "$R is not built (make -C bench san)"
else
	bad= valid=0 invalid=0
	for f in tests/fuzz/corpus/results/*; do
		$R summary "$f" > /dev/null 2> "$T_LOG/err"
		rc=$?
		# accepted, or refused with one line saying why
		if [ $rc -eq 0 ]; then
			valid=$((valid + 1))
		elif [ $rc -eq 2 ] && [ "$(wc -l < "$T_LOG/err")" -eq 1 ] &&
			grep -q '^hmmbench: invalid: ' "$T_LOG/err"; then
			invalid=$((invalid + 1))
		else
			bad="$bad $f (exit $rc)"
		fi
	done
	rep=$(cat "$tmp"/reports/* 2> /dev/null | head -n 30)
	if [ -z "$bad" ] && [ -z "$rep" ]; then
		t_report ok "summary of the results corpus: $valid accepted, $invalid refused with a reason"
	else
		t_report fail "summary of the results corpus" "$bad $rep"
	fi
fi
t_done
