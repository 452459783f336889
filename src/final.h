/* final.h: CARGOGREEN_FINAL_PATH, one standalone Dockerfile for a whole run.
 *
 * Each wrapper whose unit landed and is a primary unit (cargo sets
 * CARGO_PRIMARY_PACKAGE), or any unit with CARGOGREEN_FINAL_PATH_NONPRIMARY,
 * appends one line to the run's list (FINAL_LIST_ENV, a file the plugin
 * names): "unit\tRECORD\tBIN-CT\tBIN-NAME" (the last two empty when it is
 * not a binary), or "local\tID" when such a unit went to the local rustc
 * (incremental). After cargo exits, the plugin renders from those records
 * (their closure: each unit's own stage text, byte for byte) one file:
 *
 *   the head (syntax, FROM BASE AS rust-base),
 *   each source context: a crates.io crate as a stage that ADDs its .crate
 *   (checked against Cargo.lock's checksum) and unpacks it; any other as a
 *   named context, given in the closing comment relative to the workspace,
 *   every stage of the closure, dependencies first,
 *   FROM scratch AS final: the binaries (at /NAME, as `cargo install` puts
 *   them in its bin dir), or with none the outputs of the last units,
 *   a closing comment: the plain `docker buildx build` command.
 *
 * The text depends only on the records (sorted), the base, the lock file
 * and the file's name: no host path, no user name. */
#ifndef FINAL_H
#define FINAL_H

#include "strbuf.h"

struct config;


/* In a wrapper, after its unit u ran (code: its command's exit code, or
 * ours): note the unit whose record is at record (bin_ct: its binary's
 * container path, bin_name what cargo calls it, or NULLs). A unit that
 * failed has no record: u is written beside it as RECORD.failed (which
 * nothing else reads) and that is noted, so the file reproduces the
 * failure. Nothing without CARGOGREEN_FINAL_PATH, or when it is neither
 * primary nor NONPRIMARY is set. */
struct unit;
void final_note(const struct config *cfg, const struct unit *u, const char *record, int code, const char *bin_ct,
		const char *bin_name);
/* In a wrapper: a unit that would be noted went to the local rustc. */
void final_note_local(const struct config *cfg, const char *id);

struct final_in {
	const char *list;      /* the list's text */
	const char *base;      /* the base image's reference (FROM) */
	const char *syntax;    /* a # syntax= image, or NULL */
	const char *file;      /* where it is written: the comment names it relative to the workspace root */
	const char *cargo_home; /* the host's CARGO_HOME */
	/* The wrappers' copies of the records (LIST.d, by the SHA-256 of each
	 * record's path), read before the records themselves: cargo install
	 * removes its target dir before the plugin renders. Or NULL. */
	const char *stash;
};

/* The file's text into out. *units: how many units it holds (0: none was
 * listed, nothing rendered). locals: the ids that went to the local rustc,
 * one a line. 0, or -1 with err (a record unreadable). */
int final_render(const struct final_in *in, struct strbuf *out, size_t *units, struct strbuf *locals,
		 struct strbuf *err);

/* In the plugin, after cargo: render the list at list_path into path, one
 * line on stderr saying what was written (failed: cargo failed, so it holds
 * the calls that ran). 0, or an exit code with err. */
int final_write(const struct config *cfg, const char *list_path, const char *base, int failed, struct strbuf *err);

/* How hard a Dockerfile's stage graph is for BuildKit 0.13's frontend
 * (dockerfile2llb's isReachable, a depth-first search without memory, once
 * or twice for each stage; BuildKit 0.14, dockerfile frontend 1.8, remembers
 * what it saw): the number of stages times the paths from the last stage,
 * every stage it reaches counted once per path (the search's own steps),
 * saturating. References: FROM a stage, COPY --from=, RUN --mount from=;
 * heredoc bodies are skipped. *stages gets the number of stages. */
unsigned long long final_graph_cost(const char *text, size_t *stages);
/* Above it, BuildKit 0.13 spends more than about a minute before its first
 * step (measured: 5 s at 9e7 on 2 cores). */
#define FINAL_GRAPH_COST_MAX 1000000000ULL

/* Validation of CARGOGREEN_FINAL_PATH's value: absolute, not a directory,
 * its directory exists and is writable. -1 with why. */
int final_path_check(const char *v, struct strbuf *why);

#endif
