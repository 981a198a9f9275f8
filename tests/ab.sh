#!/bin/sh
# A/B and A/A tests: real kernels, booted, measured and gated.
# - A/B: the canary kernel (kernel-patches/canary, every planted cost 0)
#   against itself with canary_restore_loops=384 on the command line, an
#   extra 1,536 instructions in the fault that restores a device-exclusive
#   entry (about +40%: at +20% the loop's function grew 3.7-4.6 pp in
#   restore's profile, too near the A/A floor of config/thresholds, then 3 pp, 4.1 now).
#   The gate must fail (exit 1) and blame exactly the restore metrics
#   of exclusive pages, and leave the reference faults (minor, anon)
#   unchanged. (tests/canary.sh proves every canary at 2%.)
# - A/A: the baseline against itself (two guests at once in icount) must
#   pass (exit 0) with the committed thresholds, after at most one
#   inconclusive verdict settled with the rounds the KTAP asks for; scripts/aa must measure
#   thresholds, count no false positive, and --extend its campaign by a
#   pair with the same settings; merged into the shipped rules, gate its
#   pairs out of sample with the rules it replaced.
# - bad inputs: a clear error and exit 2 ("cannot compare").
# In icount mode (deterministic instruction counts) unless AB_MODE is set;
# AB_ROUNDS rounds per side (default 3, as the thresholds were measured).
# The restore benchmark only, --quick: a boot takes about 20 s. The canary
# kernel builds incrementally from the default one (scripts/kernel-build).
T_NAME=ab
. "$(dirname "$0")/tap.sh"
MODE=${AB_MODE:-icount}
ROUNDS=${AB_ROUNDS:-3}
CANARY="kernel-patches/test_hmm-instrumentation kernel-patches/canary"

make -s -C tools >/dev/null 2>&1
if [ -x tools/hmmbench-compare ]; then
	t_report ok "tools/hmmbench-compare is built"
else
	t_report fail "tools/hmmbench-compare is built" "make -C tools failed"
	t_done
	exit 1
fi

# bad inputs first: they are quick
expect_fail "ab without --b" "both --a and --b are needed" $S/ab --a none
expect_fail "ab with a series that does not apply" "0002-does-not-apply.patch does not apply" \
	$S/ab --a none --b tests/fixtures/series-bad --mode icount --quick --out "$tmp/bad"
$S/ab --a none > /dev/null 2>&1
rc=$?
if [ $rc -eq 2 ]; then t_report ok "ab's errors exit 2 (cannot compare), not 1 (regression)"
else t_report fail "ab's errors exit 2" "exit $rc"; fi
expect_fail "aa with a bad --pairs" "take positive integers" $S/aa --pairs none
# a setting without rules: refused before anything is built, in seconds,
# naming the campaign that measures them (tcg full sweeps have none)
for cmd in "ab --a none --b none" "ladder --canary restore"; do
	start=$(date +%s)
	# shellcheck disable=SC2086
	expect_fail "$cmd --mode tcg: no rules of tcg@6.1, refused before a build" \
		"no measured rules of tcg@6.1 in config/thresholds: measure them with 'make aa MODE=tcg KERNEL=6.1 PAIRS=20' \(120 boots" \
		$S/$cmd --mode tcg --out "$tmp/norules"
	took=$(( $(date +%s) - start ))
	if [ "$took" -le 5 ] && [ ! -e "$tmp/norules" ]; then
		t_report ok "... in $took s, nothing written"
	else
		t_report fail "refused at once, nothing written" "$took s; $(ls "$tmp/norules" 2>&1)"
	fi
done

echo "# building the canary kernel (incremental from the default one)"
start=$(date +%s)
if $S/kernel-build --patches "$CANARY" > "$tmp/canary.build" 2> "$tmp/canary.err"; then
	t_report ok "kernel-build --patches $CANARY in $(( $(date +%s) - start )) s"
else
	t_report fail "kernel-build --patches $CANARY" "$(tail -n 5 "$tmp/canary.err")"
fi
canary=$(cat "$tmp/canary.build")
base=$($S/kernel-build 2> /dev/null)
if [ -n "$canary" ] && [ "$canary" != "$base" ]; then
	t_report ok "the canary build has its own cache key ($(basename "$canary") vs $(basename "$base"))"
else
	t_report fail "the canary build has its own cache key" "canary '$canary', baseline '$base'"
fi

# --- A/B: baseline vs canary ---
LOOPS=384
ab=$tmp/ab
start=$(date +%s)
$S/ab --a "$CANARY" --b "$CANARY" --append-b canary_restore_loops=$LOOPS --mode "$MODE" \
	--rounds "$ROUNDS" --bench restore --bench mark --bench fork --quick --out "$ab" \
	> "$tmp/ab.out" 2> "$tmp/ab.err"
rc=$?
if [ $rc -eq 1 ]; then
	t_report ok "A/B canary off vs canary_restore_loops=$LOOPS: the gate fails (exit 1) in $(( $(date +%s) - start )) s"
else
	t_report fail "A/B canary off vs canary_restore_loops=$LOOPS: the gate fails with exit 1" "exit $rc: $(tail -n 8 "$tmp/ab.err")"
fi
j=$ab/compare.json
n=$(ls -d "$ab"/a/round-*/results.json "$ab"/b/round-*/results.json 2>/dev/null | wc -l)
if [ "$n" -eq $((2 * ROUNDS)) ] && [ -s "$ab/report.html" ] && [ -s "$ab/compare.md" ] &&
	[ -s "$j" ] && [ -s "$ab/gate.ktap" ] && [ "$(jq .gate_status "$ab/ab.json" 2>/dev/null)" = 1 ]; then
	t_report ok "A/B leaves $n rounds, compare.md, compare.json, report.html, gate.ktap, ab.json"
else
	t_report fail "A/B output files" "$(ls -R "$ab" 2>&1 | head -n 20)"
fi
# the boots started a, b, a, b (the joblog's start times: in icount two
# run at once, so the order they finish in is the host's)
order=$(awk -F '\t' 'NR > 1 { print $3, $9 }' "$ab/joblog" 2>/dev/null | sort -n |
	grep -o '[ab]/round-[0-9]*' | cut -c1 | tr -d '\n')
if [ "$order" = "$(seq "$ROUNDS" | sed 's/.*/ab/' | tr -d '\n')" ]; then
	t_report ok "the boots alternated: $order"
else
	t_report fail "the boots alternated a, b, a, b" "order: $order"
fi

# exactly the exclusive-page restore metrics regressed
exclusive_all=$(jq '[.comparisons[0].metrics[] | select(.bench == "restore" and
	.params.fault == "exclusive" and .kind == "headline")] | length' "$j" 2>/dev/null)
exclusive_regressed=$(jq '[.comparisons[0].metrics[] | select(.bench == "restore" and
	.params.fault == "exclusive" and .kind == "headline" and .verdict == "regressed")] | length' "$j" 2>/dev/null)
others_regressed=$(jq -r '.comparisons[0].metrics[] | select(.verdict == "regressed" and
	(.bench != "restore" or .params.fault != "exclusive")) | .id' "$j" 2>/dev/null)
refs_unchanged=$(jq '[.comparisons[0].metrics[] | select(.bench == "restore" and
	.params.fault != "exclusive")] | (length > 0) and all(.verdict == "unchanged")' "$j" 2>/dev/null)
if [ "${exclusive_all:-0}" -ge 1 ] && [ "${exclusive_regressed:-0}" -eq "$exclusive_all" ]; then
	t_report ok "regressed: all $exclusive_all exclusive restore latencies ($(jq -r '[.comparisons[0].metrics[] |
		select(.params.fault == "exclusive" and .kind == "headline") | "\(.change_pct | . * 10 | round / 10)%"] | join(", ")' "$j"))"
else
	t_report fail "regressed: every exclusive restore latency" "${exclusive_regressed:-?} of ${exclusive_all:-?}: $(grep -i exclusive "$tmp/ab.out" | head -n 8)"
fi
if [ -z "$others_regressed" ] && [ -s "$j" ]; then
	t_report ok "nothing else regressed"
else
	t_report fail "nothing else regressed" "$others_regressed"
fi
if [ "$refs_unchanged" = true ]; then
	t_report ok "the reference faults (minor, anon) are unchanged"
else
	t_report fail "the reference faults (minor, anon) are unchanged" \
		"$(jq -r '.comparisons[0].metrics[] | select(.params.fault != "exclusive") | "\(.id) \(.verdict)"' "$j" 2>&1 | head)"
fi
# KTAP: a "not ok" line per regressed metric, each an exclusive restore
# one; any other "not ok" may only be inconclusive (3 rounds could not rule
# out a change beyond its threshold: said, never hidden), as in the JSON
regr_ktap=$(grep '^not ok .* # regressed' "$ab/gate.ktap" 2>/dev/null)
bad_ktap=$(echo "$regr_ktap" | grep -v 'fault=exclusive')
other_ktap=$(grep '^not ok' "$ab/gate.ktap" 2>/dev/null | grep -v ' # regressed' | grep -v ' # inconclusive')
n_regr_ktap=$(echo "$regr_ktap" | grep -c '^not ok')
n_inc_ktap=$(grep -c '^not ok .* # inconclusive' "$ab/gate.ktap" 2>/dev/null)
n_regr=$(jq '.comparisons[0].counts.regressed' "$j" 2>/dev/null)
# every metric is gated per boot, so an exclusive restore's tails and
# ratios regress beside its headlines: at least the headlines
if [ -z "$bad_ktap" ] && [ -z "$other_ktap" ] && [ "$n_regr_ktap" -ge 1 ] && [ "$n_regr_ktap" = "$n_regr" ] &&
	[ "$n_regr_ktap" -ge "${exclusive_all:-1}" ]; then
	t_report ok "KTAP: $n_regr_ktap 'not ok' regressed lines, all exclusive restore metrics, as in the JSON; $n_inc_ktap inconclusive"
else
	t_report fail "KTAP agrees with the JSON" "regressed: $n_regr_ktap in KTAP, $n_regr in JSON; $bad_ktap$other_ktap"
fi

# the profile diff: the loop's function is restore's top mover, among
# those whose own share grew (the regressed metrics' "where:"); mark and
# fork, whose metrics did not move, were not profiled at all
# (remove_device_exclusive_entry() holds the loop; gcc inlines it into
# do_swap_page() where it is not a symbol of its own)
holder=remove_device_exclusive_entry
grep -q " $holder\$" "$canary/System.map" || holder=do_swap_page
grew=$(jq -r '.comparisons[0].profiles[] | select(.bench == "restore") | [.grew[].symbol] | join(" ")' "$j" 2>/dev/null)
# mark's and fork's movers, self and with children: "" when none
others=$(jq -r '[.comparisons[0].profiles[] | select(.bench == "mark" or .bench == "fork") | .bench as $b |
	(.self + .children)[] | "\($b) \(.symbol) \(.delta_pp | . * 10 | round / 10) pp"] | join(", ")' "$j" 2>/dev/null)
# both profiled, each judged against its measured A/A rule, not sampling noise alone
floors=$(jq -r '[.comparisons[0].profiles[] | select((.bench == "mark" or .bench == "fork") and .have and
	.pp_min_from == "aa")] | if length == 2 then map("\(.bench) \(.pp_min) pp, thresholds line \(.pp_min_rule_line)") | join(", ") else "" end' "$j" 2>/dev/null)
# top at +40% (+17.9 pp on a clean clone); at +20% it was not (xas_load
# -6.2, mutex_lock +6.0, do_swap_page +4.6: docs/compare.md)
top=$(jq -r '.comparisons[0].profiles[] | select(.bench == "restore") | .self[0] | "\(.symbol) \(.delta_pp > 0)"' "$j" 2>/dev/null)
if [ "$top" = "$holder true" ] && echo " $grew " | grep -q " $holder " &&
	grep -q "where: .*$holder +" "$ab/compare.txt"; then
	t_report ok "profile: $holder is restore's top mover, its share grew ($(jq -r --arg h "$holder" '.comparisons[0].profiles[] | select(.bench == "restore") | .grew[] | select(.symbol == $h) | "\(.delta_pp | . * 10 | round / 10) pp, z \(.z | round)"' "$j"); grew: $grew)"
else
	t_report fail "profile: $holder is restore's top mover and grows" \
		"top: ${top:-none}; grew: ${grew:-none}; $(jq -c '[.comparisons[0].profiles[] | {bench, self: [.self[] | .symbol], why: .why_no_movers}]' "$j" 2>&1 | cut -c1-600)"
fi
# only what moved was profiled, after the gate had decided
prof=$(jq -r .profile "$ab/ab.json" 2>/dev/null)
benches=$(jq -r '[.benchmarks | keys[]] | join(" ")' "$ab/a/profile/profile.json" 2>/dev/null)
split=$(jq -r '.benchmarks.restore.interference_samples | numbers' "$ab/a/profile/profile.json" 2>/dev/null)
if [ "$prof" = "ok: restore" ] && [ "$benches" = restore ] && [ -n "$split" ]; then
	t_report ok "profile: only restore, the benchmark that moved, was profiled (mark, fork: none); interference counted apart ($split samples)"
else
	t_report fail "profile: only the benchmark that moved" "ab.json profile '$prof', profiled: '$benches', interference '$split'"
fi

# --- A/A: the baseline against itself, with the committed thresholds ---
# The rules allow 1 flag in 20 A/As (docs/ab.md), so an A/A may come back
# inconclusive (exit 3); CI then does what the KTAP says, once: more rounds.
# A regression (exit 1) or a second inconclusive verdict fails the test.
start=$(date +%s)
# two guests at once in icount (--jobs: the A/B above boots one by one)
J=1
[ "$MODE" != icount ] || J=2
aa_ab() {
	$S/ab --a kernel-patches/test_hmm-instrumentation --b kernel-patches/test_hmm-instrumentation \
		--mode "$MODE" --rounds "$1" --bench restore --quick --jobs $J \
		--out "$tmp/aa-ab" > "$tmp/aa-ab.out" 2> "$tmp/aa-ab.err"
}
aa_ab "$ROUNDS"
rc=$?
settled=
if [ $rc -eq 3 ]; then
	n=$(sed -n 's/.*about \([0-9]*\) rounds a side would settle.*/\1/p' "$tmp/aa-ab.err" | sort -n | tail -n 1)
	[ "${n:-0}" -gt "$ROUNDS" ] || n=$((ROUNDS + 1))
	echo "# A/A inconclusive in $ROUNDS rounds ($(grep -c '^not ok' "$tmp/aa-ab/gate.ktap") rows): settled with $n"
	rm -rf "$tmp/aa-ab"
	aa_ab "$n"
	rc=$?
	settled=", settled with $n rounds a side"
fi
if [ ! -e "$tmp/aa-ab/a/profile" ] && [ "$(jq -r .profile "$tmp/aa-ab/ab.json")" = "none: no benchmark's metrics moved" ]; then
	t_report ok "A/A: nothing moved, so no profiled boot ($(grep -o 'verdict after [0-9.]* s' "$tmp/aa-ab.err"))"
else
	t_report fail "A/A: no profiled boot" "$(jq -r .profile "$tmp/aa-ab/ab.json"); $(ls "$tmp/aa-ab/a")"
fi
if [ $rc -eq 0 ] && ! grep -q '^not ok' "$tmp/aa-ab/gate.ktap"; then
	t_report ok "A/A baseline vs baseline: the gate passes (exit 0)$settled in $(( $(date +%s) - start )) s"
else
	t_report fail "A/A baseline vs baseline: the gate passes" \
		"exit $rc$settled: $(grep '^not ok' "$tmp/aa-ab/gate.ktap" 2>/dev/null | head -n 5; tail -n 3 "$tmp/aa-ab.err")"
fi

# --- scripts/aa: noise, thresholds, false positives (leave one out) ---
start=$(date +%s)
$S/aa --mode "$MODE" --pairs 2 --rounds 1 --bench restore --quick --write "$tmp/thresholds" \
	--out "$tmp/aa" > "$tmp/aa.out" 2> "$tmp/aa.err"
rc=$?
fp=$(jq .false_positives "$tmp/aa/aa.json" 2>/dev/null)
# 2 pairs of 1 round: each pair's rules are the other's noise, so a tail
# row that steps by boot may flag one (aa exits 1); the false-positive
# rate is the campaigns' to measure (docs/compare.md). Asked here and
# below: it gated (0 or 1), never 2.
if [ $rc -le 1 ] && [ "$fp" -le 2 ] 2>/dev/null && grep -q "^$MODE:quick@6.1 restore/" "$tmp/thresholds"; then
	t_report ok "aa: $MODE thresholds written, $(cat "$tmp/aa.out") in $(( $(date +%s) - start )) s"
else
	t_report fail "aa: thresholds written, both pairs gated" "exit $rc, false positives ${fp:-?}: $(tail -n 6 "$tmp/aa.err")"
fi

# --- scripts/aa --extend: more pairs into that campaign, its settings kept ---
start=$(date +%s)
expect_fail "aa --extend with a setting of its own" "boots what DIR's run booted" \
	$S/aa --extend "$tmp/aa" --rounds 2
$S/aa --extend "$tmp/aa" --pairs 1 --write "$tmp/thresholds" > "$tmp/aa-x.out" 2> "$tmp/aa-x.err"
rc=$?
pairs=$(jq .pairs "$tmp/aa/aa.json" 2>/dev/null)
argv=$(jq -c '.context.run.argv[3:]' "$tmp/aa/pair-3/y/round-1/results.json" 2>/dev/null)
if [ $rc -le 1 ] && [ "$pairs" = 3 ] && [ "$argv" = '["--bench","restore","--quick"]' ] &&
	[ ! -e "$tmp/aa/pair-3/x/round-2" ] && grep -q "of 3 A/A comparisons" "$tmp/aa-x.out" &&
	[ ! -e "$tmp/aa/thresholds-replaced" ] && [ ! -e "$tmp/aa/aa-out-of-sample.json" ]; then
	t_report ok "aa --extend: a third pair with the campaign's kernel, rounds and arguments, $(cat "$tmp/aa-x.out") in $(( $(date +%s) - start )) s"
else
	t_report fail "aa --extend: a third pair, the campaign's settings kept" \
		"exit $rc, pairs ${pairs:-?}, argv ${argv:-?}: $(tail -n 4 "$tmp/aa-x.err")"
fi

# --- scripts/aa --merge: that campaign's rows (restore's) into the shipped
# rules, the setting's other rows and its provenance kept (no boot) ---
cp config/thresholds "$tmp/merged"
$S/aa --from "$tmp/aa" --merge "$tmp/merged" > /dev/null 2> "$tmp/aa-m.err"
rc=$?
set_=$MODE:quick@6.1
if [ $rc -le 1 ] &&
	[ "$(grep "^$set_ " config/thresholds | grep -v " restore/")" = "$(grep "^$set_ " "$tmp/merged" | grep -v " restore/")" ] &&
	[ "$(grep "^$set_ restore/" "$tmp/merged" | sort)" = "$(grep "^$set_ restore/" "$tmp/aa/thresholds" | sort)" ] &&
	[ "$(grep -c "^# $set_: " "$tmp/merged")" = 1 ] &&
	[ "$(grep "^# $set_: " config/thresholds)" = "$(grep "^# $set_: " "$tmp/merged")" ] &&
	[ "$(jq .thresholds_merged "$tmp/aa/aa.json")" = true ]; then
	t_report ok "aa --merge: $(grep -c "^$set_ restore/" "$tmp/merged") restore rules merged, $(grep "^$set_ " "$tmp/merged" | grep -vc " restore/") other $set_ rules and the provenance kept"
else
	t_report fail "aa --merge: restore's rules merged, the others kept" "exit $rc: $(tail -n 4 "$tmp/aa-m.err")"
fi
# the shipped rules it replaced, kept, and the campaign gated with them
oos=$tmp/aa/aa-out-of-sample.json
if [ $rc -le 1 ] && tail -n +2 "$tmp/aa/thresholds-replaced" | cmp -s - config/thresholds &&
	head -n 1 "$tmp/aa/thresholds-replaced" | grep -q "^# the rules replaced in $tmp/merged by scripts/aa in " &&
	[ "$(jq -r .false_positive_method "$oos")" = "out of sample: every pair gated with the rules it replaced in $tmp/merged" ] &&
	[ "$(jq '[.comparisons, .cannot_compare, (.per_pair | length)] | tostring' "$oos")" = '"[3,0,3]"' ] &&
	[ -s "$tmp/aa/pair-3/gate-out-of-sample.ktap" ] &&
	grep -q "out of sample, with the rules it replaced: $(jq .false_positives "$oos") of 3" "$tmp/aa-m.err"; then
	t_report ok "aa --merge: its 3 pairs gated out of sample with the rules it replaced, $(jq .false_positives "$oos") flagged"
else
	t_report fail "aa --merge: gated out of sample with the rules it replaced" \
		"exit $rc: $(jq -c '{false_positive_method, comparisons, cannot_compare}' "$oos" 2>&1)"
fi

# --- a campaign of some rows merges unless told otherwise: written whole,
# its rules would drop the setting's others (no boot) ---
expect_fail "aa with both --write and --merge" "give one of --write FILE and --merge FILE" \
	$S/aa --from "$tmp/aa" --write "$tmp/w" --merge "$tmp/m"
cp config/thresholds "$tmp/merged2"
HMMBENCH_THRESHOLDS=$tmp/merged2 $S/aa --from "$tmp/aa" > /dev/null 2> "$tmp/aa-m2.err"
rc=$?
if [ $rc -le 1 ] && grep -q "thresholds merged into $tmp/merged2" "$tmp/aa-m2.err" &&
	[ "$(grep "^$set_ " config/thresholds | grep -v " restore/")" = "$(grep "^$set_ " "$tmp/merged2" | grep -v " restore/")" ]; then
	t_report ok "aa --from a campaign of restore alone: merged by default, the other $set_ rules kept"
else
	t_report fail "aa --from a campaign of some rows merges" "exit $rc: $(tail -n 4 "$tmp/aa-m2.err")"
fi

echo "# ab tests took $(( $(date +%s) - t0 )) s"
t_done
