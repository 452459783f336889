/* bench/store_hit.c: what the local store's bookkeeping of uses costs a hit
 * (issue 16): `make bench-store`. A private store (XDG_CACHE_HOME in a temp
 * dir) holding one entry shaped like a real one (an rlib, its rmeta and
 * dep-info, the result files); then, N times each, in microseconds:
 *   lookup     store_lookup(STORE_HIT): the whole hit (manifest and stat
 *              data checked, pinned, counted), as a wrapper does it
 *   dep read   store_lookup(STORE_DEP): a dependent's read of it (checked,
 *              pinned, its last use noted), once per unit of a closure
 *   sizes      store_lookup(STORE_SIZES): sizes against the manifest only
 *   use        store_meta_hit alone: the append to KEY.uses
 *   pin        the pin's system calls alone (open, flock, fstat, stat, close)
 *   meta read  store_meta_read: what the stats' time-saved estimate reads
 * Reports; asserts nothing. The machine may be loaded: read the ratios. */
#include "fs.h"
#include "store.h"
#include "storemeta.h"
#include "strbuf.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *root, const char *rel, size_t n)
{
	struct strbuf p = STRBUF_INIT;
	char *body = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		body[i] = (char)(i * 7 + 3);
	strbuf_addf(&p, "%s/%s", root, rel);
	mkdir_parent(p.buf, 0755);
	write_file_atomic(p.buf, body, n, 0644);
	free(body);
	strbuf_release(&p);
}

static double per_call_us(long long t0, int n)
{
	return (double)(now_ns() - t0) / 1000.0 / n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	char tmpl[] = "/tmp/cargo-green-bench-store.XXXXXX";
	const char *root = mkdtemp(tmpl);
	const char *key = "be0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";
	struct strbuf src = STRBUF_INIT, err = STRBUF_INIT, e = STRBUF_INIT, xdg = STRBUF_INIT;
	struct store_meta m;
	long long t0;
	double lookup, dep, sizes, use, pin, meta;
	if (!root)
		return 1;
	strbuf_addf(&xdg, "%s/xdg", root);
	setenv("XDG_CACHE_HOME", xdg.buf, 1);
	strbuf_addf(&src, "%s/src", root);
	put(src.buf, "green/target/debug/deps/libx-0123.rlib", 2500000);
	put(src.buf, "green/target/debug/deps/libx-0123.rmeta", 1200000);
	put(src.buf, "green/target/debug/deps/x-0123.d", 10000);
	put(src.buf, "green/x-0123.code", 2);
	put(src.buf, "green/x-0123.stderr", 300);
	put(src.buf, "green/x-0123.stdout", 0);
	if (store_save(key, src.buf, NULL, &err) < 0 || !store_lookup(key, STORE_HIT, &e)) {
		fprintf(stderr, "bench: cannot save an entry: %s\n", err.buf);
		return 1;
	}
	store_pins_release();

	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		store_lookup(key, STORE_HIT, &e);
		store_pins_release();
	}
	lookup = per_call_us(t0, n);

	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		store_lookup(key, STORE_DEP, &e);
		store_pins_release();
	}
	dep = per_call_us(t0, n);

	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		store_lookup(key, STORE_SIZES, &e);
		store_pins_release();
	}
	sizes = per_call_us(t0, n);

	t0 = now_ns();
	for (int i = 0; i < n; i++)
		store_meta_hit(key);
	use = per_call_us(t0, n);

	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		struct stat a, b;
		int fd = open(e.buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		flock(fd, LOCK_SH);
		fstat(fd, &a);
		stat(e.buf, &b);
		close(fd);
	}
	pin = per_call_us(t0, n);

	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		store_meta_read(key, &m);
		store_meta_release(&m);
	}
	meta = per_call_us(t0, n);

	printf("store hit bookkeeping, %d calls each (us per call):\n", n);
	printf("  lookup (whole hit: check, pin, use)  %8.1f\n", lookup);
	printf("  dependent's read (STORE_DEP)         %8.1f\n", dep);
	printf("  sizes only (STORE_SIZES)             %8.1f\n", sizes);
	printf("  use (append to KEY.uses)             %8.1f\n", use);
	printf("  pin (open, flock, fstat, stat)       %8.1f\n", pin);
	printf("  meta read (time-saved estimate)      %8.1f\n", meta);
	printf("  bookkeeping = use + pin + meta read  %8.1f (%.0f%% of the lookup)\n", use + pin + meta,
	       100.0 * (use + pin + meta) / lookup);
	rm_rf(root);
	return 0;
}
