#!/bin/sh
# In the guest: count SLUB slow-path entries (___slab_alloc) inside each
# HMM_DMIRROR_EXCLUSIVE_NOCOPY ioctl (0xc0284840) of migrate's 256-page
# no-copy mark, beside the samples. run.sh OUT [stack]: with "stack", a
# stack trace per entry (kprobe optimization off, so it unwinds).
out=$1
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T
[ "$2" != stack ] || echo 0 > /proc/sys/debug/kprobes-optimization
echo 0 > $T/tracing_on
echo > $T/trace
echo 'p:slow ___slab_alloc' >> $T/kprobe_events || exit 1
echo 1 > $T/events/kprobes/enable
[ "$2" != stack ] || echo stacktrace > $T/events/kprobes/slow/trigger
echo 'id == 16' > $T/events/raw_syscalls/sys_enter/filter
echo 'id == 16' > $T/events/raw_syscalls/sys_exit/filter
echo 1 > $T/events/raw_syscalls/sys_enter/enable
echo 1 > $T/events/raw_syscalls/sys_exit/enable
echo 65536 > $T/buffer_size_kb
echo 1 > $T/tracing_on
bench/hmmbench run --mode icount --bench migrate --param migrate.op=mark_nocopy \
	--param migrate.pages=256 --out "$out/results.json" 2> "$out/run.log" || exit 1
echo 0 > $T/tracing_on
cat $T/trace > "$out/trace.txt"
