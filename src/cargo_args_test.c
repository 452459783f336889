#include "cargo_args.h"
#include "test.h"

void test_cargo_args(void)
{
	static const struct {
		const char *argv[6];
		const char *env;
		int quiet;
	} cases[] = {
		{ { "build" }, NULL, 0 },
		{ { "run", "-q" }, NULL, 1 },
		{ { "-q", "build" }, NULL, 1 },
		{ { "test", "--quiet" }, NULL, 1 },
		{ { "build", "-rq" }, NULL, 1 },
		{ { "build", "-qr" }, NULL, 1 },
		{ { "run", "--", "-q" }, NULL, 0 },           /* the program's argument */
		{ { "build", "-pquux" }, NULL, 0 },           /* package quux */
		{ { "build", "-p", "-q" }, NULL, 0 },         /* -p's value, as spelled */
		{ { "build", "-j", "2", "-q" }, NULL, 1 },
		{ { "build", "--features", "-q" }, NULL, 0 }, /* --features' value */
		{ { "build", "--release" }, NULL, 0 },
		{ { "build" }, "true", 1 },                   /* CARGO_TERM_QUIET=true */
		{ { "build" }, "false", 0 },
		{ { "build", "-v" }, "true", 0 },             /* the command line wins */
		{ { "build", "--verbose" }, "true", 0 },
		{ { "run", "--", "-v" }, "true", 1 },
		{ { "build", "-" }, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int argc = 0, got;
		while (argc < 6 && cases[i].argv[argc])
			argc++;
		got = cargo_args_quiet(argc, cases[i].argv, cases[i].env);
		if (got != cases[i].quiet)
			fprintf(stderr, "cargo_args_quiet case %zu (%s %s %s, env %s): got %d\n", i, cases[i].argv[0],
				cases[i].argv[1] ? cases[i].argv[1] : "", argc > 2 ? cases[i].argv[2] : "",
				cases[i].env ? cases[i].env : "-", got);
		CHECK(got == cases[i].quiet);
	}
}

/* The kind of build an index's tag names (cacheindex.h). */
void test_cargo_args_index_words(void)
{
	static const struct {
		const char *argv[7];
		const char *env_target, *want;
	} cases[] = {
		{ { "build" }, NULL, "build\n" },
		{ { "b" }, NULL, "build\n" },
		{ { "run", "--bin", "app" }, NULL, "build\n" },     /* run builds what build does */
		{ { "t", "--release" }, NULL, "test\nprofile=release\n" },
		{ { "-v", "--color", "never", "build", "-r" }, NULL, "build\nprofile=release\n" },
		{ { "-Z", "unstable-options", "check" }, NULL, "check\n" },
		{ { "build", "--profile", "ci" }, NULL, "build\nprofile=ci\n" },
		{ { "build", "--profile=ci" }, NULL, "build\nprofile=ci\n" },
		{ { "build", "--target", "x86_64-unknown-linux-musl" }, "aarch64-unknown-linux-gnu",
		  "build\ntarget=x86_64-unknown-linux-musl\n" },
		{ { "build" }, "aarch64-unknown-linux-gnu", "build\ntarget=aarch64-unknown-linux-gnu\n" },
		{ { "build", "--target-dir", "t" }, NULL, "build\n" }, /* not --target */
		{ { "run", "--", "--release" }, NULL, "build\n" },    /* the program's argument */
		{ { "-q" }, NULL, "-\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf out = STRBUF_INIT;
		int argc = 0;
		while (argc < 7 && cases[i].argv[argc])
			argc++;
		cargo_args_index_words(argc, cases[i].argv, cases[i].env_target, &out);
		CHECK_STR(out.buf, cases[i].want);
		strbuf_release(&out);
	}
	{
		const char *a[] = { "build", "--manifest-path", "/w/ws/Cargo.toml" }, *b[] = { "build", "--manifest-path=Cargo.toml" },
			   *c[] = { "build" };
		struct strbuf out = STRBUF_INIT;
		CHECK(cargo_args_manifest_dir(3, a, &out) == 0);
		CHECK_STR(out.buf, "/w/ws");
		strbuf_reset(&out);
		CHECK(cargo_args_manifest_dir(2, b, &out) == 0);
		CHECK_STR(out.buf, ".");
		strbuf_reset(&out);
		CHECK(cargo_args_manifest_dir(1, c, &out) == -1);
		strbuf_release(&out);
	}
}
