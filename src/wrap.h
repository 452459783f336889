/* wrap.h: cargo-green as RUSTC_WRAPPER: `cargo-green RUSTC ARGS...`. */
#ifndef WRAP_H
#define WRAP_H

struct config;

/* argv[0] is the rustc cargo wants, the rest its arguments. Returns the exit
 * code (rustc's own when it ran), or does not return (exec of the local rustc). */
int cmd_wrap(const struct config *cfg, int argc, const char **argv);

/* Does this argument look like the rustc (or a rustc driver) cargo hands a wrapper? */
int looks_like_rustc(const char *arg);

/* Hand the call to argv[0] unchanged, counting why. Returns only on failure. */
int passthrough(const struct config *cfg, const char **argv, const char *why, const char *id);

#endif
