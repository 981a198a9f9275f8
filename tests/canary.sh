#!/bin/sh
# The gate sees a small regression in every benchmark (docs/ab.md): the
# canary kernel (kernel-patches/canary) booted with every planted cost off,
# then once per canary with its cost at its 1% rung (config/canaries.json:
# about 1% of its benchmark's headline on 6.1), and an A/A rung (the
# restore canary at 0). scripts/ladder gates each rung against the shared
# A side with the committed rules of the quick setting and the kernel's
# family. Asserted per canary: the gate exits 1, the headline is
# regressed, nothing off the canary's own paths is regressed or improved;
# and the A/A rung exits 0. The rules allow 1 false flag in 20 A/As
# (docs/ab.md), always inconclusive so far: at most one of the 6
# comparisons may carry inconclusive rows off its paths (the A/A rung
# then exits 3, never 1), reported, not hidden.
# CANARY_KERNEL picks the kernel (6.1 by default; newest, 7.3, ...), in
# icount mode (CANARY_MODE to change it), 3 rounds a side, --quick, two
# guests at once: 21 boots (no profiles: tests/ab.sh has them).
T_NAME=canary
. "$(dirname "$0")/tap.sh"
MODE=${CANARY_MODE:-icount}
KERNEL=${CANARY_KERNEL:-6.1}
JOBS=1
[ "$MODE" != icount ] || JOBS=2

canaries=$(jq -r '.canaries | keys | join(" ")' config/canaries.json)
# every canary at 1%, and restore at 0 for the A/A
ks=""
for c in $canaries; do
	ks="$ks $c:$(jq -r --arg c "$c" '. as $r | .canaries[$c].k[$r.k_percent | index(1)]' config/canaries.json)"
done
ks="$ks restore:0"
if scripts/ladder --kernel "$KERNEL" --mode "$MODE" --jobs "$JOBS" --quick --no-profile --rungs "$ks" \
	--out "$tmp/ladder" > "$tmp/ladder.out" 2> "$tmp/ladder.err"; then
	t_report ok "ladder on $KERNEL ($(jq -r .kernel.release "$tmp/ladder/ladder.json")): $(echo "$ks" | wc -w) rungs, $(jq .wall_seconds "$tmp/ladder/ladder.json") s"
else
	t_report fail "ladder ran" "$(tail -n 8 "$tmp/ladder.err")"
	t_done
	exit 1
fi
L=$tmp/ladder/ladder.json
# a rung's rows off its canary's paths (the A/A rung's: every flagged
# row), and those of them not merely inconclusive
offpath='(if .k == 0 then .flagged else .outside end)'
hard="[$offpath[] as \$o | select(.inconclusive | index(\$o) | not) | \$o]"
for c in $canaries; do
	r=$(jq -c --arg c "$c" '.rungs[] | select(.canary == $c and .k > 0)' "$L")
	h=$(echo "$r" | jq -r '"\(.headline.id): \(.headline.change_pct | . * 100 | round / 100)% (threshold \(.headline.threshold_pct)%)"')
	if [ "$(echo "$r" | jq -r '.gate_status')" = 1 ] &&
		[ "$(echo "$r" | jq -r '.headline.verdict')" = regressed ] &&
		[ "$(echo "$r" | jq "$hard | length")" = 0 ]; then
		t_report ok "canary $c at k=$(echo "$r" | jq .k): exit 1, headline regressed, $(echo "$r" | jq '.flagged | length') flagged, none regressed off its paths ($(echo "$r" | jq '.outside | length') inconclusive); $h"
	else
		t_report fail "canary $c: exit 1, headline regressed, nothing elsewhere" \
			"$(echo "$r" | jq -r '"gate \(.gate_status), headline \(.headline.verdict) (\(.headline.reason)), elsewhere: \(.outside)"')"
	fi
done
r=$(jq -c '.rungs[] | select(.k == 0)' "$L")
if [ "$(echo "$r" | jq -r .gate_status)" = 0 ] && [ "$(echo "$r" | jq '.flagged | length')" = 0 ]; then
	t_report ok "A/A rung (every canary off on both sides): exit 0, nothing flagged"
elif [ "$(echo "$r" | jq -r .gate_status)" = 3 ] && [ "$(echo "$r" | jq "$hard | length")" = 0 ]; then
	t_report ok "A/A rung (every canary off on both sides): exit 3, inconclusive only: $(echo "$r" | jq -c .flagged)"
else
	t_report fail "A/A rung passes (exit 0)" "$(echo "$r" | jq -c '{gate_status, flagged, inconclusive}')"
fi
n=$(jq "[.rungs[] | select($offpath | length > 0)] | length" "$L")
if [ "$n" -le 1 ]; then
	t_report ok "comparisons with inconclusive rows off their paths: $n of $(jq '.rungs | length' "$L") (1 allowed)"
else
	t_report fail "at most 1 comparison with rows off its paths" "$(jq -c '[.rungs[] | {canary, k, outside, flagged}]' "$L")"
fi
echo "# $(( $(date +%s) - t0 )) s"
t_done
