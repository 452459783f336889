/* main.c: which of cargo-green's modes this call is, and nothing else.
 *
 *   cargo green ARGS...              plugin: cargo with cargo-green as RUSTC_WRAPPER
 *   cargo-green RUSTC ARGS...        wrapper: one rustc call (set by the plugin)
 *   cargo-green __build-script-run   a build script's shim, run by cargo
 *   cargo [green] supergreen CMD     cargo-green's own commands
 */
#include "buildscript.h"
#include "config.h"
#include "exitcode.h"
#include "plugin.h"
#include "supergreen.h"
#include "util.h"
#include "version.h"
#include "wrap.h"
#include "banned.h"

#include <stdio.h>
#include <string.h>

int main(int argc, const char **argv)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	int ret;

	if (config_load(&cfg, &err) < 0) {
		error("%s", err.buf);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	if (argc >= 2 && !strcmp(argv[1], "__build-script-run"))
		ret = cmd_build_script_run(&cfg, argc - 2, argv + 2);
	else if (argc >= 2 && looks_like_rustc(argv[1]))
		ret = cmd_wrap(&cfg, argc - 1, argv + 1);
	else if (argc >= 2 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")))
		ret = printf("cargo-green %s\n", CARGO_GREEN_VERSION) < 0;
	else if (argc >= 2 && !strcmp(argv[1], "supergreen"))
		ret = cmd_supergreen(&cfg, argc - 2, argv + 2);
	else if (argc >= 3 && !strcmp(argv[1], "green") && !strcmp(argv[2], "supergreen"))
		ret = cmd_supergreen(&cfg, argc - 3, argv + 3);
	else if (argc >= 2 && !strcmp(argv[1], "green"))
		ret = cmd_plugin(&cfg, argc - 2, argv + 2);
	else
		ret = cmd_plugin(&cfg, argc - 1, argv + 1);
	config_release(&cfg);
	strbuf_release(&err);
	return ret;
}
