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
