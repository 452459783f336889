/* Packing a store entry for a cache image: an archive is kept only when it
 * unpacks to what the entry's manifest says (tar exits 1 when a build hard
 * links a stored file while it reads it: its ctime moved, not its bytes). */
#include "cache.h"
#include "fs.h"
#include "run.h"
#include "store.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <unistd.h>

static int pack(const char *dir, const char *file)
{
	struct child c = CHILD_INIT;
	struct strbuf err = STRBUF_INIT;
	int rc;
	strvec_pushl(&c.args, "tar", "--zstd", "-cf", file, "-C", dir, ".", NULL);
	c.stdin_path = "";
	c.no_stdout = 1;
	rc = run_command(&c, &err);
	child_release(&c);
	strbuf_release(&err);
	return rc;
}

static void manifest(const char *dir)
{
	struct strbuf sums = STRBUF_INIT, p = STRBUF_INIT;
	CHECK(store_sums(dir, 1, &sums) == 0);
	strbuf_addf(&p, "%s/%s", dir, STORE_SUMS);
	CHECK(write_file_atomic(p.buf, sums.buf, sums.len, 0644) == 0);
	strbuf_release(&sums);
	strbuf_release(&p);
}

void test_cache_archive(void)
{
	char tmpl[] = "/tmp/cargo-green-cache-test.XXXXXX";
	const char *root = mkdtemp(tmpl);
	struct strbuf e = STRBUF_INIT, f = STRBUF_INIT, err = STRBUF_INIT;
	CHECK(root != NULL);
	if (!root)
		return;
	strbuf_addf(&e, "%s/entry", root);
	strbuf_addf(&f, "%s/a.tar.zst", root);
	test_put(e.buf, "green/target/debug/deps/libx.rlib", "rlib bytes", 0644);
	test_put(e.buf, "green/x.code", "0\n", 0644);
	manifest(e.buf);

	/* As saved: kept. */
	CHECK(pack(e.buf, f.buf) == 0);
	CHECK(cache_archive_check("k", f.buf, root, &err) == 0);
	CHECK_STR(err.buf, "");
	/* A byte changed, the size the same: refused, naming the file. */
	test_put(e.buf, "green/target/debug/deps/libx.rlib", "rlib bytez", 0644);
	CHECK(pack(e.buf, f.buf) == 0);
	strbuf_reset(&err);
	CHECK(cache_archive_check("k", f.buf, root, &err) == -1);
	CHECK(strstr(err.buf, "libx.rlib") != NULL);
	/* A file left out: refused. */
	test_put(e.buf, "green/target/debug/deps/libx.rlib", "rlib bytes", 0644);
	{
		struct strbuf p = STRBUF_INIT;
		strbuf_addf(&p, "%s/green/x.code", e.buf);
		CHECK(unlink(p.buf) == 0);
		strbuf_release(&p);
	}
	CHECK(pack(e.buf, f.buf) == 0);
	strbuf_reset(&err);
	CHECK(cache_archive_check("k", f.buf, root, &err) == -1);
	CHECK(strstr(err.buf, "x.code") != NULL);
	/* Not an archive: refused. */
	CHECK(write_file_atomic(f.buf, "junk", 4, 0644) == 0);
	strbuf_reset(&err);
	CHECK(cache_archive_check("k", f.buf, root, &err) == -1);
	CHECK(err.len > 0);
	/* No scratch dir left behind. */
	{
		struct strbuf p = STRBUF_INIT;
		strbuf_addf(&p, "%s/k.pushcheck.%ld", root, (long)getpid());
		CHECK(access(p.buf, F_OK) != 0);
		strbuf_release(&p);
	}
	rm_rf(root);
	strbuf_release(&e);
	strbuf_release(&f);
	strbuf_release(&err);
}
