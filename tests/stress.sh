#!/bin/sh
# The stress benchmark (docs/stress.md) against the default kernel, booted:
# - it is not part of the default suite;
# - a short run (STRESS_SECONDS, default 15) completes, every kind of
#   operation ran (the benchmark runs until each has), and data and kernel
#   log were checked;
# - it can fail: a page corrupted behind its back (stress.plant=corruption)
#   and a kernel-report line in the log (stress.plant=kmsg) each fail their
#   point with the offending value or line, never give a result.
T_NAME=stress
. "$(dirname "$0")/tap.sh"
MODE=${MODE:-auto}
DURATION=${STRESS_SECONDS:-15}

expect_fail "stress is not in the default suite (its params need --bench stress)" \
	'not selected' bench/hmmbench run --param stress.seconds=1

build=$($S/kernel-build --patches kernel-patches/test_hmm-instrumentation) ||
	{ echo "not ok 2 kernel-build"; echo "1 passed, 1 failed"; exit 1; }
kernel=$build/arch/x86/boot/bzImage
vm() { $S/vm-run --accel "$MODE" --timeout 600 --kernel "$kernel" \
	--kernel-info "$build/build-info.json" "$@"; }

# a clean run
r=$tmp/clean/results.json
expect_ok "stress.seconds=$DURATION runs clean in the guest" \
	vm --out "$tmp/clean" -- bench/hmmbench run --bench stress \
	--param stress.seconds="$DURATION" --out "$r"
expect_ok "its results validate" bench/hmmbench validate "$r"
st=$(jq -r '"\(.status) \(.benchmarks[0].points[0].status)"' "$r" 2>/dev/null)
if [ "$st" = "complete ok" ]; then
	t_report ok "run complete, point ok: $(jq -r '.benchmarks[0].points[0].metrics |
		to_entries | map("\(.key)=\(.value.value)") | join(" ")' "$r")"
else
	t_report fail "run complete, point ok" "got: $st; $(tail -n 3 "$tmp/clean/vm/stderr" 2>/dev/null)"
fi
# (a mark or a fork counts either way it ends)
for k in cpu_reads cpu_writes marks+marks_busy forks+forks_enomem mprotects remaps \
	move_pages_calls migrate_pages_calls compactions; do
	n=$(jq -r --arg k $k '.benchmarks[0].points[0].metrics as $m |
		[$k | split("+")[] | $m[.].value // 0] | add' "$r" 2>/dev/null)
	if [ "${n%.*}" -gt 0 ] 2>/dev/null; then
		t_report ok "$k done: $n"
	else
		t_report fail "$k done at least once" "got: ${n:-none}"
	fi
done
if grep -q 'hmmbench: stress: pass 2 end' "$tmp/clean/vm/console.log" "$tmp/clean/vm/dmesg" 2>/dev/null; then
	t_report ok "the kernel log was read up to the end marker of the measured pass"
else
	t_report fail "the end marker is in the kernel log"
fi

# planted faults: each point must fail, with its reason, and the run too
r=$tmp/plant/results.json
expect_fail "planted faults fail the run" 'stress .*plant=.*failed' \
	vm --out "$tmp/plant" -- bench/hmmbench run --bench stress \
	--param stress.seconds=4 --param stress.plant=corruption,kmsg --out "$r"
pt() { jq -r --arg p "$1" '.benchmarks[0].points[] | select(.params.plant == $p) |
	"\(.status) \(has("stats")): \(.reason)"' "$r" 2>/dev/null; }
case $(pt corruption) in
"failed false: "*0x5a5a5a5a5a5a5a5a*) t_report ok "corrupted page found: $(pt corruption)" ;;
*) t_report fail "a page corrupted through the device fails the point" "got: $(pt corruption)" ;;
esac
case $(pt kmsg) in
"failed false: kernel report during the stress: hmmbench-selftest: Bad page state"*)
	t_report ok "kernel report found: $(pt kmsg)" ;;
*) t_report fail "a kernel-report line in the log fails the point" "got: $(pt kmsg)" ;;
esac
if [ "$(jq -r .status "$r" 2>/dev/null)" = failed ]; then
	t_report ok "the run's status is failed"
else
	t_report fail "the run's status is failed" "got: $(jq -r .status "$r" 2>/dev/null)"
fi
t_done
