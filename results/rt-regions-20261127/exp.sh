# in the guest (NOTE.md): mark pages=1 state=thp, 10 times as usual and
# 10 times with every timed region run as SCHED_FIFO (meter.patch applied,
# HMMBENCH_RT_REGIONS=1), alternating; per run the samples above 450,000
# instructions and the context switches per op
H=$(dirname "$0")/../../bench/hmmbench
for i in 1 2 3 4 5 6 7 8 9 10; do
	for v in plain rt; do
		if [ $v = rt ]; then export HMMBENCH_RT_REGIONS=1; else unset HMMBENCH_RT_REGIONS; fi
		$H run --bench mark --param pages=1 --param state=thp --out /tmp/r-$v-$i.json > /dev/null 2>&1
		echo "$v $i: $(jq -c '.benchmarks[] | select(.name=="mark") | .points[] | {n: (.samples|length), hi: [.samples[] | select(. > 450000) | round], med: .stats.median, cs: .counters.per_op."context-switches", ops: .counters.ops}' /tmp/r-$v-$i.json)"
	done
done
