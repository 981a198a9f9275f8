#!/bin/sh
# Integration tests: the real kernel, built from source and booted in QEMU.
# Builds the default kernel (or reuses the cache), then checks the pipeline
# end to end and every bad input it must refuse.
T_NAME=integration
. "$(dirname "$0")/tap.sh"
MODE=${MODE:-auto}

echo "# building the default kernel (cached after the first time)"
start=$(date +%s)
build=$($S/kernel-build) || { echo "not ok 1 kernel-build"; echo "0 passed, 1 failed"; exit 1; }
t_report ok "kernel-build: $(jq -r .release "$build/build-info.json") in $(( $(date +%s) - start ))s"
kernel=$build/arch/x86/boot/bzImage
# MODE (make check MODE=icount) resolved once; icount runs one vCPU.
# A hang is a guest past tmo: TCG's guests slow down several times while
# make check's other lane builds a kernel on the same cores (a cold run's
# --quick run passed 300 s beside the 7.3 build), so both modes get 900 s.
MODE=$($S/vm-accel "$MODE" "$kernel") || { echo "not ok 2 vm-accel $MODE"; exit 1; }
vcpus=2 tmo=900
[ "$MODE" != icount ] || vcpus=1
echo "# mode $MODE"
vm() { $S/vm-run --accel "$MODE" --timeout $tmo --kernel "$kernel" "$@"; }

# the pipeline: command, stdout, stderr and exit status round trip
vm --out "$tmp/echo" -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 7' \
	> "$tmp/echo.out" 2> "$tmp/echo.err"
rc=$?
if [ $rc -eq 7 ] && grep -qx to-stdout "$tmp/echo.out" && grep -qx to-stderr "$tmp/echo.err" &&
	[ -s "$tmp/echo/vm/console.log" ]; then
	t_report ok "vm-run returns stdout, stderr, exit status and the console log"
else
	t_report fail "vm-run round trip" "rc=$rc out=$(cat "$tmp/echo.out") err=$(tail -n3 "$tmp/echo.err")"
fi

vm --out "$tmp/write" -- sh -c 'echo from-guest > "$HMMBENCH_OUT/file"' > /dev/null 2>&1
if [ "$(cat "$tmp/write/file" 2>/dev/null)" = from-guest ]; then
	t_report ok "the guest writes the shared results directory"
else
	t_report fail "the guest writes the shared results directory"
fi

vm --out "$tmp/numa" -- sh -c 'ls -d /sys/devices/system/node/node* | wc -l; nproc' \
	> "$tmp/numa.out" 2>/dev/null
if [ "$(tr '\n' ' ' < "$tmp/numa.out")" = "2 $vcpus " ]; then
	t_report ok "the default guest has 2 NUMA nodes and $vcpus vCPU(s) ($MODE)"
else
	t_report fail "2 NUMA nodes and $vcpus vCPU(s) ($MODE)" "got: $(cat "$tmp/numa.out")"
fi

expect_ok "preflight passes: test_hmm, config, hmm-tests" \
	vm --out "$tmp/preflight" -- scripts/preflight "$build/hmm-tests"
grep '^preflight:' "$T_LOG/out" 2>/dev/null | sed 's/^/# /'

expect_ok "icount mode boots and runs a command" \
	vm --accel icount --out "$tmp/icount" -- sh -c 'test "$HMMBENCH_MODE" = icount'

# a short real run of every benchmark, each verifying what it measured
# (mark is the HMM_DMIRROR_EXCLUSIVE round trip: marked, CHECK_EXCLUSIVE,
# data copied back intact)
expect_ok "hmmbench run --quick: mark, restore, fork verified in the guest" \
	vm --kernel-info "$build/build-info.json" --out "$tmp/quick" -- \
	bench/hmmbench run --quick --out "$tmp/quick/results.json"
r=$tmp/quick/results.json
expect_ok "the results validate against the schema" bench/hmmbench validate "$r"
for b in mark restore fork; do
	n=$(jq --arg b $b '[.benchmarks[] | select(.name == $b) | .points[] |
		select(.status == "ok")] | length' "$r" 2>/dev/null)
	if [ "${n:-0}" -gt 0 ] && [ "$(jq -r .status "$r")" = complete ]; then
		t_report ok "$b: $n points ok, run complete"
	else
		t_report fail "$b has ok points in a complete run" "ok points: ${n:-none}"
	fi
done
thp=$(jq -r '[.benchmarks[] | select(.name == "mark") | .points[] |
	select(.params.state == "thp" and .params.pages >= 512)][0] | "\(.status): \(.reason)"' "$r")
case $thp in
"unsupported: EBUSY"*) t_report ok "mark on THP is unsupported on 6.1, with the reason ($thp)" ;;
*) t_report fail "mark on THP is unsupported on 6.1" "got: $thp" ;;
esac
if jq -e '.context.perf_events | (.supported | length > 0) and
	all(.unsupported[]; (.reason | length) > 0)' "$r" > /dev/null; then
	t_report ok "perf events: $(jq -r '.context.perf_events.unsupported | map(.event) | join(", ")' "$r") recorded as unsupported, with reasons"
else
	t_report fail "perf events recorded as supported or unsupported with a reason"
fi
# every region is one sample, kept or set apart for the interrupts in it
sp=$(jq -r '.context.timed_regions | "\(.policy), interrupted \(.interrupted)"' "$r" 2>/dev/null)
if [ "$sp" = "SCHED_FIFO, interrupted set apart" ] &&
	jq -e '[.benchmarks[].points[] | select(.status == "ok")] | length > 0 and
		all(.[]; (.samples | length) >= 1 and .stats.n == (.samples | length) and
		    (.samples | length) + (.interrupted.samples | length) == .counters.regions)' "$r" > /dev/null; then
	t_report ok "timed regions: $sp; every ok point's kept and set-apart samples are its regions, stats of the kept ($(jq '[.benchmarks[].points[].interrupted.samples // [] | length] | add' "$r") set apart)"
else
	t_report fail "timed regions as SCHED_FIFO, interrupted samples set apart" "$sp"
fi
# a mark's region takes no user page fault: with a forked child sharing the
# harness's pages, its own store after the clock read once did (a page copy)
pf=$(jq -r '[.benchmarks[] | select(.name == "mark") | .points[] | select(.status == "ok") |
	.counters.per_op["exceptions:page_fault_user"] // empty] | "\(length) \(if (max // 0) < 0.5 then 0 else max end)"' "$r" 2>/dev/null)
case $pf in
0\ *|"") t_report fail "mark's regions take no user page fault" "exceptions:page_fault_user not counted" ;;
*\ 0) t_report ok "mark's regions take no user page fault (${pf%% *} points, the shared state's forked child included)" ;;
*) t_report fail "mark's regions take no user page fault" "points, most per op: $pf" ;;
esac
expect_ok "restore's reference faults are in the same run" \
	jq -e '[.benchmarks[] | select(.name == "restore") | .points[] | .params.fault] |
		(index("exclusive") != null) and (index("minor") != null) and (index("anon") != null)' "$r"

# revoke and migrate on the instrumented kernel (tracepoints, invalidate
# delay, NOCOPY): every point verified, the key metrics there
echo "# building the kernel with kernel-patches/test_hmm-instrumentation (cached after the first time)"
start=$(date +%s)
ibuild=$($S/kernel-build --patches kernel-patches/test_hmm-instrumentation)
if [ -n "$ibuild" ] && [ -f "$ibuild/arch/x86/boot/bzImage" ]; then
	t_report ok "kernel-build --patches test_hmm-instrumentation in $(( $(date +%s) - start ))s"
else
	t_report fail "kernel-build --patches test_hmm-instrumentation"
fi
r=$tmp/instr/results.json
expect_ok "hmmbench run --quick: revoke, migrate on the instrumented kernel" \
	$S/vm-run --accel "$MODE" --timeout $tmo --kernel "$ibuild/arch/x86/boot/bzImage" \
	--kernel-info "$ibuild/build-info.json" --out "$tmp/instr" -- \
	bench/hmmbench run --bench revoke --bench migrate --quick --out "$r"
expect_ok "revoke, migrate: the results validate, status complete" \
	sh -c 'bench/hmmbench validate "$1" && jq -e ".status == \"complete\"" "$1"' sh "$r"
n=$(jq '[.benchmarks[].points[] | select(.status != "ok")] | length' "$r" 2>/dev/null)
if [ "${n:-1}" -eq 0 ]; then
	t_report ok "revoke, migrate: every point ok on the instrumented kernel"
else
	t_report fail "revoke, migrate: every point ok on the instrumented kernel" \
		"$(jq -r '.benchmarks[].points[] | select(.status != "ok") | "\(.params): \(.reason)"' "$r" 2>&1 | head -n 5)"
fi
# the split of a traced revoke, what tracing costs, the sanity check's terms
for probe in tracepoint kprobe; do
	expect_ok "revoke probe=$probe: components, tracing overhead, probe cost, unexplained" \
		jq -e --arg p $probe '[.benchmarks[] | select(.name == "revoke") | .points[] |
		select(.params.case == "revoke" and .params.probe == $p) |
		(.metrics | keys) + (.series | keys)] |
		length > 0 and all(.[]; (map(select(test("_(to_invalidate_start|in_invalidate|invalidate_end_to_done|components_sum|probe_cost|unexplained)$|^tracing_overhead_"))) | length) >= 7)' "$r"
done
expect_ok "revoke pingpong: cycles per unit of time" \
	jq -e '[.benchmarks[] | select(.name == "revoke") | .points[] | select(.params.case != "revoke") |
		.metrics | has("cycles_per_s") or has("cycles_per_ginstruction")] | length > 0 and all' "$r"
expect_ok "migrate: every exclusive-against-migrate ratio in the summary" \
	jq -e '["mark_vs_to_dev", "mark_nocopy_vs_to_dev", "restore_vs_migrate_to_ram",
		"restore_vs_to_sys", "fork_exclusive_vs_private"] - [.benchmarks[] |
		select(.name == "migrate") | .summary[] | select(.numerator) | .name] == []' "$r"
expect_ok "hmmbench summary prints the ratio table" \
	sh -c 'bench/hmmbench summary "$1" | grep -q "^migrate ratios"' sh "$r"
dly=$($S/vm-run --accel "$MODE" --timeout $tmo --kernel "$ibuild/arch/x86/boot/bzImage" \
	--out "$tmp/delay" -- sh -c 'bench/hmmbench run --bench revoke --quick --param case=revoke \
	--param probe=none --param delay_ns=100000 --out "$HMMBENCH_OUT/r.json" >/dev/null 2>&1;
	cat /sys/module/test_hmm/parameters/invalidate_delay_ns' 2>/dev/null)
if [ "$dly" = 0 ]; then
	t_report ok "revoke restores invalidate_delay_ns to 0"
else
	t_report fail "revoke restores invalidate_delay_ns to 0" "read back: '$dly'"
fi

# on the plain kernel: kprobes stand in for the tracepoints, or the points
# say why not; never a crash
r=$tmp/plain/results.json
expect_ok "hmmbench run --quick revoke on the plain kernel" \
	vm --kernel-info "$build/build-info.json" --out "$tmp/plain" -- \
	bench/hmmbench run --bench revoke --quick --param case=revoke --param delay_ns=0 --out "$r"
tp=$(jq -r '[.benchmarks[].points[] | select(.params.probe == "tracepoint")][0] | "\(.status): \(.reason)"' "$r" 2>/dev/null)
case $tp in
"unsupported: no test_hmm tracepoints"*) t_report ok "plain kernel: tracepoint points unsupported, with the reason" ;;
*) t_report fail "plain kernel: tracepoint points unsupported, with the reason" "got: $tp" ;;
esac
kp=$(jq -r '[.benchmarks[].points[] | select(.params.probe == "kprobe")][0] |
	if .status == "ok" then (if .series | keys | any(test("^(ns|instructions)_in_invalidate$"))
	then "ok" else "ok without in_invalidate" end) else "\(.status): \(.reason)" end' "$r" 2>/dev/null)
case $kp in
ok) t_report ok "plain kernel: the kprobe fallback measured the revoke" ;;
"unsupported: "?*) t_report ok "plain kernel: the kprobe fallback is unsupported, with the reason ($kp)" ;;
*) t_report fail "plain kernel: kprobe fallback works or says why not" "got: $kp" ;;
esac

# pingpong without NOCOPY (0003): the device thread's EINVAL must reach the
# CPU thread before it waits for a cycle the device will never take (CI hung
# 900 s on that race; before the fix, 2 guests of 2 hung on the first run)
vm --out "$tmp/pp" -- sh -c 'for i in $(seq 20); do
	timeout -s KILL 60 bench/hmmbench run --bench revoke --quick --param case=pingpong \
		--param probe=none --param delay_ns=0 --out "$HMMBENCH_OUT/$i.json" 2>/dev/null
	echo "exit $?"; done' > "$tmp/pp.out" 2>&1
n=$(cat "$tmp"/pp/*.json 2>/dev/null | jq -s '[.[].benchmarks[].points[] |
	select(.status == "unsupported" and (.reason | test("NOCOPY: EINVAL")))] | length')
if [ "$(grep -c '^exit 0$' "$tmp/pp.out")" = 20 ] && [ "$n" = 20 ]; then
	t_report ok "plain kernel: pingpong unsupported (no NOCOPY) in 20 runs of 20, none hung"
else
	t_report fail "plain kernel: pingpong unsupported in 20 runs, none hung" \
		"$(sort "$tmp/pp.out" | uniq -c | tr '\n' ' '); $n unsupported with the reason"
fi

# a second signal ends a run whose pass does not return (a hang ignores the
# first): both pending while it is stopped, the second finds the first's
vm --out "$tmp/twice" -- sh -c 'bench/hmmbench run --bench restore --quick --out "$HMMBENCH_OUT/r.json" \
	2> "$HMMBENCH_OUT/err" & p=$!
	while ! grep -q "round 1/" "$HMMBENCH_OUT/err" && kill -0 $p; do sleep 0.2; done
	kill -STOP $p; kill -TERM $p; kill -INT $p; kill -CONT $p; wait $p; echo "exit $?"' \
	> "$tmp/twice.out" 2>&1
st=$(jq -r .status "$tmp/twice/r.json" 2>/dev/null)
if grep -Eq '^exit (130|143)$' "$tmp/twice.out" && [ "$st" = partial ] &&
	grep -q "a second signal: exiting now" "$tmp/twice/err"; then
	t_report ok "a second signal exits at once, results as last written (partial)"
else
	t_report fail "a second signal exits at once" "$(grep '^exit' "$tmp/twice.out"), status $st: $(tail -n 2 "$tmp/twice/err")"
fi

# a kernel report in the log while a benchmark runs fails it, whatever the
# report (config/kernel-reports: KASAN, UBSAN, Bad page ... as vm-run knows)
r=$tmp/kasan/results.json
vm --out "$tmp/kasan" -- sh -c 'bench/hmmbench run --bench restore --quick --out "$1" &
	p=$!
	until grep -q "\"points\"" "$1" 2>/dev/null; do sleep 0.1; done
	echo "KASAN: use-after-free planted by hmmbench tests/integration.sh (not a kernel report)" > /dev/kmsg
	wait $p' sh "$r" > "$tmp/kasan.log" 2>&1
w=$(jq -r '[.benchmarks[].kernel_warnings[]] | .[0] // ""' "$r" 2>/dev/null)
if [ "$(jq -r .status "$r" 2>/dev/null)" = failed ] && echo "$w" | grep -q 'KASAN: use-after-free planted'; then
	t_report ok "a KASAN line in dmesg fails the benchmark: $(echo "$w" | cut -c1-60)"
else
	t_report fail "a KASAN line in dmesg fails the benchmark" "status $(jq -r .status "$r" 2>&1), warnings '$w'"
fi

# a profiled run on the newest kernel: 7.x maps perf's ring buffer
# VM_PFNMAP, and a write from it to the 9p run directory failed (EFAULT):
# every BENCH.data held no data and scripts/profile made a profile of 0
# samples of it. Then a perf that fails, and a profile with no samples in
# its regions: each one line, never a thin profile.
echo "# the newest kernel with the instrumentation (cached after the first time; tests/kernels.sh builds it too)"
if nbuild=$($S/kernel-build --kernel newest --patches kernel-patches/test_hmm-instrumentation 2> "$tmp/nbuild.log"); then
	p=$tmp/prof
	$S/vm-run --accel icount --timeout $tmo --kernel "$nbuild/arch/x86/boot/bzImage" \
		--kernel-info "$nbuild/build-info.json" --out "$p" -- sh -c '
		bench/hmmbench run --bench restore --quick --profile "$HMMBENCH_OUT/p" \
			--out "$HMMBENCH_OUT/results.json" 2> "$HMMBENCH_OUT/run.err"
		echo "exit $?" > "$HMMBENCH_OUT/run.rc"
		mkdir "$HMMBENCH_OUT/fake"
		printf "#!/bin/sh\necho \"perf: a fake that fails\" >&2\nexit 3\n" > "$HMMBENCH_OUT/fake/perf"
		chmod +x "$HMMBENCH_OUT/fake/perf"
		PATH=$HMMBENCH_OUT/fake:$PATH bench/hmmbench run --bench restore --quick \
			--profile "$HMMBENCH_OUT/q" --out "$HMMBENCH_OUT/q.json" 2> "$HMMBENCH_OUT/fake.err"
		echo "exit $?" > "$HMMBENCH_OUT/fake.rc"' > "$tmp/prof.log" 2>&1
	rel=$(jq -r .release "$nbuild/build-info.json")
	said=$(grep -- '--profile: .*samples in' "$p/run.err")
	if [ "$(cat "$p/run.rc" 2>/dev/null)" = "exit 0" ] && [ -n "$said" ] &&
		$S/profile "$p/p" > /dev/null 2> "$tmp/profile.err" &&
		n=$(jq -e '.benchmarks.restore.samples | select(. > 0)' "$p/p/profile.json"); then
		t_report ok "$rel, icount: a profiled quick restore records samples ($n in its timed regions; ${said#hmmbench: restore: --profile: })"
	else
		t_report fail "$rel, icount: a profiled quick restore records samples" \
			"$(cat "$p/run.rc" 2>/dev/null); $(grep -e '--profile' "$p/run.err" 2>/dev/null); $(tail -n 1 "$tmp/profile.err" 2>/dev/null)$(t_guest_tail "$p")"
	fi
	if [ "$(cat "$p/fake.rc" 2>/dev/null)" = "exit 2" ] && [ "$(wc -l < "$p/fake.err")" -le 2 ] &&
		grep -q -- '--profile .*perf record exited with status 3; it said "perf: a fake that fails"' "$p/fake.err"; then
		t_report ok "a perf that fails ends a profiled run before its benchmarks: $(tail -n 1 "$p/fake.err" | cut -c1-110)"
	else
		t_report fail "a perf that fails ends a profiled run, saying why" "$(cat "$p/fake.rc" 2>/dev/null): $(tail -n 3 "$p/fake.err" 2>/dev/null)"
	fi
	# the same profile, its regions moved to where nothing was sampled
	echo "1 2 0" > "$p/p/restore.ranges"
	expect_fail "scripts/profile refuses a benchmark with no samples in its timed regions" \
		"^profile: restore: no samples in its timed regions \\(1\\) in $p/p/restore.data" \
		$S/profile "$p/p"
else
	t_report fail "kernel-build --kernel newest --patches test_hmm-instrumentation" "$(tail -n 5 "$tmp/nbuild.log")"
fi

# the runner's own bad inputs
expect_fail "hmmbench without test_hmm" "/dev/hmm_dmirror0 missing" \
	bench/hmmbench run --bench mark --out "$tmp/host.json"
expect_fail "hmmbench with a bad parameter" "no selected benchmark has a parameter" \
	bench/hmmbench run --bench mark --param nosuch=1
expect_fail "hmmbench with an unknown benchmark" "no benchmark 'nosuch'" \
	bench/hmmbench run --bench nosuch

# bad inputs: each a clear one-line error and a non-zero exit
expect_fail "KSRC that is not a kernel tree" "is not a kernel source tree" \
	$S/kernel-build --ksrc "$tmp"
n_before=$(ls "${HMMBENCH_CACHE:-$HOME/.cache/hmmbench}/src" | wc -l)
expect_fail "a patch that does not apply" "0002-does-not-apply.patch does not apply" \
	$S/kernel-build --patches tests/fixtures/series-bad
n_after=$(ls "${HMMBENCH_CACHE:-$HOME/.cache/hmmbench}/src" | wc -l)
if [ "$n_before" -eq "$n_after" ]; then
	t_report ok "a failed series leaves no patched tree behind"
else
	t_report fail "a failed series leaves no patched tree behind" "$n_before -> $n_after trees"
fi
printf 'CONFIG_TEST_HMM=y\nCONFIG_KVM_INTEL=y\n' > "$tmp/bad.config"
expect_fail "a config option that cannot be set" "not set in the final .config.*CONFIG_KVM_INTEL=y" \
	$S/kernel-config "$(scripts/kernel-source)" "$tmp/kbuild" "$tmp/bad.config"
expect_fail "no qemu" "not found: install qemu-system-x86" \
	env QEMU=/nonexistent/qemu-system-x86_64 $S/vm-run --kernel "$kernel" -- true
expect_fail "a missing bzImage" "does not exist" \
	$S/vm-run --kernel "$tmp/no-such-bzImage" -- true
expect_fail "a guest that panics" "guest kernel failed: .*Kernel panic.*console log" \
	vm --init /nonexistent-init --out "$tmp/panic" -- true
expect_fail "a guest that hangs past its timeout" "guest hung: no exit after 20s" \
	$S/vm-run --accel "$MODE" --timeout 20 --kernel "$kernel" --out "$tmp/hang" -- sleep 600
expect_fail "bad vm-run parameters" "take positive integers" \
	$S/vm-run --kernel "$kernel" --cpus two -- true

t_done
