#!/bin/sh
# cold make check: empty kernel cache and ccache, per-target wall time
cd /work/cold
export HMMBENCH_CACHE=/var/tmp/cold-cache CCACHE_DIR=/var/tmp/cold-ccache
t0=$(date +%s)
for t in $(sed -n 's/^check: //p' Makefile); do
	s=$(date +%s)
	make $t > /work/meas/cold/$t.log 2>&1
	rc=$?
	echo "$t rc=$rc $(( $(date +%s) - s )) s" >> /work/meas/cold/times
done
echo "total $(( $(date +%s) - t0 )) s" >> /work/meas/cold/times
