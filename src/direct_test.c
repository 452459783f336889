#include "direct.h"
#include "fs.h"
#include "paths.h"
#include "test.h"
#include "util.h"
#include <stdlib.h>
#include <unistd.h>

void test_direct(void)
{
	char dir[] = "/tmp/cargo-green-direct-test.XXXXXX";
	struct strvec files = STRVEC_INIT;
	struct strbuf src = STRBUF_INIT, tree = STRBUF_INIT, xdg = STRBUF_INIT;
	char *saved = test_env_save("XDG_CACHE_HOME");
	char key[STORE_KEY_HEX], k1[STORE_KEY_HEX], k2[STORE_KEY_HEX];
	const char *pre = "00ffeeddccbbaa99887766554433221100ffeeddccbbaa998877665544332211";

	/* The files of a dep-info: "FILE:" lines, unescaped; not the rule's own line. */
	direct_depinfo_files("/t/app.d: /w/src/main.rs /w/src/a\\ b.rs\n\n/w/src/main.rs:\n/w/src/a\\ b.rs:\n"
			     "# env-dep:X=1\n", &files);
	CHECK(files.nr == 2 && !strcmp(files.v[0], "/w/src/main.rs") && !strcmp(files.v[1], "/w/src/a b.rs"));
	strvec_clear(&files);

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	strbuf_addf(&xdg, "%s/xdg", dir);
	setenv("XDG_CACHE_HOME", xdg.buf, 1);
	strbuf_addf(&src, "%s/src", dir);
	strbuf_addf(&tree, "%s/out", dir);
	memset(k1, 'a', STORE_KEY_HEX - 1);
	k1[STORE_KEY_HEX - 1] = '\0';
	memset(k2, 'b', STORE_KEY_HEX - 1);
	k2[STORE_KEY_HEX - 1] = '\0';
	test_put(src.buf, "src/main.rs", "fn main() {}\n", 0644);
	test_put(src.buf, "src/other.rs", "// not read\n", 0644);
	test_put(tree.buf, "green/target/debug/deps/app-1.d",
	    "/green/target/debug/deps/app-1: app/src/main.rs /green/cargo/registry/x.rs\n"
	    "app/src/main.rs:\n/green/cargo/registry/x.rs:\n", 0644);

	CHECK(direct_lookup(pre, src.buf, key) == 0); /* nothing recorded yet */
	direct_files_compiled(tree.buf, &files);
	CHECK(files.nr == 2);
	direct_record(pre, src.buf, "/green/ws/app", "/green/ws", &files, k1);
	CHECK(direct_lookup(pre, src.buf, key) == 1 && !strcmp(key, k1));
	/* A file it did not read changes: the same key. */
	test_put(src.buf, "src/other.rs", "// changed, still not read\n", 0644);
	CHECK(direct_lookup(pre, src.buf, key) == 1 && !strcmp(key, k1));
	/* A file it read changes: no key, until a build with it is recorded. */
	test_put(src.buf, "src/main.rs", "fn main() { println!(); }\n", 0644);
	CHECK(direct_lookup(pre, src.buf, key) == 0);
	direct_record(pre, src.buf, "/green/ws/app", "/green/ws", &files, k2);
	CHECK(direct_lookup(pre, src.buf, key) == 1 && !strcmp(key, k2));
	/* And back: the earlier build's key (a branch switched to and fro). */
	test_put(src.buf, "src/main.rs", "fn main() {}\n", 0644);
	CHECK(direct_lookup(pre, src.buf, key) == 1 && !strcmp(key, k1));
	{
		/* A file outside its sources that nothing else covers (include! of
		 * another crate's file): the build is not vouched for. One under
		 * them through "..": normalized, it is. */
		const char *pre2 = "11ffeeddccbbaa99887766554433221100ffeeddccbbaa998877665544332211";
		const char *pre3 = "22ffeeddccbbaa99887766554433221100ffeeddccbbaa998877665544332211";
		struct strvec more = STRVEC_INIT;
		strvec_pushv(&more, files.v);
		strvec_push(&more, "app/../other/data.txt");
		direct_record(pre2, src.buf, "/green/ws/app", "/green/ws", &more, k2);
		CHECK(direct_lookup(pre2, src.buf, key) == 0);
		strvec_clear(&more);
		strvec_push(&more, "app/src/../src/main.rs");
		direct_record(pre3, src.buf, "/green/ws/app", "/green/ws", &more, k2);
		CHECK(direct_lookup(pre3, src.buf, key) == 1 && !strcmp(key, k2));
		strvec_clear(&more);
	}
	/* A file it read gone: no key. */
	strbuf_addstr(&src, "/src/main.rs");
	unlink(src.buf);
	strbuf_setlen(&src, src.len - strlen("/src/main.rs"));
	CHECK(direct_lookup(pre, src.buf, key) == 0);

	strvec_clear(&files);

	/* A build script run's files: what it said with rerun-if-changed, else none. */
	CHECK(direct_files_rerun("cargo:rustc-env=A=1\ncargo:rerun-if-changed=build.rs\ncargo::rerun-if-changed=proto/x.proto\n",
				 &files) == 1);
	CHECK(files.nr == 2 && !strcmp(files.v[0], "build.rs") && !strcmp(files.v[1], "proto/x.proto"));
	strvec_clear(&files);
	CHECK(direct_files_rerun("cargo:rustc-env=A=1\n", &files) == 0 && files.nr == 0);

	test_env_restore("XDG_CACHE_HOME", saved);
	rm_rf(dir);
	strbuf_release(&src);
	strbuf_release(&tree);
	strbuf_release(&xdg);
}
