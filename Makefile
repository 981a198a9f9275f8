# hmmbench: see README.md. Every target installs its own dependencies first.
KSRC ?=
# a Debian linux-source version: 6.1 (the default), 6.12, 7.2, 7.3, ... or
# newest (scripts/kernel-source); KSRC wins over it
KERNEL ?=
# the instrumentation series is part of the default test kernel; PATCHES= for none
PATCHES ?= kernel-patches/test_hmm-instrumentation
CONFIG ?= config/hmmbench.config
MODE ?= auto
CPUS ?= 2
MEM ?= 2048
NODES ?= 2
TIMEOUT ?= 900
CMD ?= uname -a
# A/B and A/A (scripts/ab, scripts/aa): A and B are series lists or none
A ?= none
B ?=
ROUNDS ?= 3
PAIRS ?= 2
BENCH ?=
QUICK ?=

KVER = $(if $(KSRC),--ksrc $(KSRC),$(if $(KERNEL),--kernel $(KERNEL)))
KBUILD = scripts/kernel-build $(KVER) \
	$(if $(PATCHES),--patches "$(PATCHES)") --config "$(CONFIG)"
VMRUN = scripts/vm-run --accel $(MODE) --cpus $(CPUS) --mem $(MEM) \
	--nodes $(NODES) --timeout $(TIMEOUT)

.PHONY: all deps bench kernel vm preflight run ab aa ladder versions rules tables check check-lane1 check-lane2 unit-test integration-test tools-test tables-test hosts-test questions-test ab-test canary-test canary-newest-test structure-test kernels-test incremental-test san-test fuzz fuzz-replay stress stress-test fault-test bisect-test clean

all: bench

deps:
	@scripts/deps.sh

bench: deps
	@$(MAKE) -s --no-print-directory -C lib
	@$(MAKE) -s --no-print-directory -C bench
	@$(MAKE) -s --no-print-directory -C tools

kernel: deps
	@$(KBUILD)

# run CMD in the test kernel: make vm CMD='cat /proc/meminfo'
vm: deps
	@b=$$($(KBUILD)) && $(VMRUN) --kernel $$b/arch/x86/boot/bzImage \
		--kernel-info $$b/build-info.json -- sh -c '$(CMD)'

preflight: bench
	@b=$$($(KBUILD)) && $(VMRUN) --kernel $$b/arch/x86/boot/bzImage \
		--kernel-info $$b/build-info.json -- scripts/preflight $$b/hmm-tests

run: bench
	@scripts/run-suite --mode $(MODE) $(KVER) \
		$(if $(PATCHES),--patches "$(PATCHES)") --config "$(CONFIG)"

# make ab B=<series dir ...>|none [A=none] [MODE=icount] [ROUNDS=3] [QUICK=1]
#         [BENCH="restore fork"] [APPEND_A=..] [APPEND_B=..] [KERNEL=..]
#         [KERNEL_A=..] [KERNEL_B=..] [JOBS=N: guests at once, icount; 2 there by default]
ABRUN = --mode $(MODE) --rounds $(ROUNDS) --config "$(CONFIG)" $(if $(QUICK),--quick) \
	$(foreach b,$(BENCH),--bench $(b))
ab: bench
	@test -n "$(B)" || { echo "make ab: B=<series dir ...> (or none) is required" >&2; exit 2; }
	@scripts/ab --a "$(A)" --b "$(B)" $(ABRUN) $(if $(JOBS),--jobs $(JOBS)) $(if $(KERNEL),--kernel $(KERNEL)) \
		$(if $(KERNEL_A),--kernel-a $(KERNEL_A)) $(if $(KERNEL_B),--kernel-b $(KERNEL_B)) \
		$(if $(APPEND_A),--append-a "$(APPEND_A)") $(if $(APPEND_B),--append-b "$(APPEND_B)")

# make aa [MODE=icount] [ROUNDS=3] [PAIRS=2] [QUICK=1] [BENCH=..] [JOBS=2]: noise, thresholds
aa: bench
	@scripts/aa --pairs $(PAIRS) $(ABRUN) $(if $(JOBS),--jobs $(JOBS)) $(KVER) \
		$(if $(PATCHES),--patches "$(PATCHES)")

unit-test: bench
	@$(MAKE) -s --no-print-directory -C tests/unit test

tools-test: bench
	@tests/compare.sh

integration-test: bench
	@tests/integration.sh

ab-test: bench
	@tests/ab.sh

# every canary of kernel-patches/canary at 1% of its headline, gated, on
# 6.1 and on the newest kernel. Not in make check on the newest: its
# rules (icount:quick@7.3) fail 5 of 22 A/A pairs left out, so its A/A
# rung would fail about one CI run in five (results/aa-20261206-icount-
# quick-7.3-rules/NOTE.md)
canary-test: bench
	@tests/canary.sh

# the newest kernel family with validated icount:quick rules
# (config/thresholds, docs/compare.md): "newest" moves with Debian's
# archive, and a family without rules is refused
CANARY_NEWEST ?= 7.3
canary-newest-test: bench
	@CANARY_KERNEL=$(CANARY_NEWEST) tests/canary.sh

# KERNEL=newest end to end, bad kernel versions, a cache under /tmp
kernels-test: bench
	@tests/kernels.sh

# a benchmark is one file plus one table line, its report with it
structure-test: bench
	@tests/structure.sh

# incremental kernel builds held against builds from nothing
incremental-test: bench
	@tests/incremental.sh

# make ladder [CANARY=mark,fork|all] [MODE=icount] [QUICK=1] [KERNEL=..]:
# the gate's sensitivity per benchmark (scripts/ladder, docs/ab.md)
CANARY ?= all
JOBS ?=
ladder: bench
	@scripts/ladder --canary $(CANARY) --mode $(MODE) --rounds $(ROUNDS) $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(QUICK),--quick) $(if $(KERNEL),--kernel $(KERNEL)) $(foreach b,$(BENCH),--bench $(b))

# make versions [KERNELS="6.1 6.12 newest"] [MODE=icount] [ROUNDS=3] [QUICK=1]:
# kernel against kernel across versions, compared (scripts/versions)
KERNELS ?= 6.1 6.12 newest
versions: bench
	@scripts/versions --kernels "$(KERNELS)" --mode $(MODE) --rounds $(ROUNDS) $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(QUICK),--quick) $(foreach b,$(BENCH),--bench $(b))

# scripts/bisect under git bisect run, on a synthetic history of the Debian
# source (docs/bisect.md); its first run builds five kernels (ccache helps)
bisect-test: bench
	@tests/bisect.sh

# fault injection on the pipeline: QEMU killed, results disk full, guest OOM,
# Ctrl-C; and MODE=host (tests/faults.sh)
fault-test: bench
	@tests/faults.sh

# the unit tests, the runner and the tools under ASan + UBSan (docs/hardening.md)
san-test: deps
	@$(MAKE) -s --no-print-directory -C bench san
	@$(MAKE) -s --no-print-directory -C tools san
	@$(MAKE) -s --no-print-directory -C tests/unit san
	@tests/sanitize.sh

# make fuzz [FUZZ_SECONDS=300]: each libFuzzer target in turn, that long
FUZZ_SECONDS ?= 300
fuzz: deps
	@$(MAKE) -s --no-print-directory -C tests/fuzz
	@tests/fuzz/run.sh --seconds $(FUZZ_SECONDS)

# the committed fuzz corpus, once through the sanitized targets
fuzz-replay: deps
	@$(MAKE) -s --no-print-directory -C tests/fuzz
	@$(MAKE) -s --no-print-directory -C bench san/hmmbench
	@tests/fuzz/replay.sh

# make stress [SECONDS=300] [CONFIG=".. config/debug.config"] [MODE=..]: the
# stress benchmark alone (docs/stress.md), into
# results/stress-<date>-<release>-<variant>, variant from the extra fragments
SECONDS ?= 300
empty :=
STRESS_VARIANT = $(or $(subst $(empty) $(empty),+,$(strip $(basename $(notdir \
	$(filter-out %/hmmbench.config hmmbench.config,$(CONFIG)))))),default)
stress: bench
	@case "$(SECONDS)" in ''|*[!0-9]*|0) echo "make stress: SECONDS=$(SECONDS) is not a whole number of seconds (1 or more)" >&2; exit 2 ;; esac
	@b=$$(scripts/kernel-build $(KVER) $(if $(PATCHES),--patches "$(PATCHES)") \
		--config "$(abspath $(CONFIG))") && \
	scripts/run-suite --mode $(MODE) $(KVER) \
		$(if $(PATCHES),--patches "$(PATCHES)") --config "$(abspath $(CONFIG))" \
		--timeout $$(( $(SECONDS) + 1800 )) --no-latest \
		--name stress-$$(date +%Y%m%d-%H%M%S)-$$(jq -r .release $$b/build-info.json)-$(STRESS_VARIANT) \
		-- --bench stress --param stress.seconds=$(SECONDS)

stress-test: bench
	@tests/stress.sh

# make rules: config/thresholds derived again from the stored rounds of the
# A/A campaigns config/rules-campaigns names (scripts/rules; no boot)
rules: bench
	@scripts/rules

# make tables: the README's and docs' measured figures, rendered from results/
tables: bench
	@scripts/tables

tables-test: bench
	@tests/tables.sh

# the seed's question benchmarks on a real kernel (docs/questions.md)
questions-test: bench
	@tests/questions.sh

# campaigns over ssh: two workers on this machine (tests/hosts.sh, docs/hosts.md)
hosts-test: bench
	@tests/hosts.sh

# make check runs two lanes at once (make -O prints each test whole), of
# about the same length cold: mostly one icount guest a lane, so one lane
# uses what the other leaves of two cores. The incremental test counts
# what each of its builds compiles, so it holds the 6.1 workspace for its
# whole sequence (HMMBENCH_WS_SEQUENCE): a build of the other lane there
# waits for it.
# The two lanes hold every test; `make check CHECK_JOBS=1` runs them one
# after the other. A lane stops at its first failure, the other finishes.
CHECK_LANE1 = unit-test tools-test tables-test san-test fuzz-replay structure-test integration-test \
	incremental-test ab-test canary-test
CHECK_LANE2 = kernels-test bisect-test hosts-test fault-test stress-test questions-test \
	canary-newest-test
CHECK_JOBS ?= 2
check: bench
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) -O check-lane1 check-lane2
check-lane1 check-lane2: bench
	@for t in $(if $(filter check-lane1,$@),$(CHECK_LANE1),$(CHECK_LANE2)); do \
		$(MAKE) --no-print-directory $$t || exit 1; done

clean:
	@$(MAKE) -s -C lib clean
	@$(MAKE) -s -C bench clean
	@$(MAKE) -s -C tools clean
	@$(MAKE) -s -C tests/unit clean
