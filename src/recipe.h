/* recipe.h: `cargo green supergreen recipe NAME[@VERSION] [-o FILE]`, the
 * Dockerfile that builds and installs a crates.io crate's binaries as
 * `cargo install --locked NAME@VERSION` does.
 *
 * It runs that install once, through cargo-green (the local store serves
 * what it already has), in a temporary directory with CARGOGREEN_FINAL_PATH
 * set (final.h), then prints that file, or writes it to FILE. cargo's
 * progress goes to stderr from its "Installing" line on; a failure before it
 * (no such crate or version, no binaries, no engine) is one line. */
#ifndef RECIPE_H
#define RECIPE_H

#include "strbuf.h"

struct config;

/* argv: what follows "recipe". Returns the exit code. */
int cmd_recipe(const struct config *cfg, int argc, const char **argv);

/* NAME[@VERSION] into name and version (empty: the newest). -1 with why
 * (the fix named). */
int recipe_parse(const char *spec, struct strbuf *name, struct strbuf *version, struct strbuf *why);

/* Where the install's output (out, len bytes) reaches cargo's "Installing"
 * line: its offset, or -1 (not yet). */
long recipe_started(const char *out, size_t len);

/* The one line (no "cargo-green: error: ") for an install that failed before
 * it started (out: all it printed), and the exit code to end with (rc: the
 * install's). */
int recipe_early_failure(const char *out, const char *name, const char *version, int rc, struct strbuf *line);

#endif
