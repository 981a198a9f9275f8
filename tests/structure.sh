#!/bin/sh
# A benchmark carries its own report: the example at the top of
# bench/hmmbench.h, taken from there as it stands, is added to a copy of
# the tree as one file (bench/bench_touch.c) plus one line of HB_BENCHES,
# and nothing else. Built and booted (one icount guest of the default
# kernel, --quick), it shows in the summary's headline table, the HTML
# report's plots and the gate's rows (undecided: no A/A campaign has
# measured its rules).
T_NAME=structure
. "$(dirname "$0")/tap.sh"
MODE=${MODE:-icount}
tree=$tmp/tree

# the tracked tree, as a repository of its own so that git tells what changed
mkdir -p "$tree"
git ls-files -z | xargs -0 cp --parents -t "$tree"
git -C "$tree" init -q && git -C "$tree" add -A &&
	git -C "$tree" -c user.name=t -c user.email=t@t commit -q -m base ||
	{ t_report fail "a copy of the tree"; t_done; exit 1; }

# the example: the comment's lines from its #include to the struct's end
sed -n '/^ \*	#include "hmmbench.h"$/,/^ \*	};$/p' bench/hmmbench.h |
	sed 's/^ \*	\{0,1\}//' > "$tree/bench/bench_touch.c"
sed -i 's/^#define HB_BENCHES(X)	/&X(bench_touch) /' "$tree/bench/hmmbench.h"
changed=$(git -C "$tree" status --porcelain | tr '\n' ' ')
if [ "$changed" = " M bench/hmmbench.h ?? bench/bench_touch.c " ] &&
	[ "$(git -C "$tree" diff --numstat | awk '{ print $1 + $2 }')" = 2 ]; then
	t_report ok "the example is one file plus one changed line: $changed"
else
	t_report fail "one file plus one line" "$changed; $(git -C "$tree" diff --numstat)"
fi
if make -s -C "$tree/lib" > "$tmp/build.log" 2>&1 && make -s -C "$tree/bench" >> "$tmp/build.log" 2>&1 &&
	make -s -C "$tree/tools" >> "$tmp/build.log" 2>&1; then
	t_report ok "it builds (lib, bench, tools)"
else
	t_report fail "it builds" "$(tail -n 5 "$tmp/build.log")"
	t_done
	exit 1
fi

# one boot of the default kernel running it
build=$($S/kernel-build 2> "$tmp/kbuild.log") || { t_report fail "kernel-build" "$(tail -n 3 "$tmp/kbuild.log")"; t_done; exit 1; }
accel=$($S/vm-accel "$MODE" "$build/arch/x86/boot/bzImage")
r=$tmp/run
mkdir -p "$r"
(cd "$tree" && scripts/vm-run --accel "$accel" --timeout 600 --kernel "$build/arch/x86/boot/bzImage" \
	--kernel-info "$build/build-info.json" --out "$r" -- \
	bench/hmmbench run --bench touch --quick --out "$r/results.json") > "$tmp/vm.log" 2>&1
if [ "$(jq -r .status "$r/results.json" 2>/dev/null)" = complete ]; then
	t_report ok "hmmbench run --bench touch: complete ($accel)"
else
	t_report fail "hmmbench run --bench touch" "$(tail -n 5 "$tmp/vm.log")"
	t_done
	exit 1
fi
H="$tree/bench/hmmbench summary --headline $r/results.json"
if $H | grep -q '^  touch: a write fault  *[0-9.]*  *[a-z-]*/access  *pages=64$'; then
	t_report ok "summary: $($H | grep 'touch:' | sed 's/  */ /g')"
else
	t_report fail "the headline table shows it" "$($H)"
fi
C=$tree/tools/hmmbench-compare
$C compare --output "$tmp/r.html" "$r/results.json" "$r/results.json" 2> "$tmp/html.err"
if ! command -v gnuplot > /dev/null; then
	t_report ok "HTML plot # SKIP gnuplot not installed"
elif grep -q 'alt="touch against pages' "$tmp/r.html"; then
	t_report ok "the HTML report plots it"
else
	t_report fail "the HTML report plots it" "$(cat "$tmp/html.err"; grep -o '<p[^>]*>No plots[^<]*' "$tmp/r.html")"
fi
$C gate "$r/results.json" "$r/results.json" > "$tmp/gate.ktap" 2> "$tmp/gate.err"
rc=$?
# no A/A campaign measured it yet: its rows are there, and not decided
n=$(grep -c '^not ok [0-9]* touch/[a-z]*_per_access:pages=[0-9]*,cpu_node=0,mem_node=0 # inconclusive .*no measured threshold for this metric' "$tmp/gate.ktap")
if [ $rc -eq 3 ] && [ "$n" = 2 ]; then
	t_report ok "the gate's rows: its 2 points, inconclusive until an A/A campaign measures their rules (exit 3)"
else
	t_report fail "the gate's rows" "exit $rc, $n rows: $(grep touch "$tmp/gate.ktap" | head -n 3; cat "$tmp/gate.err")"
fi
echo "# $(( $(date +%s) - t0 )) s"
t_done
