#!/bin/sh
# Kernels other than the default (scripts/kernel-source, docs/kernels.md):
# - bad input, each one line and exit 2: a version nobody serves, a word
#   that is no version, suites that cannot be reached, a package the lists
#   name but the archive no longer has (a local file: archive);
# - the newest kernel Debian serves, end to end: fetched, built with the
#   instrumentation series, booted, the preflight (hmm-tests and the
#   series' features) passing, a quick run of every benchmark complete,
#   and the package version in the results;
# - a kernel cache under /tmp, which the guest's own tmpfs would hide: the
#   preflight finds hmm-tests and build-info.json there.
# MODE (default auto) as the other tests; icount runs one vCPU.
T_NAME=kernels
. "$(dirname "$0")/tap.sh"
MODE=${MODE:-auto}

# one line on stderr, exit 2
expect2() {
	name=$1 pattern=$2
	shift 2
	"$@" > "$T_LOG/out" 2> "$T_LOG/err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(grep -c -v '^kernel-source: \(updating\|downloading\|unpacking\)' "$T_LOG/err")" -eq 1 ] &&
		grep -q -E -- "$pattern" "$T_LOG/err"; then
		t_report ok "$name: $(grep -v '^kernel-source: \(updating\|downloading\|unpacking\)' "$T_LOG/err")"
	else
		t_report fail "$name" "exit $rc: $(cat "$T_LOG/err")"
	fi
}

# --- bad input ---
expect2 "kernel-source: a version nobody serves" \
	'--kernel 9\.9: no package linux-source-9\.9 in .*; available: .*6\.12' \
	$S/kernel-source --kernel 9.9
expect2 "kernel-source: not a version" '--kernel banana: not a kernel version' \
	$S/kernel-source --kernel banana
echo "http://127.0.0.1:9/debian bookworm" > "$tmp/unreachable"
expect2 "kernel-source: suites that cannot be reached" 'cannot reach the Debian archive' \
	env HMMBENCH_DEBIAN_SUITES="$tmp/unreachable" HMMBENCH_CACHE="$tmp/c1" \
	$S/kernel-source --kernel 7.3
# a local archive whose lists name linux-source-9.8, whose .deb is gone
repo=$tmp/repo
mkdir -p "$repo/dists/gone/main/binary-amd64"
cat > "$repo/dists/gone/main/binary-amd64/Packages" <<EOF
Package: linux-source-9.8
Version: 9.8.1-1
Architecture: all
Filename: pool/main/l/linux/linux-source-9.8_9.8.1-1_all.deb
Size: 1000
SHA256: 0000000000000000000000000000000000000000000000000000000000000000
Description: Linux kernel source (a test of a package gone from the archive)

EOF
(cd "$repo/dists/gone" && {
	echo "Suite: gone"
	echo "Codename: gone"
	echo "Components: main"
	echo "Architectures: amd64"
	echo "Date: $(date -u -R)"
	echo "SHA256:"
	echo " $(sha256sum main/binary-amd64/Packages | cut -d' ' -f1) $(stat -c %s main/binary-amd64/Packages) main/binary-amd64/Packages"
} > Release)
echo "file:$repo gone trusted=yes" > "$tmp/gone"
expect2 "kernel-source: a package gone from the archive" \
	'9\.8: linux-source-9\.8=9\.8\.1-1 is listed in gone.* but cannot be downloaded' \
	env HMMBENCH_DEBIAN_SUITES="$tmp/gone" HMMBENCH_CACHE="$tmp/c2" \
	$S/kernel-source --kernel 9.8
expect2 "kernel-build: an unknown version stops before building" '--kernel 9\.9: no package' \
	$S/kernel-build --kernel 9.9
expect2 "kernel-build: a series for other versions only" \
	'exclusive-folio-walk has no patches for 6\.1 \(it has some for: 6\.12\)' \
	$S/kernel-build --patches kernel-patches/exclusive-folio-walk

# --- the newest kernel, end to end ---
echo "# the newest kernel: fetched and built once (about 10 min cold), then cached"
if build=$($S/kernel-build --kernel newest --patches kernel-patches/test_hmm-instrumentation 2> "$tmp/build.log"); then
	pkg=$(jq -r .package "$build/build-info.json")
	t_report ok "kernel-build --kernel newest: $(jq -r .release "$build/build-info.json") from $pkg"
	out=$tmp/newest
	if $S/vm-run --accel "$MODE" --timeout 1800 --kernel "$build/arch/x86/boot/bzImage" \
		--kernel-info "$build/build-info.json" --out "$out" -- sh -c \
		'scripts/preflight "$1" > "$HMMBENCH_OUT/preflight.txt" || exit 3
		 exec bench/hmmbench run --quick --out "$HMMBENCH_OUT/results.json"' \
		sh "$build/hmm-tests" > "$tmp/vm.log" 2>&1; then
		t_report ok "newest: the preflight passes ($(grep 'hmm-tests passed' "$out/preflight.txt" | sed 's/.*(//; s/)$//'))"
		st=$(jq -r '[.status] + [.benchmarks[].points[] | select(.status == "failed") | .reason] | join("; ")' "$out/results.json")
		n=$(jq '[.benchmarks[]] | length' "$out/results.json")
		if [ "$st" = complete ] && [ "$n" -ge 6 ]; then
			t_report ok "newest: a quick run of every benchmark ($n) is complete"
		else
			t_report fail "newest: quick run" "status $st, $n benchmarks"
		fi
		if [ "$(jq -r .context.kernel_build.package "$out/results.json")" = "$pkg" ]; then
			t_report ok "newest: the results name the package, $pkg"
		else
			t_report fail "newest: package in the results" "$(jq -c .context.kernel_build "$out/results.json")"
		fi
		# what 7.x does that 6.1 refused, measured
		th=$(jq -r '.benchmarks[] | select(.name == "mark") | .points[]
			| select(.params.state == "thp") | .status' "$out/results.json" | sort -u | tr '\n' ' ')
		if [ "$th" = "ok " ]; then
			t_report ok "newest: marking a THP is measured, not unsupported"
		else
			t_report fail "newest: THP mark" "statuses: $th"
		fi
	else
		t_report fail "newest: preflight and quick run" "$(tail -n 3 "$tmp/vm.log"; grep FAIL "$out/preflight.txt" 2>/dev/null; t_guest_tail "$out")"
	fi
else
	t_report fail "kernel-build --kernel newest" "$(tail -n 5 "$tmp/build.log")"
fi

# --- a kernel cache under /tmp: the guest must still see it ---
echo "# a kernel cache under /tmp"
if build=$($S/kernel-build --patches kernel-patches/test_hmm-instrumentation 2> "$tmp/build.log"); then
	c=$tmp/cache
	mkdir -p "$c/build"
	cp -a "$build" "$c/build/"
	b=$c/build/$(basename "$build")
	if HMMBENCH_CACHE=$c $S/vm-run --accel "$MODE" --timeout 900 --kernel "$b/arch/x86/boot/bzImage" \
		--kernel-info "$b/build-info.json" --out "$tmp/tmpcache" -- sh -c \
		'scripts/preflight "$1" && jq -r .key "$HMMBENCH_KERNEL_INFO"' sh "$b/hmm-tests" \
		> "$tmp/tmpcache.log" 2>&1 &&
		grep -q 'hmm-tests passed' "$tmp/tmpcache.log" &&
		grep -qx "$(basename "$build")" "$tmp/tmpcache.log"; then
		t_report ok "a cache under /tmp: the guest runs its hmm-tests and reads its build-info.json"
	else
		t_report fail "a cache under /tmp" "$(grep -e FAIL -e 'not found' -e vm-run -e 'not ok' "$tmp/tmpcache.log" | tail -n 8)"
	fi
else
	t_report fail "kernel-build (default)" "$(tail -n 5 "$tmp/build.log")"
fi

echo "# $(( $(date +%s) - t0 )) s"
t_done
