# a sched_switch trace of one point, mark pages=1 state=thp (NOTE.md); run in the guest:
# make vm MODE=icount CMD="sh $PWD/results/rcu-trace-20261127/trace.sh"
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
grep -i "^CONFIG_HZ=\|RCU" /proc/config.gz 2>/dev/null | head -3
echo 1 > $T/events/sched/sched_switch/enable
"$(dirname "$0")"/../../bench/hmmbench run --bench mark --param pages=1 --param state=thp --out /tmp/r.json > /dev/null 2>&1
echo 0 > $T/tracing_on
grep sched_switch $T/trace | grep "next_comm=hmmbench\|prev_comm=hmmbench" > /tmp/t
echo "switches involving hmmbench: $(wc -l < /tmp/t)"
echo "first/last: $(head -1 /tmp/t | awk '{print $4}') $(tail -1 /tmp/t | awk '{print $4}')"
echo "who preempted hmmbench (next_comm after prev_comm=hmmbench):"
grep "prev_comm=hmmbench" /tmp/t | sed 's/.*next_comm=\([^ ]*\).*/\1/' | sort | uniq -c
echo "intervals between rcu_preempt runs (s):"
grep "prev_comm=rcu_preempt" $T/trace | awk '{t=$4+0; if (p) printf "%.3f\n", t-p; p=t}' | sort | uniq -c | sort -rn
cat /sys/kernel/debug/rcu/* 2>/dev/null | head -3
