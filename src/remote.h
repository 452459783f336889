/* remote.h: one ssh connection per `cargo green` run to an engine at
 * DOCKER_HOST=ssh://[USER@]HOST[:PORT][/SOCKET].
 *
 * docker and buildx, given an ssh:// DOCKER_HOST, run `ssh HOST docker
 * system dial-stdio` for every connection they make: about 11 per buildx
 * call, one after another. Instead the plugin makes a private directory
 * (0700, named for its pid) and hands it to its wrappers; the first process
 * of the run that needs the engine opens, under a lock, one ssh master
 * connection (`ssh -f -N -M -S DIR/ctl`), asks the remote's docker where its
 * engine listens (`docker context inspect`, over that connection) and adds a
 * forward of DIR/docker.sock to it (`ssh -O forward -L`). Every engine client
 * of the run then talks to unix://DIR/docker.sock. A run that never needs
 * the engine (a warm build served by the local store) opens nothing. The
 * plugin closes the master by its pid when cargo has ended (errors and
 * signals included) and removes the directory; what a killed plugin left,
 * the next run sweeps. DOCKER_HOST itself stays the user's, for every
 * message, for the stamps keyed on it, and for what cargo runs.
 *
 * CARGOGREEN_SSH_FORWARD=0 leaves ssh:// to the docker CLI (one ssh per
 * connection). */
#ifndef REMOTE_H
#define REMOTE_H

#include "strbuf.h"


/* Plugin: when DOCKER_HOST is ssh:// (and the forward is not turned off),
 * make the private directory and set REMOTE_DIR_ENV; nothing is connected.
 * Sweeps what killed runs left. 0, or an exit code with one line in err. */
int remote_setup(struct strbuf *err);

/* Does this run reach its engine through the forward (REMOTE_DIR_ENV)? */
int remote_active(void);

/* The socket engine clients use (unix://DIR/docker.sock), or NULL when the
 * run does not go through the forward. Points into a static buffer. */
const char *remote_socket(void);

/* Any process of the run, before it talks to the engine: the forward is
 * open (opened now under the run's lock if it is not). 0, or an exit code
 * with one line in err naming DOCKER_HOST and ssh's own cause. Remembers a
 * failure: a process asks ssh once. */
int remote_ensure(struct strbuf *err);

/* Run command (one shell line, ours) on the remote host over the run's
 * connection (opened if it is not): its exit code, the last line of its
 * stderr in cause; -1 with err when it could not be run at all. */
int remote_run(const char *command, struct strbuf *cause, struct strbuf *err);

/* The last line ssh wrote about this run's connection (it was lost, say),
 * appended to out; nothing when there is none. */
void remote_ssh_cause(struct strbuf *out);

/* Plugin, at the end: the master connection ended by its pid (waited for),
 * the directory removed. */
void remote_close(void);

/* Internal, for tests: the parts of an ssh:// DOCKER_HOST. 0, or -1 when
 * it is not one. Caller frees the strbufs' contents. */
int remote_parse(const char *docker_host, struct strbuf *user, struct strbuf *host, struct strbuf *port,
		 struct strbuf *path);

#endif
