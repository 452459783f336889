/* env.h: which environment variables reach the engine, from one table.
 *
 * Only what cargo sets for a compile or a build script run (and that can
 * change its result) is kept; host paths in values become container paths,
 * except where the value is used at run time on the host. Never the
 * jobserver, never stray variables of the user's shell. */
#ifndef ENV_H
#define ENV_H

#include "paths.h"
#include "strvec.h"

/* ENV_HOST_PATHS (with one of the others): path-valued variables keep the
 * host's value (a unit that reads them runs with its sources at their host
 * paths: job.h's JOB_MODE_HOST_PATHS). */
enum env_use { ENV_COMPILE = 1, ENV_BUILD_SCRIPT = 2, ENV_HOST_PATHS = 4 };

/* Filter environ (NULL-terminated "NAME=value") for use, into out as sorted
 * "NAME=value" with values mapped through pm. extra (may be NULL) names
 * more variables to keep: those a build script set with cargo:rustc-env. */
void env_filter(const char **environ_, enum env_use use, const struct strvec *extra,
		const struct pathmap *pm, struct strvec *out);

/* Is name a path-valued variable of cargo's that a compile may keep as a
 * string (CARGO_MANIFEST_DIR, CARGO_BIN_EXE_*...)? When a unit reads one,
 * it must see the host's value, as with plain cargo. */
int env_is_path_valued(const char *name);

/* Names set by `cargo:rustc-env=NAME=VALUE` (or cargo::) in a build script's output. */
void env_from_build_output(const char *output, struct strvec *names);

/* Is name one of the table's (kept, mapped or dropped on purpose)? Those
 * are never learned from what a unit read (see env_read_by). */
int env_is_ruled(const char *name);

/* Names a unit read from its environment: `# env-dep:NAME[=VALUE]` lines of
 * rustc's dep-info (value, unescaped, after a '=' when it was set) and
 * `cargo:rerun-if-env-changed=NAME` lines of a build script's output (no
 * value known). Each entry of out is "NAME" or "NAME=VALUE"; no duplicates. */
void env_read_by(const char *text, struct strvec *out);

/* Is this environment variable name one whose value must stay secret
 * (…TOKEN, …SECRET, …PASSWORD, …KEY…)? */
int env_name_is_secret(const char *name);

#endif
