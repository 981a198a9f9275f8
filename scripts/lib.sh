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
