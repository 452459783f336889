#include "paths.h"
#include "fs.h"
#include "test.h"
#include <stdlib.h>

static struct pathmap sample(void)
{
	struct pathmap pm = PATHMAP_INIT;
	pathmap_add(&pm, "/home/u/proj/target", CT_TARGET);
	pathmap_add(&pm, "/home/u/.cargo/", CT_CARGO_HOME);
	pathmap_add(&pm, "/home/u/proj", CT_WS);
	return pm;
}

static void check_rewrite(const struct pathmap *pm, int to_host, enum rewrite_escape esc, const char *in, const char *want)
{
	struct strbuf out = STRBUF_INIT;
	pathmap_rewrite(pm, to_host, esc, in, strlen(in), &out);
	CHECK_STR(out.buf, want);
	strbuf_release(&out);
}

void test_paths(void)
{
	struct pathmap pm = sample();
	char *s;

	/* Longest prefix wins: the target dir sits inside the workspace. */
	s = pathmap_to_ct(&pm, "/home/u/proj/target/debug/deps");
	CHECK_STR(s, "/green/target/debug/deps");
	free(s);
	s = pathmap_to_ct(&pm, "/home/u/proj/app/src/main.rs");
	CHECK_STR(s, "/green/ws/app/src/main.rs");
	free(s);
	s = pathmap_to_ct(&pm, "/home/u/proj");
	CHECK_STR(s, "/green/ws");
	free(s);
	/* A sibling with the same prefix is not under it. */
	CHECK(pathmap_to_ct(&pm, "/home/u/project2/x") == NULL);
	CHECK(pathmap_to_ct(&pm, "/usr/lib") == NULL);
	s = pathmap_to_host(&pm, "/green/cargo/registry/src/x/serde-1/src/lib.rs");
	CHECK_STR(s, "/home/u/.cargo/registry/src/x/serde-1/src/lib.rs");
	free(s);

	/* Text: diagnostics, JSON, dep-info. */
	check_rewrite(&pm, 1, ESCAPE_NONE, " --> /green/cargo/registry/src/a.rs:1:2\n", " --> /home/u/.cargo/registry/src/a.rs:1:2\n");
	check_rewrite(&pm, 1, ESCAPE_JSON, "{\"artifact\":\"/green/target/debug/deps/liba-1.rmeta\"}",
		      "{\"artifact\":\"/home/u/proj/target/debug/deps/liba-1.rmeta\"}");
	check_rewrite(&pm, 1, ESCAPE_NONE, "/green/targets/x /green/ws", "/green/targets/x /home/u/proj");
	check_rewrite(&pm, 1, ESCAPE_NONE, "x/green/ws/a", "x/green/ws/a");
	check_rewrite(&pm, 0, ESCAPE_NONE, "OUT_DIR=/home/u/proj/target/debug/build/x-1/out",
		      "OUT_DIR=/green/target/debug/build/x-1/out");
	/* After a colour code (rustc's coloured diagnostics), raw or in a JSON string. */
	check_rewrite(&pm, 1, ESCAPE_NONE, " \x1b[1m\x1b[94m--> \x1b[0m/green/ws/a.rs:2:7", " \x1b[1m\x1b[94m--> \x1b[0m/home/u/proj/a.rs:2:7");
	check_rewrite(&pm, 1, ESCAPE_JSON, "\"\\u001b[0m\\u001b[1m\\u001b[38;5;12m--> \\u001b[0m/green/cargo/a.rs\"",
		      "\"\\u001b[0m\\u001b[1m\\u001b[38;5;12m--> \\u001b[0m/home/u/.cargo/a.rs\"");
	check_rewrite(&pm, 1, ESCAPE_NONE, "\x1b[0m/green/ws", "\x1b[0m/home/u/proj");
	/* A word ending in m followed by a path is still not a boundary. */
	check_rewrite(&pm, 1, ESCAPE_NONE, "[0m/green/ws am/green/ws", "[0m/green/ws am/green/ws");
	pathmap_release(&pm);

	/* Host paths with characters that need escaping. */
	struct pathmap odd = PATHMAP_INIT;
	pathmap_add(&odd, "/tmp/my proj/target", CT_TARGET);
	pathmap_add(&odd, "/tmp/q\"uote", CT_WS);
	check_rewrite(&odd, 1, ESCAPE_DEPINFO, "/green/target/debug/a.d: /green/target/x.rs", "/tmp/my proj/target/debug/a.d: /tmp/my\\ proj/target/x.rs");
	check_rewrite(&odd, 1, ESCAPE_JSON, "\"/green/ws/src/lib.rs\"", "\"/tmp/q\\\"uote/src/lib.rs\"");
	check_rewrite(&odd, 0, ESCAPE_NONE, "/tmp/my proj/target/x", "/green/target/x");
	pathmap_release(&odd);

	/* dep-info as rustc writes it and cargo reads it: a space escaped in
	 * dependency lines only, nothing else there ('#', '$', quotes, '\\' as
	 * they are); an env-dep value escaped as rustc escapes values. */
	struct pathmap weird = PATHMAP_INIT;
	pathmap_add(&weird, "/tmp/My Projects/it's \"q\" $HOME #1 \xc3\xa9,x/target", CT_TARGET);
	pathmap_add(&weird, "/tmp/My Projects/it's \"q\" $HOME #1 \xc3\xa9,x", CT_WS);
	pathmap_add(&weird, "/tmp/back\\slash", CT_PATHPKG "/b");
	check_rewrite(&weird, 1, ESCAPE_DEPINFO,
		      "/green/target/debug/deps/app-1.d: src/main.rs /green/target/debug/build/app-2/out/gen.rs\n"
		      "\n"
		      "/green/target/debug/build/app-2/out/gen.rs:\n"
		      "\n"
		      "# env-dep:CARGO_MANIFEST_DIR=/green/ws/app\n"
		      "# env-dep:OUT_DIR=/green/target/debug/build/app-2/out\n"
		      "# env-dep:B=/green/path/b/x\n"
		      "/green/path/b/src/lib.rs:\n",
		      "/tmp/My Projects/it's \"q\" $HOME #1 \xc3\xa9,x/target/debug/deps/app-1.d: src/main.rs "
		      "/tmp/My\\ Projects/it's\\ \"q\"\\ $HOME\\ #1\\ \xc3\xa9,x/target/debug/build/app-2/out/gen.rs\n"
		      "\n"
		      "/tmp/My\\ Projects/it's\\ \"q\"\\ $HOME\\ #1\\ \xc3\xa9,x/target/debug/build/app-2/out/gen.rs:\n"
		      "\n"
		      "# env-dep:CARGO_MANIFEST_DIR=/tmp/My Projects/it's \"q\" $HOME #1 \xc3\xa9,x/app\n"
		      "# env-dep:OUT_DIR=/tmp/My Projects/it's \"q\" $HOME #1 \xc3\xa9,x/target/debug/build/app-2/out\n"
		      "# env-dep:B=/tmp/back\\\\slash/x\n"
		      "/tmp/back\\slash/src/lib.rs:\n");
	/* A host path is a whole component: "/tmp/app" is not a prefix of
	 * "/tmp/app\xc3\xa9" nor of "/tmp/app2". */
	struct pathmap app = PATHMAP_INIT;
	pathmap_add(&app, "/tmp/app", CT_WS);
	check_rewrite(&app, 0, ESCAPE_NONE, "/tmp/app\xc3\xa9/x /tmp/app2/x /tmp/app/x", "/tmp/app\xc3\xa9/x /tmp/app2/x /green/ws/x");
	pathmap_release(&app);
	pathmap_release(&weird);

	/* Paths as text: what the kernel would reach without symlinks. */
	static const char *norm[][2] = {
		{ "/a/b/../c", "/a/c" },
		{ "/a//b/./c/", "/a/b/c" },
		{ "/..", "/" },
		{ "/a/../../b", "/b" },
		{ "/", "/" },
		{ "/t/debug/deps/../../../x/out", "/x/out" },
		{ "a/../..", ".." },
		{ "../a/../../b", "../../b" },
		{ "./x/", "x" },
		{ "a/..", "." },
		{ "/tmp/My Projects/é/./t", "/tmp/My Projects/é/t" },
	};
	for (size_t i = 0; i < sizeof(norm) / sizeof(norm[0]); i++) {
		s = path_normalize(norm[i][0]);
		CHECK_STR(s, norm[i][1]);
		free(s);
	}
	s = path_spelled_prefix("/w/app/../tgt/debug/deps", "/w/tgt");
	CHECK_STR(s, "/w/app/../tgt");
	free(s);
	s = path_spelled_prefix("/t/x/../debug/deps", "/t");
	CHECK_STR(s, "/t/x/..");
	free(s);
	s = path_spelled_prefix("/w/t/debug", "/w/t");
	CHECK_STR(s, "/w/t");
	free(s);
	CHECK(path_spelled_prefix("/w/t/debug", "/x") == NULL);
	CHECK(path_spelled_prefix("/w/tt/debug", "/w/t") == NULL);
}

/* find_target_dir(root/from) is root/want (want NULL: none is found). */
static void check_target_dir(const char *root, const char *from, const char *want)
{
	struct strbuf p = STRBUF_INIT, w = STRBUF_INIT;
	char *got;
	strbuf_addf(&p, "%s/%s", root, from);
	if (want)
		strbuf_addf(&w, "%s/%s", root, want);
	got = find_target_dir(p.buf);
	CHECK_STR(got, want ? w.buf : NULL);
	free(got);
	strbuf_release(&p);
	strbuf_release(&w);
}

/* find_target_dir: the dir cargo marked, and with --target the one above
 * target/TRIPLE (marked too), where the host's units are. */
void test_find_target_dir(void)
{
	char tmpl[] = "/tmp/cargo-green-tdir-test.XXXXXX";
	const char *root = mkdtemp(tmpl);
	const char *tag = "Signature: 8a477f597d28d172789f06886806bc55\n";
	CHECK(root != NULL);
	if (!root)
		return;
	test_put(root, "ws/target/CACHEDIR.TAG", tag, 0644);
	test_put(root, "ws/target/x86_64-unknown-linux-gnu/CACHEDIR.TAG", tag, 0644);
	test_put(root, "ws/target/x86_64-unknown-linux-gnu/debug/build/x-1/out/.keep", "", 0644);
	test_put(root, "ws/target/debug/deps/.keep", "", 0644);
	test_put(root, "inst/.rustc_info.json", "{}", 0644);
	test_put(root, "inst/release/deps/.keep", "", 0644);
	test_put(root, "my-target/CACHEDIR.TAG", "", 0644);
	test_put(root, "my-target/debug/deps/.keep", "", 0644);
	check_target_dir(root, "ws/target/x86_64-unknown-linux-gnu/debug/build/x-1/out", "ws/target");
	check_target_dir(root, "ws/target/debug/deps", "ws/target");
	/* cargo install's temporary dir: only .rustc_info.json. */
	check_target_dir(root, "inst/release/deps", "inst");
	/* A target dir of its own whose name has a '-', under no marked dir. */
	check_target_dir(root, "my-target/debug/deps", "my-target");
	/* Not in one. */
	check_target_dir(root, "ws", NULL);
	rm_rf(root);
}
