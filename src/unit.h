/* unit.h: the record a unit leaves beside its outputs, and the dependency
 * closure read from those records.
 *
 * File format (text, one field per line, paths to the end of the line):
 *   cargo-green unit 1
 *   id ID
 *   ctx NAME\tDIR-SENT\tORIGIN-DIR\tMOUNT (optional: the named context of its
 *       sources, the dir sent, where its content comes from, where it is mounted)
 *   ws HOST-DIR (optional: the workspace root of a workspace member)
 *   ctx-full (optional: the context holds the whole workspace, nested packages included)
 *   dep PATH-OF-A-DEPENDENCY'S-RECORD (zero or more, direct dependencies)
 *   key HEX (optional: its local store key, which covers its dependencies')
 *   apt PACKAGE (zero or more: the host's packages its base had beyond the
 *       settings, CARGOGREEN_ADD_APT_FROM_HOST; its dependents' base has them too)
 *   base REF (optional: the image its stages had as rust-base)
 *   built-on STAMP (optional: the engine, engine_stamp of job.c, whose build
 *       cache holds this unit's stages as its record has them, its closure's too)
 *   stage
 *   ...the stage text, to the end of the file...
 */
#ifndef UNIT_H
#define UNIT_H

#include "strbuf.h"
#include "strvec.h"

struct unit {
	char *id;
	char *ctx_name;   /* NULL: no sources */
	char *ctx_dir;    /* the directory sent as the context */
	char *ctx_origin; /* where that directory's content comes from */
	char *ctx_mount;  /* where it is mounted in the container */
	char *ws_root;    /* the workspace root on the host (a member), or NULL */
	int ctx_full;     /* the context is the whole workspace (job.h's JOB_MODE_WORKSPACE) */
	struct strvec deps;
	char *stage;
	char *key;        /* the local store's key of this unit (store_unit_key), or NULL */
	struct strvec apt; /* extra packages of its base (sorted) */
	int local;        /* compiled by the local rustc in its sandbox (job.h's local) */
	char *built_on;   /* the engine that built it with its closure as stages, or NULL */
	char *base;       /* the image its stages had as rust-base, or NULL (an older record) */
};

#define UNIT_INIT { NULL, NULL, NULL, NULL, NULL, NULL, 0, STRVEC_INIT, NULL, NULL, STRVEC_INIT, 0, NULL, NULL }

void unit_release(struct unit *u);
int unit_write(const struct unit *u, const char *path, struct strbuf *err);
int unit_read(struct unit *u, const char *path, struct strbuf *err);

struct closure {
	struct unit *units; /* dependencies first */
	size_t nr;
	struct strvec paths; /* record paths, parallel to units */
};

#define CLOSURE_INIT { NULL, 0, STRVEC_INIT }

/* Read the records of deps and, transitively, of theirs. -1 with err naming
 * the missing or bad record. */
int closure_collect(struct closure *c, const struct strvec *deps, struct strbuf *err);
void closure_release(struct closure *c);

/* Record path of the unit whose output is the file at path, e.g.
 * /t/debug/deps/libserde-ab12.rlib -> /t/debug/deps/serde-ab12.green, and
 * /t/debug/deps/libcdy.so -> /t/debug/deps/cdy.green (no hash). Caller frees.
 * NULL when the name has no unit shape. */
char *unit_record_for_artifact(const char *path);
/* Record path of the compile of crate_name with extra_filename into out_dir. Caller frees. */
char *unit_record_path(const char *out_dir, const char *crate_name, const char *extra_filename);
/* The mark beside a record's place saying that cargo-green compiled that
 * unit with the local rustc (record + ".local"). Caller frees. */
#define UNIT_LOCAL_MARK_SUFFIX ".green.local"
char *unit_local_mark(const char *record);
/* Record path of a build script run, from its OUT_DIR ( .../build/X-HASH/out ). */
char *unit_record_for_out_dir(const char *out_dir);
/* Record path of a build script run, from its dir ( .../build/X-HASH ), len bytes of it. */
char *unit_record_for_run_dir(const char *run_dir, size_t len);

#endif
