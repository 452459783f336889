# cargo-green: `make` builds, `make check` runs every test, `make install PREFIX=...`.
CC ?= cc
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter $(CFLAGS)
PREFIX ?= /usr/local

SRCS = $(filter-out src/%_test.c src/test_main.c,$(wildcard src/*.c))
OBJS = $(SRCS:src/%.c=build/%.o)
LIB_OBJS = $(filter-out build/main.o,$(OBJS))
TEST_SRCS = $(wildcard src/*_test.c) src/test_main.c
TEST_OBJS = $(TEST_SRCS:src/%.c=build/%.o)

ifeq ($(V),)
Q = @
QCC = @echo "  CC    $@";
QLD = @echo "  LD    $@";
endif

all: build/cargo-green

build/%.o: src/%.c $(wildcard src/*.h) | build
	$(QCC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/cargo-green: $(OBJS)
	$(QLD)$(CC) $(ALL_CFLAGS) -o $@ $^

build/unit-tests: $(LIB_OBJS) $(TEST_OBJS)
	$(QLD)$(CC) $(ALL_CFLAGS) -o $@ $^

build:
	$(Q)mkdir -p build

unit: build/unit-tests
	$(Q)build/unit-tests

# Unit tests again under AddressSanitizer and UBSan.
sanitize:
	$(MAKE) clean-build-san
	$(MAKE) BUILD_SAN=1 CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" build/unit-tests
	build/unit-tests

clean-build-san:
	rm -rf build

e2e: build/cargo-green
	tests/e2e.sh

check: unit e2e

install: build/cargo-green
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 build/cargo-green $(DESTDIR)$(PREFIX)/bin/cargo-green
	ln -sf cargo-green $(DESTDIR)$(PREFIX)/bin/cargo-supergreen

clean:
	rm -rf build

.PHONY: all unit sanitize clean-build-san e2e check install clean
