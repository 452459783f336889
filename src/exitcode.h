/* exitcode.h: every exit code cargo-green itself chooses, documented once.
 *
 * rustc's, cargo's and build scripts' own exit codes pass through untouched;
 * these are only for failures that are cargo-green's (or the engine's). */
#ifndef EXITCODE_H
#define EXITCODE_H

enum cargo_green_exit {
	EXIT_OK = 0,
	EXIT_USAGE = 2,          /* bad command line or bad setting */
	EXIT_ENGINE_UNREACHABLE = 3, /* no BuildKit engine answers at DOCKER_HOST */
	EXIT_ENGINE_FAILED = 4,  /* the engine failed for a reason that is not rustc's */
	EXIT_BASE_IMAGE = 5,     /* the base image could not be made or does not match rustc */
	EXIT_IO = 6,             /* a file could not be read or written */
	EXIT_VERIFY = 7,         /* a verified cache hit differs from a fresh build (CARGOGREEN_VERIFY=strict) */
	EXIT_INTERNAL = 70,      /* out of memory or a broken invariant */
};

#endif
