#!/bin/sh
# The README's and docs' measured figures against the committed data
# (scripts/tables): the text as committed must be what the data renders,
# and a committed number changed must make the check fail, naming the
# block. Needs bench/hmmbench (the headline generator); no kernel.
T_NAME=tables
. "$(dirname "$0")/tap.sh"

blocks=$(grep -c -e '<!-- table ' -e '<!-- fig ' README.md docs/*.md | awk -F: '{ n += $2 } END { print n }')
expect_ok "the README and docs/ render from results/ as committed ($blocks blocks and figures)" $S/tables --check

# a copy of the tree's text and data, one number of one result changed
mkdir -p "$tmp/root/docs"
cp README.md "$tmp/root/"
cp docs/*.md docs/not-measured "$tmp/root/docs/"
cp -r results config "$tmp/root/"
f=$(grep -h -o '<!-- table aa [^ ]*' README.md docs/*.md | head -n 1 | awk '{ print $4 }')
if [ -n "$f" ] && [ -f "$tmp/root/$f/aa.json" ]; then
	jq '.false_positives += 1' "$f/aa.json" > "$tmp/root/$f/aa.json"
	expect_fail "A/A false positives changed in $f/aa.json: the check fails" "the text differs from the data" \
		env TABLES_ROOT="$tmp/root" $S/tables --check "$tmp/root/README.md" "$tmp/root"/docs/*.md
	cp "$f/aa.json" "$tmp/root/$f/aa.json"
else
	t_report fail "an A/A table to change" "no '<!-- table aa DIR -->' block in README.md or docs/"
fi
r=$(grep -h -o '<!-- fig range [^ ]*' README.md docs/*.md | head -n 1 | awk '{ print $4 }')
if [ -n "$r" ] && [ -f "$r" ]; then
	# every value of the first benchmark's first ok point, 1% up
	jq '(.benchmarks[].points[] | select(.status == "ok") | .metrics[].value) |= . * 1.01' "$r" > "$tmp/root/$r"
	expect_fail "a metric changed in $r: the check fails" "the text differs from the data" \
		env TABLES_ROOT="$tmp/root" $S/tables --check "$tmp/root/README.md" "$tmp/root"/docs/*.md
else
	t_report fail "a range figure to change" "no '<!-- fig range FILE ... -->' in README.md or docs/"
fi
# results/README.md: a set without a NOTE.md, then one that nothing cites
mkdir -p "$tmp/root/results/zz-planted-20261206" && cp results/README.md "$tmp/root/results/"
echo '{}' > "$tmp/root/results/zz-planted-20261206/results.json"
expect_fail "a result set without a NOTE.md: the index check fails" "zz-planted-20261206 has no NOTE.md" \
	env TABLES_ROOT="$tmp/root" $S/tables --check "$tmp/root/results/README.md"
printf '# A planted set\n' > "$tmp/root/results/zz-planted-20261206/NOTE.md"
expect_fail "a result set no page cites: the index check fails" "zz-planted-20261206 is cited nowhere" \
	env TABLES_ROOT="$tmp/root" $S/tables --check "$tmp/root/results/README.md"
rm -rf "$tmp/root/results/zz-planted-20261206"
# a rule's threshold changed in the copy's config/thresholds
if grep -q '<!-- fig rule config/thresholds tcg:quick@6.1 restore/' README.md docs/*.md; then
	sed -i 's|^\(tcg:quick@6.1 restore/ns_per_access:fault=exclusive,access=read,order=seq,threads=1,pages=64,cpu_node=0,mem_node=0\) [0-9.]*|\1 99|' \
		"$tmp/root/config/thresholds"
	expect_fail "a rule changed in config/thresholds: the check fails" "the text differs from the data" \
		env TABLES_ROOT="$tmp/root" $S/tables --check "$tmp/root/README.md" "$tmp/root"/docs/*.md
	cp config/thresholds "$tmp/root/config/thresholds"
else
	t_report fail "a rule figure to change" "no '<!-- fig rule config/thresholds tcg:quick@6.1 restore/... -->' in README.md or docs/"
fi
# a measured figure typed into the prose, not rendered: the check fails on
# it, naming file and line; in a code span, a code block, a figure or a
# section the allowlist lists as pending it is no failure
typed=$(grep -c . docs/not-measured)
expect_ok "no hand-typed number in the prose (docs/not-measured: $typed lines)" $S/tables --prose
cp README.md "$tmp/root/README.md.orig"
# after the title: in no section the allowlist lists as pending
{ sed -n 1p "$tmp/root/README.md.orig"
  printf '\nThe exclusive restore took 4,321 guest instructions, 2.5%% over the minor fault.\n'
  sed 1d "$tmp/root/README.md.orig"; } > "$tmp/root/README.md"
expect_fail "a hand-typed measured figure in README.md: the check fails" "README.md:[0-9]+: 4,321: " \
	env TABLES_ROOT="$tmp/root" $S/tables --check "$tmp/root/README.md"
expect_fail "a hand-typed percentage in README.md: named too" "README.md:[0-9]+: 2.5: " \
	env TABLES_ROOT="$tmp/root" $S/tables --check "$tmp/root/README.md"
cp "$tmp/root/README.md.orig" "$tmp/root/README.md"
printf '\nThe restore takes `4,321` and\n\n```\n4,321 instructions\n```\n' >> "$tmp/root/README.md"
expect_ok "the same number in a code span and a code block: no failure" \
	env TABLES_ROOT="$tmp/root" $S/tables --check "$tmp/root/README.md"
cp "$tmp/root/README.md.orig" "$tmp/root/README.md"
printf '\n## A section\n\nIt took 4,321 s.\n' >> "$tmp/root/README.md"
printf 'section\tREADME.md\t## A section\ta test of pending sections\n' >> "$tmp/root/docs/not-measured"
expect_ok "the number in a section the allowlist lists as pending: no failure" \
	env TABLES_ROOT="$tmp/root" $S/tables --check "$tmp/root/README.md"
if env TABLES_ROOT="$tmp/root" $S/tables --prose "$tmp/root/README.md" | grep -q '^pending README.md:[0-9]*: 4,321: '; then
	t_report ok "--prose lists the pending number"
else
	t_report fail "--prose lists the pending number"
fi
printf 'number\t*\t4,321\n' >> "$tmp/root/docs/not-measured"
expect_fail "an allowlist entry without a reason is refused" "without kind, file, pattern and reason" \
	env TABLES_ROOT="$tmp/root" $S/tables --check "$tmp/root/README.md"
cp docs/not-measured "$tmp/root/docs/not-measured"
cp "$tmp/root/README.md.orig" "$tmp/root/README.md"
expect_fail "a generator that does not exist" "no generator 'nosuch'" $S/tables --render nosuch
printf 'x <!-- table aa results/nowhere -->\nold\n<!-- /table -->\n' > "$tmp/bad.md"
expect_fail "a block whose data is missing" "results/nowhere" $S/tables --check "$tmp/bad.md"
# every generator, its data missing: rendering fails and leaves the file be
for g in "aa results/nowhere" "ladder results/nowhere" "headline results/nowhere.json" \
	"headlines results/nowhere.json" "file results/nowhere.md" "rule config/thresholds tcg:quick@6.1 nosuch/metric" \
	"line results/nowhere.log 'x([0-9]+)'" "files 0 length 'results/nowhere/*.json'" "joblog results/nowhere/joblog count" \
	"metrics stress seconds results/nowhere.json" "value results/nowhere.json .x"; do
	printf 'x <!-- table %s -->\nold\n<!-- /table -->\n' "$g" > "$tmp/bad2.md"
	cp "$tmp/bad2.md" "$tmp/bad2.orig"
	if ! $S/tables "$tmp/bad2.md" > /dev/null 2>&1 && cmp -s "$tmp/bad2.md" "$tmp/bad2.orig"; then
		t_report ok "'$g' without its data: an error, the file not rewritten"
	else
		t_report fail "'$g' without its data fails" "$(cat "$tmp/bad2.md")"
	fi
done
# the committed rules are what the committed campaigns give: make rules
# (scripts/rules) derives them again from their stored rounds, booting
# nothing; every rule line, and every provenance line but its date, the same
cp config/thresholds "$tmp/rules"
start=$(date +%s)
if HMMBENCH_THRESHOLDS=$tmp/rules $S/rules > "$tmp/rules.log" 2>&1; then
	strip() { sed 's/, [0-9]\{4\}-[0-9][0-9]-[0-9][0-9], /, DATE, /' "$1"; }
	if [ "$(strip config/thresholds)" = "$(strip "$tmp/rules")" ]; then
		t_report ok "make rules derives config/thresholds again from the committed rounds ($(grep -c . "$tmp/rules.log") settings' lines, $(( $(date +%s) - start )) s)"
	else
		strip config/thresholds > "$tmp/rules.want"
		strip "$tmp/rules" > "$tmp/rules.got"
		t_report fail "make rules derives config/thresholds again" "$(diff "$tmp/rules.want" "$tmp/rules.got" | head -n 10)"
	fi
else
	t_report fail "scripts/rules ran" "$(tail -n 3 "$tmp/rules.log")"
fi
t_done
