#include "exitcode.h"
#include "recipe.h"
#include "test.h"
#include <string.h>

void test_recipe(void)
{
	static const struct {
		const char *spec, *name, *version, *why;
	} specs[] = {
		{ "ripgrep", "ripgrep", "", NULL },
		{ "ripgrep@14.1.1", "ripgrep", "14.1.1", NULL },
		{ "cargo-nextest@0.9.151", "cargo-nextest", "0.9.151", NULL },
		{ "foo_bar@1.0.0-rc.1+build.5", "foo_bar", "1.0.0-rc.1+build.5", NULL },
		{ "Inflector@0.11.4", "Inflector", "0.11.4", NULL },
		{ "ripgrep@99.1", NULL, NULL, "'99.1' is not a version (MAJOR.MINOR.PATCH, e.g. ripgrep@14.1.1;" },
		{ "ripgrep@abc", NULL, NULL, "'abc' is not a version" },
		{ "ripgrep@", NULL, NULL, "'' is not a version" },
		{ "ripgrep@1.02.3", NULL, NULL, "is not a version" },
		{ "ripgrep@1.2.3-", NULL, NULL, "is not a version" },
		{ "ripgrep@^14", NULL, NULL, "is not a version" },
		{ "Bad!name", NULL, NULL, "'Bad!name' is not a crate name" },
		{ "9lives", NULL, NULL, "'9lives' is not a crate name" },
		{ "@1.0.0", NULL, NULL, "'' is not a crate name" },
		{ "../x", NULL, NULL, "is not a crate name" },
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct strbuf n = STRBUF_INIT, v = STRBUF_INIT, why = STRBUF_INIT;
		int r = recipe_parse(specs[i].spec, &n, &v, &why);
		if (specs[i].why) {
			CHECK(r < 0);
			CHECK(strstr(why.buf, specs[i].why) != NULL);
		} else {
			CHECK(r == 0);
			CHECK_STR(n.buf, specs[i].name);
			CHECK_STR(v.buf, specs[i].version);
		}
		strbuf_release(&n);
		strbuf_release(&v);
		strbuf_release(&why);
	}

	/* Where cargo's progress starts being shown. */
	{
		const char *o = "    Updating crates.io index\n  Downloaded ripgrep v14.1.1\n  Installing ripgrep v14.1.1\n   Compiling x\n";
		CHECK(recipe_started(o, strlen(o)) == (long)(strstr(o, "  Installing") - o));
		CHECK(recipe_started(o, strlen("    Updating crates.io index\n  Downloaded ripgrep v14.1.1\n")) == -1);
	}

	/* A failure before it: one line, and the code to end with. */
	{
		static const struct {
			const char *out, *name, *version;
			int rc, code;
			const char *line;
		} fails[] = {
			{ "    Updating crates.io index\nerror: could not find `nosuch` in registry `crates-io` with version `*`\n", "nosuch",
			  "", 101, EXIT_USAGE, "recipe: crates.io has no crate 'nosuch' (check its name: `cargo search nosuch`)" },
			{ "    Updating crates.io index\nerror: could not find `ripgrep` in registry `crates-io` with version `=99.1.0`\n",
			  "ripgrep", "99.1.0", 101, EXIT_USAGE,
			  "recipe: crates.io has no crate 'ripgrep' with version 99.1.0 (its versions: `cargo info ripgrep`; without @VERSION: the newest)" },
			{ "error: there is nothing to install in `serde v1.0.229`, because it has no binaries\n`cargo install` is only for...\n",
			  "serde", "", 101, EXIT_USAGE, "recipe: 'serde' has no binaries: a recipe is for what `cargo install` installs (a library is a dependency: `cargo add serde`)" },
			{ "cargo-green: error: cannot reach the BuildKit engine at unix:///x (start it)\n", "ripgrep", "", 3, 3,
			  "cannot reach the BuildKit engine at unix:///x (start it)" },
			{ "    Updating crates.io index\nerror: failed to download from `https://index.crates.io/ri/pg/ripgrep`\n\nCaused by: ...\n",
			  "ripgrep", "14.1.1", 101, 101,
			  "recipe: cargo install ripgrep@14.1.1 failed (exit 101): failed to download from `https://index.crates.io/ri/pg/ripgrep`" },
		};
		for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
			struct strbuf line = STRBUF_INIT;
			CHECK(recipe_early_failure(fails[i].out, fails[i].name, fails[i].version, fails[i].rc, &line) == fails[i].code);
			CHECK_STR(line.buf, fails[i].line);
			strbuf_release(&line);
		}
	}
}
