# hmmbench: see README.md. Every target installs its own dependencies first.
KSRC ?=
PATCHES ?=
CONFIG ?= config/hmmbench.config
MODE ?= auto
CPUS ?= 2
MEM ?= 2048
NODES ?= 2
TIMEOUT ?= 900
CMD ?= uname -a

KBUILD = scripts/kernel-build $(if $(KSRC),--ksrc $(KSRC)) \
	$(if $(PATCHES),--patches "$(PATCHES)") --config "$(CONFIG)"
VMRUN = scripts/vm-run --accel $(MODE) --cpus $(CPUS) --mem $(MEM) \
	--nodes $(NODES) --timeout $(TIMEOUT)

.PHONY: all deps bench kernel vm preflight run check unit-test integration-test clean

all: bench

deps:
	@scripts/deps.sh

bench: deps
	@$(MAKE) -s --no-print-directory -C bench

kernel: deps
	@$(KBUILD)

# run CMD in the test kernel: make vm CMD='cat /proc/meminfo'
vm: deps
	@b=$$($(KBUILD)) && $(VMRUN) --kernel $$b/arch/x86/boot/bzImage \
		--kernel-info $$b/build-info.json -- sh -c '$(CMD)'

preflight: deps
	@b=$$($(KBUILD)) && $(VMRUN) --kernel $$b/arch/x86/boot/bzImage \
		-- scripts/preflight $$b/hmm-tests

run: bench
	@scripts/run-suite --mode $(MODE) $(if $(KSRC),--ksrc $(KSRC)) \
		$(if $(PATCHES),--patches "$(PATCHES)") --config "$(CONFIG)"

unit-test: bench
	@$(MAKE) -s --no-print-directory -C bench test

integration-test: bench
	@tests/integration.sh

check: unit-test integration-test

clean:
	@$(MAKE) -s -C bench clean
