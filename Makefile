# cargo-green: `make` builds, `make check` runs every test, `make install PREFIX=...`.
CC ?= cc
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter $(CFLAGS)
PREFIX ?= /usr/local
LIBS = -Wl,-Bstatic -lnettle -ljansson -Wl,-Bdynamic
B ?= build

SRCS = $(filter-out src/%_test.c src/test_main.c,$(wildcard src/*.c))
OBJS = $(SRCS:src/%.c=$(B)/%.o)
LIB_OBJS = $(filter-out $(B)/main.o,$(OBJS))
TEST_SRCS = $(wildcard src/*_test.c) src/test_main.c
TEST_OBJS = $(TEST_SRCS:src/%.c=$(B)/%.o)

ifeq ($(V),)
QCC = @echo "  CC    $@";
QLD = @echo "  LD    $@";
endif

all: $(B)/cargo-green

$(B)/%.o: src/%.c $(wildcard src/*.h)
	@mkdir -p $(B)
	$(QCC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/cargo-green: $(OBJS)
	$(QLD)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(B)/unit-tests: $(LIB_OBJS) $(TEST_OBJS)
	$(QLD)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# Unit tests (pure functions: rustc arguments, paths, stages, env, records).
unit: $(B)/unit-tests
	$(B)/unit-tests

# The unit tests again under AddressSanitizer and UBSan.
sanitize:
	$(MAKE) B=build/san CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" unit

# The fuzz targets, each for a bounded time: the stage renderer's
# (tests/fuzz/stage_fuzz.c: no value changes a Dockerfile's structure) and
# the settings' (tests/fuzz/config_fuzz.c: every source's values loaded or
# refused in one clean line, the handoff exact) and rustc's argv's
# (tests/fuzz/args_fuzz.c: parsed, what is kept points into the argv). libFuzzer with clang, else a
# deterministic random loop (driver.c); both under AddressSanitizer and UBSan.
FUZZ_SECONDS ?= 20
FUZZ_TARGETS = stage config args
FUZZ_LIB_SRCS = $(filter-out src/main.c,$(SRCS)) src/stage_fuzz_test.c src/config_fuzz_test.c src/args_fuzz_test.c
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -O1 -g -fno-omit-frame-pointer
HAVE_LIBFUZZER := $(shell printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' | \
	clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null && echo 1)

ifeq ($(HAVE_LIBFUZZER),1)
$(B)/fuzz/%-fuzz: tests/fuzz/%_fuzz.c $(FUZZ_LIB_SRCS) $(wildcard src/*.h)
	@mkdir -p $(B)/fuzz/$*-corpus
	$(QLD)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $(FUZZ_LIB_SRCS) $< $(LIBS)
fuzz: $(FUZZ_TARGETS:%=$(B)/fuzz/%-fuzz)
	@for t in $(FUZZ_TARGETS); do \
		echo "  FUZZ  $$t, $(FUZZ_SECONDS) s (libFuzzer; log $(B)/fuzz/$$t.log)"; \
		$(B)/fuzz/$$t-fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -seed=1 -artifact_prefix=$(B)/fuzz/$$t- \
			$(B)/fuzz/$$t-corpus >$(B)/fuzz/$$t.log 2>&1 || { tail -n 40 $(B)/fuzz/$$t.log; exit 1; }; \
		tail -n 1 $(B)/fuzz/$$t.log; \
	done
else
$(B)/fuzz/%-fuzz: tests/fuzz/%_fuzz.c $(FUZZ_LIB_SRCS) tests/fuzz/driver.c $(wildcard src/*.h)
	@mkdir -p $(B)/fuzz
	$(QLD)$(CC) $(FUZZ_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all -o $@ $(FUZZ_LIB_SRCS) $< tests/fuzz/driver.c $(LIBS)
fuzz: $(FUZZ_TARGETS:%=$(B)/fuzz/%-fuzz)
	@for t in $(FUZZ_TARGETS); do $(B)/fuzz/$$t-fuzz $(FUZZ_SECONDS) $$t || exit 1; done
endif

# What the local store's bookkeeping costs a hit (bench/store_hit.c).
$(B)/bench-store: bench/store_hit.c $(LIB_OBJS)
	$(QLD)$(CC) $(ALL_CFLAGS) -Isrc -o $@ $^ $(LIBS)
bench-store: $(B)/bench-store
	$(B)/bench-store

# End to end: the real engine, real cargo, real crates (provisions the engine).
e2e: $(B)/cargo-green
	tests/e2e.sh

check: unit sanitize fuzz e2e

# Regenerate the settings' documentation and the golden `supergreen env`
# from the settings table (tests compare them).
docs: $(B)/cargo-green
	cd /tmp && $(CURDIR)/$(B)/cargo-green supergreen doc >$(CURDIR)/docs/settings.md
	cd /tmp && env -u BUILDX_BUILDER TMPDIR=/tmp $(CURDIR)/$(B)/cargo-green supergreen env | grep -v '^\# base identity: ' >$(CURDIR)/tests/golden/env.txt

install: $(B)/cargo-green
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(B)/cargo-green $(DESTDIR)$(PREFIX)/bin/cargo-green
	ln -sf cargo-green $(DESTDIR)$(PREFIX)/bin/cargo-supergreen

clean:
	rm -rf build

.PHONY: bench-store docs all unit sanitize fuzz e2e check install clean
