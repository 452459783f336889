/* paths.h: host paths <-> fixed in-container paths.
 *
 * No host path and no user name reaches a Dockerfile or a cache key: the target
 * dir is /green/target, CARGO_HOME is /green/cargo, the workspace root is
 * /green/ws and a path crate outside it is /green/path/NAME. Text coming back
 * from the engine (diagnostics, dep-info, build script output) is rewritten
 * the other way. */
#ifndef PATHS_H
#define PATHS_H

#include "strbuf.h"
#include "strvec.h"

#define CT_TARGET "/green/target"
#define CT_CARGO_HOME "/green/cargo"
#define CT_WS "/green/ws"
#define CT_PATHPKG "/green/path"
#define CT_OUT "/green/out"
#define CT_DEPS "/green/deps" /* a call's deps context, read-only (stage.c) */

enum rewrite_escape {
	ESCAPE_NONE,
	ESCAPE_JSON, /* the replacement goes inside a JSON string */
	/* The replacement goes into rustc's dep-info (.d), escaped as rustc
	 * does and cargo reads: a dependency's space as "\ " (nothing else:
	 * cargo unescapes nothing else there), a rule's outputs as they are,
	 * and in a "# env-dep:NAME=VALUE" line '\\', newline and carriage
	 * return as \\, \n and \r. */
	ESCAPE_DEPINFO,
};

struct pathmap {
	/* Parallel vectors: host[i] <-> ct[i]. */
	struct strvec host;
	struct strvec ct;
};

#define PATHMAP_INIT { STRVEC_INIT, STRVEC_INIT }

void pathmap_add(struct pathmap *pm, const char *host, const char *ct);
void pathmap_release(struct pathmap *pm);
/* The container path for a host path, or NULL when no mapping covers it. Caller frees. */
char *pathmap_to_ct(const struct pathmap *pm, const char *host);
/* The host path for a container path, or NULL. Caller frees. */
char *pathmap_to_host(const struct pathmap *pm, const char *ct);
/* Append text to out with every mapped prefix (at a path boundary) replaced:
 * to_host != 0 rewrites container paths to host paths, else the reverse. */
void pathmap_rewrite(const struct pathmap *pm, int to_host, enum rewrite_escape esc,
		     const char *text, size_t len, struct strbuf *out);

/* Can host path p stand in a Dockerfile's WORKDIR and RUN --mount target
 * (escaped by stage.c)? Printable ASCII can: spaces, quotes, '$', ','.
 * Not a control character, nor non-ASCII: BuildKit 0.13's Dockerfile
 * parser reads a RUN flag byte by byte and mangles UTF-8 (é becomes Ã©).
 * A unit that must see its host path (job.h's JOB_MODE_HOST_PATHS) needs it. */
int path_dockerfile_safe(const char *p);

/* path with "//", "." and ".." resolved as text (".." of "/" is "/"; a
 * relative path keeps its leading ".."s), no trailing '/'. Caller frees. */
char *path_normalize(const char *path);
/* The longest prefix of path, ending at a component boundary, whose
 * normalization is norm: how path spells the directory norm (e.g.
 * "/w/app/../t/debug" spells "/w/t" as "/w/app/../t"). NULL when none does.
 * Caller frees. */
char *path_spelled_prefix(const char *path, const char *norm);

/* cargo-green's own state directory ($XDG_CACHE_HOME/cargo-green or
 * ~/.cache/cargo-green): the local store, memos, learned settings. */
void state_dir(struct strbuf *out);

/* $CARGO_HOME, or ~/.cargo. */
void cargo_home(struct strbuf *out);

/* The target dir holding path (first ancestor with CACHEDIR.TAG or
 * .rustc_info.json). Caller frees. NULL if none. */
char *find_target_dir(const char *path);

#endif
