#include "rustc_args.h"
#include "util.h"
#include "banned.h"

#include <stdlib.h>
#include <string.h>

struct rustc_flag {
	const char *name;
	const char *alias; /* long spelling of a short flag */
	enum arg_kind kind;
};

/* The flags cargo passes, and the common ones users add through RUSTFLAGS. */
static const struct rustc_flag flags[] = {
	{ "--crate-name", NULL, ARG_VALUE },
	{ "--edition", NULL, ARG_VALUE },
	{ "--crate-type", NULL, ARG_VALUE },
	{ "--emit", NULL, ARG_VALUE },
	{ "--error-format", NULL, ARG_VALUE },
	{ "--json", NULL, ARG_VALUE },
	{ "--out-dir", NULL, ARG_PATH },
	{ "-o", NULL, ARG_PATH },
	{ "-L", NULL, ARG_LIBPATH },
	{ "--extern", NULL, ARG_EXTERN },
	{ "-C", "--codegen", ARG_CODEGEN },
	{ "--cfg", NULL, ARG_VALUE },
	{ "--check-cfg", NULL, ARG_VALUE },
	{ "--cap-lints", NULL, ARG_VALUE },
	{ "--target", NULL, ARG_VALUE },
	{ "-l", NULL, ARG_VALUE },
	{ "-A", "--allow", ARG_VALUE },
	{ "-W", "--warn", ARG_VALUE },
	{ "-D", "--deny", ARG_VALUE },
	{ "-F", "--forbid", ARG_VALUE },
	{ "--force-warn", NULL, ARG_VALUE },
	{ "--color", NULL, ARG_VALUE },
	{ "-Z", NULL, ARG_VALUE },
	{ "--diagnostic-width", NULL, ARG_VALUE },
	{ "--remap-path-prefix", NULL, ARG_VALUE },
	{ "--env-set", NULL, ARG_VALUE },
	{ "--crate-attr", NULL, ARG_VALUE },
	{ "--test", NULL, ARG_FLAG },
	{ "-g", NULL, ARG_FLAG },
	{ "-O", NULL, ARG_FLAG },
	{ "--verbose", NULL, ARG_FLAG },
	{ "-v", NULL, ARG_FLAG },
	{ "--print", NULL, ARG_PROBE_VALUE },
	{ "--explain", NULL, ARG_PROBE_VALUE },
	{ "-vV", NULL, ARG_PROBE },
	{ "-V", "--version", ARG_PROBE },
	{ "-h", "--help", ARG_PROBE },
};

static int takes_value(enum arg_kind k)
{
	return k != ARG_FLAG && k != ARG_PROBE && k != ARG_INPUT;
}

/* Match arg against the table: the row, and the value glued to it if any. */
static const struct rustc_flag *lookup(const char *arg, const char **glued)
{
	*glued = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		const struct rustc_flag *f = &flags[i];
		const char *names[2] = { f->name, f->alias };
		for (int j = 0; j < 2; j++) {
			const char *n = names[j], *rest;
			if (!n || !skip_prefix(arg, n, &rest))
				continue;
			if (!*rest)
				return f;
			if (!takes_value(f->kind))
				continue;
			if (n[1] == '-') { /* --long=value */
				if (*rest == '=') {
					*glued = rest + 1;
					return f;
				}
			} else if (strlen(n) == 2) { /* -Cvalue */
				*glued = rest;
				return f;
			}
		}
	}
	return NULL;
}

static void push(struct rustc_args *ra, enum arg_kind kind, const char *flag, const char *value)
{
	ra->a = xrealloc(ra->a, (ra->nr + 1) * sizeof(*ra->a));
	ra->a[ra->nr].kind = kind;
	ra->a[ra->nr].flag = flag;
	ra->a[ra->nr].value = value;
	ra->nr++;
}

int rustc_args_parse(struct rustc_args *ra, int argc, const char **args)
{
	memset(ra, 0, sizeof(*ra));
	strvec_init(&ra->crate_types);
	for (int i = 0; i < argc; i++) {
		const char *arg = args[i], *value = NULL;
		const struct rustc_flag *f;

		if (arg[0] != '-' || !strcmp(arg, "-")) {
			if (ra->input) {
				ra->passthrough = "more than one input";
				continue;
			}
			ra->input = arg;
			if (!strcmp(arg, "-"))
				ra->passthrough = "source on stdin (probe)";
			push(ra, ARG_INPUT, NULL, arg);
			continue;
		}
		if (arg[0] == '@') {
			ra->passthrough = "@argfile";
			continue;
		}
		f = lookup(arg, &value);
		if (!f) {
			if (!ra->passthrough)
				ra->passthrough = "unknown rustc flag";
			continue;
		}
		if (takes_value(f->kind) && !value) {
			if (i + 1 >= argc) {
				ra->passthrough = "flag without its value";
				continue;
			}
			value = args[++i];
		}
		if (f->kind == ARG_PROBE || f->kind == ARG_PROBE_VALUE)
			ra->passthrough = "probe";
		push(ra, f->kind, f->name, value);

		if (!strcmp(f->name, "--crate-name"))
			ra->crate_name = value;
		else if (!strcmp(f->name, "--out-dir"))
			ra->out_dir = value;
		else if (!strcmp(f->name, "--crate-type"))
			strvec_push(&ra->crate_types, value);
		else if (!strcmp(f->name, "--error-format"))
			ra->error_format_json = !strcmp(value, "json");
		else if (f->kind == ARG_CODEGEN) {
			const char *x;
			if (skip_prefix(value, "extra-filename=", &x))
				ra->extra_filename = x;
			else if (skip_prefix(value, "metadata=", &x))
				ra->metadata = x;
		}
	}
	if (!ra->passthrough) {
		if (!ra->crate_name)
			ra->passthrough = "no --crate-name";
		else if (!ra->input)
			ra->passthrough = "no input";
		else if (!ra->out_dir)
			ra->passthrough = "no --out-dir";
	}
	if (!ra->extra_filename)
		ra->extra_filename = "";
	return 0;
}

int rustc_args_is_build_script(const struct rustc_args *ra)
{
	const char *end, *slash;
	size_t n;
	if (!ra->crate_name || !starts_with(ra->crate_name, "build_script_") || !ra->out_dir ||
	    strvec_find(&ra->crate_types, "bin") < 0 || ra->crate_types.nr != 1)
		return 0;
	/* The out dir is .../build/PKG-HASH: its parent is named build. */
	n = strlen(ra->out_dir);
	while (n > 1 && ra->out_dir[n - 1] == '/')
		n--;
	end = ra->out_dir + n;
	for (slash = end; slash > ra->out_dir && slash[-1] != '/'; slash--)
		;
	if (slash == ra->out_dir || slash == end)
		return 0;
	end = slash - 1; /* the '/' before PKG-HASH */
	while (end > ra->out_dir && end[-1] == '/')
		end--;
	return end - ra->out_dir >= 6 && !strncmp(end - 6, "/build", 6);
}

void rustc_args_release(struct rustc_args *ra)
{
	free(ra->a);
	strvec_clear(&ra->crate_types);
	memset(ra, 0, sizeof(*ra));
}

const char *extern_path(const char *value)
{
	const char *eq = strchr(value, '=');
	return eq ? eq + 1 : NULL;
}

const char *libpath_path(const char *value)
{
	static const char *kinds[] = { "dependency=", "crate=", "native=", "framework=", "all=" };
	const char *rest;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (skip_prefix(value, kinds[i], &rest))
			return rest;
	return value;
}
