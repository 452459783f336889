/* stage.h: the Dockerfile text of one unit of work (a rustc compile or a
 * build script run), and of the whole file that builds it.
 *
 * A unit `ID` renders three stages:
 *   u-ID  the work: rust-base + the e- stages of its direct dependencies,
 *         its sources bind-mounted from the named context src-ID, one RUN
 *         with --network=none (CARGOGREEN_WITH_NETWORK) that leaves its outputs under /green/out;
 *   o-ID  FROM scratch: only those outputs (what lands in target/);
 *   e-ID  FROM scratch: o-ID merged with the e- stages of its dependencies,
 *         i.e. everything a dependent needs to find on disk.
 * The text of a unit depends only on the unit, never on its dependents, so a
 * dependent reuses it byte for byte. */
#ifndef STAGE_H
#define STAGE_H

#include "strbuf.h"
#include "strvec.h"

#define STAGE_HEREDOC "CARGO_GREEN_EOF"
/* The script's first line when a value holds a newline (see stage_add_value). */
#define STAGE_NL_DEF "nl=$(printf '\\nx'); nl=${nl%x}"

/* Owns workdir, collect_dir and the vectors; id and the ctx_ strings point
 * into the caller's unit record. */
struct stage_spec {
	const char *id;
	struct strvec deps;     /* ids of direct dependencies (their e- stages) */
	char *workdir;          /* container cwd */
	const char *ctx_name;   /* named context with the sources, or NULL */
	const char *ctx_target; /* where it is mounted */
	int ctx_rw;             /* build scripts may scribble in their sources */
	/* "NAME=TARGET": sources of dependencies, read-only, so that rustc
	 * shows their lines in diagnostics as it does on the host. */
	struct strvec dep_mounts;
	struct strvec env;      /* "NAME=value", the whole environment of the command */
	struct strvec argv;     /* the command, container paths */
	char *collect_dir;      /* container dir whose outputs are kept */
	int collect_new_only;   /* keep only files the command created in collect_dir */
	const char *network;    /* the RUN's network: none (NULL), default or host */
	/* "NAME:DIGEST" of variables given as BuildKit secrets: their values are
	 * read at run time from /run/secrets/NAME, never written in the stage;
	 * the stage holds DIGEST (store_secret_digest), so a new value misses. */
	struct strvec secrets;
	/* CARGOGREEN_INCREMENTAL: rustc's incremental dir (container path) and
	 * the prefix of this crate's entries in it; the entries travel in the
	 * sources under INCR_SUBDIR and come back with the outputs. */
	char *incr_dir;
	char *incr_prefix;
	/* When set: the outputs of the whole closure come from this named
	 * context (a directory laid out as CT_TARGET), mounted read-only at
	 * CT_DEPS and linked into CT_TARGET by the script (see stage_render),
	 * instead of the e- stages of the dependencies; no e- stage
	 * is rendered. The Dockerfile of a call is then its own unit alone,
	 * whatever the size of the graph. */
	const char *deps_ctx;
	/* A build script run: git in it is a stand-in that leaves a mark
	 * (CT_OUT/green/ID.git) and answers as git does outside a repository. */
	int git_probe;
	/* A build script run given its git work tree: git trusts it. */
	int git_trust;
};

#define INCR_SUBDIR ".green-incremental"

#define STAGE_SPEC_INIT { NULL, STRVEC_INIT, NULL, NULL, NULL, 0, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, NULL, 0, NULL, STRVEC_INIT, NULL, NULL, NULL, 0, 0 }

void stage_spec_release(struct stage_spec *s);

/* What the RUN of a unit leaves beside its outputs, under CT_OUT: in the
 * tree the engine exports (or the local store keeps), STAGE_RESULT_DIR/ID.code,
 * .stdout, .stderr, and .git when its git stand-in ran (git_probe). The
 * only reader of that layout is stage_result_read; stage_render writes it. */
#define STAGE_RESULT_DIR "green"
struct stage_result {
	int finished;       /* the RUN wrote its exit code */
	int code;           /* the command's exit code */
	struct strbuf out;  /* its stdout, as it printed it (container paths) */
	struct strbuf err;  /* its stderr */
	int ran_git;        /* its git stand-in ran */
};
#define STAGE_RESULT_INIT { 0, 0, STRBUF_INIT, STRBUF_INIT, 0 }
/* The result of unit id in the exported tree root (what was CT_OUT),
 * r reset first. An absent or partial result reads as not finished. */
void stage_result_read(const char *root, const char *id, struct stage_result *r);

/* git_probe's stand-in: the dir put first on PATH, and the script there
 * (appended to out) that marks CT_OUT/STAGE_RESULT_DIR/ID.git and answers
 * as git does outside a repository. The stage and the local sandbox use it. */
#define STAGE_GIT_DIR "/tmp/green-git"
void stage_git_standin(const char *id, struct strbuf *out);
void stage_result_release(struct stage_result *r);
/* Append the u-, o- and e- stages of s to out (u- and o- with deps_ctx).
 *
 * No value of s can change the structure of the text: the instructions,
 * their flags and the RUN's heredoc are always the same for the same shape
 * of spec. The words of instructions (ids, context names, mount targets,
 * WORKDIR, the network, secrets' names) must be safe words (stage_id_valid,
 * stage_word_safe): else -1 with one line in err and nothing appended.
 * Every other value (the environment, the command, the output dirs) is one
 * quoted shell word of the RUN's script that holds no line break
 * (stage_add_value), so no value ever starts a line of the Dockerfile. */
int stage_render(const struct stage_spec *s, struct strbuf *out, struct strbuf *err);
/* Is s a valid stage/context name part (lowercase letters, digits, '-', '_', '.')? */
int stage_id_valid(const char *s);
/* Can s be a word of a Dockerfile instruction as it is (a path or an image:
 * letters, digits and "/._-+@~:")? */
int stage_word_safe(const char *s);
/* Append s as one shell word without a line break: as it is when plain, else
 * single-quoted, a newline as "$nl" (then *nl = 1: the script must start with
 * STAGE_NL_DEF), another control character as $(printf '\ooo'). */
void stage_add_value(struct strbuf *out, const char *s, int *nl);

/* The stage name of the last FROM line of a Dockerfile text (FROM x AS
 * NAME), or NULL if it names none. Caller frees. */
char *dockerfile_last_stage(const char *text);

#endif
