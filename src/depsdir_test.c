/* depsdir_test.c: a slot holds exactly the union of its trees, synced by difference. */
#include "depsdir.h"
#include "fs.h"
#include "test.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static ino_t ino(const char *root, const char *rel)
{
	struct strbuf p = STRBUF_INIT;
	struct stat st;
	strbuf_addf(&p, "%s/%s", root, rel);
	ino_t i = lstat(p.buf, &st) == 0 ? st.st_ino : 0;
	strbuf_release(&p);
	return i;
}

/* Every path below root, "d:" or "f:" first, sorted, joined by spaces. */
static void listing(const char *root, struct strbuf *rel, struct strvec *out)
{
	struct strvec names = STRVEC_INIT;
	struct strbuf full = STRBUF_INIT;
	strbuf_addstr(&full, root);
	if (rel->len)
		strbuf_addf(&full, "/%s", rel->buf);
	dir_entries(full.buf, &names);
	for (size_t i = 0; i < names.nr; i++) {
		size_t keep = rel->len;
		struct stat st;
		if (rel->len)
			strbuf_addch(rel, '/');
		strbuf_addstr(rel, names.v[i]);
		strbuf_reset(&full);
		strbuf_addf(&full, "%s/%s", root, rel->buf);
		lstat(full.buf, &st);
		strvec_pushf(out, "%s:%s", S_ISDIR(st.st_mode) ? "d" : "f", rel->buf);
		if (S_ISDIR(st.st_mode))
			listing(root, rel, out);
		strbuf_setlen(rel, keep);
	}
	strvec_clear(&names);
	strbuf_release(&full);
}

static void check_listing(const char *root, const char *want)
{
	struct strvec all = STRVEC_INIT;
	struct strbuf rel = STRBUF_INIT, got = STRBUF_INIT;
	listing(root, &rel, &all);
	for (size_t i = 0; i < all.nr; i++)
		strbuf_addf(&got, "%s%s", i ? " " : "", all.v[i]);
	CHECK_STR(got.buf, want);
	strvec_clear(&all);
	strbuf_release(&rel);
	strbuf_release(&got);
}

void test_depsdir(void)
{
	char tmpl[] = "/tmp/cargo-green-depsdir.XXXXXX";
	char *root = mkdtemp(tmpl);
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, parent = STRBUF_INIT, err = STRBUF_INIT, p = STRBUF_INIT;
	struct strvec trees = STRVEC_INIT, touched = STRVEC_INIT;
	struct deps_slot s1 = DEPS_SLOT_INIT, s2 = DEPS_SLOT_INIT;

	CHECK(root != NULL);
	if (!root)
		return;
	strbuf_addf(&a, "%s/a", root);
	strbuf_addf(&b, "%s/b", root);
	strbuf_addf(&parent, "%s/deps", root);
	test_put(a.buf, "debug/deps/libx.rlib", "x from a", 0644);
	test_put(a.buf, "debug/deps/x.d", "x.d", 0644);
	test_put(b.buf, "debug/deps/libx.rlib", "x from b", 0644);
	test_put(b.buf, "debug/build/y-1/out/gen.rs", "gen", 0644);
	strbuf_addf(&p, "%s/debug/build/y-1/out/empty", b.buf);
	mkdir_p(p.buf, 0755);

	/* Two calls at once get two slots. */
	CHECK(deps_slot_acquire(parent.buf, &s1, NULL, &err) == 0);
	CHECK(deps_slot_acquire(parent.buf, &s2, NULL, &err) == 0);
	CHECK(strcmp(s1.dir.buf, s2.dir.buf) != 0);
	deps_slot_release(&s2);

	/* The union, the first tree winning a name, empty directories kept. */
	strvec_push(&trees, a.buf);
	strvec_push(&trees, b.buf);
	CHECK(deps_slot_sync(&s1, &trees, &touched, &err) == 0);
	/* (both trees' files got a link more: their ctimes moved) */
	CHECK(touched.nr == 2 && !strcmp(touched.v[0], a.buf) && !strcmp(touched.v[1], b.buf));
	check_listing(s1.dir.buf, "d:debug d:debug/build d:debug/build/y-1 d:debug/build/y-1/out "
				  "d:debug/build/y-1/out/empty f:debug/build/y-1/out/gen.rs d:debug/deps "
				  "f:debug/deps/libx.rlib f:debug/deps/x.d");
	CHECK(ino(s1.dir.buf, "debug/deps/libx.rlib") == ino(a.buf, "debug/deps/libx.rlib"));
	CHECK(ino(s1.dir.buf, "debug/build/y-1/out/gen.rs") == ino(b.buf, "debug/build/y-1/out/gen.rs"));

	/* Another closure: what it does not hold goes, a name now from another tree is relinked. */
	strvec_clear(&trees);
	strvec_push(&trees, b.buf);
	test_put(s1.dir.buf, "stray", "left by a crash", 0644);
	strvec_clear(&touched);
	CHECK(deps_slot_sync(&s1, &trees, &touched, &err) == 0);
	/* (b's libx linked; a's files unlinked: a was held) */
	CHECK(touched.nr == 2 && !strcmp(touched.v[0], b.buf) && !strcmp(touched.v[1], a.buf));
	check_listing(s1.dir.buf, "d:debug d:debug/build d:debug/build/y-1 d:debug/build/y-1/out "
				  "d:debug/build/y-1/out/empty f:debug/build/y-1/out/gen.rs d:debug/deps "
				  "f:debug/deps/libx.rlib");
	CHECK(ino(s1.dir.buf, "debug/deps/libx.rlib") == ino(b.buf, "debug/deps/libx.rlib"));

	/* A rebuilt unit (a new file under the same name) is relinked; kept files stay as they are. */
	ino_t gen = ino(s1.dir.buf, "debug/build/y-1/out/gen.rs");
	strvec_clear(&touched);
	CHECK(deps_slot_sync(&s1, &trees, &touched, &err) == 0);
	CHECK(touched.nr == 0); /* (nothing linked or unlinked: nothing touched) */
	test_put(b.buf, "debug/deps/libx.rlib", "x from b, rebuilt", 0644);
	CHECK(deps_slot_sync(&s1, &trees, &touched, &err) == 0);
	CHECK(touched.nr == 1 && !strcmp(touched.v[0], b.buf));
	CHECK(ino(s1.dir.buf, "debug/deps/libx.rlib") == ino(b.buf, "debug/deps/libx.rlib"));
	CHECK(ino(s1.dir.buf, "debug/build/y-1/out/gen.rs") == gen);

	/* No trees: an empty slot. */
	strvec_clear(&trees);
	CHECK(deps_slot_sync(&s1, &trees, NULL, &err) == 0);
	check_listing(s1.dir.buf, "");

	/* The free slot that held most of a closure is the one taken (slot 1
	 * held b, slot 0 a; a closure of b and a third tree goes to slot 1). */
	strvec_push(&trees, a.buf);
	CHECK(deps_slot_sync(&s1, &trees, NULL, &err) == 0);
	CHECK(deps_slot_acquire(parent.buf, &s2, NULL, &err) == 0);
	strvec_clear(&trees);
	strvec_push(&trees, b.buf);
	CHECK(deps_slot_sync(&s2, &trees, NULL, &err) == 0);
	{
		struct deps_slot s3 = DEPS_SLOT_INIT;
		struct strbuf want = STRBUF_INIT;
		strbuf_addstr(&want, s2.dir.buf);
		deps_slot_release(&s1);
		deps_slot_release(&s2);
		strvec_push(&trees, "/elsewhere/c");
		CHECK(deps_slot_acquire(parent.buf, &s3, &trees, &err) == 0);
		CHECK_STR(s3.dir.buf, want.buf);
		deps_slot_release(&s3);
		/* Nothing in common with any: a new slot (a few at most), so as not
		 * to overwrite what the engine has of another closure. */
		strvec_clear(&trees);
		strvec_push(&trees, "/elsewhere/d");
		CHECK(deps_slot_acquire(parent.buf, &s3, &trees, &err) == 0);
		CHECK(ends_with(s3.dir.buf, "/2"));
		deps_slot_release(&s3);
		strbuf_release(&want);
		CHECK(deps_slot_acquire(parent.buf, &s1, NULL, &err) == 0);
		strvec_clear(&trees);
	}

	/* A tree that is gone is an error, named. */
	strvec_push(&trees, "/nonexistent/cargo-green");
	CHECK(deps_slot_sync(&s1, &trees, NULL, &err) < 0);
	CHECK(strstr(err.buf, "/nonexistent/cargo-green") != NULL);
	deps_slot_release(&s1);

	rm_rf(root);
	strvec_clear(&trees);
	strvec_clear(&touched);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&parent);
	strbuf_release(&err);
	strbuf_release(&p);
}
