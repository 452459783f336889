/* buildscript.h: running a build script in the engine.
 *
 * When cargo-green compiles a build script, the binary cargo gets is a shim:
 *   exec cargo-green __build-script-run RECORD "$@"
 * cargo runs it with the build script's environment; this runs the real
 * binary (which never left the engine) in a stage with --network=none, lands
 * OUT_DIR on the host and hands cargo the `cargo:` directives with host paths. */
#ifndef BUILDSCRIPT_H
#define BUILDSCRIPT_H

struct config;

/* argv[0] is the record of the build script's compile. Returns the build
 * script's exit code, or one of exitcode.h. */
int cmd_build_script_run(const struct config *cfg, int argc, const char **argv);

#endif
