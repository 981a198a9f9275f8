#!/bin/sh
# scripts/bisect on a synthetic history: a git repository of the Debian
# source (~/.cache/hmmbench/bisect-repo, made once and kept) with six
# commits on main, the restore canary of kernel-patches/canary landing in
# the fourth with 384 loops by default (+1,536 instructions, about +40% on
# the exclusive restore fault in icount mode: at +18% the loop's function
# grew too little past restore's profile floor in config/thresholds), and a
# branch "broken" whose commit does not compile.
# - the baseline is recorded on the first commit; git bisect run between
#   the first and the last must name the canary commit;
# - exit codes, each run directly: 0 on the commit before the canary, 1 on
#   the canary, 125 on the broken commit and for series that do not apply,
#   128 (git bisect run aborts) for a missing or unusable baseline and for
#   options other than the baseline's.
# In icount mode unless BISECT_MODE is set; BISECT_ROUNDS rounds of the
# restore benchmark with --quick per commit (default 2). Every commit is
# its own kernel: the first run builds those bisect tests cold (ccache
# helps the ones after the first), later runs find them cached.
T_NAME=bisect
. "$(dirname "$0")/tap.sh"
B=$top/scripts/bisect
MODE=${BISECT_MODE:-icount}
ROUNDS=${BISECT_ROUNDS:-2}
RUN="--bench restore --quick"
HMMBENCH_CACHE=$CACHE

# --- the synthetic history ---
# Fixed names and dates: the same hashes on every machine and every time,
# so the kernel build cache keys (scripts/source-id: the HEAD commit) are
# the same too, and a second run builds nothing.
HISTORY_VERSION=5
repo=$HMMBENCH_CACHE/bisect-repo
stamp=$repo/.git/hmmbench-history
CANARY_PATCHES="$top/kernel-patches/canary/0001-include-add-hmmbench_canary-a-planted-cost-for-bench.patch
$top/kernel-patches/canary/0003-mm-memory-plant-a-canary-in-fork-s-copy-of-device-ex.patch
$top/kernel-patches/canary/0004-mm-memory-plant-a-canary-in-the-device-exclusive-res.patch"
# Debian's tree ignores everything at its top level (.gitignore: /*), so
# every add is forced; no global excludes or line-ending rules apply
hgit() { git -C "$repo" -c core.excludesFile=/dev/null -c core.autocrlf=false "$@"; }
hcommit() { # N SUBJECT: commit what is staged, dated the Nth of January 2026
	d="2026-01-0$1T12:00:00+0000"
	GIT_AUTHOR_NAME=hmmbench GIT_AUTHOR_EMAIL=hmmbench@localhost GIT_AUTHOR_DATE=$d \
	GIT_COMMITTER_NAME=hmmbench GIT_COMMITTER_EMAIL=hmmbench@localhost GIT_COMMITTER_DATE=$d \
		hgit commit -q --no-verify --no-gpg-sign -m "$2"
}
make_history() { # SRC
	rm -rf "$repo"
	mkdir -p "$repo"
	cp -a "$1/." "$repo/" || return 1
	rm -f "$repo/.hmmbench-source-id"	# else source-id would name every commit alike
	hgit init -q -b main --template= || return 1
	hgit config gc.auto 0
	hgit config core.looseCompression 1
	hgit add -A -f && hcommit 1 "Debian linux-source-6.1 $(cut -d= -f2 "$1/.hmmbench-source-id")" || return 1
	echo '/* hmmbench bisect test: a harmless comment */' >> "$repo/mm/hmm.c"
	hgit add -f mm/hmm.c && hcommit 2 "mm/hmm: a comment" || return 1
	printf '\nhmmbench bisect test: a harmless line.\n' >> "$repo/Documentation/mm/hmm.rst"
	hgit add -f Documentation/mm/hmm.rst && hcommit 3 "Documentation/mm/hmm: a line" || return 1
	# the canary as a commit that regresses: on by default
	# (the fork canary, off, brings the include; their kernel-parameters.txt
	# hunks build on the series' other patches)
	for p in $CANARY_PATCHES; do hgit apply --exclude="Documentation/*" "$p" || return 1; done
	sed -i 's/^static unsigned int canary_restore_loops;$/static unsigned int canary_restore_loops = 384;/' \
		"$repo/mm/memory.c"
	grep -q 'canary_restore_loops = 384;' "$repo/mm/memory.c" && hgit add -A -f &&
		hcommit 4 "mm/memory: plant a regression in the device-exclusive restore fault" || return 1
	echo '/* hmmbench bisect test: another harmless comment */' >> "$repo/mm/migrate_device.c"
	hgit add -f mm/migrate_device.c && hcommit 5 "mm/migrate_device: a comment" || return 1
	printf '\nhmmbench bisect test: another harmless line.\n' >> "$repo/Documentation/mm/hmm.rst"
	hgit add -f Documentation/mm/hmm.rst && hcommit 6 "Documentation/mm/hmm: another line" || return 1
	hgit checkout -q -b broken main~3 &&
		echo '#error "hmmbench bisect test: this commit does not build"' >> "$repo/mm/hmm.c" &&
		hgit add -f mm/hmm.c && hcommit 7 "mm/hmm: a commit that does not build" || return 1
	hgit checkout -q main
}
# the recipe's key: its version, the source and the canary patch
history_key() {
	(echo "$HISTORY_VERSION"; cat "$1/.hmmbench-source-id"; for p in $CANARY_PATCHES; do cat "$p"; done) |
		sha256sum | cut -c1-16
}
history_ok() { # KEY: the repository is the recipe's, unchanged since it was made
	[ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$1" ] || return 1
	hgit bisect reset -q > /dev/null 2>&1
	hgit checkout -q -f main 2> /dev/null || return 1
	[ "$(hgit rev-parse main broken 2> /dev/null | tr '\n' ' ')" = "$(sed -n 2p "$stamp")" ] &&
		[ -z "$(hgit status --porcelain --untracked-files=no)" ]
}

# one test at a time uses the repository (it checks commits out)
mkdir -p "$HMMBENCH_CACHE"
exec 8> "$HMMBENCH_CACHE/bisect-repo.lock"
flock 8
cleanup() {
	if [ -d "$repo/.git" ]; then
		hgit bisect reset -q > /dev/null 2>&1
		hgit checkout -q -f main > /dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# expect_exit NAME CODE PATTERN CMD...: CMD, run in the repository, exits
# CODE with a line of stderr matching PATTERN
expect_exit() {
	name=$1 code=$2 pattern=$3
	shift 3
	(cd "$repo" && "$@") > "$T_LOG/out" 2> "$T_LOG/err"
	rc=$?
	if [ $rc -eq "$code" ] && grep -q -E -- "$pattern" "$T_LOG/err"; then
		t_report ok "$name: exit $rc: $(grep -m1 -E -- "$pattern" "$T_LOG/err" | cut -c1-200)"
	else
		t_report fail "$name: exit $code and /$pattern/" "exit $rc: $(tail -n 6 "$T_LOG/err")"
	fi
}

make -s -C tools > /dev/null 2>&1
if [ -x tools/hmmbench-compare ] && [ -x bench/hmmbench ]; then
	t_report ok "bench/hmmbench and tools/hmmbench-compare are built"
else
	t_report fail "bench/hmmbench and tools/hmmbench-compare are built" "make bench"
	t_done
	exit 1
fi

src=$(scripts/kernel-source) || { t_report fail "the Debian source"; t_done; exit 1; }
key=$(history_key "$src")
start=$(date +%s)
if history_ok "$key"; then
	how="cached"
else
	echo "# making the synthetic history in $repo (about 1 to 10 min: it adds ~79k files)"
	if make_history "$src" > "$tmp/history.log" 2>&1; then
		{ echo "$key"; hgit rev-parse main broken | tr '\n' ' '; echo; } > "$stamp"
		how="made in $(( $(date +%s) - start )) s"
	else
		how="failed"
	fi
fi
c1=$(hgit rev-parse -q --verify main~5) c3=$(hgit rev-parse -q --verify main~3)
c4=$(hgit rev-parse -q --verify main~2) c6=$(hgit rev-parse -q --verify main)
broken=$(hgit rev-parse -q --verify broken)
dates=$(hgit log --format=%ad --date=format:%m-%d main broken | sort -u | tr '\n' ' ')
if [ "$how" != failed ] && [ "$(hgit rev-list --count main)" = 6 ] &&
	[ "$dates" = "01-01 01-02 01-03 01-04 01-05 01-06 01-07 " ] &&
	[ "$(hgit diff --name-only "$c3" "$c4" -- mm)" = mm/memory.c ]; then
	t_report ok "synthetic history ($how): 6 commits, the canary in $(hgit log -1 --format='%h %s' "$c4")"
else
	t_report fail "synthetic history" "$how; dates $dates; $(tail -n 5 "$tmp/history.log" 2>/dev/null)"
	t_done
	exit 1
fi

# --- bad inputs, before any build ---
expect_exit "no baseline given" 128 "--baseline DIR .* is needed" "$B" $RUN
expect_exit "a baseline that does not exist" 128 "baseline .*/nothing-here does not exist" \
	"$B" --baseline "$tmp/nothing-here" $RUN
expect_exit "an unknown option" 128 "unknown argument '--frobnicate'" "$B" --baseline "$tmp" --frobnicate
(cd / && "$B" --baseline "$tmp/nothing-here" > /dev/null 2> "$T_LOG/err")
rc=$?
if [ $rc -eq 128 ] && grep -q "not in a git work tree" "$T_LOG/err"; then
	t_report ok "outside a git tree: exit 128: $(cat "$T_LOG/err")"
else
	t_report fail "outside a git tree: exit 128" "exit $rc: $(cat "$T_LOG/err")"
fi

# --- the baseline, on the first commit ---
hgit checkout -q "$c1"
echo "# recording the baseline on $(hgit log -1 --format='%h %s') (a cold build the first time)"
start=$(date +%s)
expect_exit "--record-baseline on the first commit, $ROUNDS rounds" 0 "baseline recorded: $ROUNDS rounds" \
	"$B" --record-baseline "$tmp/base" --mode "$MODE" --rounds "$ROUNDS" $RUN
base=$tmp/base
if [ "$(jq -r .status "$base/bisect.json" 2>/dev/null)" = complete ] &&
	[ "$(jq -r .commit "$base/bisect.json")" = "$c1" ] &&
	[ "$(jq -r .accelerator "$base/bisect.json")" = "$MODE" ] &&
	[ "$(ls "$base"/round-*/results.json | wc -l)" -eq "$ROUNDS" ]; then
	t_report ok "baseline: bisect.json complete, $ROUNDS rounds of $(hgit log -1 --format=%h "$c1") in $MODE, $(( $(date +%s) - start )) s"
else
	t_report fail "baseline files" "$(ls -R "$base" 2>&1 | head -n 12)"
fi
expect_exit "recording over an existing baseline" 128 "already exists" \
	"$B" --record-baseline "$base" $RUN

# --- baselines and options the gate cannot use: abort, before a build ---
printf '# no rules for %s\n' "$MODE" > "$tmp/thresholds-empty"
expect_exit "thresholds without rules for the mode" 128 "has no thresholds for $MODE(:quick)?" \
	"$B" --baseline "$base" --thresholds "$tmp/thresholds-empty"
expect_exit "other benchmark options than the baseline's" 128 "the baseline was recorded with hmmbench run options" \
	"$B" --baseline "$base" --bench restore
other=tcg
[ "$MODE" != tcg ] || other=icount
expect_exit "another mode than the baseline's" 128 "measured in $MODE mode, this run asks for $other" \
	"$B" --baseline "$base" --mode "$other"
mkdir -p "$tmp/partial"
cp -r "$base/round-1" "$tmp/partial/"
jq '.status = "running"' "$base/bisect.json" > "$tmp/partial/bisect.json"
expect_exit "a baseline whose recording did not finish" 128 "is not complete" \
	"$B" --baseline "$tmp/partial"
mkdir -p "$tmp/corrupt/round-1"
echo '{"schema": "hmmbench-results", "status": ' > "$tmp/corrupt/round-1/results.json"
expect_exit "a baseline the gate cannot read" 128 "aborting: .*(not JSON|gate cannot use)" \
	"$B" --baseline "$tmp/corrupt"

# --- git bisect run: it must name the canary commit ---
echo "# git bisect run between $(hgit log -1 --format=%h "$c1") (good) and $(hgit log -1 --format=%h "$c6") (bad)"
start=$(date +%s)
hgit bisect start "$c6" "$c1" > "$tmp/bisect-start.out" 2>&1 ||
	cat "$tmp/bisect-start.out" >&2
hgit bisect run "$B" --baseline "$base" --out "$tmp/runs" > "$tmp/bisect-run.out" 2>&1
rc=$?
named=$(sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit$/\1/p' "$tmp/bisect-run.out")
if [ $rc -eq 0 ] && [ "$named" = "$c4" ] && [ "$(hgit rev-parse -q --verify refs/bisect/bad)" = "$c4" ]; then
	t_report ok "git bisect run names the canary commit $(hgit log -1 --format='%h (%s)' "$c4") in $(( $(date +%s) - start )) s"
else
	t_report fail "git bisect run names the canary commit $c4" \
		"exit $rc, named '${named:-none}': $(grep -v '^\(Bisecting\|\[\)' "$tmp/bisect-run.out" | tail -n 12)"
fi
hgit bisect log > "$tmp/bisect.log" 2>&1
hgit bisect reset -q > /dev/null 2>&1
# every commit tested has a verdict; good ones precede the canary, bad
# ones are the canary or after it, and git read them as the script said
# (git bisect start writes no good/bad lines for the two ends)
tested=$(sed -n 's/^git bisect \(good\|bad\) \([0-9a-f]*\)$/\1 \2/p' "$tmp/bisect.log")
wrong=""
while read -r what commit; do
	[ -n "$commit" ] || continue
	v=$(jq -r '"\(.verdict) \(.exit_status)"' "$tmp/runs/$(hgit rev-parse --short=12 "$commit")/verdict.json" 2>/dev/null)
	if hgit merge-base --is-ancestor "$c4" "$commit"; then want="bad 1"; else want="good 0"; fi
	[ "$what $v" = "${want%% *} $want" ] || wrong="$wrong $(hgit log -1 --format=%h "$commit"): git $what, verdict '$v', expected '$want';"
done <<EOF
$tested
EOF
if [ -n "$tested" ] && [ -z "$wrong" ]; then
	t_report ok "each tested commit: verdict.json and git agree ($(echo "$tested" | while read -r w c; do
		printf '%s %s, ' "$(hgit log -1 --format=%h "$c")" "$w"; done | sed 's/, $//'))"
else
	t_report fail "each tested commit: verdict.json and git agree" "${wrong:-no commits tested}"
fi
# the canary's verdict blames the exclusive restore fault, nothing else
gk=$tmp/runs/$(hgit rev-parse --short=12 "$c4")/gate.ktap
if grep -q '^not ok' "$gk" 2>/dev/null && ! grep '^not ok' "$gk" | grep -qv 'fault=exclusive'; then
	t_report ok "the canary's gate: $(grep -c '^not ok' "$gk") exclusive restore metrics regressed, nothing else"
else
	t_report fail "the canary's gate blames the exclusive restore" "$(grep '^not ok' "$gk" 2>&1 | head -n 5)"
fi
# its profiled boot names the function that holds the loop
# (remove_device_exclusive_entry(), inlined into do_swap_page() by gcc)
pl=$(grep " $(hgit rev-parse --short=12 "$c4") bad" "$tmp/runs/bisect.log" 2>/dev/null)
if echo "$pl" | grep -Eq 'profile: restore: ([^;]*, )?(do_swap_page|remove_device_exclusive_entry) \+'; then
	t_report ok "the canary's profile: ${pl##*profile: }"
else
	t_report fail "the canary's profile names the loop's function" "${pl:-no bisect.log line}"
fi
if [ "$(cat "$tmp/runs/bisect.log" 2>/dev/null | wc -l)" -eq "$(echo "$tested" | grep -c .)" ]; then
	t_report ok "OUT/bisect.log: one line per commit"
else
	t_report fail "OUT/bisect.log: one line per commit" "$(cat "$tmp/runs/bisect.log" 2>&1)"
fi

# --- exit codes, run directly (1 round: the builds are those bisect made) ---
hgit checkout -q "$c3"
expect_exit "the commit before the canary is good" 0 "good \(exit 0\): no regression" \
	"$B" --baseline "$base" --rounds 1 --out "$tmp/direct"
hgit checkout -q "$c4"
expect_exit "the canary commit is bad" 1 "bad \(exit 1\): regression" \
	"$B" --baseline "$base" --rounds 1 --out "$tmp/direct"
hgit checkout -q "$broken"
echo "# the broken commit: a build that fails (incremental after the first time)"
expect_exit "a commit that does not build is skipped" 125 "skip \(exit 125\): does not build" \
	"$B" --baseline "$base" --out "$tmp/direct"
d=$tmp/direct/$(hgit rev-parse --short=12 "$broken")
if [ "$(jq -r .verdict "$d/verdict.json" 2>/dev/null)" = skip ] &&
	grep -q 'this commit does not build' "$d/build.log" 2>/dev/null; then
	t_report ok "the skipped commit's verdict.json says skip, its build.log has the error"
else
	t_report fail "the skipped commit's logs" "$(ls "$d" 2>&1)"
fi
# series that do not apply: a baseline of bare rounds (ab's layout) takes
# any options
hgit checkout -q "$c1"
mkdir -p "$tmp/bare"
cp -r "$base"/round-* "$tmp/bare/"
expect_exit "series that do not apply are skipped" 125 "skip \(exit 125\): does not build: .*does not apply" \
	"$B" --baseline "$tmp/bare" --patches tests/fixtures/series-bad $RUN --out "$tmp/direct"

echo "# bisect tests took $(( $(date +%s) - t0 )) s"
t_done
