/* main.c: which of cargo-green's modes this call is, and nothing else.
 *
 *   cargo green ARGS...              plugin: cargo with cargo-green as RUSTC_WRAPPER
 *   cargo-green RUSTC ARGS...        wrapper: one rustc call (set by the plugin)
 *   cargo-green __build-script-run   a build script's shim, run by cargo
 *   cargo [green] supergreen CMD     cargo-green's own commands
 *
 * The plugin and the supergreen commands read Cargo.toml's settings (through
 * cargo metadata); wrappers get them from the plugin (the handoff, config.h),
 * each for its own package. */
#include "buildscript.h"
#include "config.h"
#include "exitcode.h"
#include "internal.h"
#include "log.h"
#include "manifest.h"
#include "plugin.h"
#include "run.h"
#include "supergreen.h"
#include "util.h"
#include "version.h"
#include "wrap.h"
#include "banned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mode { MODE_BUILD_SCRIPT, MODE_WRAP, MODE_VERSION, MODE_SUPERGREEN, MODE_PLUGIN };

int main(int argc, const char **argv)
{
	struct config cfg;
	struct manifest m;
	struct strbuf err = STRBUF_INIT;
	enum mode mode;
	int skip, ret;

	if (argc >= 2 && !strcmp(argv[1], "__build-script-run"))
		mode = MODE_BUILD_SCRIPT, skip = 2;
	else if (argc >= 2 && looks_like_rustc(argv[1]))
		mode = MODE_WRAP, skip = 1;
	else if (argc >= 2 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")))
		mode = MODE_VERSION, skip = 1;
	else if (argc >= 2 && !strcmp(argv[1], "supergreen"))
		mode = MODE_SUPERGREEN, skip = 2;
	else if (argc >= 3 && !strcmp(argv[1], "green") && !strcmp(argv[2], "supergreen"))
		mode = MODE_SUPERGREEN, skip = 3;
	else if (argc >= 2 && !strcmp(argv[1], "green"))
		mode = MODE_PLUGIN, skip = 2;
	else
		mode = MODE_PLUGIN, skip = 1;

	/* Interrupted, every mode cleans up before it ends by the signal (run.h). */
	run_catch_signals();
	memset(&m, 0, sizeof(m));
	if (mode == MODE_PLUGIN || mode == MODE_SUPERGREEN) {
		const char *cargo = getenv("CARGO");
		struct strbuf why = STRBUF_INIT;
		int sub = mode == MODE_PLUGIN ? argc - skip : 0;
		if (manifest_read(&m, cargo && *cargo ? cargo : "cargo", sub, argv + skip, &why) < 0) {
			run_exit_if_signaled(); /* interrupted: cargo metadata's failure is no news */
			error("%s", why.buf);
			strbuf_release(&why);
			return EXIT_USAGE;
		}
		strbuf_release(&why);
	}
	if (mode == MODE_WRAP || mode == MODE_BUILD_SCRIPT)
		/* Each unit gets its own package's settings, as the plugin resolved them. */
		ret = config_load_handoff(&cfg, getenv(HANDOFF_ENV), getenv("CARGO_MANIFEST_DIR"), &err);
	else
		ret = config_load(&cfg, &m.toml, &err);
	if (ret == 0 && (mode == MODE_PLUGIN || mode == MODE_SUPERGREEN)) {
		/* Every member's table is checked, whatever the directory: a bad value stops the build. */
		struct strbuf handoff = STRBUF_INIT;
		ret = manifest_handoff(&m, &handoff, &err);
		if (ret == 0)
			ret = plugin_handoff(handoff.buf, &err);
		if (ret == 0 && mode == MODE_PLUGIN)
			ret = config_log_check(&cfg, &err);
		strbuf_release(&handoff);
	}
	if (ret < 0) {
		error("%s", err.buf);
		strbuf_release(&err);
		config_release(&cfg);
		manifest_release(&m);
		return EXIT_USAGE;
	}
	switch (mode) {
	case MODE_BUILD_SCRIPT:
		ret = cmd_build_script_run(&cfg, argc - skip, argv + skip);
		break;
	case MODE_WRAP:
		ret = cmd_wrap(&cfg, argc - skip, argv + skip);
		break;
	case MODE_VERSION:
		ret = printf("cargo-green %s\n", CARGO_GREEN_VERSION) < 0;
		break;
	case MODE_SUPERGREEN:
		ret = cmd_supergreen(&cfg, argc - skip, argv + skip);
		break;
	default:
		ret = cmd_plugin(&cfg, argc - skip, argv + skip);
		break;
	}
	config_release(&cfg);
	manifest_release(&m);
	strbuf_release(&err);
	run_exit_if_signaled();
	return ret;
}
