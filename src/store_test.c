/* The local store's keys: each input changes the key; what BuildKit's own
 * key ignores (dependency order, mtimes) does not. */
#include "fs.h"
#include "store.h"
#include "test.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *text)
{
	struct strbuf p = STRBUF_INIT;
	strbuf_addf(&p, "%s/%s", dir, name);
	mkdir_parent(p.buf, 0755);
	CHECK(write_file_atomic(p.buf, text, strlen(text), 0644) == 0);
	strbuf_release(&p);
}

static void digest(const char *dir, char out[STORE_KEY_HEX])
{
	struct strbuf err = STRBUF_INIT;
	CHECK(store_dir_digest(dir, out, &err) == 0);
	strbuf_release(&err);
}

static void key(const char *head, const char *stage, const char *base, const char *target, const char *ctx,
		const char *dep1, const char *dep2, char out[STORE_KEY_HEX])
{
	struct strvec deps = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	if (dep1)
		strvec_push(&deps, dep1);
	if (dep2)
		strvec_push(&deps, dep2);
	CHECK(store_unit_key(head, stage, base, target, ctx, &deps, out, &err) == 0);
	strvec_clear(&deps);
	strbuf_release(&err);
}

/* One byte of path written in place; keep_mtime: its mtime put back. */
static void write_byte(const char *path, int keep_mtime)
{
	struct timespec keep[2];
	struct stat st;
	int fd;
	CHECK(stat(path, &st) == 0);
	keep[0] = st.st_atim, keep[1] = st.st_mtim;
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "R", 1, 0) == 1);
	if (fd >= 0)
		close(fd);
	if (keep_mtime)
		CHECK(utimensat(AT_FDCWD, path, keep, 0) == 0);
}

void test_store(void)
{
	char tmpl[] = "/tmp/cargo-green-store-test.XXXXXX", d0[STORE_KEY_HEX], d[STORE_KEY_HEX],
	     k0[STORE_KEY_HEX], k[STORE_KEY_HEX];
	const char *root = mkdtemp(tmpl);
	struct strbuf src = STRBUF_INIT, xdg = STRBUF_INIT, ctx = STRBUF_INIT, p = STRBUF_INIT;
	struct timespec times[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char *old_xdg = test_env_save("XDG_CACHE_HOME");

	CHECK(root != NULL);
	if (!root)
		return;
	/* The digest memo lives in the state dir: a private one. */
	strbuf_addf(&xdg, "%s/xdg", root);
	setenv("XDG_CACHE_HOME", xdg.buf, 1);
	strbuf_addf(&src, "%s/src", root);
	put(src.buf, "a.rs", "fn a() {}\n");
	put(src.buf, "sub/b.rs", "fn b() {}\n");
	strbuf_addf(&p, "%s/link", src.buf);
	CHECK(symlink("a.rs", p.buf) == 0);
	digest(src.buf, d0);

	/* Contents, same size. */
	put(src.buf, "a.rs", "fn c() {}\n");
	digest(src.buf, d);
	CHECK(strcmp(d, d0) != 0);
	put(src.buf, "a.rs", "fn a() {}\n");
	digest(src.buf, d);
	CHECK_STR(d, d0);
	/* An mtime alone: the same digest. */
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/a.rs", src.buf);
	CHECK(utimensat(AT_FDCWD, p.buf, times, 0) == 0);
	digest(src.buf, d);
	CHECK_STR(d, d0);
	/* A mode: the exec bit. */
	CHECK(chmod(p.buf, 0755) == 0);
	digest(src.buf, d);
	CHECK(strcmp(d, d0) != 0);
	CHECK(chmod(p.buf, 0644) == 0);
	digest(src.buf, d);
	CHECK_STR(d, d0);
	/* A link's target. */
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/link", src.buf);
	CHECK(unlink(p.buf) == 0 && symlink("sub/b.rs", p.buf) == 0);
	digest(src.buf, d);
	CHECK(strcmp(d, d0) != 0);
	CHECK(unlink(p.buf) == 0 && symlink("a.rs", p.buf) == 0);
	/* A new file, a file's name. */
	put(src.buf, "sub/c.rs", "");
	digest(src.buf, d);
	CHECK(strcmp(d, d0) != 0);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/sub/c.rs", src.buf);
	CHECK(unlink(p.buf) == 0);
	digest(src.buf, d);
	CHECK_STR(d, d0);

	/* The unit key: each input, and not the order of the dependencies. */
	strbuf_addf(&ctx, "src-x=%s", src.buf);
	key("HEAD\n", "STAGE\n", "sha256:base", "o-x", ctx.buf, "k1", "k2", k0);
	key("HEAD\n", "STAGE\n", "sha256:base", "o-x", ctx.buf, "k2", "k1", k);
	CHECK_STR(k, k0);
	key("HEAD!\n", "STAGE\n", "sha256:base", "o-x", ctx.buf, "k1", "k2", k);
	CHECK(strcmp(k, k0) != 0);
	key("HEAD\n", "STAGE!\n", "sha256:base", "o-x", ctx.buf, "k1", "k2", k);
	CHECK(strcmp(k, k0) != 0);
	key("HEAD\n", "STAGE\n", "sha256:other", "o-x", ctx.buf, "k1", "k2", k);
	CHECK(strcmp(k, k0) != 0);
	key("HEAD\n", "STAGE\n", "sha256:base", "o-y", ctx.buf, "k1", "k2", k);
	CHECK(strcmp(k, k0) != 0);
	key("HEAD\n", "STAGE\n", "sha256:base", "o-x", ctx.buf, "k1", "k3", k);
	CHECK(strcmp(k, k0) != 0);
	key("HEAD\n", "STAGE\n", "sha256:base", "o-x", ctx.buf, "k1", NULL, k);
	CHECK(strcmp(k, k0) != 0);
	key("HEAD\n", "STAGE\n", "sha256:base", "o-x", NULL, "k1", "k2", k);
	CHECK(strcmp(k, k0) != 0);
	/* Moving bytes between fields is another key (fields are delimited). */
	key("HEAD\nS", "TAGE\n", "sha256:base", "o-x", ctx.buf, "k1", "k2", k);
	CHECK(strcmp(k, k0) != 0);
	/* A source file's contents reach the key. */
	put(src.buf, "sub/b.rs", "fn B() {}\n");
	key("HEAD\n", "STAGE\n", "sha256:base", "o-x", ctx.buf, "k1", "k2", k);
	CHECK(strcmp(k, k0) != 0);

	test_env_restore("XDG_CACHE_HOME", old_xdg);
	rm_rf(root);
	strbuf_release(&src);
	strbuf_release(&xdg);
	strbuf_release(&ctx);
	strbuf_release(&p);
}

/* A damaged or incomplete entry is a miss. */
/* Save src under key, then damage the stored file rel with how. */
static void save_then(const char *key, const char *src, const char *rel, char how)
{
	struct strbuf e = STRBUF_INIT, err = STRBUF_INIT, p = STRBUF_INIT;
	CHECK(store_save(key, src, NULL, &err) == 0);
	CHECK(store_lookup(key, 1, &e) == 1);
	strbuf_addf(&p, "%s/%s", e.buf, rel);
	if (how == 't') {
		CHECK(truncate(p.buf, 3) == 0);
	} else if (how == 'f') {
		int fd = open(p.buf, O_WRONLY);
		CHECK(fd >= 0 && pwrite(fd, "X", 1, 1) == 1);
		close(fd);
	} else if (how == 'r') {
		CHECK(unlink(p.buf) == 0);
	} else if (how == 'a') {
		put(e.buf, rel, "extra");
	}
	strbuf_release(&e);
	strbuf_release(&err);
	strbuf_release(&p);
}

void test_store_entries(void)
{
	char tmpl[] = "/tmp/cargo-green-store-entries.XXXXXX";
	char *root = mkdtemp(tmpl);
	char *saved = test_env_save("XDG_CACHE_HOME");
	const char *key = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";
	struct strbuf src = STRBUF_INIT, e = STRBUF_INIT, why = STRBUF_INIT, sums = STRBUF_INIT;

	CHECK(root != NULL);
	if (!root)
		return;
	setenv("XDG_CACHE_HOME", root, 1);
	strbuf_addf(&src, "%s/src", root);
	put(src.buf, "green/target/debug/deps/libx-1.rlib", "rlib bytes, rlib bytes");
	put(src.buf, "green/target/debug/deps/x-1.d", "x.d: src/lib.rs\n");
	put(src.buf, "green/x.code", "0");

	/* The manifest: sorted lines, sizes (and digests), itself left out. */
	CHECK(store_sums(src.buf, 0, &sums) == 0);
	CHECK_STR(sums.buf, "green/target/debug/deps/libx-1.rlib\tf 22 -\ngreen/target/debug/deps/x-1.d\tf 16 -\ngreen/x.code\tf 1 -\n");

	/* Whole: a hit, with digests or sizes. */
	CHECK(store_save(key, src.buf, NULL, &why) == 0);
	CHECK(store_lookup(key, 1, &e) == 1);
	CHECK(store_lookup(key, 0, &e) == 1);
	CHECK(store_entry_check(e.buf, 1, &why) == 0);

	/* Adopted (a copy fetched from a cache image): checked whole, then its
	 * stat data kept, so that its first hit does not hash it again. */
	{
		struct strbuf t = STRBUF_INIT, c = STRBUF_INIT;
		strbuf_addf(&t, "%s/adopt", root);
		CHECK(copy_tree(e.buf, t.buf) == 0);
		strbuf_addf(&c, "%s.checked", e.buf);
		rm_rf(e.buf);
		unlink(c.buf);
		CHECK(store_adopt(key, t.buf, &why) == 0);
		CHECK(access(c.buf, F_OK) == 0);
		CHECK(access(t.buf, F_OK) < 0);
		CHECK(store_lookup(key, 1, &e) == 1);
		strbuf_release(&t);
		strbuf_release(&c);
	}

	/* A hit sweeps what a killed save of the same key left beside it (the
	 * key complete, it is not saved again), not a live process's. */
	{
		struct strbuf dead = STRBUF_INIT, live = STRBUF_INIT;
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
		strbuf_addf(&dead, "%s.tmp.%ld", e.buf, (long)pid);
		strbuf_addf(&live, "%s.tmp.%ld", e.buf, (long)getpid());
		put(dead.buf, "green/x.code", "0");
		put(live.buf, "green/x.code", "0");
		CHECK(store_lookup(key, 0, &e) == 1);
		CHECK(access(dead.buf, F_OK) < 0);
		CHECK(access(live.buf, F_OK) == 0);
		rm_rf(live.buf);
		strbuf_release(&dead);
		strbuf_release(&live);
	}

	/* Truncated: a miss with sizes alone, and the entry is gone. */
	save_then(key, src.buf, "green/target/debug/deps/libx-1.rlib", 't');
	CHECK(store_lookup(key, 0, &e) == 0);
	CHECK(access(e.buf, F_OK) < 0);

	/* Checked once, then by stat data: a write to a file is seen all the same. */
	save_then(key, src.buf, "green/x.code", 0);
	CHECK(store_lookup(key, 1, &e) == 1);
	{
		struct strbuf p = STRBUF_INIT;
		int fd;
		strbuf_addf(&p, "%s/green/x.code", e.buf);
		fd = open(p.buf, O_WRONLY);
		CHECK(fd >= 0 && pwrite(fd, "1", 1, 0) == 1);
		close(fd);
		strbuf_release(&p);
	}
	CHECK(store_lookup(key, 1, &e) == 0);
	strbuf_reset(&why);
	strbuf_addf(&why, "%s.checked", e.buf);
	CHECK(access(why.buf, F_OK) < 0);

	/* A byte flipped: sizes miss it, digests do not. */
	save_then(key, src.buf, "green/target/debug/deps/x-1.d", 'f');
	strbuf_reset(&why);
	store_lookup(key, 0, &e);
	CHECK(store_entry_check(e.buf, 1, &why) < 0);
	CHECK_STR(why.buf, "damaged: green/target/debug/deps/x-1.d is not as saved");
	CHECK(store_lookup(key, 0, &e) == 1);
	CHECK(store_lookup(key, 1, &e) == 0);
	CHECK(access(e.buf, F_OK) < 0);

	/* A file gone, a file more, no manifest (half-written): misses. */
	save_then(key, src.buf, "green/x.code", 'r');
	strbuf_reset(&why);
	CHECK(store_entry_check(e.buf, 0, &why) < 0);
	CHECK_STR(why.buf, "damaged: green/x.code is missing");
	CHECK(store_lookup(key, 0, &e) == 0);
	save_then(key, src.buf, "green/more", 'a');
	strbuf_reset(&why);
	CHECK(store_entry_check(e.buf, 0, &why) < 0);
	CHECK_STR(why.buf, "damaged: green/more is not in its manifest");
	CHECK(store_lookup(key, 0, &e) == 0);
	save_then(key, src.buf, STORE_SUMS, 'r');
	strbuf_reset(&why);
	CHECK(store_entry_check(e.buf, 0, &why) < 0);
	CHECK_STR(why.buf, "incomplete: no manifest");
	CHECK(store_lookup(key, 0, &e) == 0);
	CHECK(access(e.buf, F_OK) < 0);

	/* A dependent's read: a hard link (a deps context's) moves a file's
	 * ctime, not its mtime: still a hit; a write moves the mtime: a miss.
	 * The unit's own hit is strict: a write with its mtime put back is a
	 * miss all the same, but for a ctime moved with the link count (a link
	 * made or removed since the last check: then such a write goes unseen). */
	{
		struct strbuf f = STRBUF_INIT, l = STRBUF_INIT;
		save_then(key, src.buf, "green/x.code", 0);
		strbuf_addf(&f, "%s/green/target/debug/deps/libx-1.rlib", e.buf);
		strbuf_addf(&l, "%s/linked", root);
		CHECK(link(f.buf, l.buf) == 0);
		CHECK(store_lookup(key, STORE_DEP, &e) == 1);
		{
			/* (a link more: its ctime and link count; a hit by the stat
			 * data, not hashed again, so its memo is as it was) */
			struct strbuf memo = STRBUF_INIT, before = STRBUF_INIT, after = STRBUF_INIT;
			strbuf_addf(&memo, "%s.checked", e.buf);
			CHECK(strbuf_read_file(&before, memo.buf) == 0);
			CHECK(store_lookup(key, STORE_HIT, &e) == 1);
			CHECK(strbuf_read_file(&after, memo.buf) == 0);
			CHECK_STR(after.buf, before.buf);
			strbuf_release(&memo);
			strbuf_release(&before);
			strbuf_release(&after);
		}
		CHECK(unlink(l.buf) == 0);
		CHECK(store_lookup(key, STORE_HIT, &e) == 1); /* (a link less: a cargo clean) */
		CHECK(link(f.buf, l.buf) == 0);
		CHECK(unlink(l.buf) == 0);
		CHECK(store_lookup(key, STORE_HIT, &e) == 1); /* (hashed again: a ctime moved alone, the bytes as they were) */
		write_byte(f.buf, 1);
		CHECK(store_lookup(key, STORE_HIT, &e) == 0);
		save_then(key, src.buf, "green/x.code", 0);
		CHECK(link(f.buf, l.buf) == 0);
		write_byte(f.buf, 0);
		CHECK(store_lookup(key, STORE_DEP, &e) == 0);
		unlink(l.buf);

		/* Links of our own, noted: the entry's stat data now is what its
		 * next hit compares with (no hash of it all again), and that hit
		 * stays strict: a write with its mtime put back after the note
		 * is a miss. A write before the note moved the mtime: not noted. */
		save_then(key, src.buf, "green/x.code", 0);
		CHECK(store_lookup(key, STORE_HIT, &e) == 1);
		strbuf_reset(&f);
		strbuf_addf(&f, "%s/green/target/debug/deps/libx-1.rlib", e.buf);
		CHECK(link(f.buf, l.buf) == 0);
		store_note_links(e.buf);
		{
			struct strbuf memo = STRBUF_INIT, seen = STRBUF_INIT, now = STRBUF_INIT;
			strbuf_addf(&memo, "%s.checked", e.buf);
			CHECK(strbuf_read_file(&seen, memo.buf) == 0);
			CHECK(store_sums(e.buf, 2 /* SUMS_STAT */, &now) == 0);
			CHECK_STR(seen.buf, now.buf);
			strbuf_release(&memo);
			strbuf_release(&seen);
			strbuf_release(&now);
		}
		CHECK(store_lookup(key, STORE_HIT, &e) == 1);
		write_byte(f.buf, 1);
		CHECK(store_lookup(key, STORE_HIT, &e) == 0);
		unlink(l.buf);
		save_then(key, src.buf, "green/x.code", 0);
		CHECK(store_lookup(key, STORE_HIT, &e) == 1);
		write_byte(f.buf, 0);
		CHECK(link(f.buf, l.buf) == 0);
		store_note_links(e.buf);
		CHECK(store_lookup(key, STORE_HIT, &e) == 0);
		unlink(l.buf);
		strbuf_release(&f);
		strbuf_release(&l);
	}

	test_env_restore("XDG_CACHE_HOME", saved);
	rm_rf(root);
	strbuf_release(&src);
	strbuf_release(&e);
	strbuf_release(&why);
	strbuf_release(&sums);
}
