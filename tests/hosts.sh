#!/bin/sh
# Campaigns over ssh (--hosts, scripts/hosts, docs/ab.md "Beyond one
# machine"), against this machine itself: two sshd started here on
# loopback ports with throwaway keys, one login each (an ssh config host),
# two workers with trees and kernel caches of their own ($HMMBENCH_WORKER,
# $HMMBENCH_CACHE, set by each login). It checks:
# - prepare copies the tree, builds it there and warms the cache; check
#   passes, and refuses a worker whose tree differs, or that is down,
#   naming it;
# - an icount A/A campaign (scripts/aa --hosts) runs its boots on both
#   workers, the rounds come back into the same layout as a local run,
#   each naming the worker that ran it, and aa gates them as usual; the
#   same A/A run here gives the same counts (its verdicts may differ: a
#   tail row of one round steps by boot, as any A/A campaign shows, and
#   2 pairs of 1 round carry no rule; campaigns measure that rate);
# - a worker that dies mid-campaign (its sshd killed) loses only its job,
#   which the other worker runs; the campaign completes;
# - a job that fails everywhere ends the campaign partial, exit 2, naming
#   it, with what completed kept.
# icount, the restore benchmark with --quick.
T_NAME=hosts
. "$(dirname "$0")/tap.sh"
INSTR=kernel-patches/test_hmm-instrumentation
RUN="--bench restore --quick"

command -v sshd > /dev/null || command -v /usr/sbin/sshd > /dev/null || {
	t_report fail "sshd is installed" "scripts/deps.sh installs openssh-server"; t_done; exit 1; }
command -v parallel > /dev/null || { t_report fail "GNU parallel is installed" "scripts/deps.sh installs it"; t_done; exit 1; }

# two sshd, each on a free loopback port, keys and config in $tmp
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/key"
cp "$tmp/key.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"
mkdir -p /run/sshd	# sshd's privilege separation directory
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start_sshd() { # N: sshd N, a login "wN" for it in $tmp/ssh_config
	port=$(free_port) || return 1
	cat > "$tmp/sshd-$1.conf" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $tmp/hostkey
AuthorizedKeysFile $tmp/authorized_keys
PidFile $tmp/sshd-$1.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AcceptEnv HMMBENCH_WORKER HMMBENCH_HOST HMMBENCH_CACHE
EOF
	/usr/sbin/sshd -f "$tmp/sshd-$1.conf" -E "$tmp/sshd-$1.log" || return 1
	# a worker of its own: its tree, its name, its kernel cache
	cat >> "$tmp/ssh_config" <<EOF
Host w$1
  HostName 127.0.0.1
  Port $port
  User $(id -un)
  IdentityFile $tmp/key
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  SetEnv HMMBENCH_WORKER=$tmp/w$1 HMMBENCH_HOST=worker$1 HMMBENCH_CACHE=$tmp/cache$1
EOF
}
cleanup() {
	for n in 1 2; do
		[ ! -f "$tmp/sshd-$n.pid" ] || kill "$(cat "$tmp/sshd-$n.pid")" 2>/dev/null
	done
	pkill -f "qemu-system.*$tmp/w" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
if start_sshd 1 && start_sshd 2; then
	t_report ok "two sshd on 127.0.0.1, logins w1 and w2 ($tmp/ssh_config)"
else
	t_report fail "sshd started" "$(cat "$tmp"/sshd-*.log 2>/dev/null | tail -n 5)"
	t_done
	exit 1
fi
login() { echo "ssh -F $tmp/ssh_config w$1"; }
printf '1/%s\n1/%s\n' "$(login 1)" "$(login 2)" > "$tmp/hosts"

key=$(basename "$($S/kernel-build --patches $INSTR 2> "$tmp/build.log")") ||
	{ t_report fail "the instrumented kernel" "$(tail -n 3 "$tmp/build.log")"; t_done; exit 1; }

# --- workers ---
expect_fail "check refuses workers never prepared, naming them" "worker '.* w1': its hmmbench tree" \
	$S/hosts check "$tmp/hosts" "$key"
start=$(date +%s)
expect_ok "prepare: both workers get the tree, built, and kernel $key" $S/hosts prepare "$tmp/hosts" "$key"
[ -x "$tmp/w2/bench/hmmbench" ] && [ -x "$tmp/w2/tools/hmmbench-compare" ] &&
	t_report ok "a prepared worker has its own bench/hmmbench and tools ($(( $(date +%s) - start )) s)" ||
	t_report fail "a prepared worker has its own binaries" "$(ls "$tmp/w2/bench" | head)"
expect_ok "check: both ready" $S/hosts check "$tmp/hosts" "$key"
echo "# a local change" >> "$tmp/w2/scripts/lib.sh"
expect_fail "check refuses a worker whose tree differs, naming it" "worker '.* w2': its hmmbench tree .* is not this one" \
	$S/hosts check "$tmp/hosts" "$key"
expect_ok "prepare puts it right" $S/hosts prepare "$tmp/hosts" "$key"

# --- an A/A campaign over both ---
start=$(date +%s)
$S/aa --mode icount --pairs 2 --rounds 1 $RUN --patches $INSTR --hosts "$tmp/hosts" --write "$tmp/thr" \
	--out "$tmp/aa" > "$tmp/aa.out" 2> "$tmp/aa.err"
rc=$?
hosts_used=$(jq -r '.context.host' "$tmp"/aa/pair-*/*/round-*/results.json 2>/dev/null | sort -u | tr '\n' ' ')
n=$(ls "$tmp"/aa/pair-*/*/round-*/results.json 2>/dev/null | wc -l)
# gated: 0 or 1 (a pair flagged), never 2, could not compare
if [ $rc -le 1 ] && [ "$n" -eq 4 ] && [ "$hosts_used" = "worker1 worker2 " ] &&
	[ "$(jq -r '.hosts | join(" ")' "$tmp/aa/aa.json")" = "worker1 worker2" ]; then
	t_report ok "aa --hosts: 4 boots on worker1 and worker2, back in pair-P/{x,y}/round-K, gated ($(cat "$tmp/aa.out")) in $(( $(date +%s) - start )) s"
else
	t_report fail "aa --hosts" "exit $rc, $n rounds, hosts '$hosts_used': $(tail -n 5 "$tmp/aa.err")"
fi
# the same A/A on this machine: gated too, and the same figures.
# icount counts repeat across boots to the instruction (restore's per
# access cost; the meter's timer-overhead correction moves the decimals),
# wherever the guest ran
$S/aa --mode icount --pairs 2 --rounds 1 $RUN --patches $INSTR --jobs 2 --write "$tmp/thr-local" \
	--out "$tmp/aa-local" > "$tmp/aa-local.out" 2> "$tmp/aa-local.err"
rc_local=$?
figures() { # DIR: restore's instructions per access, rounded, per point, over its rounds
	jq -r '.benchmarks[] | select(.name == "restore") | .points[] | select(.status == "ok") |
		"\(.params | tostring) \(.metrics.instructions_per_access.value | round)"' "$1"/pair-*/*/round-*/results.json | sort -u
}
verdicts() { jq -c '[.per_pair[] | [.gate_status, .metrics_not_ok]]' "$1/aa.json"; }
if [ $rc_local -le 1 ] && [ "$(verdicts "$tmp/aa-local" | jq length)" = 2 ] &&
	[ -n "$(figures "$tmp/aa")" ] && [ "$(figures "$tmp/aa-local")" = "$(figures "$tmp/aa")" ]; then
	t_report ok "the same A/A locally: gated ($(cat "$tmp/aa-local.out"); workers: $(cat "$tmp/aa.out")), restore's $(figures "$tmp/aa" | wc -l) per-point instruction counts identical"
else
	t_report fail "the same A/A locally gives what the workers gave" \
		"exit $rc_local vs $rc; '$(cat "$tmp/aa-local.out")' vs '$(cat "$tmp/aa.out")'; $(figures "$tmp/aa-local" | diff - "$(figures "$tmp/aa" > "$tmp/fig-hosts"; echo "$tmp/fig-hosts")" | head -n 6)"
fi
if awk -F '\t' 'NR > 1 { print $2 }' "$tmp/aa/joblog" | grep -q 'w1$' &&
	awk -F '\t' 'NR > 1 { print $2 }' "$tmp/aa/joblog" | grep -q 'w2$'; then
	t_report ok "the joblog records which worker ran each boot"
else
	t_report fail "the joblog names the workers" "$(cut -f2 "$tmp/aa/joblog" | sort | uniq -c)"
fi

# --- a worker dies mid-campaign: its job runs on the other ---
start=$(date +%s)
$S/aa --mode icount --pairs 2 --rounds 1 $RUN --patches $INSTR --hosts "$tmp/hosts" --write "$tmp/thr2" \
	--out "$tmp/aa2" > "$tmp/aa2.out" 2> "$tmp/aa2.err" &
aa=$!
# once worker 2 runs a guest, kill its sshd, its session and that guest
i=0
while [ $i -lt 600 ] && ! pgrep -f "qemu-system.*$tmp/w2" > /dev/null; do
	sleep 1
	i=$((i + 1))
done
killed=""
pgrep -f "qemu-system.*$tmp/w2" > /dev/null && killed=yes
pid2=$(cat "$tmp/sshd-2.pid")
pkill -P "$pid2" 2>/dev/null
kill "$pid2" 2>/dev/null
pkill -f "qemu-system.*$tmp/w2" 2>/dev/null
wait $aa
rc=$?
n=$(ls "$tmp"/aa2/pair-*/*/round-*/results.json 2>/dev/null | wc -l)
# the joblog has the attempt that succeeded: worker 1 ran the killed job
on1=$(awk -F '\t' 'NR > 1 && $2 ~ /w1$/' "$tmp/aa2/joblog" | wc -l)
# gated (0, or 1 if a pair flagged): a one-round A/A's verdict is not
# what this checks, as above
if [ $rc -le 1 ] && [ "$n" -eq 4 ] && [ -n "$killed" ] && [ "$on1" -ge 3 ]; then
	t_report ok "a worker killed mid-campaign: its job ran again on the other ($on1 of 4 boots on worker 1), all 4 rounds back in $(( $(date +%s) - start )) s"
else
	t_report fail "a worker killed mid-campaign" "exit $rc, $n rounds, killed '${killed:-no guest seen}', $on1 on worker 1: $(tail -n 4 "$tmp/aa2.err"; cut -f2,7 "$tmp/aa2/joblog" 2>/dev/null)"
fi
expect_fail "check names the worker that is down" "worker '.* w2' is unreachable" \
	$S/hosts check "$tmp/hosts" "$key"

# --- a job that fails everywhere: partial, named, the rest kept ---
printf '1/%s\n' "$(login 1)" > "$tmp/hosts1"
ab=$(scripts/kernel-build --patches "$INSTR kernel-patches/canary" 2>/dev/null) || true
$S/ladder --mode icount --canary restore --k 0 --rounds 1 $RUN --no-profile --hosts "$tmp/hosts1" \
	--out "$tmp/ladder" > "$tmp/ladder.out" 2> "$tmp/ladder.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "worker '.* w1': kernel .* is missing" "$tmp/ladder.err"; then
	t_report ok "ladder --hosts with a worker lacking the kernel: refused before any boot, exit 2"
else
	t_report fail "ladder refuses an unprepared worker" "exit $rc: $(tail -n 3 "$tmp/ladder.err")"
fi
printf 'pair-1/x/round-1\t"$HMMBENCH_WORKER"/scripts/boot-round 0000000000000000 icount 60 "" pair-1/x/round-1\n' > "$tmp/jobs"
mkdir -p "$tmp/partial" && cp "$tmp/jobs" "$tmp/partial/jobs"
(. scripts/lib.sh; HMMBENCH_RETRIES=1 run_jobs "$tmp/partial" 1 "$tmp/hosts1") 2> "$tmp/partial.err"
rc=$?
if [ $rc -eq 1 ] && grep -q '^pair-1/x/round-1: .* exit 1' "$tmp/partial/jobs-failed"; then
	t_report ok "a job that fails on every try is named in jobs-failed: $(head -n 1 "$tmp/partial/jobs-failed")"
else
	t_report fail "run_jobs names a job that failed for good" "exit $rc: $(cat "$tmp/partial/jobs-failed" 2>/dev/null; tail -n 3 "$tmp/partial.err")"
fi
t_done
