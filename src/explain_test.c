#include "explain.h"
#include "fs.h"
#include "hash.h"
#include "test.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A compile of probe's bin, as its stage has it, with what varies. */
struct variant {
	const char *extra_argv; /* one more word pair, or NULL */
	const char *extra_env;  /* one more NAME=value, or NULL */
	const char *main_rs;    /* its source */
	const char *dep_key;    /* its dependency's key */
	const char *base;
	const char *hash;       /* cargo's hash of the unit */
};

static void inputs_of(const char *src, const struct variant *v, struct strvec *out, struct strbuf *group)
{
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT, deps = STRVEC_INIT;
	struct strbuf shown = STRBUF_INIT, id = STRBUF_INIT;
	strbuf_addf(&id, "probe-%s", v->hash);
	strvec_pushl(&argv, "rustc", "--crate-name", "probe", "--edition", "2021", "probe/src/main.rs", "--crate-type", "bin",
		     "--emit", "dep-info,link", NULL);
	strvec_push(&argv, "-C");
	strvec_pushf(&argv, "metadata=%s", v->hash);
	strvec_push(&argv, "-C");
	strvec_pushf(&argv, "extra-filename=-%s", v->hash);
	strvec_pushl(&argv, "--out-dir", "/green/target/debug/deps", "--extern", NULL);
	strvec_pushf(&argv, "greet=/green/target/debug/deps/libgreet-%s.rlib", v->hash);
	if (v->extra_argv)
		strvec_pushl(&argv, "--cfg", v->extra_argv, NULL);
	strvec_pushl(&env, "CARGO_PKG_NAME=probe", "CARGO_CRATE_NAME=probe", NULL);
	strvec_pushf(&env, "OUT_DIR=/green/target/debug/build/probe-%s/out", v->hash);
	if (v->extra_env)
		strvec_push(&env, v->extra_env);
	strvec_pushf(&deps, "greet\t%s", v->dep_key);
	test_put(src, "src/main.rs", v->main_rs, 0644);
	{
		struct explain_unit u = { id.buf, &argv, &env, NULL, "FROM x AS rust-base\n", "RUN rustc\n", v->base, src,
					  &deps };
		explain_inputs(&u, out);
		if (group)
			explain_group(&u, group, &shown);
	}
	strvec_clear(&argv);
	strvec_clear(&env);
	strvec_clear(&deps);
	strbuf_release(&shown);
	strbuf_release(&id);
}

void test_explain(void)
{
	char dir[] = "/tmp/cargo-green-explain-test.XXXXXX";
	struct strbuf src = STRBUF_INIT, xdg = STRBUF_INIT, first = STRBUF_INIT, group = STRBUF_INIT, out = STRBUF_INIT;
	struct strvec a = STRVEC_INIT, b = STRVEC_INIT;
	const char *old_xdg = getenv("XDG_CACHE_HOME");
	char *saved = old_xdg ? xstrdup(old_xdg) : NULL;
	const struct variant base = { NULL, NULL, "fn main() {}\n", "k1", "sha256:0123", "0123456789abcdef" };
	/* Each variant changes one input (and cargo's hash, as cargo would): the first difference named. */
	const struct { struct variant v; int count; const char *first; } cases[] = {
		{ { NULL, NULL, "fn main() {}\n", "k1", "sha256:0123", "fedcba9876543210" }, 0, "" },
		{ { "feature=\"loud\"", NULL, "fn main() {}\n", "k1", "sha256:0123", "1111111111111111" }, 1,
		  "feature loud (on, was off)" },
		{ { "green_flag", NULL, "fn main() {}\n", "k1", "sha256:0123", "1111111111111111" }, 1,
		  "rustc flag '--cfg green_flag' (added)" },
		{ { NULL, "GREEN_PLAIN=one", "fn main() {}\n", "k1", "sha256:0123", "0123456789abcdef" }, 1,
		  "env GREEN_PLAIN (set, was unset)" },
		{ { NULL, NULL, "fn main() { }\n", "k1", "sha256:0123", "0123456789abcdef" }, 1,
		  "source file src/main.rs (changed)" },
		{ { NULL, NULL, "fn main() {}\n", "k2", "sha256:0123", "0123456789abcdef" }, 1,
		  "dependency greet (its key changed)" },
		{ { NULL, NULL, "fn main() {}\n", "k1", "sha256:4567", "0123456789abcdef" }, 1,
		  "the base image (another image, or another Dockerfile head)" },
		/* Two changes: the one a user looks at first (a feature before a source file). */
		{ { "feature=\"loud\"", NULL, "fn main() { }\n", "k1", "sha256:0123", "0123456789abcdef" }, 2,
		  "feature loud (on, was off)" },
	};

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	strbuf_addf(&xdg, "%s/xdg", dir);
	setenv("XDG_CACHE_HOME", xdg.buf, 1);
	strbuf_addf(&src, "%s/src", dir);

	inputs_of(src.buf, &base, &a, &group);
	CHECK_STR(group.buf, "probe.probe.bin");
	/* Cargo's hashes are not inputs: no line holds one. */
	for (size_t i = 0; i < a.nr; i++)
		CHECK(!strstr(a.v[i], "0123456789abcdef"));
	CHECK(strvec_find(&a, "flag\t--extern greet=/green/target/debug/deps/libgreet-*.rlib\t-") >= 0);
	CHECK(strvec_find(&a, "target\t-\thost") >= 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		strvec_clear(&b);
		strbuf_reset(&first);
		inputs_of(src.buf, &cases[i].v, &b, NULL);
		CHECK(explain_diff(&b, &a, &first) == cases[i].count);
		CHECK_STR(first.buf, cases[i].first);
	}
	/* The other way round: what was there is gone. */
	strbuf_reset(&first);
	CHECK(explain_diff(&a, &b, &first) == 2);
	CHECK_STR(first.buf, "feature loud (off, was on)");

	/* The source lines are kept by the dir's content digest: read back while
	 * it holds (a line planted in the memo comes back), made again when a
	 * file changes. */
	{
		struct strbuf memo = STRBUF_INIT, text = STRBUF_INIT;
		char name[17];
		hash_hex(src.buf, name);
		strbuf_addf(&memo, "%s/cargo-green/explain-src/%s", xdg.buf, name);
		strvec_clear(&b);
		inputs_of(src.buf, &cases[4].v, &b, NULL); /* another main.rs: the memo made again */
		strvec_clear(&a);
		inputs_of(src.buf, &base, &a, NULL);
		CHECK(strbuf_read_file(&text, memo.buf) == 0 && strstr(text.buf, "\nsrc\tsrc/main.rs\t"));
		strbuf_addstr(&text, "src\tplanted.rs\t0000000000000000\n");
		write_file_atomic(memo.buf, text.buf, text.len, 0644);
		strvec_clear(&b);
		explain_inputs(&(struct explain_unit){ "x-0123456789abcdef", &(struct strvec)STRVEC_INIT, NULL, NULL, "",
						      "", "", src.buf, NULL }, &b);
		CHECK(strvec_find(&b, "src\tplanted.rs\t0000000000000000") >= 0);
		strvec_clear(&b);
		inputs_of(src.buf, &cases[4].v, &b, NULL);
		CHECK(strvec_find(&b, "src\tplanted.rs\t0000000000000000") < 0);
		strbuf_release(&memo);
		strbuf_release(&text);
	}

	/* The notes: a first build, then the closest of two earlier ones. */
	strvec_clear(&a);
	inputs_of(src.buf, &base, &a, NULL);
	explain_miss("probe.probe.bin", "probe (bin)", "1111111111111111111111111111111111111111111111111111111111111111", &a,
		     &out);
	CHECK_STR(out.buf, "probe (bin): a first build (no earlier build of it noted)");
	strvec_clear(&b);
	inputs_of(src.buf, &cases[7].v, &b, NULL); /* two inputs away */
	strbuf_reset(&out);
	explain_miss("probe.probe.bin", "probe (bin)", "2222222222222222222222222222222222222222222222222222222222222222", &b,
		     &out);
	CHECK(strstr(out.buf, "probe (bin): feature loud (on, was off) differs from its closest earlier build (111111111111, ") == out.buf);
	CHECK(strstr(out.buf, "; 2 inputs differ)") != NULL);
	strvec_clear(&b);
	inputs_of(src.buf, &cases[3].v, &b, NULL); /* one from the first, three from the second */
	strbuf_reset(&out);
	explain_miss("probe.probe.bin", "probe (bin)", "3333333333333333333333333333333333333333333333333333333333333333", &b,
		     &out);
	CHECK(strstr(out.buf, "env GREEN_PLAIN (set, was unset) differs from its closest earlier build (111111111111, ") != NULL);
	/* The same key again (its entry gone): said so. */
	strbuf_reset(&out);
	explain_miss("probe.probe.bin", "probe (bin)", "1111111111111111111111111111111111111111111111111111111111111111", &a,
		     &out);
	CHECK(strstr(out.buf, "its inputs are those of an earlier build (111111111111, ") != NULL);
	/* supergreen explain: the last of each group of the crate. */
	strbuf_reset(&out);
	CHECK(explain_show("probe", &out) == 0 && strstr(out.buf, "its inputs are those") && !strchr(strchr(out.buf, '\n') + 1, '\n'));
	strbuf_reset(&out);
	CHECK(explain_show("nothing-like-it", &out) == -1 && !out.len);

	rm_rf(dir);
	if (saved)
		setenv("XDG_CACHE_HOME", saved, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	free(saved);
	strvec_clear(&a);
	strvec_clear(&b);
	strbuf_release(&src);
	strbuf_release(&xdg);
	strbuf_release(&first);
	strbuf_release(&group);
	strbuf_release(&out);
}
