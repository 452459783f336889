#include "cargo_args.h"
#include "util.h"
#include "banned.h"

#include <string.h>

/* cargo's short options that take a value (the rest of the cluster, or the next argument). */
static const char short_with_value[] = "pjFZC";

/* Long options with a value in the next argument (--opt VALUE), which may start with '-'. */
static const char *const long_with_value[] = { "--package", "--jobs", "--features", "--config", "--manifest-path",
					       "--target", "--target-dir", "--profile", "--bin", "--example",
					       "--test", "--bench", "--message-format", "--color", "--exclude" };

static int long_takes_value(const char *arg)
{
	for (size_t i = 0; i < sizeof(long_with_value) / sizeof(long_with_value[0]); i++)
		if (!strcmp(arg, long_with_value[i]))
			return 1;
	return 0;
}

int cargo_args_quiet(int argc, const char *const *argv, const char *term_quiet_env)
{
	int quiet = term_quiet_env && !strcmp(term_quiet_env, "true");
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			break;
		if (!strcmp(a, "--quiet"))
			return 1;
		if (!strcmp(a, "--verbose"))
			quiet = 0; /* cargo: the command line over CARGO_TERM_QUIET */
		if (a[0] == '-' && a[1] == '-') {
			if (long_takes_value(a))
				i++;
			continue;
		}
		if (a[0] != '-' || !a[1])
			continue;
		for (const char *c = a + 1; *c; c++) {
			if (*c == 'q')
				return 1;
			if (*c == 'v')
				quiet = 0;
			if (strchr(short_with_value, *c)) {
				if (!c[1])
					i++; /* its value is the next argument */
				break;
			}
		}
	}
	return quiet;
}

/* The value of option name (a long one: --name V or --name=V) at argv[*i],
 * or NULL; *i moved past a value in the next argument. */
static const char *long_value(int argc, const char *const *argv, int *i, const char *name)
{
	const char *rest;
	if (!skip_prefix(argv[*i], name, &rest))
		return NULL;
	if (*rest == '=')
		return rest + 1;
	if (*rest || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

void cargo_args_index_words(int argc, const char *const *argv, const char *env_target, struct strbuf *out)
{
	static const char *const alias[][2] = { { "b", "build" }, { "c", "check" }, { "t", "test" },
						{ "d", "doc" },   { "r", "build" }, { "run", "build" } };
	const char *cmd = NULL, *v;
	int targets = 0, i = 0;
	/* cargo's own options before its command. */
	for (; i < argc && !cmd; i++) {
		const char *a = argv[i];
		if (a[0] != '-') {
			cmd = a;
		} else if (a[1] == '-') {
			if (long_takes_value(a))
				i++;
		} else if (a[1] && strchr(short_with_value, a[strlen(a) - 1])) {
			i++;
		}
	}
	for (size_t k = 0; cmd && k < sizeof(alias) / sizeof(alias[0]); k++)
		if (!strcmp(cmd, alias[k][0]))
			cmd = alias[k][1];
	strbuf_addf(out, "%s\n", cmd ? cmd : "-");
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--release") || !strcmp(argv[i], "-r")) {
			strbuf_addstr(out, "profile=release\n");
		} else if ((v = long_value(argc, argv, &i, "--profile"))) {
			strbuf_addf(out, "profile=%s\n", v);
		} else if ((v = long_value(argc, argv, &i, "--target"))) {
			strbuf_addf(out, "target=%s\n", v);
			targets++;
		}
	}
	if (!targets && env_target && *env_target)
		strbuf_addf(out, "target=%s\n", env_target);
}

int cargo_args_manifest_dir(int argc, const char *const *argv, struct strbuf *out)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		const char *v = long_value(argc, argv, &i, "--manifest-path"), *slash;
		if (!v)
			continue;
		slash = strrchr(v, '/');
		if (slash)
			strbuf_add(out, v, slash == v ? 1 : (size_t)(slash - v));
		else
			strbuf_addch(out, '.');
		return 0;
	}
	return -1;
}
