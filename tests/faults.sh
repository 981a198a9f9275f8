#!/bin/sh
# Fault injection on the pipeline (scripts/run-suite, vm-run, guest-init):
# QEMU killed mid-run, the results disk filling up, the guest out of
# memory, SIGINT to the run's process group (Ctrl-C in make run). Each must
# end run-suite non-zero with a one-line reason, leave results.json as the
# runner last wrote it ("partial") and a PARTIAL file with the reason, not
# move latest, not touch the earlier run, and leave no QEMU running.
# Then MODE=host: refused with the reason on a kernel without test_hmm (this
# machine's), and run in full where test_hmm is (inside a guest); scripts/ab
# and scripts/aa refuse it. One boot per test, the plain default kernel,
# restore (or mark) with --quick.
T_NAME=faults
. "$(dirname "$0")/tap.sh"
MODE=${MODE:-auto}
runs=""		# run-suite process groups started here
qemus=""	# their QEMU pids
mounted=""
cleanup() {
	for p in $runs; do kill -TERM "-$p" 2>/dev/null; done
	for p in $qemus; do kill -KILL "$p" 2>/dev/null; done
	[ -z "$mounted" ] || umount "$mounted"
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "# building the default kernel (cached after the first time)"
build=$($S/kernel-build) || { echo "not ok 1 kernel-build"; echo "0 passed, 1 failed"; exit 1; }
t_report ok "kernel-build: $(jq -r .release "$build/build-info.json")"

# RESULTS gets an earlier complete run, which latest points at; its
# checksums go to RESULTS.sum
earlier() {
	mkdir -p "$1/earlier"
	cp tests/fixtures/compare/icount.json "$1/earlier/results.json"
	bench/hmmbench summary "$1/earlier/results.json" > "$1/earlier/summary.txt"
	ln -s earlier "$1/latest"
	(cd "$1" && sha256sum earlier/*) > "$1.sum"
}

# start NAME RESULTS RUN-SUITE-ARGS...: run-suite in its own process group
# (as under a terminal: SIGINT not ignored), its output in $tmp/NAME.log
start() {
	name=$1 res=$2
	shift 2
	setsid env --default-signal=INT $S/run-suite --mode "$MODE" --timeout 900 \
		--results "$res" --name "$name" "$@" > "$tmp/$name.log" 2>&1 &
	pid=$!
	runs="$runs $pid"
}

# wait_round RUN: until hmmbench has finished a round (results.json written
# twice) or run-suite has ended; records QEMU's pid in $qpid
wait_round() {
	n=0
	until grep -q 'round 1/' "$1/vm/stderr" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || break
		[ $n -lt 3000 ] || break
		sleep 0.2
		n=$((n + 1))
	done
	qpid=$(cat "$1/vm/qemu.pid" 2>/dev/null || true)
	qemus="$qemus $qpid"
}

# finish: run-suite's exit status in $rc
finish() {
	rc=0
	wait "$pid" || rc=$?
}

# check NAME RUN RESULTS WANT_RC REASON_RE JSON: run-suite ended with WANT_RC
# (or any non-zero: -) and its last line says REASON_RE; then the run's
# state: results.json with status JSON (or none: -), PARTIAL, latest and the
# earlier run as they were, no QEMU left
check() {
	name=$1 run=$2 res=$3 want=$4 re=$5 json=$6
	last=$(tail -n1 "$tmp/$name.log")
	if [ $rc -ne 0 ] && { [ "$want" = - ] || [ $rc -eq "$want" ]; } &&
		echo "$last" | grep -q -E "^run-suite: run failed: $re"; then
		t_report ok "$name: exit $rc, one line: $last"
	else
		t_report fail "$name: exit ${want#-} with /$re/" "exit $rc: $(tail -n 8 "$tmp/$name.log")"
	fi
	bad=""
	got=$(jq -r .status "$run/results.json" 2>/dev/null || echo -)
	[ "$got" = "$json" ] || bad="$bad results.json status '$got', want '$json';"
	if [ "$json" != - ] && ! bench/hmmbench validate "$run/results.json" > /dev/null 2>&1; then
		bad="$bad results.json does not validate;"
	fi
	[ ! -e "$run/results.json.tmp" ] || bad="$bad results.json.tmp left;"
	[ -e "$run/PARTIAL" ] || bad="$bad no PARTIAL;"
	[ "$(readlink "$res/latest")" = earlier ] || bad="$bad latest -> $(readlink "$res/latest");"
	(cd "$res" && sha256sum -c --quiet "$res.sum" > /dev/null 2>&1) || bad="$bad the earlier run changed;"
	[ "$(ls "$res" | LC_ALL=C sort | tr '\n' ' ')" = "$(printf 'earlier\nlatest\n%s\n' "$(basename "$run")" | LC_ALL=C sort | tr '\n' ' ')" ] ||
		bad="$bad other files in the results dir: $(ls "$res" | tr '\n' ' ');"
	for p in $qpid; do
		! grep -q -a "$run" "/proc/$p/cmdline" 2>/dev/null || bad="$bad QEMU $p still running;"
	done
	if [ -z "$bad" ]; then
		t_report ok "$name: results.json $json, PARTIAL says \"$(head -c 60 "$run/PARTIAL")...\", latest and the earlier run untouched, no QEMU left"
	else
		t_report fail "$name: partial, marked, nothing else touched" "$bad"
	fi
}

RESTORE="--bench restore --quick --param fault=exclusive"

# 1. QEMU killed (SIGKILL) while hmmbench runs in the guest
res=$tmp/kill
earlier "$res"
start qemu-killed "$res" -- $RESTORE --reps 50
wait_round "$res/qemu-killed"
[ -z "$qpid" ] || kill -KILL "$qpid"
finish
check qemu-killed "$res/qemu-killed" "$res" 1 "QEMU was killed by SIGKILL" partial

# 2. the results disk fills up during the run (a tmpfs; another writer
# takes the rest of it after the first round)
if [ "$(id -u)" -eq 0 ]; then
	disk=$tmp/disk
	mkdir -p "$disk"
	mount -t tmpfs -o size=4m hmmbench-faults "$disk" && mounted=$disk
	res=$disk/results
	earlier "$res"
	start disk-full "$res" -- $RESTORE --reps 6
	wait_round "$res/disk-full"
	dd if=/dev/zero of="$disk/filler" bs=64k 2> /dev/null
	finish
	rm -f "$disk/filler"
	check disk-full "$res/disk-full" "$res" 1 "results disk full \([0-9]+ KiB free on $disk\)" partial
	umount "$disk" && mounted=""
else
	t_report ok "disk-full # SKIP needs root to mount a tmpfs"
fi

# 3. the guest runs out of memory: 390 MiB marked on a node of 256 MiB
res=$tmp/oom
earlier "$res"
start guest-oom "$res" --mem 512 -- --bench mark --quick --param pages=100000 --param state=populated
wait_round "$res/guest-oom"
finish
check guest-oom "$res/guest-oom" "$res" 1 "the guest ran out of memory, the command exited 137 \(kernel said: .*Out of memory: Killed process [0-9]+ \(hmmbench\)" partial

# 4. SIGINT to run-suite's process group, as Ctrl-C in make run sends it:
# the guest interrupts hmmbench, which writes partial results; QEMU ends
res=$tmp/int
earlier "$res"
start sigint "$res" -- $RESTORE --reps 50
wait_round "$res/sigint"
kill -INT "-$pid"
finish
check sigint "$res/sigint" "$res" 130 "interrupted by SIGINT: the guest stopped the command \(exit 130\)" partial
if grep -q "hmmbench: interrupted by signal 2; partial results" "$res/sigint/vm/stderr" 2>/dev/null; then
	t_report ok "sigint: the guest's hmmbench caught SIGINT and wrote its partial results"
else
	t_report fail "sigint: the guest's hmmbench caught SIGINT" "$(tail -n 3 "$res/sigint/vm/stderr" 2>&1)"
fi

# a guest command that ignores the interrupt: QEMU still ends, after the
# grace period (5 s here), and vm-run says so
g=$tmp/grace
setsid env --default-signal=INT VM_RUN_GRACE=5 $S/vm-run --accel "$MODE" --timeout 300 \
	--kernel "$build/arch/x86/boot/bzImage" --out "$g" -- sh -c 'trap "" INT; sleep 600' \
	> "$tmp/grace.log" 2>&1 &
pid=$!
runs="$runs $pid"
n=0
until [ -e "$g/vm/watching" ] || [ $n -ge 1500 ] || ! kill -0 $pid 2>/dev/null; do sleep 0.2; n=$((n + 1)); done
sleep 1
qpid=$(cat "$g/vm/qemu.pid" 2>/dev/null || true)
qemus="$qemus $qpid"
kill -INT "-$pid"
finish
if [ $rc -eq 130 ] && tail -n1 "$tmp/grace.log" | grep -q "interrupted by SIGINT: QEMU stopped after 5s, before the guest reported a status" &&
	! grep -q -a "$g" "/proc/${qpid:-none}/cmdline" 2>/dev/null; then
	t_report ok "an interrupt the guest ignores: QEMU stopped after the grace period, exit 130"
else
	t_report fail "an interrupt the guest ignores: QEMU stopped after the grace period" "exit $rc: $(tail -n 3 "$tmp/grace.log")"
fi

# MODE=host
if [ -c /dev/hmm_dmirror0 ] || modprobe -n test_hmm > /dev/null 2>&1; then
	t_report ok "MODE=host refusal # SKIP this kernel has test_hmm"
else
	expect_fail "run-suite --mode host refuses a kernel without test_hmm" \
		"^run-suite: MODE=host: the running kernel $(uname -r) has no test_hmm \(.+\); use MODE=auto to run in a VM$" \
		$S/run-suite --mode host --results "$tmp/host"
	n=$(wc -l < "$T_LOG/err")
	$S/run-suite --mode host --results "$tmp/host" > /dev/null 2>&1
	rc=$?
	if [ $rc -eq 2 ] && [ "$n" -eq 1 ] && [ ! -e "$tmp/host" ]; then
		t_report ok "MODE=host refusal: exit 2, one line, nothing written"
	else
		t_report fail "MODE=host refusal: exit 2, one line, nothing written" "exit $rc, $n lines, $(ls "$tmp/host" 2>&1)"
	fi
	expect_fail "make run MODE=host refuses it too" "^run-suite: MODE=host: .* has no test_hmm" \
		make -s -o bench run MODE=host
fi
expect_fail "ab refuses MODE=host" "--mode host cannot do that" $S/ab --a none --b none --mode host
expect_fail "aa refuses MODE=host" "--mode host cannot do that" $S/aa --mode host

# where test_hmm is (the guest is such a host): the same layout, mode host,
# hmm-tests from the kernel tree given as --ksrc
h=$tmp/hostmode
mkdir -p "$h/ksrc/tools/testing/selftests/vm"
cp "$build/hmm-tests" "$h/ksrc/tools/testing/selftests/vm/"
$S/vm-run --accel "$MODE" --timeout 600 --kernel "$build/arch/x86/boot/bzImage" --out "$h" -- \
	$S/run-suite --mode host --ksrc "$h/ksrc" --results "$h/results" -- $RESTORE \
	> "$tmp/hostmode.log" 2>&1
rc=$?
r=$(ls -d "$h"/results/*-"$(jq -r .release "$build/build-info.json")"-host 2>/dev/null | head -n1)
if [ $rc -eq 0 ] && [ -n "$r" ] && [ "$(readlink "$h/results/latest")" = "$(basename "$r")" ] &&
	jq -e '.status == "complete" and .context.mode == "host" and
		.context.accelerator == "none" and .context.time_unit == "ns"' "$r/results.json" > /dev/null &&
	bench/hmmbench validate "$r/results.json" > /dev/null 2>&1 && [ -s "$r/summary.txt" ] &&
	grep -q 'hmm-tests .* passed' "$r/preflight.txt"; then
	t_report ok "run-suite --mode host where test_hmm is: results/$(basename "$r")/ complete, mode host, ns, hmm-tests from KSRC passed"
else
	t_report fail "run-suite --mode host where test_hmm is" "exit $rc, run '$r': $(tail -n 6 "$tmp/hostmode.log")"
fi

echo "# $(( $(date +%s) - t0 )) s"
t_done
