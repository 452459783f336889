#include "cargo_args.h"
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
