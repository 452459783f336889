/* rustc_args.h: what a rustc command line says, from one table of flags.
 *
 * Each row of the table in rustc_args.c says whether a flag takes a value,
 * whether that value is a host path to rewrite, and whether the call is only
 * a probe. Unknown flags make the call unsupported: it goes to the local rustc. */
#ifndef RUSTC_ARGS_H
#define RUSTC_ARGS_H

#include <stddef.h>
#include "strvec.h"

enum arg_kind {
	ARG_INPUT,    /* the source file (positional) */
	ARG_FLAG,     /* no value */
	ARG_VALUE,    /* a value kept as is */
	ARG_PATH,     /* a value that is a path */
	ARG_LIBPATH,  /* -L [KIND=]PATH */
	ARG_EXTERN,   /* --extern [OPTS:]NAME[=PATH] */
	ARG_CODEGEN,  /* -C KEY[=VALUE] */
	ARG_PROBE,    /* asks rustc something: -vV, --version, --help */
	ARG_PROBE_VALUE, /* --print X, --explain X */
};

struct rustc_arg {
	enum arg_kind kind;
	const char *flag;   /* canonical flag ("-C", "--extern"), NULL for the input */
	const char *value;  /* points into argv or is NULL */
};

struct rustc_args {
	struct rustc_arg *a;
	size_t nr;
	const char *crate_name;
	const char *input;
	const char *out_dir;
	/* "-0123abcd" from -C extra-filename; "" when cargo passes none (a
	 * cdylib or dylib of a path package: its files have no hash). */
	const char *extra_filename;
	const char *metadata;       /* -C metadata, or NULL */
	struct strvec crate_types;
	int error_format_json;
	/* Why this call must go to the local rustc, NULL if it can be built. */
	const char *passthrough;
};

/* Parse args (rustc's arguments, without the rustc path). Values point into
 * args, which must outlive ra. Returns 0; ra->passthrough says if unsupported. */
int rustc_args_parse(struct rustc_args *ra, int argc, const char **args);
void rustc_args_release(struct rustc_args *ra);

/* Is this the compile of a build script? cargo names its crate
 * build_script_STEM after the file's stem (build.rs, build/main.rs: main),
 * makes it a bin and puts it in its own dir under PROFILE/build/. */
int rustc_args_is_build_script(const struct rustc_args *ra);

/* Path of an --extern value ("serde=/t/libserde.rlib" -> "/t/libserde.rlib"), or NULL. */
const char *extern_path(const char *value);
/* Path of a -L value ("native=/x" -> "/x"). */
const char *libpath_path(const char *value);

#endif
