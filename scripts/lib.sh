# Shared shell helpers for hmmbench scripts (sourced, not run).
HMMBENCH_CACHE=${HMMBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hmmbench}
HMMBENCH_TOP=$(cd "$(dirname "$0")/.." && pwd)
PROG=$(basename "$0")

# exits 1, or DIE_STATUS where 1 means something else (scripts/ab: the gate's
# "regression"; there an error is 2, "cannot compare")
die() {
	echo "$PROG: $*" >&2
	exit "${DIE_STATUS:-1}"
}

log() {
	echo "$PROG: $*" >&2
}

# the accelerators a VM runs under, the one list (the runner's modes, with
# host, are lib/results.h's); auto is KVM if a KVM guest boots, else TCG
VM_MODES="auto kvm tcg icount"

# mode_ok MODE: whether MODE is one of VM_MODES
mode_ok() {
	case " $VM_MODES " in *" $1 "*) return 0 ;; esac
	return 1
}

# mode_check MODE: dies unless mode_ok MODE, naming the list
mode_check() {
	mode_ok "$1" || die "--mode must be one of $(echo "$VM_MODES" | sed 's/ /, /g'), got '$1'"
}

# hmmbench-compare gate's exit statuses (tools/compare.h, HB_GATE_*)
GATE_PASS=0 GATE_REGRESSED=1 GATE_ERROR=2 GATE_INCONCLUSIVE=3

# compare_cmd: the path of tools/hmmbench-compare ($HMMBENCH_COMPARE for
# another), built first if it is missing; fails with the reason on stderr
compare_cmd() {
	_cmp=${HMMBENCH_COMPARE:-$HMMBENCH_TOP/tools/hmmbench-compare}
	if [ ! -x "$_cmp" ]; then
		make -s -C "$HMMBENCH_TOP/tools" >&2 || { log "building tools/ failed"; return 1; }
		[ -x "$_cmp" ] || { log "$_cmp not built: run 'make -C tools'"; return 1; }
	fi
	echo "$_cmp"
}

# sha256 of stdin, first 16 hex digits: short enough for a path
short_hash() {
	sha256sum | cut -c1-16
}

# boot_round BUILD ACCEL TIMEOUT APPEND DIR [HMMBENCH_RUN_ARG...]
# One boot of the kernel built in BUILD (scripts/kernel-build) running
# 'bench/hmmbench run ARG...' into DIR/results.json: vm-run's output in
# DIR/vm-run.log, the console in DIR/vm/, the guest's /proc/cmdline in
# DIR/cmdline. Run it from a directory the guest sees (not under /tmp).
# Returns 0 if the run is complete; else 1, with vm-run's status in
# BOOT_RC and the results' status (or "missing") in BOOT_STATUS.
boot_round() {
	_build=$1 _accel=$2 _timeout=$3 _append=$4 _dir=$5
	shift 5
	mkdir -p "$_dir"
	BOOT_RC=0
	# shellcheck disable=SC2016  # expanded by the guest's shell
	"$HMMBENCH_TOP/scripts/vm-run" --accel "$_accel" --timeout "$_timeout" \
		--kernel "$_build/arch/x86/boot/bzImage" --kernel-info "$_build/build-info.json" \
		--append "$_append" --out "$_dir" -- sh -c \
		'cat /proc/cmdline > "$HMMBENCH_OUT/cmdline"; exec "$0" run --out "$HMMBENCH_OUT/results.json" "$@"' \
		"$HMMBENCH_TOP/bench/hmmbench" "$@" > "$_dir/vm-run.log" 2>&1 || BOOT_RC=$?
	BOOT_STATUS=$(jq -r '.status // "missing"' "$_dir/results.json" 2>/dev/null || echo missing)
	[ "$BOOT_RC" -eq 0 ] && [ "$BOOT_STATUS" = complete ]
}

# kernel_family SRC: "MAJOR.MINOR" of the kernel tree SRC, from its Makefile
kernel_family() {
	awk '$1 == "VERSION" { v = $3 } $1 == "PATCHLEVEL" { p = $3 }
		END { if (v == "" || p == "") exit 1; print v "." p }' "$1/Makefile"
}

# release_family RELEASE: the family of a kernel release, its MAJOR.MINOR
# ("6.1.192" -> "6.1"), as the thresholds' settings name it
release_family() {
	echo "$1" | sed -n 's/^\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p'
}

# jobs_check JOBS HOSTS ACCEL: dies unless JOBS guests at once, or boots
# on the workers of HOSTS, suit ACCEL: only icount, whose counts depend on
# neither host load nor the machine (a timing mode's guests would time
# each other, and its rounds from several machines would not compare)
jobs_check() {
	[ -z "$1" ] || [ "$1" -eq 1 ] || [ "$3" = icount ] ||
		die "--jobs $1 needs icount mode: parallel guests would time each other ($3)"
	[ -z "$2" ] || [ "$3" = icount ] ||
		die "--hosts needs icount mode: rounds timed on other machines would not compare ($3)"
}

# default_jobs ACCEL: guests at once when none is asked for: icount the
# host's CPUs, at most 2; a timing mode 1
default_jobs() {
	if [ "$1" = icount ]; then
		_n=$(nproc 2>/dev/null || echo 1)
		[ "$_n" -le 2 ] || _n=2
		echo "$_n"
	else
		echo 1
	fi
}

# accel_guess MODE: the accelerators MODE can end up as, known before a
# kernel is built: auto is KVM or TCG, the probe's cached answer
# (scripts/vm-accel) if this host boot has one
accel_guess() {
	case $1 in
	auto)
		_probe=$HMMBENCH_CACHE/kvm-probe.$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo none)
		if [ -f "$_probe" ]; then
			if [ "$(cat "$_probe")" = ok ]; then echo kvm; else echo tcg; fi
		elif [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			echo "kvm tcg"
		else
			echo tcg
		fi ;;
	*) echo "$1" ;;
	esac
}

# aa_cost ACCEL QUICK PAIRS: "N boots, about M min" for an A/A campaign of
# PAIRS pairs of 3 rounds a side, from the committed campaigns of that
# accelerator and sweep (their wall time over their boots)
aa_cost() {
	_boots=$(($3 * 6))
	_spb=$(for _f in "$HMMBENCH_TOP"/results/aa-*/aa.json; do
		jq -r --arg a "$1" --arg q "${2:+1}" 'select(.accelerator == $a and
			((.hmmbench_run_args | index("--quick")) != null) == ($q == "1") and
			.wall_seconds_to_last_boot > 0 and .rounds > 0) |
			"\(.wall_seconds_to_last_boot / (.pairs * .rounds * 2))"' "$_f" 2>/dev/null
	done | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
	if [ -n "$_spb" ]; then
		echo "$_boots boots, about $(echo "$_boots * $_spb / 60" | bc) min$([ "$1" = icount ] && echo " at two guests at a time")"
	else
		echo "$_boots boots"
	fi
}

# require_rules MODE QUICK FAMILY THRESHOLDS: dies (exit 2), before
# anything is built, unless THRESHOLDS hold measured rules of
# MODE[:quick]@FAMILY, naming the make aa command that measures them
require_rules() {
	_cmp=$(compare_cmd) || exit 2
	for _m in $(accel_guess "$1"); do
		"$_cmp" rules --thresholds "$4" "$_m${2:+:quick}@$3" > /dev/null 2>&1 && return 0
	done
	DIE_STATUS=2 die "no measured rules of $_m${2:+:quick}@$3 in ${4#"$HMMBENCH_TOP"/}: measure them with 'make aa MODE=$_m${2:+ QUICK=1} KERNEL=$3 PAIRS=20${_j:=$([ "$_m" = icount ] && echo " JOBS=2")}' ($(aa_cost "$_m" "$2" 20)), add the campaign to config/rules-campaigns and run 'make rules' (docs/ab.md)"
}

# config_fragments FAMILY "FRAGMENT ...": the fragments, then the kernel
# version's own, config/kernel-MAJOR.config and config/kernel-MAJOR.MINOR
# .config, those that exist: options that exist in some versions only live
# there, not in the shared config/hmmbench.config
config_fragments() {
	_frags=$2
	for _own in "$HMMBENCH_TOP/config/kernel-${1%%.*}.config" "$HMMBENCH_TOP/config/kernel-$1.config"; do
		[ ! -f "$_own" ] || _frags="$_frags $_own"
	done
	echo "$_frags"
}

# build_progress PID LOG EXPECTED: while PID runs, how far the kernel build
# in LOG is: objects built (of EXPECTED, the last build's count, if known)
# and kbuild's current step; one updating line on a terminal, else a line
# every 30 s
build_progress() {
	_tty=""
	[ -t 2 ] && _tty=1
	_n=0
	while kill -0 "$1" 2>/dev/null; do
		sleep 2
		_n=$((_n + 1))
		[ -n "$_tty" ] || [ $((_n % 15)) -eq 0 ] || continue
		_done=$(grep -c -E '^  (CC|AS)  ' "$2" 2>/dev/null || true)
		_step=$(grep -E '^  [A-Z]' "$2" 2>/dev/null | tail -n1 | sed 's/^ *//; s/  */ /')
		_msg="$PROG: $_done compiled${3:+ (a full build has $3 objects)}, $_step"
		if [ -n "$_tty" ]; then
			printf '\r%-100.100s' "$_msg" >&2
		else
			echo "$_msg" >&2
		fi
	done
	[ -z "$_tty" ] || printf '\r%-100s\r' "" >&2
}

# the guest's 9p mount options, its root's (rootflags=) and every export's
NINEP_OPTS=trans=virtio,version=9p2000.L,msize=262144

# ninep ID PATH ro|rw [TAG]: QEMU's arguments for a virtio-9p export of
# PATH (TAG defaults to ID), as one word list; PATH may not hold a blank
# or a comma (QEMU's option syntax), which the callers check
ninep() {
	_ro=""
	[ "$3" = rw ] || _ro=",readonly=on"
	echo "-fsdev local,id=$1,path=$2,security_model=none$_ro,multidevs=remap -device virtio-9p-pci,fsdev=$1,mount_tag=${4:-$1}"
}

# q WORD: WORD quoted for sh (eval, a command file)
q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# quote_lines TEXT: the lines of TEXT (hmmbench run arguments, one a line,
# as ab and aa collect them) as one string of quoted words
quote_lines() {
	_ql=""
	while IFS= read -r _l; do
		[ -z "$_l" ] || _ql="$_ql $(q "$_l")"
	done <<EOF
$1
EOF
	printf '%s' "$_ql"
}

# run_jobs OUT JOBS HOSTS [HALT]: runs the jobs of OUT/jobs, lines "REL<TAB>CMD"
# where CMD is a shell command that writes OUT/REL when run in OUT, with
# "$HMMBENCH_WORKER" its hmmbench tree. Without HOSTS: JOBS at once, here.
# With HOSTS (a file in GNU parallel's sshlogin format, scripts/hosts): on
# the workers over ssh, each job in a scratch directory there, REL returned
# into OUT, a failed job tried again on another worker, up to
# HMMBENCH_RETRIES (3) tries in all. GNU parallel's joblog is OUT/joblog:
# host, time and exit status of each job's last try. Returns 0 if every job
# succeeded, else 1 with the jobs that failed for good, "REL: host exit N",
# in OUT/jobs-failed. HALT is GNU parallel's --halt (never: every job
# runs whatever failed; soon,fail=1: none starts after a failure).
run_jobs() {
	_out=$1 _j=$2 _hosts=$3 _halt=${4:-never}
	rm -f "$_out/joblog" "$_out/jobs-failed"
	if [ -z "$_hosts" ]; then
		(cd "$_out" && HMMBENCH_WORKER=$HMMBENCH_TOP parallel -j "$_j" --colsep '\t' \
			--joblog "$_out/joblog" --halt "$_halt" 'sh -c {2}' < "$_out/jobs") || true
	else
		# shellcheck disable=SC2016  # expanded on the worker
		(cd "$_out" && parallel --sshloginfile "$_hosts" --workdir ... --cleanup \
			--return '{1}' --retries "${HMMBENCH_RETRIES:-3}" --colsep '\t' \
			--joblog "$_out/joblog" --halt "$_halt" \
			'HMMBENCH_WORKER=${HMMBENCH_WORKER:-$HOME/hmmbench} sh -c {2}' < "$_out/jobs") || true
	fi
	# the last attempt of each job decides (the joblog keeps every one)
	awk -F '\t' 'NR > 1 { last[$1] = $2 "\t" $7 "\t" $8 }
		END { for (k in last) print k "\t" last[k] }' "$_out/joblog" 2>/dev/null |
		sort -n | awk -F '\t' '$3 != 0 || $4 != 0 { print $1 "\t" $2 "\t" $3 "\t" $4 }' > "$_out/.failed"
	_n=$(awk 'END { print NR }' "$_out/jobs")
	_ran=$(awk 'NR > 1' "$_out/joblog" 2>/dev/null | cut -f1 | sort -u | wc -l)
	while IFS="$(printf '\t')" read -r _seq _host _rc _sig; do
		# GNU parallel's joblog names this host ":"
		[ "$_host" != : ] || _host=""
		[ "$_sig" != 0 ] || _sig=""
		echo "$(sed -n "${_seq}p" "$_out/jobs" | cut -f1): ${_host:-here} exit $_rc${_sig:+ signal $_sig}"
	done < "$_out/.failed" > "$_out/jobs-failed"
	rm -f "$_out/.failed"
	[ "$_ran" -eq "$_n" ] || echo "$((_n - _ran)) of $_n jobs never ran" >> "$_out/jobs-failed"
	if [ -s "$_out/jobs-failed" ]; then
		return 1
	fi
	rm -f "$_out/jobs-failed"
}

# job_line REL SCRIPT ARG...: a line of a run_jobs job file: REL, a tab,
# and a command running scripts/SCRIPT of the worker's tree with ARGs,
# quoted for sh
job_line() {
	_rel=$1 _cmd="\"\$HMMBENCH_WORKER\"/scripts/$2"
	shift 2
	for _w in "$@"; do
		_cmd="$_cmd $(q "$_w")"
	done
	printf '%s\t%s\n' "$_rel" "$_cmd"
}
