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

# End to end: the real engine, real cargo, real crates (provisions the engine).
e2e: $(B)/cargo-green
	tests/e2e.sh

check: unit sanitize e2e

# Regenerate the settings' documentation and the golden `supergreen env`
# from the settings table (tests compare them).
docs: $(B)/cargo-green
	cd /tmp && $(CURDIR)/$(B)/cargo-green supergreen doc >$(CURDIR)/docs/settings.md
	cd /tmp && env -u BUILDX_BUILDER TMPDIR=/tmp $(CURDIR)/$(B)/cargo-green supergreen env >$(CURDIR)/tests/golden/env.txt

install: $(B)/cargo-green
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(B)/cargo-green $(DESTDIR)$(PREFIX)/bin/cargo-green
	ln -sf cargo-green $(DESTDIR)$(PREFIX)/bin/cargo-supergreen

clean:
	rm -rf build

.PHONY: docs all unit sanitize e2e check install clean
