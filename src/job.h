/* job.h: one unit of work (a compile or a build script run) through the
 * engine: Dockerfile, build, outputs landed in target/, record written,
 * rustc's (or the build script's) output replayed. */
#ifndef JOB_H
#define JOB_H

#include "paths.h"
#include "stage.h"
#include "strbuf.h"
#include "strvec.h"
#include "unit.h"

struct config;

struct job {
	const struct config *cfg;
	const char *rustc;          /* host rustc: the base image matches it */
	char *host_target;          /* cargo's target dir */
	struct pathmap pm;
	struct stage_spec spec;     /* spec.deps is filled by job_run */
	struct unit self;           /* the record to write; its stage is filled by job_run */
	struct strvec dep_records;  /* records of the direct dependencies */
	char *record_path;
	enum rewrite_escape stderr_escape;
	char *shim_ct;              /* this output is replaced on the host by shim_text */
	char *shim_text;
	char *incr_host;            /* CARGOGREEN_INCREMENTAL: rustc's incremental dir on the host */
	/* Variables this unit was seen to read (rustc's env-dep, a build
	 * script's rerun-if-env-changed) that the table does not pass: given to
	 * it from the host, like CARGOGREEN_SET_ENVS. */
	struct strvec learned_env;
	unsigned modes;             /* enum job_mode: how the caller set the unit up */
	char *git_root;             /* a build script run's git work tree on the host, or NULL */
	/* CARGOGREEN_ADD_APT_FROM_HOST: the host's packages its base was found
	 * to need (syslib.h), installed into it. */
	struct strvec learned_apt;
	/* An incremental unit (cargo's -C incremental, CARGOGREEN_INCREMENTAL
	 * off): compiled by the local rustc in a sandbox at the fixed paths
	 * (sandbox.h) instead of the engine, keyed and stored alike. */
	int local;
	char *out_stem;             /* crate name and extra filename: its outputs' names hold it */
	/* A compile of a path crate: keyed on the files it read too (direct.h). */
	int direct;
};

#define JOB_INIT { .pm = PATHMAP_INIT, .spec = STAGE_SPEC_INIT, .self = UNIT_INIT, .dep_records = STRVEC_INIT, \
		   .stderr_escape = ESCAPE_NONE, .learned_env = STRVEC_INIT, .learned_apt = STRVEC_INIT }

/* What a unit was seen to need beyond its own sources at the fixed paths,
 * learned per crate (beside its learned variables, in
 * ~/.cache/cargo-green/learned/, per target dir) and set up by the caller
 * before job_run. */
enum job_mode {
	/* It read a path-valued variable (env!("CARGO_MANIFEST_DIR"),
	 * CARGO_BIN_EXE_*...): its sources are mounted at their host path and
	 * those variables have the host's values, as with plain cargo. Its
	 * cache key then holds that path. */
	JOB_MODE_HOST_PATHS = 1,
	/* It read a file of the workspace outside its package (include! of
	 * another crate's file, a build script reading ../proto): its context
	 * is the whole workspace (keyed on all of it). */
	JOB_MODE_WORKSPACE = 2,
	/* JOB_MODE_WORKSPACE on trial: kept only if the unit then succeeds. */
	JOB_MODE_TRYING = 4,
	/* A build script run that ran git, in a package inside a git work tree
	 * on the host: the whole work tree, .git included, is its context, at
	 * its host path, with git in the base (keyed on all of it). Without it
	 * a build script's git finds no repository, and says so. */
	JOB_MODE_GIT = 8,
};

/* The modes learned for unit id (crate part of it) under host_target. */
unsigned job_modes_load(const char *host_target, const char *id);

void job_release(struct job *j);

/* What job_run did. */
enum job_result {
	/* It ran in the engine, or came from a cache: *exit_code is the
	 * command's own, its outputs landed (on success) and its stdout and
	 * stderr were replayed. */
	JOB_DONE,
	/* An error of ours: one line in err, *exit_code from exitcode.h;
	 * nothing was landed. */
	JOB_FAILED,
	/* A record of the closure is missing (a dependency built without
	 * cargo-green): the caller passes it to the local rustc. */
	JOB_NO_CLOSURE,
	/* A value of the unit cannot be a word of a Dockerfile instruction
	 * (stage_render; err says which). */
	JOB_NO_STAGE,
	/* The unit needs another set-up (a mode was learned, nothing landed):
	 * the caller sets it up again with job_modes_load's modes and runs it
	 * again. */
	JOB_RESTART,
	/* A local unit whose sandbox could not be made (err says why):
	 * nothing ran; the caller runs the local rustc itself. */
	JOB_NO_SANDBOX,
};

/* Run j. When the unit read a variable it was not given and the host has
 * (or has another value of), it runs again with it: the result is the one
 * the host's environment gives, as with plain cargo. With
 * CARGOGREEN_ADD_APT_FROM_HOST, when it shows that its base lacks a system
 * library the host has, it runs again with the host's package in its base. */
enum job_result job_run(struct job *j, int *exit_code, struct strbuf *err);

/* After JOB_RESTART at depth (0 for the first set-up): 1 when the caller
 * may set the unit up again; else 0, with one line said (a unit that keeps
 * learning a new set-up). */
int job_may_restart(int depth, const char *what);

/* Mirror a path crate's sources (without target dirs, .git or, unless
 * whole_ws, nested packages) into dst, from where they are sent to the engine. */
#define JOB_MIRROR_GIT 2 /* whole_ws, and .git too */
int job_mirror_sources(const char *src, const char *dst, int whole_ws, const char *host_target, struct strbuf *err);

/* The target dir holding dir (absolute, as cargo spelled it, ".." and
 * all) becomes j->host_target, normalized, mapped to CT_TARGET, and so does
 * cargo's own spelling of it (its other paths, OUT_DIR, -L, --extern, spell
 * it alike; text coming back gets that spelling, as from rustc): records
 * and outputs go where the kernel puts rustc's, never outside the target
 * dir. *norm: dir normalized (caller frees). -1 with why when dir is in no
 * target dir, or its ".." may not go where the text says (a symlink). */
int job_set_target(struct job *j, const char *dir, char **norm, const char **why);


#endif
