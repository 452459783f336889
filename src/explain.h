/* explain.h: why a unit missed the local store ("explain").
 *
 * A unit's store key (store_unit_key) is a digest: it says that something
 * changed, not what. So each miss also notes the inputs its key was made
 * of, one short line each, and compares them with the earlier notes of the
 * same crate: the closest one (fewest inputs differ) and the first input
 * that differs, in the order a user would look: the target, the base image,
 * a feature, a rustc flag, an environment variable, a secret's value, a
 * source file, a dependency's key, and last the rest of its stage text.
 *
 * An input line is "KIND\tNAME\tVALUE" (no tab or newline in NAME or
 * VALUE): values are short digests, never a variable's or a secret's
 * value. Cargo's own hashes (-C metadata, extra-filename, the hashes in
 * paths), which follow from the other inputs, are left out: a feature
 * turned on is named as that, not as a new -C metadata.
 *
 * Kept under the state dir, explain/GROUP/ (GROUP: package, crate and kind,
 * e.g. "probe.probe.bin"): one file per key (its input lines), the newest
 * EXPLAIN_KEEP kept, and "last", the explanation of its latest miss (read by
 * `supergreen explain`); and explain-src/, a path crate's source lines by
 * its dir's content digest, so that a miss whose sources did not change
 * hashes none of them. Written on a miss only: a hit costs nothing. */
#ifndef EXPLAIN_H
#define EXPLAIN_H

#include "strbuf.h"
#include "strvec.h"

#define EXPLAIN_KEEP 16

/* What a unit's key was made of. Pointers are the caller's. */
struct explain_unit {
	const char *id;              /* its stage id (run-PKG-HASH for a build script run) */
	const struct strvec *argv;   /* its command (container paths) */
	const struct strvec *env;    /* "NAME=value", its whole environment */
	const struct strvec *secrets; /* "NAME:DIGEST" */
	const char *head;            /* the Dockerfile's head */
	const char *stage;           /* its own stage text */
	const char *base_id;         /* the base image's ID */
	const char *ctx_dir;         /* its sources' dir as sent, or NULL */
	const struct strvec *deps;   /* "NAME\tKEY" of its direct dependencies */
};

/* Its input lines, in report order, into out. */
void explain_inputs(const struct explain_unit *u, struct strvec *out);
/* Its group (a file name: package.crate.kind) into group, and how it is
 * shown ("probe (bin)") into shown. */
void explain_group(const struct explain_unit *u, struct strbuf *group, struct strbuf *shown);

/* Compare the input lines now with then (both in report order): the number
 * of inputs that differ, and the first of them described in first (e.g.
 * "env GREEN_PLAIN (set, was unset)"); 0 when equal. */
int explain_diff(const struct strvec *now, const struct strvec *then, struct strbuf *first);

/* A miss of key, whose inputs are inputs: the explanation (one line, no
 * newline) into out, from the closest earlier note of group (shown as
 * shown); then the note of key is saved and the explanation kept as the
 * group's last. A failure to write costs only a future explanation. */
void explain_miss(const char *group, const char *shown, const char *key, const struct strvec *inputs,
		  struct strbuf *out);

/* `supergreen explain [CRATE]`: the last explanation of each group of
 * crate (a package or crate name, '-' and '_' alike; NULL: every group),
 * newest last, one line each, into out. 0, or -1 when there is none. */
int explain_show(const char *crate, struct strbuf *out);

#endif
