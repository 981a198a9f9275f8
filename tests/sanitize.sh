#!/bin/sh
# The suite's C code under AddressSanitizer and UndefinedBehaviorSanitizer
# (builds in bench/san/ and tools/san/, made by `make san-test`): the unit
# tests, the runner's commands that need no test_hmm on the fixtures and
# the committed results, and hmmbench-compare (tests/compare.sh again, and
# compare, gate and noise on the committed real runs).
# Every sanitizer report goes to a file, and any report fails the test it
# came from, whatever the exit status looked like.
# Run: make san-test, or tests/sanitize.sh after make -C bench san && make -C tools san.
T_NAME=sanitize
. "$(dirname "$0")/tap.sh"
R=bench/san/hmmbench
C=tools/san/hmmbench-compare
F=tests/fixtures/compare
mkdir "$tmp/reports"

for b in $R $C tests/unit/san/unit-tests; do
	[ -x "$b" ] || { echo "not ok 1 $b is not built (make -C bench san; make -C tools san)"; exit 1; }
done

SAN_COMMON="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="$SAN_COMMON:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$tmp/reports/asan"
export UBSAN_OPTIONS="$SAN_COMMON:log_path=$tmp/reports/ubsan"
# the sanitized tool lives in tools/san/: point it at the tree's thresholds
export HMMBENCH_THRESHOLDS="$top/config/thresholds"

# reports: the sanitizer reports written since the last call, then cleared
reports() {
	r=$(cat "$tmp"/reports/* 2> /dev/null | head -n 40)
	rm -f "$tmp"/reports/*
	[ -z "$r" ] || { echo "sanitizer report:"; echo "$r"; }
}

# san NAME CODE PATTERN CMD...: CMD exits CODE, without a sanitizer report;
# PATTERN (grep -E, may be empty) must match its stdout for 0, else stderr
san() {
	name=$1 code=$2 pattern=$3
	shift 3
	"$@" > "$T_LOG/out" 2> "$T_LOG/err"
	rc=$?
	rep=$(reports)
	out="$T_LOG/out"
	[ "$code" -eq 0 ] || out="$T_LOG/err"
	if [ -n "$rep" ]; then
		t_report fail "$name" "exit $rc; $rep"
	elif [ $rc -ne "$code" ]; then
		t_report fail "$name" "exit $rc, want $code: $(tail -n 5 "$T_LOG/err")"
	elif [ -n "$pattern" ] && ! grep -q -E -- "$pattern" "$out"; then
		t_report fail "$name" "output does not match /$pattern/: $(tail -n 5 "$out")"
	else
		t_report ok "$name"
	fi
}

# the unit tests
san "unit tests" 0 ' 0 failed$' sh -c 'cd tests/unit && HMMBENCH_FIXTURES=../fixtures exec san/unit-tests'

# the runner: every committed result and fixture, the inputs it must refuse
san "hmmbench list" 0 '^mark: ' $R list
for f in $({ find results -name results.json; find "$F" -name '*.json' ! -path "$F/bad/*" ! -path "$F/profiles/*"; } | sort); do
	san "hmmbench validate $f" 0 ": valid hmmbench-results version 1" $R validate "$f"
	san "hmmbench summary $f" 0 '^hmmbench .*: kernel ' $R summary "$f"
done
for f in $F/bad/*.json; do
	case $f in
	*/corrupt.json) want="invalid: .*corrupt.json:1:[0-9]+: " ;;
	*/schema-v2.json) want='invalid: .*schema_version: 2 is not supported' ;;
	*/interrupted.json) want='invalid: .*points\[0\]\.interrupted: samples\[1\]: expected a number' ;;
	*) want=' ' ;;	# valid files the tools refuse for what they hold
	esac
	if [ "$want" = ' ' ]; then
		san "hmmbench validate $f" 0 ': valid ' $R validate "$f"
	else
		san "hmmbench validate $f refuses it" 2 "$want" $R validate "$f"
		san "hmmbench summary $f refuses it" 2 "$want" $R summary "$f"
	fi
done
san "hmmbench validate a missing file" 2 'invalid: .*unable to open' $R validate "$tmp/nonexistent.json"
san "hmmbench without a command" 2 '^usage: ' $R
san "hmmbench unknown command" 2 "unknown command 'frob'" $R frob
san "hmmbench run: unknown mode" 2 "mode 'bogus' .* is not one of" $R run --mode bogus
san "hmmbench run: unknown benchmark" 2 "no benchmark 'nosuch'" $R run --bench nosuch
san "hmmbench run: bad parameter value" 2 "mark.pages: 'abc' is not an integer" $R run --param mark.pages=abc
san "hmmbench run: value out of range" 2 "mark.pages: .* is out of range" $R run --param mark.pages=0
san "hmmbench run: unknown parameter" 2 "no selected benchmark has a parameter 'nosuch'" $R run --param nosuch=1
san "hmmbench run: --reps out of range" 2 "--reps 0: expected an integer" $R run --reps 0
if [ -e /dev/hmm_dmirror0 ]; then
	t_report ok "hmmbench run without test_hmm # SKIP test_hmm is loaded here"
else
	# cmd_run (bench/main.c) keeps the command line's sweeps to exit:
	# leak checking is off for this one run, not for the rest
	ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
		san "hmmbench run without test_hmm" 2 'test_hmm not loaded' $R run --quick --out "$tmp/r.json"
fi

# hmmbench-compare: the command-line tests, then the committed real runs
if HMMBENCH_COMPARE=$C tests/compare.sh > "$tmp/compare.tap" 2>&1 && [ -z "$(reports)" ]; then
	t_report ok "tests/compare.sh on the sanitized tool: $(tail -n 1 "$tmp/compare.tap")"
else
	t_report fail "tests/compare.sh on the sanitized tool" \
		"$(grep -A 20 '^not ok' "$tmp/compare.tap" | head -n 40; reports)"
fi
I1=results/20261125-6.1.192-icount-1/results.json
I2=results/20261125-6.1.192-icount-2/results.json
TCG=results/20261125-033706-6.1.192-tcg/results.json
AB=results/ab-20261125-025353-icount
for fmt in text markdown json html; do
	san "compare --format $fmt, two icount runs and a TCG run" 0 '' \
		$C compare --format $fmt --output "$tmp/c.$fmt" $I1 $I2 $TCG
done
if jq -e '.comparisons | length == 2' "$tmp/c.json" > /dev/null &&
	grep -q '</html>' "$tmp/c.html"; then
	t_report ok "compare: the JSON has both comparisons, the HTML is whole"
else
	t_report fail "compare: the JSON and HTML reports"
fi
# that A/B ran before timed regions said their policy: today's rules gate
# it without their provenance lines (which the gate would refuse it by)
grep -v '^#' config/thresholds > "$tmp/th-any"
san "gate: the committed A/B (canary-restore) regresses" 1 '' \
	$C gate --thresholds "$tmp/th-any" --output "$tmp/ab.md" $AB/a $AB/b
grep -q '^not ok [0-9]* restore/' "$T_LOG/out" && t_report ok "gate: ... in restore" ||
	t_report fail "gate: the A/B regression is in restore" "$(grep '^not ok' "$T_LOG/out")"
san "gate: icount against TCG refuses" 2 'contexts do not compare' $C gate $I1 $TCG
# what the fuzzer found (docs/hardening.md), on the tool itself
jq '.benchmarks[0].points += [.benchmarks[0].points[0]]' $F/sets/base/1.json > "$tmp/dup.json"
san "compare: a point twice in one file is refused (was a heap overflow)" 2 \
	'two points with these params' $C compare $F/sets/base/1.json "$tmp/dup.json"
san "gate: a bad second round is refused (was a leak)" 2 'corrupt.json:1:[0-9]+: ' \
	$C gate $F/sets/base "$F/sets/aa/1.json,$F/bad/corrupt.json"
san "noise: the two icount runs" 0 '' $C noise --output "$tmp/th" $I1 $I2
grep -q '^icount@6.1 ' "$tmp/th" && t_report ok "noise: thresholds for icount@6.1 written" ||
	t_report fail "noise: thresholds file" "$(head -n 5 "$tmp/th")"

t_done
