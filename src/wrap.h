/* wrap.h: cargo-green as RUSTC_WRAPPER: `cargo-green RUSTC ARGS...`. */
#ifndef WRAP_H
#define WRAP_H

struct config;

/* argv[0] is the rustc cargo wants, the rest its arguments. Returns the exit
 * code (rustc's own when it ran), or does not return (exec of the local rustc). */
int cmd_wrap(const struct config *cfg, int argc, const char **argv);

/* Does this argument look like the rustc (or a rustc driver) cargo hands a wrapper? */
int looks_like_rustc(const char *arg);

/* Why a compile goes to the local rustc when what it builds on has no
 * engine record: cargo-green compiled it locally itself (incremental, or
 * passed to the local rustc: a mark beside its outputs says so), or something
 * else did, plain cargo earlier in the same target dir (the _PLAIN reasons:
 * the plugin says once what to do, cargo clean). */
#define PASS_DEP_NOT_GREEN "a dependency was not built by cargo-green"
#define PASS_DEP_PLAIN PASS_DEP_NOT_GREEN " (plain cargo built it)"
#define PASS_SCRIPT_NOT_GREEN "its build script did not run through cargo-green"
#define PASS_SCRIPT_PLAIN PASS_SCRIPT_NOT_GREEN " (plain cargo ran it)"

/* Hand the call to argv[0] unchanged, counting why. Returns only on failure. */
int passthrough(const struct config *cfg, const char **argv, const char *why, const char *id);

#endif
