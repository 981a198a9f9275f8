#!/bin/sh
# Fuzz each target for a set time, one fuzzer process at a time (the
# machine is shared): `make fuzz [FUZZ_SECONDS=300]` runs this after
# building the targets (make -C tests/fuzz).
# usage: tests/fuzz/run.sh [--seconds N] [TARGET...]   (default: every target)
# New inputs collect in build/work/TARGET (kept between runs: fuzzing
# resumes where it stopped); corpus/TARGET, the committed seeds, is only
# read. A crash, leak or timeout leaves its input in build/crashes/ and
# makes the exit status 1; the numbers go to stdout, libFuzzer's log to
# build/logs/TARGET.log.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
PROG=fuzz
die() { echo "$PROG: $*" >&2; exit 2; }

seconds=300
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) [ $# -ge 2 ] || die "--seconds needs a value"; seconds=$2; shift 2 ;;
	--*) die "unknown option $1 (usage: run.sh [--seconds N] [TARGET...])" ;;
	*) break ;;
	esac
done
case $seconds in ''|*[!0-9]*) die "--seconds $seconds: expected a whole number of seconds" ;; esac
targets=${*:-results compare thresholds}
mkdir -p build/work build/crashes build/logs

failed=0
for t in $targets; do
	bin=build/fuzz_$t
	[ -x "$bin" ] || die "$bin is not built (make -C tests/fuzz)"
	[ -d "corpus/$t" ] || die "no seed corpus corpus/$t"
	mkdir -p "build/work/$t"
	dict=
	[ "$t" = thresholds ] || dict=-dict=results.dict
	before=$(ls build/crashes | wc -l)
	log=build/logs/$t.log
	echo "$PROG: $t for $seconds s: $bin $dict -max_total_time=$seconds -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build/crashes/$t- build/work/$t corpus/$t" >&2
	rc=0
	# shellcheck disable=SC2086
	"$bin" $dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="build/crashes/$t-" \
		"build/work/$t" "corpus/$t" > "$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\) .*/\1/p')
	crashes=$(( $(ls build/crashes | wc -l) - before ))
	echo "$t: ${execs:-?} executions in ${secs:-?} s, coverage ${cov:-?} edges," \
		"work corpus $(ls "build/work/$t" | wc -l) inputs, $crashes crash(es), exit $rc"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		failed=1
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5 >&2
		ls -t build/crashes | head -n "$((crashes > 0 ? crashes : 1))" | sed 's|^|  build/crashes/|' >&2
	fi
done
exit $failed
