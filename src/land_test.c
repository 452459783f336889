#include "fs.h"
#include "job.h"
#include "land.h"
#include "paths.h"
#include "test.h"
#include "unit.h"
#include "util.h"
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void read_at(const char *dir, const char *rel, struct strbuf *out)
{
	struct strbuf p = STRBUF_INIT;
	strbuf_reset(out);
	strbuf_addf(&p, "%s/%s", dir, rel);
	if (strbuf_read_file(out, p.buf) < 0)
		strbuf_addstr(out, "(absent)");
	strbuf_release(&p);
}

static ino_t inode_at(const char *dir, const char *rel)
{
	struct strbuf p = STRBUF_INIT;
	struct stat st;
	strbuf_addf(&p, "%s/%s", dir, rel);
	if (stat(p.buf, &st) < 0)
		st.st_ino = 0;
	strbuf_release(&p);
	return st.st_ino;
}

/* Landing: every file of an exported tree at its host place, dep-info in
 * host paths, the build script's shim, links or copies, nothing left. */
void test_land(void)
{
	char dir[] = "/tmp/cargo-green-land-test.XXXXXX";
	struct job j = JOB_INIT;
	struct strbuf tree = STRBUF_INIT, target = STRBUF_INIT, tmp = STRBUF_INIT, err = STRBUF_INIT, got = STRBUF_INIT,
		      want = STRBUF_INIT;
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	strbuf_addf(&tree, "%s/export" CT_TARGET, dir);
	strbuf_addf(&target, "%s/target", dir);
	strbuf_addf(&tmp, "%s/landing", dir);
	pathmap_add(&j.pm, target.buf, CT_TARGET);
	pathmap_add(&j.pm, "/home/u/proj", CT_WS);
	j.spec.id = "app-1";
	j.shim_ct = xstrdup(CT_TARGET "/debug/build/app-1/build_script_build-1");
	j.shim_text = xstrdup("#!/bin/sh\nexec shim\n");
	test_put(tree.buf, "debug/deps/libapp-1.rlib", "rlib bytes", 0644);
	test_put(tree.buf, "debug/deps/app-1.d", CT_TARGET "/debug/deps/app-1.d: " CT_WS "/src/main.rs\n", 0644);
	test_put(tree.buf, "debug/build/app-1/build_script_build-1", "real build script", 0755);
	test_put(target.buf, "debug/deps/libapp-1.rlib", "an older build", 0644);

	CHECK(land_tree(&j, tree.buf, 0, tmp.buf, &err) == 0);
	CHECK_STR(err.buf, "");
	read_at(target.buf, "debug/deps/libapp-1.rlib", &got);
	CHECK_STR(got.buf, "rlib bytes"); /* over the older one */
	CHECK(inode_at(target.buf, "debug/deps/libapp-1.rlib") == inode_at(tree.buf, "debug/deps/libapp-1.rlib"));
	read_at(target.buf, "debug/deps/app-1.d", &got);
	strbuf_addf(&want, "%s/debug/deps/app-1.d: /home/u/proj/src/main.rs\n", target.buf);
	CHECK_STR(got.buf, want.buf);
	read_at(target.buf, "debug/build/app-1/build_script_build-1", &got);
	CHECK_STR(got.buf, "#!/bin/sh\nexec shim\n");
	read_at(tree.buf, "debug/build/app-1/build_script_build-1", &got);
	CHECK_STR(got.buf, "real build script"); /* the tree is left as it is */
	CHECK(access(tmp.buf, F_OK) < 0);

	/* From the local store: copies, never links (a tool rewriting an output in place must not reach the store). */
	test_put(tree.buf, "debug/deps/libapp-1.rmeta", "rmeta bytes", 0644);
	CHECK(land_tree(&j, tree.buf, 1, tmp.buf, &err) == 0);
	read_at(target.buf, "debug/deps/libapp-1.rmeta", &got);
	CHECK_STR(got.buf, "rmeta bytes");
	CHECK(inode_at(target.buf, "debug/deps/libapp-1.rmeta") != inode_at(tree.buf, "debug/deps/libapp-1.rmeta"));

	/* Kept as its out dir, from the store too when it is a build script's:
	 * the real binary, linked, for its run once the entry is evicted
	 * (target/ holds the shim); another unit's stored tree is not kept. */
	{
		struct unit u = UNIT_INIT;
		struct strbuf kept = STRBUF_INIT, outs = STRBUF_INIT;
		j.host_target = xstrdup(target.buf);
		u.id = "app-1";
		CHECK_STR(land_keep_outputs(&j, tree.buf, 1, &kept), tree.buf);
		CHECK(land_unit_outputs(&j, &u, &outs) == 0);
		CHECK_STR(outs.buf, kept.buf);
		read_at(outs.buf, "debug/build/app-1/build_script_build-1", &got);
		CHECK_STR(got.buf, "real build script");
		CHECK(inode_at(outs.buf, "debug/build/app-1/build_script_build-1") ==
		      inode_at(tree.buf, "debug/build/app-1/build_script_build-1"));
		free(j.shim_ct);
		j.shim_ct = NULL;
		strbuf_reset(&kept);
		CHECK_STR(land_keep_outputs(&j, tree.buf, 1, &kept), tree.buf);
		CHECK(land_unit_outputs(&j, &u, &outs) < 0);
		j.shim_ct = xstrdup(CT_TARGET "/debug/build/app-1/build_script_build-1");
		strbuf_release(&kept);
		strbuf_release(&outs);
	}

	/* A file with no place on the host: an error naming it, nothing else. */
	pathmap_release(&j.pm);
	pathmap_add(&j.pm, "/elsewhere", CT_WS);
	strbuf_reset(&err);
	CHECK(land_tree(&j, tree.buf, 0, tmp.buf, &err) < 0);
	CHECK(strstr(err.buf, "no place on the host") != NULL);

	/* An absent tree lands nothing, and is not an error (a unit with no outputs). */
	strbuf_addstr(&tree, "-absent");
	strbuf_reset(&err);
	CHECK(land_tree(&j, tree.buf, 0, tmp.buf, &err) == 0);

	j.spec.id = NULL;
	job_release(&j);
	rm_rf(dir);
	strbuf_release(&tree);
	strbuf_release(&target);
	strbuf_release(&tmp);
	strbuf_release(&err);
	strbuf_release(&got);
	strbuf_release(&want);
}
