# migrate to_dev pages=64, 30 passes, SCHED_FIFO then SCHED_OTHER regions
# (HB_OTHER), each region bracketed by trace_marker writes (HB_MARK):
# per region after the calibration ones, the events inside it
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T
# $1: an hmmbench built from 14db971 with marker.patch (NOTE.md)
H=${1:?usage: trace.sh HMMBENCH}
export HB_MARK=1
for v in fifo other; do
	if [ $v = other ]; then export HB_OTHER=1; else unset HB_OTHER; fi
	echo 0 > $T/tracing_on; echo > $T/trace; echo 20000 > $T/buffer_size_kb
	for e in irq/softirq_entry irq_vectors/local_timer_entry irq/irq_handler_entry sched/sched_switch sched/sched_wakeup workqueue/workqueue_queue_work timer/hrtimer_expire_entry timer/timer_expire_entry irq_vectors/call_function_single_entry irq_vectors/reschedule_entry irq_vectors/irq_work_entry; do echo 1 > $T/events/$e/enable; done
	echo 1 > $T/tracing_on
	$H run --bench migrate --param op=to_dev --param pages=64 --reps 30 --out /tmp/m-$v.json > /dev/null 2>&1
	echo 0 > $T/tracing_on
	echo "== $v: $(jq -c '.context.timed_regions.policy, [.benchmarks[0].points[0].samples[] | round]' /tmp/m-$v.json | tr '\n' ' ')"
	awk '/tracing_mark_write: B/ {inr=1; n++; ev=""; next} /tracing_mark_write: E/ {inr=0; if (ev != "") print n": "ev; next} inr { s=$0; sub(/^.*\] [^ ]* [0-9.]*: /,"",s); split(s,a," "); ev=ev" | "a[5]" "a[6]" "a[7]}' $T/trace | awk -F": " "\$1 > 1100" | head -12
done
