/* verify.h: verified hits (CARGOGREEN_VERIFY).
 *
 * A share of the cache hits is built again with the engine's cache off for
 * the unit's own stage (BuildKit's --no-cache-filter; a local unit by the
 * local rustc in its sandbox, job.h), and the rebuilt
 * tree's manifest (store_sums: every file's size and SHA-256) compared with
 * the hit's: a unit that does not build to the same bytes twice is named,
 * with the first file that differs. What lands is the hit's, verified or
 * not; only with strict does a mismatch fail the build.
 *
 * Values: off (unset), a share of hits in (0, 1] ("0.1"), "all" (1),
 * "strict" (all, a mismatch fails the build), or a share or all followed by
 * ",strict". */
#ifndef VERIFY_H
#define VERIFY_H

#include "strbuf.h"

/* The share (0 for off) and strictness of a value. 0, or -1 with what is
 * wrong in why. */
int verify_parse(const char *v, double *share, int *strict, struct strbuf *why);
/* The settings table's validator: verify_parse's verdict. */
int verify_check(const char *v, struct strbuf *why);

/* Is this hit (of key) one to verify, drawn at random with probability share? */
int verify_sampled(double share, const char *key);

/* Compare the manifests want (the hit's) and have (the rebuilt tree's), as
 * store_sums writes them: 0 when equal; else 1 with the first path that
 * differs, and how, in diff ("PATH (other bytes)", "(missing)", "(extra)"). */
int verify_compare(const char *want, const char *have, struct strbuf *diff);

#endif
