/* learn.h: what a unit was seen to need, read from its result, and kept
 * between builds in its learned file (per crate and target dir, under the
 * state dir's learned/, outside target/: cargo clean keeps it).
 *
 * The file: one line a thing learned, a mode (job.h's enum job_mode) as
 * "@NAME", a host package its base needs (CARGOGREEN_ADD_APT_FROM_HOST) as
 * "apt PKG", else the name of a variable it reads that the host sets. */
#ifndef LEARN_H
#define LEARN_H

#include "job.h"
#include "stage.h"
#include "strbuf.h"
#include "strvec.h"

/* j's learned file. */
void learn_path(const struct job *j, struct strbuf *out);
/* What was learned of j into j->learned_env (and j->learned_apt with
 * CARGOGREEN_ADD_APT_FROM_HOST). */
void learn_load(struct job *j);
/* Everything learned of j (modes, variables, packages) into its file;
 * packages learned while CARGOGREEN_ADD_APT_FROM_HOST was on stay when it
 * is off now. */
void learn_save(const struct job *j);

/* Variables the unit read (rustc's env-dep in the .d files of the exported
 * tree root, a build script's rerun-if-env-changed in r) whose value in the
 * stage (unset, unless the table or a setting passed it) differs from the
 * host's: appended to names. A path-valued one of cargo's that it saw as a
 * container path asks for JOB_MODE_HOST_PATHS, in *modes. */
void learn_missing_env(const struct job *j, const char *root, const struct stage_result *r, struct strvec *names,
		       unsigned *modes);
/* What a failed unit was seen to need: variables env! found undefined that
 * the host has, into learn; modes returned (JOB_MODE_WORKSPACE on trial
 * when a workspace member looked for a file it could not find). */
unsigned learn_failure_needs(const struct job *j, const struct stage_result *r, struct strvec *learn);
/* Does the result call for the dependencies' sources (dep_mounts,
 * "NAME=TARGET"): a failure (a build script may read them, a diagnostic
 * needs their lines), or a message naming one of them outside own_mount? */
int learn_wants_dep_sources(const struct stage_result *r, const struct strvec *dep_mounts, const char *own_mount);

/* What the result shows of system libraries the base (base_ref) lacks and
 * the host has (syslib.h), into found ("PACKAGE=WHAT"). Only failures and
 * build script runs (where probes happen) are read. */
void learn_syslib_note(const struct job *j, const struct stage_result *r, const char *base_ref, struct strvec *found);
/* What learn_syslib_note found: with CARGOGREEN_ADD_APT_FROM_HOST, the
 * packages the unit's base lacks (not in extra, what it has) are learned
 * and 1 returned (run it again); else one note each for `cargo green` to
 * say in one line at the end (without it, that line on stderr now), and 0. */
int learn_syslib_act(struct job *j, const struct strvec *extra, const struct strvec *found);

#endif
