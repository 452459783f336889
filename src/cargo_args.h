/* cargo_args.h: what the plugin reads of cargo's own command line (it
 * passes every argument to cargo untouched). */
#ifndef CARGO_ARGS_H
#define CARGO_ARGS_H

/* Does this cargo command line ask for quiet output, as cargo reads it:
 * -q, --quiet or a cluster of short flags with q (-rq) before "--", or
 * term_quiet_env (CARGO_TERM_QUIET's value, may be NULL) "true". A short
 * flag taking a value (-p, -j, -F, -Z, -C) ends its cluster: -pquux names
 * the package quux. argv: the arguments after `cargo green`. */
int cargo_args_quiet(int argc, const char *const *argv, const char *term_quiet_env);

#endif
