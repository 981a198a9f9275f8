#!/bin/sh
# Incremental kernel builds cannot go stale (scripts/kernel-build). In the
# 6.1 workspace, one after the other: the baseline (no series), a one-line
# series (tests/fixtures/series-oneline: a string in mm/memory.c), a
# series that touches a widely included header (tests/fixtures/
# series-header: a string in include/linux/rmap.h, which 51 objects
# include), and the baseline again (kernel-build --rebuild, so the
# workspace must undo the header; meanwhile the cached build's files
# never go missing, for the other lane may be booting it). Each is held
# against a build of the
# same inputs from nothing (kernel-build --fresh: its own workspace, ccache
# still on): the same .config, the same vmlinux to the byte (the builds are
# reproducible), each planted string in the image exactly when its series
# is applied, and only what the series reaches compiled (the one file and
# the link; the header's includers).
T_NAME=incremental
. "$(dirname "$0")/tap.sh"
HMMBENCH_CACHE=$CACHE
ONE=tests/fixtures/series-oneline
HDR=tests/fixtures/series-header
fresh=""
trap 'rm -rf "$tmp" $fresh' EXIT
# the 6.1 workspace is ours until the end: another test's build there
# (make check runs two lanes) would change what the next step compiles
ws=$($S/kernel-build --workspace) || { echo "not ok 1 kernel-build --workspace failed"; exit 1; }
mkdir -p "$HMMBENCH_CACHE/ws"
exec 7> "$ws.seq"
flock 7 || { echo "not ok 1 cannot lock $ws.seq"; exit 1; }
export HMMBENCH_WS_SEQUENCE=$ws

has() { # VMLINUX STRING
	grep -a -q -F "$2" "$1"
}

# build NAME ARGS...: the build dir in $tmp/NAME.dir, its log in $tmp/NAME.log
build() {
	_b=$1
	shift
	t=$(date +%s)
	if $S/kernel-build "$@" > "$tmp/$_b.dir" 2> "$tmp/$_b.log"; then
		echo "$(( $(date +%s) - t ))" > "$tmp/$_b.secs"
		return 0
	fi
	t_report fail "kernel-build $*" "$(tail -n 5 "$tmp/$_b.log")"
	return 1
}
compiled() { jq -r '.build.compiled // "?"' "$(cat "$tmp/$1.dir")/build-info.json"; }
secs() { cat "$tmp/$1.secs"; }

# check NAME REF ONE_PRESENT HDR_PRESENT: NAME against the fresh build REF
check() {
	a=$(cat "$tmp/$1.dir") b=$(cat "$tmp/$2.dir")
	if cmp -s "$a/.config" "$b/.config" && cmp -s "$a/vmlinux" "$b/vmlinux"; then
		t_report ok "$1: the same .config and vmlinux ($(sha256sum < "$a/vmlinux" | cut -c1-12)) as a build from nothing"
	else
		t_report fail "$1: the same .config and vmlinux as a build from nothing" \
			"config $(cmp -s "$a/.config" "$b/.config" && echo same || echo differs), vmlinux $(sha256sum < "$a/vmlinux" | cut -c1-12) vs $(sha256sum < "$b/vmlinux" | cut -c1-12)"
	fi
	one=no hdr=no
	! has "$a/vmlinux" hmmbench-incremental-oneline-series || one=yes
	! has "$a/vmlinux" hmmbench-incremental-header-series || hdr=yes
	if [ "$one:$hdr" = "$3:$4" ]; then
		t_report ok "$1: the one-line string $one, the header string $hdr in the image"
	else
		t_report fail "$1: planted strings" "one-line $one (want $3), header $hdr (want $4)"
	fi
}

echo "# the baseline, and the references from nothing (ccache helps: about 2 min each)"
# --rebuild: a cached baseline would leave the workspace at whatever series
# it last built (the canary, the instrumentation), which the one-line build
# would then undo too (CI: mm/rmap.o, lib/test_hmm.o, 13 compiled)
build base --rebuild || { t_done; exit 1; }
for n in base one hdr; do
	case $n in
	base) set -- ;;
	one) set -- --patches "$ONE" ;;
	hdr) set -- --patches "$HDR" ;;
	esac
	build "ref-$n" --fresh "$@" || { t_done; exit 1; }
	fresh="$fresh $(cat "$tmp/ref-$n.dir")"
done

echo "# incremental: the one-line series, the header series, the baseline again"
# built here, not found in the cache from an earlier run
for series in "$ONE" "$HDR"; do
	k=$($S/kernel-build --key --patches "$series") && rm -rf "${CACHE:?}/build/$k"
done
build one --patches "$ONE" || { t_done; exit 1; }
c=$(compiled one)
# what it compiled is the test; its time is only reported (load changes it)
if [ "$c" != "?" ] && [ "$c" -le 12 ]; then
	t_report ok "one-line series: $c file(s) compiled (mm/memory.c and the link's), $(secs one) s"
else
	t_report fail "one-line series: the file and the link only" "$c compiled in $(secs one) s"
fi
check one ref-one yes no
build hdr --patches "$HDR" || { t_done; exit 1; }
c=$(compiled hdr)
if [ "$c" != "?" ] && [ "$c" -ge 45 ] && [ "$c" -le 120 ]; then
	t_report ok "header series: $c file(s) compiled (rmap.h's 51 includers, mm/memory.c back, the link's)"
else
	t_report fail "header series: its includers and no more" "$c compiled"
fi
check hdr ref-hdr no yes
# the baseline compiled again over its cached build, which the other
# lane may be using: from the moment the new one is copied out
# (kernel-build's $build.new) to the end, its files are looked for
# without a pause (shell builtins only)
b=$(cat "$tmp/base.dir")
(
	while [ ! -d "$b.new" ] && [ ! -e "$tmp/base2.end" ]; do sleep 0.2; done
	[ -e "$tmp/base2.end" ] || : > "$tmp/watched"
	while [ ! -e "$tmp/base2.end" ]; do
		for f in build-info.json arch/x86/boot/bzImage hmm-tests vmlinux .hmmbench-built; do
			[ -e "$b/$f" ] || echo "$f" >> "$tmp/missing"
		done
	done
) &
watch=$!
rc=0
build base2 --rebuild || rc=1
touch "$tmp/base2.end"
wait "$watch"
[ "$rc" -eq 0 ] || { t_done; exit 1; }
if [ ! -e "$tmp/watched" ]; then
	t_report fail "the cached build's files always there" "never saw the new build copied out ($b.new)"
elif [ ! -s "$tmp/missing" ]; then
	t_report ok "the baseline rebuilt over its cached build: no file of it ever missing"
else
	t_report fail "the cached build's files always there" "missing at times: $(sort -u "$tmp/missing" | tr '\n' ' ')"
fi
c=$(compiled base2)
if [ "$c" != "?" ] && [ "$c" -ge 45 ] && [ "$c" -le 120 ]; then
	t_report ok "the baseline again: $c file(s) compiled, undoing the header"
else
	t_report fail "the baseline again: undoing the header" "$c compiled"
fi
check base2 ref-base no no
if [ "$(cat "$tmp/base.dir")" = "$(cat "$tmp/base2.dir")" ]; then
	t_report ok "the baseline has the same cache key before and after"
else
	t_report fail "the same cache key" "$(cat "$tmp/base.dir") vs $(cat "$tmp/base2.dir")"
fi
echo "# $(( $(date +%s) - t0 )) s"
t_done
