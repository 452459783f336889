/* args_fuzz_test.c: no rustc command line breaks its parsing. Random argv
 * (the flags cargo passes, glued and apart, their values, random bytes) is
 * parsed: every value the parse keeps points into the argv it was given
 * (or is ""), a call it cannot build says why, and helpers on its values
 * hold. Shared with the fuzz target (tests/fuzz/args_fuzz.c), which feeds it
 * bytes instead of a seed. */
#include "rustc_args.h"
#include "test.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const words[] = {
	"--crate-name", "--edition", "--crate-type", "--emit", "--error-format", "--json", "--out-dir", "-o", "-L",
	"--extern", "-C", "--codegen", "--cfg", "--check-cfg", "--cap-lints", "--target", "-l", "-A", "-W", "-D", "-F",
	"--force-warn", "--color", "-Z", "--remap-path-prefix", "--env-set", "--test", "-g", "-O", "-v", "--print",
	"--explain", "-vV", "-V", "--version", "-h", "src/lib.rs", "build.rs", "-", "--", "@args", "=", "metadata=",
	"extra-filename=-0123abcd", "extra-filename=", "metadata=0123", "lib", "bin", "proc-macro", "cdylib",
	"build_script_build", "build_script_main", "json", "serde=/t/libserde.rlib", "priv,noprelude:x=/y", "native=/x",
	"dependency=/t/deps", "/t/debug/build/x-1", "link-arg=-fuse-ld=lld", "incremental=/t/i",
};

static char *rnd_arg(struct fuzz_rnd *r)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned n = 1 + fuzz_rnd_below(r, 3);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = fuzz_rnd_byte(r);
		if (k < 160)
			strbuf_addstr(&sb, words[k % ARRAY_SIZE(words)]);
		else if (k < 176)
			strbuf_addch(&sb, '=');
		else if (k < 224)
			strbuf_addch(&sb, (char)('a' + k % 26));
		else
			strbuf_addch(&sb, (char)(1 + fuzz_rnd_below(r, 255)));
	}
	if (fuzz_rnd_below(r, 32) == 0)
		strbuf_reset(&sb); /* an empty argument */
	return strbuf_detach(&sb, NULL);
}

/* Does p point into one of args (its bytes or its NUL), or at ""? */
static int from_args(const char *p, int argc, char **args)
{
	if (!p || !*p)
		return 1;
	for (int i = 0; i < argc; i++)
		if (p >= args[i] && p <= args[i] + strlen(args[i]))
			return 1;
	return 0;
}

int args_fuzz_one(struct fuzz_rnd *r, struct strbuf *why)
{
	char *args[24];
	int argc = (int)fuzz_rnd_below(r, ARRAY_SIZE(args) + 1), ret = 0;
	struct rustc_args ra;

	for (int i = 0; i < argc; i++)
		args[i] = rnd_arg(r);
	memset(&ra, 0, sizeof(ra));
	if (rustc_args_parse(&ra, argc, (const char **)args) != 0) {
		strbuf_addstr(why, "rustc_args_parse did not return 0");
		ret = -1;
	}
	for (size_t i = 0; !ret && i < ra.nr; i++)
		if (!from_args(ra.a[i].value, argc, args)) {
			strbuf_addf(why, "argument %zu's value points outside the argv", i);
			ret = -1;
		} else if (ra.a[i].kind == ARG_EXTERN && ra.a[i].value) {
			const char *p = extern_path(ra.a[i].value);
			if (p && !from_args(p, argc, args)) {
				strbuf_addf(why, "an --extern's path points outside the argv: %s", ra.a[i].value);
				ret = -1;
			}
		} else if (ra.a[i].kind == ARG_LIBPATH && ra.a[i].value) {
			const char *p = libpath_path(ra.a[i].value);
			if (!p || !from_args(p, argc, args)) {
				strbuf_addf(why, "a -L's path points outside the argv: %s", ra.a[i].value);
				ret = -1;
			}
		}
	if (!ret && (!from_args(ra.crate_name, argc, args) || !from_args(ra.input, argc, args) ||
		     !from_args(ra.out_dir, argc, args) || !from_args(ra.extra_filename, argc, args) ||
		     !from_args(ra.metadata, argc, args))) {
		strbuf_addstr(why, "a named field points outside the argv");
		ret = -1;
	}
	if (!ret && ra.passthrough && !*ra.passthrough) {
		strbuf_addstr(why, "passed through without a reason");
		ret = -1;
	}
	for (size_t i = 0; !ret && i < ra.crate_types.nr; i++)
		if (!ra.crate_types.v[i]) {
			strbuf_addstr(why, "a NULL crate type");
			ret = -1;
		}
	(void)rustc_args_is_build_script(&ra);
	rustc_args_release(&ra);
	for (int i = 0; i < argc; i++)
		free(args[i]);
	return ret;
}

/* The unit test: a fixed number of seeded rounds (make fuzz runs longer). */
void test_args_fuzz(void)
{
	CHECK(fuzz_rounds("args", args_fuzz_one, 5000) == 0);
}
