#include "supergreen.h"
#include "config.h"
#include "exitcode.h"
#include "util.h"
#include "version.h"
#include "banned.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"Usage:\n"
	"  cargo green supergreen -h | --help\n"
	"  cargo green supergreen -V | --version\n"
	"  cargo green ...any cargo subcommand...\n";

static int cmd_version(const struct config *cfg, int argc, const char **argv)
{
	return printf("cargo-green %s\n", CARGO_GREEN_VERSION) < 0 ? EXIT_IO : 0;
}

static int cmd_help(const struct config *cfg, int argc, const char **argv)
{
	return fputs(usage, stdout) < 0 ? EXIT_IO : 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct config *, int, const char **);
} commands[] = {
	{ "-V", cmd_version },
	{ "--version", cmd_version },
	{ "-h", cmd_help },
	{ "--help", cmd_help },
	{ "help", cmd_help },
};

int cmd_supergreen(const struct config *cfg, int argc, const char **argv)
{
	struct strbuf valid = STRBUF_INIT;
	if (argc < 1)
		return cmd_help(cfg, argc, argv);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].fn(cfg, argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		strbuf_addf(&valid, "%s%s", i ? ", " : "", commands[i].name);
	error("supergreen: unknown subcommand '%s' (valid: %s)", argv[0], valid.buf);
	strbuf_release(&valid);
	return EXIT_USAGE;
}
