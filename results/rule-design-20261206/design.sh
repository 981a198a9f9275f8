#!/bin/sh
# The decision rule's design data (docs/compare.md, "How the rule was
# chosen"): committed A/A campaigns of 6.1, gated with rules of other pairs
# by the rule of this tree. Boots nothing. Writes design.json beside it.
#   results/rule-design-20261206/design.sh
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/results/rule-design-20261206
cmp=$top/tools/hmmbench-compare
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
rounds() { # CAMPAIGN: its pair-* directory, unpacked
	[ -d "$w/$1" ] || { mkdir -p "$w/$1" && tar -C "$w/$1" -xJf "$top/results/$1/rounds.tar.xz"; }
	echo "$w/$1"
}
pairs() { for c in "$@"; do d=$(rounds "$c"); for p in $(ls -d "$d"/pair-* | sort -V); do echo "$p/x $p/y"; done; done; }
# gate PAIRS_FILE THRESHOLDS|loo:DIR -> a JSON object of the flags
gate_all() {
	i=0
	while read -r x y; do
		i=$((i + 1))
		t=$2
		case $t in loo:*) t=${t#loo:}/loo-$i ;; esac
		rc=0
		"$cmp" gate --mix-hosts --thresholds "$t" "$x" "$y" > "$w/g.ktap" 2>/dev/null || rc=$?
		jq -nc --arg p "${x%/x}" --argjson rc "$rc" --rawfile k "$w/g.ktap" \
			'{pair: ($p | sub(".*/(?<c>aa-[^/]*)/"; "\(.c)/")), exit: $rc,
			  not_ok: [$k | split("\n")[] | select(startswith("not ok")) | sub("^not ok [0-9]+ "; "")]}'
	done < "$1" | jq -s '{pairs: length, flagged: map(select(.exit != 0)) | length, flags: map(select(.exit != 0))}'
}
# rules of the campaigns $1 (space-separated) gating the pairs of $2
cross() {
	# shellcheck disable=SC2086
	"$cmp" noise --mix-hosts --output "$w/rules" $(pairs $1) 2>/dev/null
	pairs "$2" > "$w/gated"
	gate_all "$w/gated" "$w/rules" | jq -c --arg r "$1" --arg g "$2" '{rules_from: ($r | split(" ")), gated: $g} + .'
}
# every pair of the campaigns, each gated with the rules of all the others
loo() {
	mkdir -p "$w/loo"
	# shellcheck disable=SC2086
	"$cmp" noise --mix-hosts --output "$w/loo/all" --leave-one-out "$w/loo/loo-%d" $(pairs $1) 2>/dev/null
	pairs $1 > "$w/gated"
	gate_all "$w/gated" "loo:$w/loo" | jq -c --arg r "$1" '{leave_one_out: ($r | split(" "))} + .'
}
q=aa-20261128-icount-quick q2=aa-20261128-icount-quick-held-out
f1=aa-20261128-icount-full-own-pages f2=aa-20261128-icount-full-held-out
{
	cross "$q2" "$q"; cross "$q" "$q2"
	cross "$f2" "$f1"; cross "$f1" "$f2"
	loo "$q $q2"; loo "$f1 $f2"; loo aa-20261128-tcg-quick
} | jq -s --arg v "$(git -C "$top" describe --always --dirty)" \
	'{tool: "rule-design", hmmbench_version: $v, margin: {icount: 2, timing: 3},
	  floors_pct: {icount: [0.3, 1], timing: [1, 2]}, tests: .}' > "$here/design.json.tmp"
mv "$here/design.json.tmp" "$here/design.json"
jq -r '.tests[] | "\(.rules_from // .leave_one_out | join("+")) -> \(.gated // "leave one out"): \(.flagged) of \(.pairs)"' "$here/design.json"
# the table docs/compare.md renders
jq -r '"| rules from | gated | flagged | the flags (first row of each pair) |",
	"|---|---|---|---|",
	(.tests[] | "| \(.rules_from // .leave_one_out | map("`\(.)`") | join(" + ")) | \(if .gated then "the 20 pairs of `\(.gated)`, out of sample" else "each pair with the rules of all others (leave one out)" end) | **\(.flagged) of \(.pairs)** | \([.flags[] | "\(.pair): exit \(.exit), `\(.not_ok[0] | sub(" #.*"; ""))`"] | join("; ") | if . == "" then "-" else . end) |")' \
	"$here/design.json" > "$here/design.md"
