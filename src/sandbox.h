/* sandbox.h: a command run by the local machine where it sees what a stage
 * of the engine sees: the fixed paths (/green/target, /green/cargo, the
 * sources' mirrors at their mounts), no network unless the settings give
 * one, the environment of the stage and nothing else of ours.
 *
 * It is how an incremental unit (cargo's -C incremental: what a developer
 * edits) compiles by the local rustc, with its incremental state, as fast
 * as plain cargo, yet with the bytes and the key the engine's fixed paths
 * give: its outputs are stored, hits after `cargo clean` and in another
 * checkout. A mount namespace of its own, made by bubblewrap (bwrap, a
 * Debian package), no daemon: ~15 ms a call here.
 *
 * The root is a fresh tmpfs holding the host's top-level directories
 * read-only (/proc, /dev, /tmp new), then the binds in the order given. */
#ifndef SANDBOX_H
#define SANDBOX_H

#include "strbuf.h"
#include "strvec.h"

struct sandbox {
	struct strvec binds;    /* "ro|rw\tHOST\tMOUNT": parents before children */
	const char *workdir;    /* its cwd, a mount path */
	int network;            /* keep the host's network (else none) */
	struct strvec env;      /* "NAME=value": its whole environment */
	struct strvec argv;     /* the command; argv[0] a host path */
	const char *stdout_path;
	const char *stderr_path;
};

#define SANDBOX_INIT { STRVEC_INIT, NULL, 0, STRVEC_INIT, STRVEC_INIT, NULL, NULL }

void sandbox_release(struct sandbox *sb);
void sandbox_bind(struct sandbox *sb, int rw, const char *host, const char *mount);
/* NAME=value in its environment, in place of any NAME= there: one entry a name. */
void sandbox_setenv(struct sandbox *sb, const char *name, const char *value);

/* Run the command in the sandbox: 0 with *code its exit status (128+N
 * for signal N), its stdout and stderr in their files. -1 with err when
 * the sandbox itself could not be made (no bwrap, no namespaces here,
 * a bind that does not exist): then nothing ran. */
int sandbox_run(const struct sandbox *sb, int *code, struct strbuf *err);

#endif
