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
