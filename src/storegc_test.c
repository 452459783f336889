/* The local store's size limit: sizes parsed as ccache's, entries'
 * metadata and uses, least recently used evicted first, entries a running
 * build reads kept. */
#include "fs.h"
#include "store.h"
#include "storegc.h"
#include "storemeta.h"
#include "test.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
	const char *text;
	long long want; /* -1: refused */
} sizes[] = {
	{ "5GiB", 5368709120LL }, { "5Gi", 5368709120LL }, { "500MB", 500000000LL }, { "500M", 500000000LL },
	{ "1.5G", 1500000000LL }, { "0", 0 },             { "10k", 10000 },         { "2Ki", 2048 },
	{ "2 KiB", 2048 },         { "123", 123 },         { "7B", 7 },              { "1T", 1000000000000LL },
	{ "", -1 },                { "G", -1 },            { "5 gigs", -1 },         { "-1", -1 },
	{ "5XB", -1 },             { "5GiBs", -1 },        { ".5G", -1 },            { "99999999999T", -1 },
};

/* A tree of one file of n bytes, and its exit code file (green/ID.code). */
static void make_tree(const char *dir, const char *id, size_t n)
{
	struct strbuf p = STRBUF_INIT;
	char *body = xmalloc(n + 1);
	memset(body, 'x', n);
	body[n] = '\0';
	strbuf_addf(&p, "green/target/debug/deps/lib%s.rlib", id);
	test_put(dir, p.buf, body, 0644);
	strbuf_reset(&p);
	strbuf_addf(&p, "green/%s.code", id);
	test_put(dir, p.buf, "0", 0644);
	free(body);
	strbuf_release(&p);
}

static void set_used(const char *key, long long sec)
{
	struct strbuf p = STRBUF_INIT;
	struct timespec t[2] = { { sec, 0 }, { sec, 0 } };
	store_meta_touch(key);
	store_entry_path(key, &p, NULL);
	strbuf_addstr(&p, ".uses");
	CHECK(utimensat(AT_FDCWD, p.buf, t, 0) == 0);
	strbuf_release(&p);
}

static int present(const char *key)
{
	struct strbuf p = STRBUF_INIT;
	int ok;
	store_entry_path(key, &p, NULL);
	ok = !access(p.buf, F_OK);
	strbuf_release(&p);
	return ok;
}

void test_store_gc(void)
{
	char tmpl[] = "/tmp/cargo-green-storegc-test.XXXXXX";
	char *root = mkdtemp(tmpl);
	const char *old = getenv("XDG_CACHE_HOME");
	char *saved = old ? xstrdup(old) : NULL;
	const char *keys[3] = { "a000000000000000000000000000000000000000000000000000000000000001",
				"b000000000000000000000000000000000000000000000000000000000000002",
				"c000000000000000000000000000000000000000000000000000000000000003" };
	struct strbuf src = STRBUF_INIT, err = STRBUF_INIT, e = STRBUF_INIT, p = STRBUF_INIT;
	struct store_meta m;
	struct store_gc_result r;
	long long one;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		long long n = -1;
		strbuf_reset(&err);
		if (store_size_parse(sizes[i].text, &n, &err) < 0)
			n = -1;
		if (n != sizes[i].want)
			fprintf(stderr, "size '%s': got %lld, want %lld\n", sizes[i].text, n, sizes[i].want);
		CHECK(n == sizes[i].want);
		CHECK(n >= 0 || strstr(err.buf, "not a size"));
	}
	strbuf_reset(&p);
	store_size_format(512, &p);
	CHECK_STR(p.buf, "512 B");
	strbuf_reset(&p);
	store_size_format(1536, &p);
	CHECK_STR(p.buf, "1.5 KiB");
	strbuf_reset(&p);
	store_size_format(5368709120LL, &p);
	CHECK_STR(p.buf, "5.0 GiB");

	CHECK(root != NULL);
	if (!root)
		return;
	setenv("XDG_CACHE_HOME", root, 1);

	/* Saved with what the job knows; the size is the entry's on disk. */
	for (int i = 0; i < 3; i++) {
		struct store_meta in = STORE_META_INIT;
		char id[32];
		snprintf(id, sizeof(id), "x%d-0%d", i, i);
		strbuf_reset(&src);
		strbuf_addf(&src, "%s/src%d", root, i);
		make_tree(src.buf, id, 40000);
		in.crate = "x";
		in.version = "1.0.0";
		in.kind = "lib";
		in.build_us = 2000000;
		CHECK(store_save(keys[i], src.buf, &in, &err) == 0);
	}
	CHECK(store_meta_read(keys[0], &m) == 0);
	CHECK_STR(m.crate, "x");
	CHECK_STR(m.version, "1.0.0");
	CHECK_STR(m.kind, "lib");
	CHECK(m.build_us == 2000000);
	CHECK(m.size >= 40000 && m.size < 60000);
	CHECK(m.hits == 0);
	one = m.size;
	store_meta_release(&m);
	CHECK(store_meta_total() == 3 * one);

	/* Hits count, a dependent's read is a use only (in a child: its pins
	 * end with it, as a wrapper's do). */
	{
		pid_t pid = fork();
		int st = 1;
		if (pid == 0)
			_exit(store_lookup(keys[1], 1, &e) == 1 && store_lookup(keys[1], 1, &e) == 1 &&
					      store_lookup(keys[1], 0, &e) == 1
				      ? 0
				      : 1);
		waitpid(pid, &st, 0);
		CHECK(st == 0);
	}
	CHECK(store_meta_read(keys[1], &m) == 0);
	CHECK(m.hits == 2);
	store_meta_release(&m);

	/* Without its meta (older stores, entries from the cache images): from its files. */
	strbuf_reset(&p);
	store_entry_path(keys[2], &p, NULL);
	strbuf_addstr(&p, ".meta");
	CHECK(unlink(p.buf) == 0);
	CHECK(store_meta_read(keys[2], &m) == 0);
	CHECK_STR(m.crate, "x2");
	CHECK_STR(m.version, "?");
	CHECK(m.size == one);
	store_meta_release(&m);
	CHECK(access(p.buf, F_OK) == 0);

	/* Least recently used first: 2 (oldest), then 0; 1 is the newest. A
	 * limit of two entries evicts one, with its side files. */
	set_used(keys[2], 1000);
	set_used(keys[0], 2000);
	set_used(keys[1], 3000);
	store_meta_total_set(12345); /* (a drifted count: recounted) */
	CHECK(store_gc(2 * one, &r, &err) == 0);
	CHECK(r.entries == 3 && r.evicted == 1 && r.before == 3 * one && r.after == 2 * one);
	CHECK(!present(keys[2]) && present(keys[0]) && present(keys[1]));
	CHECK(access(p.buf, F_OK) < 0);
	CHECK(store_meta_total() == 2 * one);

	/* An entry a running build reads (another process's pin) is kept. */
	{
		int up[2], down[2];
		char c = 0;
		pid_t pid;
		CHECK(pipe(up) == 0 && pipe(down) == 0);
		pid = fork();
		if (pid == 0) {
			struct strbuf x = STRBUF_INIT;
			int ok = store_lookup(keys[0], 1, &x) == 1;
			(void)!write(up[1], ok ? "y" : "n", 1);
			(void)!read(down[0], &c, 1);
			_exit(0);
		}
		CHECK(read(up[0], &c, 1) == 1 && c == 'y');
		CHECK(store_gc(0, &r, &err) == 0);
		CHECK(r.evicted == 1 && r.in_use == 1);
		CHECK(present(keys[0]) && !present(keys[1]));
		(void)!write(down[1], "x", 1);
		waitpid(pid, NULL, 0);
		close(up[0]), close(up[1]), close(down[0]), close(down[1]);
	}
	/* This process's own pins do not keep it from evicting. */
	CHECK(store_lookup(keys[0], 1, &e) == 1);
	CHECK(store_evict(keys[0], -1) == 1);
	CHECK(!present(keys[0]));
	CHECK(store_evict(keys[0], -1) == -1);
	CHECK(store_meta_total() == 0);

	/* Automatic: nothing under the limit; over it, down to 90%. */
	for (int i = 0; i < 3; i++) {
		strbuf_reset(&src);
		strbuf_addf(&src, "%s/src%d", root, i);
		CHECK(store_save(keys[i], src.buf, NULL, &err) == 0);
	}
	set_used(keys[0], 1000);
	set_used(keys[1], 2000);
	set_used(keys[2], 3000);
	store_gc_auto(3 * one);
	CHECK(present(keys[0]) && present(keys[1]) && present(keys[2]));
	/* (2.05 entries: down to 1.85, two evicted where the limit alone would take one) */
	store_gc_auto(2 * one + one / 20);
	CHECK(!present(keys[0]) && !present(keys[1]) && present(keys[2]));

	if (saved)
		setenv("XDG_CACHE_HOME", saved, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	free(saved);
	rm_rf(root);
	strbuf_release(&src);
	strbuf_release(&err);
	strbuf_release(&e);
	strbuf_release(&p);
}
