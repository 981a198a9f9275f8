#!/bin/sh
# Write the seed corpus of the fuzz targets, corpus/<target>/seed-*, from
# the committed results (shrunk with jq: a few points per benchmark, a few
# samples per point) and the fixtures tests/compare.sh uses, bad ones
# included. Files found by fuzzing (corpus/*/crash-*, found-*) are kept.
# Run: tests/fuzz/seed-corpus.sh (the output is committed).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. scripts/lib.sh
C=tests/fuzz/corpus
F=tests/fixtures/compare
AB=results/ab-20261125-025353-icount
I1=results/20261125-6.1.192-icount-1/results.json
I2=results/20261125-6.1.192-icount-2/results.json
TCG=results/20261125-033706-6.1.192-tcg/results.json
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hmmbench-seed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
command -v jq > /dev/null || die "jq is missing (scripts/deps.sh installs it)"

# shrink FILE: the first two points of each benchmark and its first point
# that is not ok, six samples each, two summary metrics (one a ratio)
shrink() {
	jq -c '.benchmarks |= map(
		.points = ((.points[:2] + [.points[] | select(.status != "ok")][:1])
			| map(.samples |= .[:6])) |
		.summary = ([.summary[] | select(.numerator)][:1] +
			[.summary[] | select(.numerator | not)][:1]))' "$1"
}

# cut_samples FILE: every point, at most eight samples each: a compare input's
# cost is its samples times the bootstrap's resamples
cut_samples() {
	jq -c '.benchmarks |= map(.points |= map(.samples |= .[:8]))' "$1"
}

# compare_seed NAME LAYOUT FILE...: the layout byte (octal), then the
# files separated by NUL bytes (tests/fuzz/fuzz_compare.c)
compare_seed() {
	name=$1 layout=$2
	shift 2
	{
		printf "\\$layout"
		sep=
		for f in "$@"; do
			[ -z "$sep" ] || printf '\000'
			cat "$f"
			sep=1
		done
	} > "$C/compare/seed-$name"
}

mkdir -p "$C/results" "$C/compare" "$C/thresholds"
rm -f "$C"/*/seed-*

# results: shrunk real runs, every fixture
shrink $I1 > "$tmp/i1.json"
shrink $I2 > "$tmp/i2.json"
shrink $TCG > "$tmp/tcg.json"
for r in 1 2 3; do
	shrink $AB/a/round-$r/results.json > "$tmp/a$r.json"
	shrink $AB/b/round-$r/results.json > "$tmp/b$r.json"
done
cp "$tmp/i1.json" $C/results/seed-icount-run.json
cp "$tmp/tcg.json" $C/results/seed-tcg-run.json
cp "$tmp/b1.json" $C/results/seed-canary-run.json
for f in $F/*.json $F/bad/*.json $F/sets/base/1.json; do
	n=$(echo "$f" | sed "s|^$F/||; s|/|-|g")
	cp "$f" "$C/results/seed-$n"
done

# the fixtures for compare, cut; thresholds as they are
G=$tmp/fixtures
for f in $(cd $F && find . -name '*.json') thresholds; do
	mkdir -p "$(dirname "$G/$f")"
	case $f in
	*.json) cut_samples "$F/$f" > "$G/$f" 2> /dev/null || cp "$F/$f" "$G/$f" ;;	# corrupt.json
	*) cp "$F/$f" "$G/$f" ;;
	esac
done

# compare: layout bits 0-1 baseline rounds - 1, 2-3 candidate rounds - 1,
# bit 4 a thresholds file last (octal: 020 = 1 vs 1 with thresholds)
TH=$G/thresholds
compare_seed self 000 $G/sets/base/1.json
compare_seed aa-2v2 025 $G/sets/base/1.json $G/sets/base/2.json $G/sets/aa/1.json $G/sets/aa/2.json $TH
compare_seed regressed-3v3 032 $G/sets/base/1.json $G/sets/base/2.json $G/sets/base/3.json \
	$G/sets/regressed/1.json $G/sets/regressed/2.json $G/sets/regressed/3.json $TH
compare_seed improved-1v1 020 $G/sets/base/1.json $G/sets/improved/1.json $TH
compare_seed lost-support 020 $G/sets/base/1.json $G/lost-support.json $TH
compare_seed modes-differ 000 $G/sets/base/1.json $G/icount.json
for f in $G/bad/*.json; do
	compare_seed "bad-$(basename "$f" .json)" 020 $G/sets/base/1.json "$f" $TH
done
compare_seed real-icount-aa 020 "$tmp/i1.json" "$tmp/i2.json" config/thresholds
compare_seed real-canary-ab-3v3 032 "$tmp/a1.json" "$tmp/a2.json" "$tmp/a3.json" \
	"$tmp/b1.json" "$tmp/b2.json" "$tmp/b3.json" config/thresholds

# thresholds: the committed ones, and the malformed ones compare.sh uses
cp config/thresholds $C/thresholds/seed-config
cp $F/thresholds $C/thresholds/seed-fixture
for f in results/aa-*/thresholds-leave-one-out; do
	cp "$f" "$C/thresholds/seed-$(basename "$(dirname "$f")")"
done
printf 'tcg restore/*\n' > $C/thresholds/seed-missing-percent
printf '#tcg restore/* 5\n' > $C/thresholds/seed-comments-only
printf 'kvm * 5\n' > $C/thresholds/seed-kvm-only
: > $C/thresholds/seed-empty

log "seed corpus: $(ls $C/results | wc -l) results, $(ls $C/compare | wc -l) compare," \
	"$(ls $C/thresholds | wc -l) thresholds files; $(du -sh $C | cut -f1)"
