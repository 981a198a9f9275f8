#!/bin/sh
# The seed's question benchmarks (docs/questions.md) on a real kernel: 6.1
# with the instrumentation, notifier-filter and driver-programs-unlocked
# series (an incremental build from the instrumented kernel), one boot
# running mark_rmap, revoke_listener and fork_lock with --quick. Asserted:
# every point ok or unsupported with its reason (a walker in icount), each
# benchmark's own checks passed (a failed check fails the run), and what
# each reports is there and consistent: the slope per sharer, the second
# listener's callback and the restore's event, the fork failure rate inside
# its Wilson interval over every fork attempted. MODE as the other tests
# (default icount).
T_NAME=questions
. "$(dirname "$0")/tap.sh"
MODE=${MODE:-icount}
Q="kernel-patches/test_hmm-instrumentation kernel-patches/notifier-filter kernel-patches/driver-programs-unlocked"

start=$(date +%s)
if build=$($S/kernel-build --patches "$Q" 2> "$tmp/build.log"); then
	t_report ok "kernel-build with the question series: $(jq -c .build "$build/build-info.json") in $(( $(date +%s) - start )) s"
else
	t_report fail "kernel-build with the question series" "$(tail -n 3 "$tmp/build.log")"
	t_done
	exit 1
fi
accel=$($S/vm-accel "$MODE" "$build/arch/x86/boot/bzImage")
out=$tmp/run
start=$(date +%s)
if (. scripts/lib.sh; boot_round "$build" "$accel" 1800 "" "$out" --bench mark_rmap \
	--bench revoke_listener --bench fork_lock --quick); then
	t_report ok "mark_rmap, revoke_listener, fork_lock --quick: complete in $(( $(date +%s) - start )) s ($accel)"
else
	t_report fail "the question benchmarks ran" "$(tail -n 5 "$out/vm-run.log")"
	t_done
	exit 1
fi
r=$out/results.json
bad=$(jq -r '.benchmarks[].points[] | select(.status != "ok" and .status != "unsupported") | .status' "$r")
reasonless=$(jq -r '[.benchmarks[].points[] | select(.status == "unsupported" and ((.reason // "") == ""))] | length' "$r")
[ -z "$bad" ] && [ "$reasonless" = 0 ] && t_report ok "every point ok, or unsupported with its reason" ||
	t_report fail "point statuses" "not ok: $bad; unsupported without a reason: $reasonless"

# mark_rmap: the slope per sharer of each order, and the walkers in icount
n=$(jq '[.benchmarks[] | select(.name == "mark_rmap") | .summary[] | select(.name | test("_per_page_per_sharer$"))] | length' "$r")
w=$(jq -r '[.benchmarks[] | select(.name == "mark_rmap") | .points[] | select(.params.walker != "none") | .status] | unique | join(",")' "$r")
if [ "$n" -ge 2 ] && { [ "$accel" != icount ] || [ "$w" = unsupported ] || [ -z "$w" ]; }; then
	t_report ok "mark_rmap: $n slopes per sharer ($(jq -r '[.benchmarks[] | select(.name == "mark_rmap") | .summary[] | select(.name | test("per_sharer")) | "\(.params.order) \(.value | round)"] | join(", ")' "$r") $(jq -r '.context.time_unit' "$r")/page/sharer)"
else
	t_report fail "mark_rmap summaries" "$n slopes; walkers in $accel: $w"
fi

# revoke_listener: the listener's cost, the event, the filter on
ev=$(jq -r '[.benchmarks[] | select(.name == "revoke_listener") | .points[] | .metrics.restore_event_is_clear.value] | unique | join(",")' "$r")
ext=$(jq -r '.benchmarks[] | select(.name == "revoke_listener") | .summary[] | select(.name | test("^listener_extra")) | .value' "$r" | head -n1)
fon=$(jq -r '[.benchmarks[] | select(.name == "revoke_listener") | .points[] | select(.params.filter == "on") | .status] | unique | join(",")' "$r")
if [ "$ev" = 0 ] && [ -n "$ext" ] && [ "$fon" = ok ]; then
	t_report ok "revoke_listener: 6.1 restores with EXCLUSIVE, a second listener adds $(printf '%.0f' "$ext") per revoke, the filter measured"
else
	t_report fail "revoke_listener" "event is clear: '$ev', listener extra '$ext', filter points '$fon'"
fi

# fork_lock: a rate inside its interval over every attempt
if jq -e '[.benchmarks[] | select(.name == "fork_lock") | .points[] | select(.status == "ok") | .metrics |
	.fork_failure_rate.value as $p | .fork_failure_rate_ci95_low.value <= $p and $p <= .fork_failure_rate_ci95_high.value and
	.forks_attempted.value >= 20] | length > 0 and all' "$r" > /dev/null; then
	t_report ok "fork_lock: $(jq -r '[.benchmarks[] | select(.name == "fork_lock") | .points[] | "program_ns \(.params.program_ns): \(.metrics.fork_failure_rate.value * 100 | round)% [\(.metrics.fork_failure_rate_ci95_low.value * 100 | round), \(.metrics.fork_failure_rate_ci95_high.value * 100 | round)] of \(.metrics.forks_attempted.value)"] | join("; ")' "$r")"
else
	t_report fail "fork_lock rates" "$(jq -c '[.benchmarks[] | select(.name == "fork_lock") | .points[] | {params, status, metrics}]' "$r" | cut -c1-400)"
fi
t_done
