/* cargo_args.h: what the plugin reads of cargo's own command line (it
 * passes every argument to cargo untouched). */
#ifndef CARGO_ARGS_H
#define CARGO_ARGS_H

#include "strbuf.h"

/* Does this cargo command line ask for quiet output, as cargo reads it:
 * -q, --quiet or a cluster of short flags with q (-rq) before "--", or
 * term_quiet_env (CARGO_TERM_QUIET's value, may be NULL) "true". A short
 * flag taking a value (-p, -j, -F, -Z, -C) ends its cluster: -pquux names
 * the package quux. argv: the arguments after `cargo green`. */
int cargo_args_quiet(int argc, const char *const *argv, const char *term_quiet_env);

/* The kind of build a command line asks for, as the index of a cache
 * image names it (cacheindex.h), into out: cargo's command (an alias as
 * its command: b build, c check, t test, d doc; run builds what build
 * does), then "profile=P" for --release (release) or --profile P, and
 * "target=T" for each --target (else env_target, CARGO_BUILD_TARGET's
 * value, may be NULL), one a line. argv: the arguments after `cargo green`. */
void cargo_args_index_words(int argc, const char *const *argv, const char *env_target, struct strbuf *out);

/* The directory of --manifest-path's file, into out: 0, or -1 when none is given. */
int cargo_args_manifest_dir(int argc, const char *const *argv, struct strbuf *out);

#endif
