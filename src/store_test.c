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

void test_store(void)
{
	char tmpl[] = "/tmp/cargo-green-store-test.XXXXXX", d0[STORE_KEY_HEX], d[STORE_KEY_HEX],
	     k0[STORE_KEY_HEX], k[STORE_KEY_HEX];
	const char *root = mkdtemp(tmpl);
	struct strbuf src = STRBUF_INIT, xdg = STRBUF_INIT, ctx = STRBUF_INIT, p = STRBUF_INIT;
	struct timespec times[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char *old_xdg = getenv("XDG_CACHE_HOME") ? xstrdup(getenv("XDG_CACHE_HOME")) : NULL;

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

	if (old_xdg)
		setenv("XDG_CACHE_HOME", old_xdg, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	free(old_xdg);
	rm_rf(root);
	strbuf_release(&src);
	strbuf_release(&xdg);
	strbuf_release(&ctx);
	strbuf_release(&p);
}
