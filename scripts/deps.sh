#!/bin/sh
# deps.sh: install the Debian packages hmmbench needs that are missing.
# Idempotent, so make targets can call it every time at almost no cost.
set -eu

PKGS="build-essential flex bison bc libelf-dev libssl-dev zlib1g-dev dwarves cpio xz-utils
linux-source-6.1 qemu-system-x86 busybox-static ccache pkg-config linux-perf
libnuma-dev numactl libhwloc-dev hwloc libjansson-dev gnuplot-nox jq
clang libclang-rt-14-dev rsync parallel openssh-client openssh-server"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2 ||
	{ echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
