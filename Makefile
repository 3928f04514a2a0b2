# nestbed build.
#   make            build/nestbed and build/nestbed-node (-O2, -Werror)
#   make test       unit tests (cmocka) + integration tests, ASan+UBSan builds
#   make unit       unit tests only        make integration   integration only
#   make fuzz       libFuzzer harnesses, bounded time (FUZZ_SECONDS=60 each)
#   make run        the default topology (topologies/default.topo)
#   make bench      benchmarks (QUICK=1 for the short variant)
#   make deps       install missing Debian packages (root)
#
# Every .c under node/ (and node/apps/) goes into nestbed-node, every .c under
# fabric/ into nestbed: adding a file needs no edit here. node/main.c and
# fabric/main.c hold main(); everything else is also linked into unit tests:
#   tests/unit/test_node_*.c   -> linked with node objects
#   tests/unit/test_fabric_*.c -> linked with fabric objects
#   tests/fuzz/fuzz_node_*.c / fuzz_fabric_*.c -> libFuzzer (clang)

CC       ?= cc
CLANG    ?= clang
PKGS     := libnl-3.0 libnl-route-3.0 libmnl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation
COMMON   := -std=gnu11 -D_GNU_SOURCE -g -Inode -Ifabric $(PKG_CFLAGS) $(WARN)
CFLAGS_REL  := $(COMMON) -O2
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS_SAN  := $(COMMON) -O1 $(SAN)
CFLAGS_FUZZ := $(COMMON) -Wno-unknown-warning-option -O1 -fsanitize=fuzzer-no-link,address,undefined -DNB_FUZZING

NODE_SRC    := $(sort $(wildcard node/*.c node/apps/*.c))
NODE_LIB    := $(filter-out node/main.c,$(NODE_SRC))
# Node code the controller shares, to check `set` lines and link impairments
# exactly as the node will read them.
SHARED_SRC  := node/nb.c node/params.c $(wildcard node/impair_spec.c) node/sha256.c
FABRIC_SRC  := $(sort $(wildcard fabric/*.c)) $(SHARED_SRC)
FABRIC_LIB  := $(filter-out fabric/main.c,$(FABRIC_SRC))
UNIT_NODE   := $(sort $(wildcard tests/unit/test_node_*.c))
UNIT_FABRIC := $(sort $(wildcard tests/unit/test_fabric_*.c))
FUZZ_NODE   := $(sort $(wildcard tests/fuzz/fuzz_node_*.c))
FUZZ_FABRIC := $(sort $(wildcard tests/fuzz/fuzz_fabric_*.c))

rel  = $(patsubst %.c,build/obj/%.o,$(1))
san  = $(patsubst %.c,build/asan/obj/%.o,$(1))
fuz  = $(patsubst %.c,build/fuzz/obj/%.o,$(1))

UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/%,$(UNIT_NODE) $(UNIT_FABRIC))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_NODE) $(FUZZ_FABRIC))

.PHONY: all deps run test unit integration fuzz bench clean asan
# Objects made through pattern rules are kept, not deleted as intermediates.
.SECONDARY:
all: build/nestbed build/nestbed-node

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_REL) -MMD -MP -c $< -o $@
build/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_SAN) -MMD -MP -c $< -o $@
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(CFLAGS_FUZZ) -MMD -MP -c $< -o $@

build/nestbed-node: $(call rel,$(NODE_SRC))
	$(CC) $(CFLAGS_REL) -o $@ $^ -lm
build/nestbed: $(call rel,$(FABRIC_SRC))
	$(CC) $(CFLAGS_REL) -o $@ $^ $(PKG_LIBS) -lm
build/asan/nestbed-node: $(call san,$(NODE_SRC))
	$(CC) $(CFLAGS_SAN) -o $@ $^ -lm
build/asan/nestbed: $(call san,$(FABRIC_SRC))
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(PKG_LIBS) -lm
asan: build/asan/nestbed build/asan/nestbed-node

build/asan/test_node_%: tests/unit/test_node_%.c $(call san,$(NODE_LIB))
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(CMOCKA_LIBS) -lm
build/asan/test_fabric_%: tests/unit/test_fabric_%.c $(call san,$(FABRIC_LIB))
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) -lm
build/fuzz/fuzz_node_%: tests/fuzz/fuzz_node_%.c $(call fuz,$(NODE_LIB))
	$(CLANG) $(CFLAGS_FUZZ) -fsanitize=fuzzer -o $@ $^ -lm
build/fuzz/fuzz_fabric_%: tests/fuzz/fuzz_fabric_%.c $(call fuz,$(FABRIC_LIB))
	$(CLANG) $(CFLAGS_FUZZ) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm

# Debian packages the build, the tests and the integration topologies need.
DEB_PKGS := make gcc clang libclang-rt-14-dev pkg-config libnl-3-dev libnl-route-3-dev \
            libmnl-dev libcmocka-dev iproute2 iputils-ping netcat-openbsd curl tcpdump python3 python3-matplotlib ethtool
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" != 0 ]; then echo "make deps: missing packages:" $$missing "(run as root)"; exit 3; fi; \
	    echo "make deps: installing" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 3; \
	fi

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

integration: asan
	@tests/integration/run.sh build/asan

test: deps
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(or $(FUZZ_SECONDS),60) $(FUZZ_BINS)

run: deps
	@$(MAKE) --no-print-directory all
	build/nestbed run topologies/default.topo

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh $(if $(QUICK),--quick)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
