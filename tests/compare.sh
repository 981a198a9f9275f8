#!/bin/sh
# The hmmbench-compare command line on the synthetic sets of
# tests/fixtures/compare (gen-sets.py): exit codes, KTAP, every report
# format, the noise subcommand, and the inputs gate must refuse.
# Run: make -C tools test (builds the tool first), or tests/compare.sh.
T_NAME=compare
. "$(dirname "$0")/tap.sh"
T=${HMMBENCH_COMPARE:-tools/hmmbench-compare}
F=tests/fixtures/compare
TH="--thresholds $F/thresholds"

[ -x "$T" ] || { echo "not ok 1 $T is not built (make -C tools)"; echo "0 passed, 1 failed"; exit 1; }
rounds() { echo "$F/sets/$1/1.json,$F/sets/$1/2.json,$F/sets/$1/3.json"; }

# expect_exit NAME CODE CMD...: CMD must exit CODE (stdout in $T_LOG/out)
expect_exit() {
	name=$1 code=$2
	shift 2
	"$@" > "$T_LOG/out" 2> "$T_LOG/err"
	rc=$?
	if [ $rc -eq "$code" ]; then
		t_report ok "$name"
	else
		t_report fail "$name" "exit $rc, want $code: $(tail -n 5 "$T_LOG/err")"
	fi
}

# expect_gate2 NAME PATTERN BASE CAND: exit 2, one stderr line matching
expect_gate2() {
	name=$1 pattern=$2
	shift 2
	$T gate ${GATE_TH:-$TH} "$@" > "$T_LOG/out" 2> "$T_LOG/err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l < "$T_LOG/err")" -eq 1 ] &&
		grep -q -E -- "$pattern" "$T_LOG/err" && grep -q '^not ok 1 inputs # ' "$T_LOG/out"; then
		t_report ok "$name: $(cat "$T_LOG/err")"
	else
		t_report fail "$name" "exit $rc: $(cat "$T_LOG/err")"
	fi
}

# gate verdicts and exit codes
expect_exit "gate: A/A (3 vs 3 rounds) exits 0" 0 $T gate $TH "$(rounds base)" "$(rounds aa)"
cp "$T_LOG/out" "$tmp/aa.ktap"
expect_exit "gate: restore 10% slower exits 1" 1 $T gate $TH "$(rounds base)" "$(rounds regressed)"
cp "$T_LOG/out" "$tmp/reg.ktap"
expect_exit "gate: restore 10% faster exits 0" 0 $T gate $TH "$(rounds base)" "$(rounds improved)"
cp "$T_LOG/out" "$tmp/imp.ktap"
expect_exit "gate: directories of 5 rounds, regressed, exits 1" 1 $T gate $TH $F/sets/base $F/sets/regressed

n=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tmp/reg.ktap")
lines=$(grep -c -E '^(not )?ok [0-9]+ ' "$tmp/reg.ktap")
if head -n1 "$tmp/reg.ktap" | grep -qx 'KTAP version 1' && [ "$n" = "$lines" ] && [ "$n" -gt 0 ]; then
	t_report ok "gate: KTAP header and a plan of $n matching $lines results"
else
	t_report fail "gate: KTAP plan" "$(head -n 5 "$tmp/reg.ktap")"
fi
if grep -q '^not ok [0-9]* restore/ns_per_access:fault=exclusive,.* # regressed ' "$tmp/reg.ktap" &&
	grep -q '^not ok [0-9]* restore/ratio_to_minor_fault:fault=exclusive,.* # regressed ' "$tmp/reg.ktap" &&
	[ "$(grep -c '^not ok' "$tmp/reg.ktap")" -eq 2 ]; then
	t_report ok "gate: exactly the shifted metric and its ratio to the minor fault, a value a boot, are 'not ok'"
else
	t_report fail "gate: the shifted metric" "$(grep '^not ok' "$tmp/reg.ktap")"
fi
if grep -q '^ok [0-9]* mark/ns_per_page:pages=64,state=thp,.* # SKIP unsupported: EBUSY' "$tmp/aa.ktap"; then
	t_report ok "gate: unsupported points are '# SKIP' with the reason"
else
	t_report fail "gate: unsupported SKIP" "$(grep thp "$tmp/aa.ktap")"
fi
if grep -q '^ok [0-9]* restore/ns_per_access:fault=exclusive,.* # improved ' "$tmp/imp.ktap"; then
	t_report ok "gate: an improvement is 'ok' and says improved"
else
	t_report fail "gate: improvement" "$(grep exclusive "$tmp/imp.ktap")"
fi

# every line names the rule it was judged by; a measured rule only counts
if grep -q '^ok [0-9]* restore/ns_per_access:fault=exclusive,.* # unchanged .*\[rule [0-9]*: tcg:quick restore/ns_per_access:fault=exclusive,access=read,cpu_node=0,mem_node=0 5\]$' "$tmp/aa.ktap"; then
	t_report ok "gate: an unchanged metric names its rule and its CI within it"
else
	t_report fail "gate: rule named" "$(grep exclusive "$tmp/aa.ktap")"
fi
printf 'tcg:quick * 5\n' > "$tmp/catchall"
expect_exit "gate: only a catch-all rule is inconclusive, exit 3" 3 \
	$T gate --thresholds "$tmp/catchall" "$(rounds base)" "$(rounds aa)"
if grep -q '^not ok [0-9]* restore/ns_per_access:fault=exclusive,.* # inconclusive .*only the catch-all rule' "$T_LOG/out" &&
	grep -q '^# .* inconclusive ([0-9]* could hide a regression)' "$T_LOG/out" &&
	grep -q 'metric(s) inconclusive, a regression beyond the rule not excluded.*(exit 3' "$T_LOG/err" &&
	[ "$(grep -c '^not ok' "$T_LOG/out")" -gt 0 ] &&
	[ -z "$(grep -E '^(not )?ok [0-9]+ ' "$T_LOG/out" | awk '/# inconclusive/ { if (seen) bad = 1; next } { seen = 1 } END { print bad }')" ]; then
	t_report ok "gate: a catch-all is 'not ok', listed first, counted in the summary line, said on stderr"
else
	t_report fail "gate: catch-all" "$(grep -e exclusive -e '^# ' "$T_LOG/out")"
fi
# a rule much tighter than the A/A pair's own spread: the CI reaches past it
grep -v '^tcg:quick restore/ns_per_access:fault=exclusive' "$F/thresholds" > "$tmp/tight"
echo 'tcg:quick restore/ns_per_access:fault=exclusive,access=read,cpu_node=0,mem_node=0 0.1' >> "$tmp/tight"
expect_exit "gate: a CI wider than the threshold is inconclusive, exit 3" 3 \
	$T gate --thresholds "$tmp/tight" "$(rounds base)" "$(rounds aa)"
if grep -q '^not ok [0-9]* restore/ns_per_access:fault=exclusive,.* # inconclusive .*reaches beyond 1%; about [0-9]* rounds a side would settle it .*0.1\]$' "$T_LOG/out"; then
	t_report ok "gate: an inconclusive line says how many rounds would settle it; a rule below tcg's floor acts as the floor, 1%"
else
	t_report fail "gate: rounds to settle" "$(grep exclusive "$T_LOG/out")"
fi

expect_exit "gate: a point the candidate no longer supports exits 1" 1 \
	$T gate $TH $F/sets/base/1.json $F/lost-support.json
grep -q '^not ok [0-9]* restore/ns_per_access:fault=exclusive,.* # unsupported by the candidate only: EOPNOTSUPP' "$T_LOG/out" &&
	t_report ok "gate: ... and says so" || t_report fail "gate: lost support line" "$(grep exclusive "$T_LOG/out")"

# inputs gate must refuse, each with one line of reason
expect_gate2 "gate: corrupt JSON" 'corrupt.json:1:[0-9]+:' $F/sets/base $F/bad/corrupt.json
expect_gate2 "gate: unknown schema version" 'schema_version: 2 is not supported' $F/sets/base $F/bad/schema-v2.json
expect_gate2 "gate: modes differ" 'contexts do not compare: modes differ: baseline tcg \(ns\), candidate icount' $F/sets/base $F/icount.json
expect_gate2 "gate: partial run" 'incomplete result: .*status partial' $F/sets/base $F/bad/partial.json
expect_gate2 "gate: failed point" 'incomplete result: .*status failed' $F/bad/failed.json $F/sets/aa
expect_gate2 "gate: a point missing on one side" 'parameter sets differ' $F/sets/base/1.json $F/bad/missing-point.json
expect_gate2 "gate: no benchmark points" 'empty result set' $F/sets/base $F/bad/no-benchmarks.json
mkdir "$tmp/empty"
expect_gate2 "gate: empty directory" 'empty result set' $F/sets/base "$tmp/empty"
expect_gate2 "gate: missing file" 'unable to open' $F/sets/base "$tmp/nonexistent.json"
expect_gate2 "gate: rounds of two kernels in one set" 'boots of one kernel' $F/sets/base "$F/sets/aa/1.json,$F/bad/other-kernel.json"
printf 'kvm * 5\n' > "$tmp/kvm-only"
$T gate --thresholds "$tmp/kvm-only" $F/sets/base $F/sets/aa > /dev/null 2> "$T_LOG/err"
rc=$?
if [ $rc -eq 2 ] && grep -q 'no thresholds for tcg:quick@6.1' "$T_LOG/err"; then
	t_report ok "gate: no thresholds for the setting exits 2"
else
	t_report fail "gate: no thresholds for the mode" "exit $rc: $(cat "$T_LOG/err")"
fi
printf 'tcg restore/*\n' > "$tmp/bad-th"
GATE_TH="--thresholds $tmp/bad-th" expect_gate2 "gate: malformed thresholds file" 'bad-th:1: expected' $F/sets/base $F/sets/aa
unset GATE_TH
sed -i 's/^/#/' "$tmp/bad-th"
$T gate --thresholds "$tmp/bad-th" $F/sets/base $F/sets/aa > /dev/null 2>&1
[ $? -eq 2 ] && t_report ok "gate: a thresholds file without rules exits 2" ||
	t_report fail "gate: a thresholds file without rules exits 2"
expect_exit "usage error exits 2" 2 $T gate $F/sets/base

# compare: every format, several candidates
expect_exit "compare: text" 0 $T compare $TH $F/sets/base "$(rounds regressed)"
if grep -q 'REGRESSED' "$T_LOG/out" && grep -q 'geomean of 6 headline metrics' "$T_LOG/out" &&
	grep -q 'page-faults/op\|tlb:tlb_flush/op' "$T_LOG/out"; then
	t_report ok "compare: text has the verdict, the geomean and counters per op"
else
	t_report fail "compare: text content" "$(head -n 30 "$T_LOG/out")"
fi
expect_exit "compare: markdown" 0 $T compare $TH --format markdown $F/sets/base $F/sets/aa
grep -q '^| metric | baseline | candidate | change |' "$T_LOG/out" &&
	t_report ok "compare: markdown table" || t_report fail "compare: markdown table"
expect_exit "compare: json, two candidates" 0 $T compare $TH --format json --output "$tmp/c.json" \
	$F/sets/base $F/sets/aa $F/sets/regressed
if jq -e '.schema == "hmmbench-compare" and (.comparisons | length) == 2 and
	([.comparisons[1].metrics[] | select(.verdict == "regressed")] | length) >= 1 and
	([.comparisons[0].metrics[] | select(.verdict == "regressed")] | length) == 0' "$tmp/c.json" > /dev/null; then
	t_report ok "compare: json parses, one comparison per candidate"
else
	t_report fail "compare: json content"
fi
expect_exit "compare: html" 0 $T compare $TH --output "$tmp/c.html" $F/sets/base $F/sets/regressed
if command -v gnuplot > /dev/null; then
	plots=$(grep -o 'src="data:image/svg+xml;base64,' "$tmp/c.html" | wc -l)
	# mark, fork and one CDF per restore point
	if [ "$plots" -eq 4 ] && grep -q '</html>' "$tmp/c.html"; then
		t_report ok "compare: html with $plots embedded SVG plots"
	else
		t_report fail "compare: html plots" "$plots plots"
	fi
	svg=$(sed -n 's/.*src="data:image\/svg+xml;base64,\([^"]*\)".*/\1/p' "$tmp/c.html" | head -n 1 | base64 -d)
	if echo "$svg" | grep -q 'pages per s (log scale)' && echo "$svg" | grep -q 'range size (pages'; then
		t_report ok "compare: plots carry axis labels with units"
	else
		t_report fail "compare: plot labels"
	fi
else
	t_report ok "compare: html # SKIP gnuplot not installed"
fi
expect_exit "compare: icount html" 0 $T compare --output "$tmp/i.html" $F/icount.json $F/icount.json
svg=$(sed -n 's/.*src="data:image\/svg+xml;base64,\([^"]*\)".*/\1/p' "$tmp/i.html" | sed -n 2p | base64 -d)
if ! command -v gnuplot > /dev/null; then
	t_report ok "compare: icount plot units # SKIP gnuplot not installed"
elif echo "$svg" | grep -q 'guest instructions' && ! echo "$svg" | grep -q '(ns'; then
	t_report ok "compare: icount plots are in guest instructions, never ns"
else
	t_report fail "compare: icount units"
fi
expect_fail "compare: corrupt input exits 2" 'corrupt.json' $T compare $F/sets/base $F/bad/corrupt.json
expect_exit "compare: different modes still report (warning)" 0 $T compare $F/sets/base $F/icount.json
grep -q 'WARNING: modes differ' "$T_LOG/out" && t_report ok "compare: the mode warning is in the report" ||
	t_report fail "compare: mode warning"

# noise: thresholds from an A/A pair, merged per setting
printf '# old\nicount * 7\ntcg * 99\ntcg:quick * 5\n' > "$tmp/th"
expect_exit "noise: A/A pair" 0 $T noise --output "$tmp/th" $F/sets/base $F/sets/aa
if grep -q '^icount \* 7$' "$tmp/th" && grep -q '^tcg \* 99' "$tmp/th" &&
	grep -q '^tcg:quick \*' "$tmp/th" &&
	grep -q '^tcg:quick@6.1 restore/ns_per_access:fault=exclusive,access=read,cpu_node=0,mem_node=0 [0-9.]*	' "$tmp/th"; then
	t_report ok "noise: one rule per metric of this setting and family, the other settings kept"
else
	t_report fail "noise: thresholds file" "$(cat "$tmp/th")"
fi
expect_exit "noise: its own thresholds pass the pair they came from" 0 $T gate --thresholds "$tmp/th" $F/sets/base $F/sets/aa
# --merge: a campaign over some rows (restore's alone, its noise made
# larger) replaces those rows' rules and keeps the setting's others and
# its provenance; one of other timed regions is refused
for s in base:x aa:y; do
	mkdir -p "$tmp/mg-${s#*:}"
	for f in $F/sets/${s%:*}/*.json; do
		jq '.benchmarks |= map(select(.name == "restore"))' "$f" > "$tmp/mg-${s#*:}/${f##*/}"
	done
done
mkdir -p "$tmp/mg-r"
jq '.benchmarks[0].points[0].samples |= map(. * 1.3)' "$tmp/mg-y/1.json" > "$tmp/mg-y/1.tmp" &&
	mv "$tmp/mg-y/1.tmp" "$tmp/mg-y/1.json"
$T noise --output "$tmp/mg" $F/sets/base $F/sets/aa 2> /dev/null
printf 'icount * 7\n' >> "$tmp/mg"
$T noise "$tmp/mg-x" "$tmp/mg-y" 2> /dev/null | grep '^tcg:quick@6.1 ' > "$tmp/mg-new"
grep '^tcg:quick@6.1 ' "$tmp/mg" | grep -v ' restore/' > "$tmp/mg-others"
grep '^tcg:quick@6.1 restore/' "$tmp/mg" > "$tmp/mg-old"
$T noise --output "$tmp/mg-alone" --merge "$tmp/mg" "$tmp/mg-x" "$tmp/mg-y" 2> /dev/null
if [ -s "$tmp/mg-new" ] && ! cmp -s "$tmp/mg-new" "$tmp/mg-old" &&
	[ "$(grep '^tcg:quick@6.1 ' "$tmp/mg" | sort)" = "$(cat "$tmp/mg-others" "$tmp/mg-new" | sort)" ] &&
	[ "$(grep -c '^# tcg:quick@6.1: A/A' "$tmp/mg")" = 1 ] &&
	grep -q "^# tcg:quick@6.1, $(wc -l < "$tmp/mg-new") of its rules measured again: A/A" "$tmp/mg" &&
	grep -q '^icount \* 7$' "$tmp/mg" &&
	[ "$(grep '^tcg:quick@6.1 ' "$tmp/mg-alone")" = "$(cat "$tmp/mg-new")" ]; then
	t_report ok "noise --merge: $(wc -l < "$tmp/mg-new") restore rules measured again, $(wc -l < "$tmp/mg-others") others and the provenance kept; --output beside it written whole"
else
	t_report fail "noise --merge" "$(grep -v '^# [a-z]' "$tmp/mg" | head -n 20)"
fi
expect_exit "noise --merge: the merged file gates the pair of its other rows" 0 \
	$T gate --thresholds "$tmp/mg" $F/sets/base $F/sets/aa
for f in "$tmp"/mg-x/*.json; do
	jq '.context.timed_regions = {"policy": "SCHED_FIFO", "priority": 1, "except": [], "interrupted": "set apart"}' \
		"$f" > "$tmp/mg-r/${f##*/}"
done
cp "$tmp/mg" "$tmp/mg-before"
expect_fail "noise --merge: rows of other timed regions are refused" 'cannot merge into tcg:quick@6.1' \
	$T noise --merge "$tmp/mg" "$tmp/mg-r" "$tmp/mg-r"
cmp -s "$tmp/mg" "$tmp/mg-before" && t_report ok "noise --merge: a refused merge leaves the file as it was" ||
	t_report fail "noise --merge: refused, the file unchanged" "$(diff "$tmp/mg-before" "$tmp/mg" | head -n 5)"
# nothing to merge into: never a silent whole write
expect_fail "noise --merge: into no file is refused" "cannot merge into $tmp/none: No such file" \
	$T noise --merge "$tmp/none" "$tmp/mg-x" "$tmp/mg-y"
[ ! -e "$tmp/none" ] && t_report ok "noise --merge: no file made" || t_report fail "noise --merge: a file was made"
printf 'tcg:quick@6.1 restore/x 5\n' > "$tmp/mg-np"
expect_fail "noise --merge: into rules without an A/A provenance is refused" \
	"cannot merge into $tmp/mg-np: it has no A/A rules of tcg:quick@6.1" \
	$T noise --merge "$tmp/mg-np" "$tmp/mg-x" "$tmp/mg-y"
# a file that is there is validated and rewritten whole, with its mode, or
# left alone: its other settings are never lost
printf 'icount * 7\ntcg:quick restore/x\n' > "$tmp/th-bad"
cp "$tmp/th-bad" "$tmp/th-bad-before"
expect_fail "noise: a malformed thresholds file is refused" "th-bad:2: expected 'SETTING METRIC-PATTERN PERCENT'" \
	$T noise --output "$tmp/th-bad" $F/sets/base $F/sets/aa
cmp -s "$tmp/th-bad" "$tmp/th-bad-before" && t_report ok "noise: the malformed file left as it was" ||
	t_report fail "noise: the malformed file was changed"
mkdir "$tmp/th-dir"
expect_fail "noise: a thresholds path that cannot be read is refused" "th-dir: Is a directory" \
	$T noise --output "$tmp/th-dir" $F/sets/base $F/sets/aa
printf 'icount * 7\n' > "$tmp/th-mode"
chmod 640 "$tmp/th-mode"
if $T noise --output "$tmp/th-mode" $F/sets/base $F/sets/aa 2> /dev/null &&
	[ "$(stat -c %a "$tmp/th-mode")" = 640 ] && grep -q '^icount \* 7$' "$tmp/th-mode" &&
	[ -z "$(find "$tmp" -maxdepth 1 -name 'th-mode.*')" ]; then
	t_report ok "noise: the rewritten file keeps its mode, and no temporary file is left"
else
	t_report fail "noise: mode kept, no temporary file" "$(stat -c %a "$tmp/th-mode"; ls "$tmp")"
fi
expect_fail "noise: refuses two kernels" 'one kernel' $T noise $F/sets/base $F/bad/other-kernel.json
# the boot is the unit: a 10% shift in every boot regresses, and the same
# shift in two boots of three, the third as fast as the baseline, is
# inconclusive however many samples each boot holds
mkdir -p "$tmp/bt-c"
for f in $F/sets/base/1.json $F/sets/base/2.json $F/sets/base/3.json; do
	case $f in */3.json) k=1 ;; *) k=1.1 ;; esac
	jq --argjson k "$k" '(.benchmarks[] | select(.name == "restore") | .points[0]) |= (.samples |= map(. * $k))' \
		"$f" > "$tmp/bt-c/${f##*/}"
done
expect_exit "gate: a shift in two boots of three is inconclusive, exit 3" 3 \
	$T gate $TH "$(rounds base)" "$tmp/bt-c"
if grep -q '^not ok 1 restore/ns_per_access:fault=exclusive,.* # inconclusive .*beyond 5%, but CI .* over boots holds 1' "$T_LOG/out" &&
	grep -q '^# inconclusive: [0-9]* metric(s) could hide a regression' "$T_LOG/out"; then
	t_report ok "gate: ... the interval over boots holds 1, the row first"
else
	t_report fail "gate: two boots of three" "$(grep -e exclusive -e '^# ' "$T_LOG/out")"
fi
# the margin: each rule is the largest noise times F, rounded up to 0.1%
$T noise --margin 3 $F/sets/base $F/sets/aa > "$tmp/m3" 2>/dev/null
bad=$(awk '!/^#/ && NF >= 3 { for (i = 1; i < NF; i++) if ($i == "max") m = $(i + 1) + 0
		want = int(m * 3 * 10 + 0.999999) / 10
		# or the floor of a timing mode, 1% for a per-op cost, 2% for others
		if ($3 + 0 < want - 0.101 || ($3 + 0 > want + 0.001 && $3 != 1 && $3 != 2)) print $2, $3, m }' "$tmp/m3" | head -n 3)
if grep -q "noise: max" "$tmp/m3" && [ -z "$bad" ] && grep -q 'times 3 of' "$tmp/m3"; then
	t_report ok "noise --margin 3: every rule three times the largest noise, said in the header"
else
	t_report fail "noise --margin" "${bad:-no rules or no provenance}"
fi
expect_fail "noise: a margin below 1 is refused" 'margin takes a number in' $T noise --margin 0.5 $F/sets/base $F/sets/aa
# --each and --leave-one-out: the rules of one noise run over three pairs
# are those of separate runs over each pair and over the other two
P1="$F/sets/base $F/sets/aa" P2="$F/sets/aa $F/sets/improved" P3="$F/sets/base $F/sets/regressed"
rules() { grep -v '^#' "$1" | grep .; }
$T noise --output "$tmp/n-all" --each "$tmp/n-each-%d" --leave-one-out "$tmp/n-loo-%d" $P1 $P2 $P3 2> /dev/null
$T noise $P1 > "$tmp/s-each-1" 2> /dev/null
$T noise $P2 > "$tmp/s-each-2" 2> /dev/null
$T noise $P3 > "$tmp/s-each-3" 2> /dev/null
$T noise $P2 $P3 > "$tmp/s-loo-1" 2> /dev/null
$T noise $P1 $P3 > "$tmp/s-loo-2" 2> /dev/null
$T noise $P1 $P2 > "$tmp/s-loo-3" 2> /dev/null
bad=""
for f in each-1 each-2 each-3 loo-1 loo-2 loo-3; do
	[ -s "$tmp/s-$f" ] && [ "$(rules "$tmp/n-$f")" = "$(rules "$tmp/s-$f")" ] || bad="$bad $f"
done
# the sets differ enough that leaving a pair out changes some rule
if [ -z "$bad" ] && [ "$(rules "$tmp/n-loo-1")" != "$(rules "$tmp/n-loo-3")" ] &&
	grep -q 'all pairs but 2$' "$tmp/n-loo-2" && grep -q 'of 2 pair(s)' "$tmp/n-loo-2"; then
	t_report ok "noise --each / --leave-one-out: the rules of separate runs over each pair and over the others"
else
	t_report fail "noise --each / --leave-one-out" "differ:${bad:- none, or leaving out changed nothing}"
fi
expect_fail "noise: --leave-one-out without a %d is refused" 'one %d' $T noise --leave-one-out "$tmp/x" $P1 $P2
expect_fail "noise: --leave-one-out of one pair is refused" 'two pairs or more' $T noise --leave-one-out "$tmp/x-%d" $P1
expect_fail "noise: --each with a stray % is refused" 'one %d' $T noise --each "$tmp/x%s-%d" $P1
$T noise --each "$tmp/100%%-%d" $P1 $P2 > /dev/null 2>&1
[ -s "$tmp/100%-1" ] && [ -s "$tmp/100%-2" ] && t_report ok "noise --each: %% in FMT is a %" ||
	t_report fail "noise --each: %% in FMT" "$(ls "$tmp")"

# rounds of another hmmbench commit, or of a dirty tree, are said
mkdir -p "$tmp/dirty"
for r in 1 2 3; do
	jq '.context.hmmbench_version = "0123abc-dirty"' $F/sets/regressed/$r.json > "$tmp/dirty/$r.json"
done
$T compare $TH --format markdown $F/sets/base "$tmp/dirty" > "$T_LOG/out" 2>&1
$T compare $TH --format json $F/sets/base "$tmp/dirty" > "$T_LOG/json" 2>&1
if grep -q '^Note: hmmbench versions differ: baseline fixture, candidate 0123abc-dirty (-dirty' "$T_LOG/out" &&
	[ "$(jq -r '.comparisons[0].note' "$T_LOG/json")" != null ] &&
	! $T compare $TH $F/sets/base $F/sets/regressed 2>&1 | grep -q "^Note:"; then
	t_report ok "compare: names differing hmmbench versions and dirty trees"
else
	t_report fail "compare: version note" "$(grep -i note "$T_LOG/out"; jq .comparisons[0].note "$T_LOG/json")"
fi

# profile movers beside changed metrics, from each set's profile/profile.json
for s in base regressed aa; do
	mkdir -p "$tmp/prof-$s/profile"
	cp $F/sets/$s/*.json "$tmp/prof-$s/"
	cp $F/profiles/$s.json "$tmp/prof-$s/profile/profile.json"
done
$T compare $TH "$tmp/prof-base" "$tmp/prof-regressed" > "$T_LOG/out" 2>&1
$T compare $TH --format json "$tmp/prof-base" "$tmp/prof-regressed" > "$T_LOG/json" 2>&1
if grep -q 'where: do_swap_page +15.0 pp' "$T_LOG/out" &&
	grep -q 'kernel profile of mark: 40 vs 40 samples' "$T_LOG/out" &&
	grep -q 'too thin to tell: 40 vs 40 samples' "$T_LOG/out" &&
	[ "$(jq -r '.comparisons[0].profiles[] | select(.bench == "restore") | .self[0].symbol' "$T_LOG/json")" = do_swap_page ]; then
	t_report ok "compare: the profile's top mover beside a regressed metric, thin profiles said"
else
	t_report fail "compare: profile movers" "$(grep -e where -e profile "$T_LOG/out" | head -n 5)"
fi
$T compare $TH "$tmp/prof-base" "$tmp/prof-aa" > "$T_LOG/out" 2>&1
if grep -A2 'kernel profile of restore' "$T_LOG/out" | grep -q "no function's share moved"; then
	t_report ok "compare: an A/A profile has no mover"
else
	t_report fail "compare: A/A profile" "$(grep -A3 'kernel profile of restore' "$T_LOG/out")"
fi
grep -q 'sampling noise only: no A/A profile noise' "$T_LOG/out" &&
	t_report ok "compare: without an A/A profile rule, the report says movers are judged by sampling noise only" ||
	t_report fail "compare: the floor of a profile without a rule" "$(grep -A2 'kernel profile of restore' "$T_LOG/out")"
# a profile's A/A noise: noise writes profile/BENCH (largest move of a
# share, 0.30 pp here, times tcg's margin 3, rounded up to 0.1), which
# raises the least move a report calls a mover
$T noise --output "$tmp/th-prof" "$tmp/prof-base" "$tmp/prof-aa" 2> /dev/null
if grep -q '^tcg:quick@6.1 profile/restore 0.9	# noise: max 0.30 pp' "$tmp/th-prof" &&
	! grep -q '^tcg:quick@6.1 profile/mark' "$tmp/th-prof"; then
	t_report ok "noise: a profile's A/A noise is its largest move of a share (0.3 pp -> rule 0.9), none for a thin profile"
else
	t_report fail "noise: profile rule" "$(grep profile/ "$tmp/th-prof")"
fi
# an aa run without --profile keeps the setting's profile rules
printf '# tcg:quick@6.1 profile/BENCH (pp): earlier\ntcg:quick@6.1 profile/restore 7\n' > "$tmp/th-keep"
$T noise --output "$tmp/th-keep" $F/sets/base $F/sets/aa 2> /dev/null
keep1=$(grep -c -e '^tcg:quick@6.1 profile/restore 7$' -e '^# tcg:quick@6.1 profile/BENCH (pp): earlier' "$tmp/th-keep")
$T noise --output "$tmp/th-keep" "$tmp/prof-base" "$tmp/prof-aa" 2> /dev/null
if [ "$keep1" = 2 ] && grep -q '^tcg:quick@6.1 profile/restore 0.9' "$tmp/th-keep" &&
	! grep -q -e 'profile/restore 7' -e 'earlier' "$tmp/th-keep"; then
	t_report ok "noise: a run without profiles keeps the setting's profile rules, one with profiles replaces them"
else
	t_report fail "noise: profile rules kept/replaced" "$(grep profile "$tmp/th-keep")"
fi
for pp in 10 20; do
	{ cat $F/thresholds; echo "tcg:quick profile/restore $pp"; } > "$tmp/th-$pp"
	$T compare --thresholds "$tmp/th-$pp" "$tmp/prof-base" "$tmp/prof-regressed" > "$T_LOG/out-$pp" 2>&1
	$T compare --thresholds "$tmp/th-$pp" --format json "$tmp/prof-base" "$tmp/prof-regressed" > "$T_LOG/json-$pp" 2>&1
done
if grep -q 'where: do_swap_page +15.0 pp' "$T_LOG/out-10" &&
	! grep -q 'where: do_swap_page' "$T_LOG/out-20" &&
	grep -A2 'kernel profile of restore' "$T_LOG/out-20" | grep -q "20 pp or more, the A/A noise between boots (rule tcg:quick profile/restore, thresholds line" &&
	[ "$(jq -r '.comparisons[0].profiles[] | select(.bench == "restore") | "\(.pp_min) \(.pp_min_from) \(.self | length)"' "$T_LOG/json-20")" = "20 aa 0" ]; then
	t_report ok "compare: a mover must exceed the A/A profile rule (15 pp moves past 10, not past 20), and the report names the rule"
else
	t_report fail "compare: A/A profile floor" "$(grep -A2 'kernel profile of restore' "$T_LOG/out-20")"
fi
# interference: samples under a device or timer interrupt (here 300 of
# 1300 in the candidate's restore, a preemption on its return) are
# reported apart, and the benchmark's own shares are of the rest:
# unmoved, though each fell 23% of all samples
mkdir -p "$tmp/prof-intf/profile"
cp $F/sets/base/*.json "$tmp/prof-intf/"
jq '.benchmarks.restore |= (.samples += 300 | .interference_samples = 300 | .interference = [
	{symbol: "asm_common_interrupt", self: 0, children: 300},
	{symbol: "finish_task_switch.isra.0", self: 300, children: 300}])' \
	$F/profiles/base.json > "$tmp/prof-intf/profile/profile.json"
$T compare $TH "$tmp/prof-base" "$tmp/prof-intf" > "$T_LOG/out-intf" 2>&1
$T compare $TH --format json "$tmp/prof-base" "$tmp/prof-intf" > "$T_LOG/json-intf" 2>&1
$T noise --output "$tmp/th-intf" "$tmp/prof-base" "$tmp/prof-intf" 2> /dev/null
if [ "$(jq -r '.comparisons[0].profiles[] | select(.bench == "restore") |
	"\(.self | length) \(.children | length) \([.interference[].symbol] | sort | join(","))"' "$T_LOG/json-intf")" = \
	"0 0 asm_common_interrupt,finish_task_switch.isra.0" ] &&
	grep -A3 'kernel profile of restore' "$T_LOG/out-intf" | grep -q "interference, not in the shares above (0 vs 300 samples" &&
	grep -q '^tcg:quick@6.1 profile/restore [0-9.]*	# noise: max 0.00 pp' "$tmp/th-intf"; then
	t_report ok "compare: samples under device and timer interrupts are interference, apart from the benchmark's movers and its A/A profile noise"
else
	t_report fail "compare: interference apart" "$(grep -A4 'kernel profile of restore' "$T_LOG/out-intf"; grep profile/restore "$tmp/th-intf")"
fi
printf '{"benchmarks": 3' > "$tmp/prof-aa/profile/profile.json"
expect_fail "compare: refuses a corrupt profile.json" 'profile.json' $T compare $TH "$tmp/prof-base" "$tmp/prof-aa"

# a set whose rounds ran on two hosts is refused unless told; sides on
# different hosts are said
mkdir -p "$tmp/hosts" "$tmp/hostb"
for r in 1 2 3; do
	jq --arg h "host$(( r % 2 ))" '.context.host = $h' $F/sets/base/$r.json > "$tmp/hosts/$r.json"
	jq '.context.host = "other"' $F/sets/aa/$r.json > "$tmp/hostb/$r.json"
done
expect_fail "compare: refuses a set from two hosts" 'ran on different hosts \(host1, host0\)' \
	$T compare $TH "$tmp/hosts" $F/sets/aa
expect_gate2 "gate: refuses a set from two hosts" 'ran on different hosts' "$tmp/hosts" $F/sets/aa
expect_exit "compare --mix-hosts: compares them anyway" 0 $T compare $TH --mix-hosts "$tmp/hosts" $F/sets/aa
if $T compare $TH $F/sets/base "$tmp/hostb" 2>&1 | grep -q 'hosts differ: baseline on an unknown host, candidate on other'; then
	t_report ok "compare: sides from different hosts are said in the note"
else
	t_report fail "compare: host note" "$($T compare $TH $F/sets/base "$tmp/hostb" 2>&1 | grep -i note)"
fi

# the aa set's rounds into DIR, their first point with 2 samples set
# apart, its kept samples holding KEPT interrupts
set_apart() {
	mkdir -p "$1"
	for r in 1 2 3; do
		jq --argjson k "$2" '.benchmarks[0].points[0].interrupted = {kept_samples_interrupts: $k, samples: [1e9, 2e9]}' \
			$F/sets/aa/$r.json > "$1/$r.json"
	done
}

# the aa set's rounds into DIR, their first point keeping its first KEPT
# samples, the rest set apart (the fewest interrupts: 0)
keep_first() {
	mkdir -p "$1"
	for r in 1 2 3; do
		jq --argjson k "$2" '.benchmarks[0].points[0] |= (.interrupted = {kept_samples_interrupts: 0, samples: .samples[$k:]} | .samples = .samples[:$k])' \
			$F/sets/aa/$r.json > "$1/$r.json"
	done
}

# FIELD summed over the candidate's metrics in compare JSON FILE
cand_sum() {
	jq --arg f "$2" '[.comparisons[0].metrics[] | .candidate[$f] // 0] | add' "$1"
}

# samples set apart for the interrupts in them (their point's fewest 2,
# one short of taking them back) are counted, per side and
# per metric, not compared
set_apart "$tmp/apart" 2
$T compare --format json $F/sets/base "$tmp/apart" > "$T_LOG/json-apart" 2> /dev/null
if $T compare $F/sets/base "$tmp/apart" 2> /dev/null | grep -q '^candidate .*; 6 of [0-9]* samples set apart, interrupted$' &&
	[ "$(cand_sum "$T_LOG/json-apart" set_apart)" = 6 ] &&
	$T gate $TH $F/sets/base "$tmp/apart" > /dev/null 2>&1; then
	t_report ok "compare: samples set apart, interrupted, are counted per side and metric, and not gated"
else
	t_report fail "compare: set-apart samples" "$(jq -c '[.comparisons[0].metrics[] | .candidate.set_apart]' "$T_LOG/json-apart" 2>&1 | head -c 300)"
fi

# a point whose every sample held HB_SPANS_TICKS (3) interrupts spans
# ticks: what the runner set apart is taken back, counted, and compared
set_apart "$tmp/back" 3
$T compare --format json $F/sets/base "$tmp/back" > "$T_LOG/json-back" 2> /dev/null
if $T compare $F/sets/base "$tmp/back" 2> /dev/null | grep -q '^candidate .*; 6 interrupted samples taken back (regions spanning ticks, or few kept)$' &&
	[ "$(cand_sum "$T_LOG/json-back" taken_back)" = 6 ] &&
	[ "$(cand_sum "$T_LOG/json-back" set_apart)" = 0 ] &&
	[ "$(cand_sum "$T_LOG/json-back" n)" = \
	  "$(jq '[.comparisons[0].metrics[] | .candidate.n // 0] | add + 6' "$T_LOG/json-apart")" ]; then
	t_report ok "compare: samples set apart from regions spanning ticks are taken back, counted and compared"
else
	t_report fail "compare: taken back" "$(jq -c '[.comparisons[0].metrics[] | .candidate | [.n, .set_apart, .taken_back]]' "$T_LOG/json-back" 2>&1 | head -c 300)"
fi

# a point that kept under 1 in HB_FEWEST_SHARE (10) of its samples (regions
# about as long as the tick, one without it): the other 19 are taken back,
# so it has as many samples as the point that kept its 20
keep_first "$tmp/few" 1
$T compare --format json $F/sets/base "$tmp/few" > "$T_LOG/json-few" 2> /dev/null
if $T compare $F/sets/base "$tmp/few" 2> /dev/null | grep -q '^candidate .*; 57 interrupted samples taken back (regions spanning ticks, or few kept)$' &&
	[ "$(cand_sum "$T_LOG/json-few" taken_back)" = 57 ] &&
	[ "$(cand_sum "$T_LOG/json-few" set_apart)" = 0 ] &&
	[ "$(jq -c '[.comparisons[0].metrics[] | .candidate.n // 0]' "$T_LOG/json-few")" = \
	  "$(jq -c '[.comparisons[0].metrics[] | .candidate.n // 0]' "$T_LOG/json-apart")" ]; then
	t_report ok "compare: a point that kept 1 of 20 samples has the other 19 taken back"
else
	t_report fail "compare: few kept, taken back" "$(jq -c '[.comparisons[0].metrics[] | .candidate | [.n, .set_apart, .taken_back]]' "$T_LOG/json-few" 2>&1 | head -c 300)"
fi

# 2 of 20 is 1 in 10, not under it: the 18 stay set apart
keep_first "$tmp/two" 2
$T compare --format json $F/sets/base "$tmp/two" > "$T_LOG/json-two" 2> /dev/null
if [ "$(cand_sum "$T_LOG/json-two" taken_back)" = 0 ] &&
	[ "$(cand_sum "$T_LOG/json-two" set_apart)" = 54 ]; then
	t_report ok "compare: a point that kept 2 of 20 keeps the other 18 set apart"
else
	t_report fail "compare: 2 of 20 kept, set apart" "$(jq -c '[.comparisons[0].metrics[] | .candidate | [.n, .set_apart, .taken_back]]' "$T_LOG/json-two" 2>&1 | head -c 300)"
fi

# timed regions: SCHED_FIFO samples lack the preemptions of SCHED_OTHER
# ones (fixtures without the field ran SCHED_OTHER): a set mixing them is
# refused, sides that differ do not compare
mkdir -p "$tmp/fifo" "$tmp/fifomix"
for r in 1 2 3; do
	jq '.context.timed_regions = {policy: "SCHED_FIFO", priority: 1, except: ["revoke"]}' \
		$F/sets/aa/$r.json > "$tmp/fifo/$r.json"
done
cp "$tmp/fifo/1.json" "$tmp/fifomix/1.json"
cp $F/sets/aa/2.json "$tmp/fifomix/2.json"
expect_fail "compare: refuses a set of SCHED_FIFO and SCHED_OTHER rounds" \
	'2.json: timed regions SCHED_OTHER, .*1.json.s SCHED_FIFO \(not: revoke\): rounds of one set must share a policy' \
	$T compare $TH "$tmp/fifomix" $F/sets/base
expect_gate2 "gate: timed regions differ" \
	'contexts do not compare: timed regions differ: baseline SCHED_OTHER, candidate SCHED_FIFO \(not: revoke\)' \
	$F/sets/base "$tmp/fifo"

# rules are one runner's noise: those of another runner do not gate
mkdir -p "$tmp/fifo2"
for r in 1 2 3; do cp "$tmp/fifo/$r.json" "$tmp/fifo2/$r.json"; done
for p in "SCHED_OTHER" "SCHED_FIFO (not: revoke)"; do
	{ printf "# tcg:quick: A/A, largest noise of 2 pair(s) times 1.5 of 3 vs 3 rounds of 'hmmbench run --quick; timed regions %s', kernel 6.1.192\n" "$p"
	  grep -v '^#' $F/thresholds; } > "$tmp/th-$(echo "$p" | cut -c7-10)"
done
GATE_TH="--thresholds $tmp/th-OTHE" expect_gate2 "gate: refuses rules of another runner's timed regions" \
	"the tcg:quick@6.1 rules were measured with timed regions SCHED_OTHER, these runs' are SCHED_FIFO \\(not: revoke\\): measure A/A noise with this runner \\(scripts/aa --mode tcg --quick --kernel 6.1\\)" \
	"$tmp/fifo" "$tmp/fifo2"
# nor does a report apply them: nothing decided against them, and it says why
v() { # THRESHOLDS: the note and the verdicts of fifo against fifo2
	$T compare --thresholds "$1" --format json "$tmp/fifo" "$tmp/fifo2" 2>&1 |
		jq -r '.comparisons[0] | [.note // "-"] + [.metrics[].verdict] | join("|")'
}
other=$(v "$tmp/th-OTHE") own=$(v "$tmp/th-FIFO")
case $other:$own in
"the tcg:quick@6.1 thresholds were measured with timed regions SCHED_OTHER, these runs' are SCHED_FIFO (not: revoke): none applies"*:-\|*unchanged*)
	if echo "$other" | grep -q -e unchanged -e regressed -e improved; then
		t_report fail "compare: rules of another runner's timed regions decide nothing" "$other"
	else
		t_report ok "compare: rules of another runner's timed regions decide nothing, and the report says why"
	fi ;;
*) t_report fail "compare: rules of another runner's timed regions decide nothing" "$other / $own" ;;
esac
if $T gate --thresholds "$tmp/th-FIFO" "$tmp/fifo" "$tmp/fifo2" > "$T_LOG/out" 2> "$T_LOG/err"; then
	t_report ok "gate: rules of the runs' own timed regions gate them"
else
	t_report fail "gate: rules of the runs' own timed regions gate them" "$(tail -n 3 "$T_LOG/err")"
fi

t_done
