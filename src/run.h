/* run.h: the one way cargo-green starts a subprocess (after git's run-command).
 *
 * Arguments and environment are vectors, never a shell string. The child's
 * stdin/stdout/stderr can be sent to files or captured. While a child runs,
 * SIGINT/SIGTERM/SIGHUP received by cargo-green are forwarded to it. */
#ifndef RUN_H
#define RUN_H

#include <sys/types.h>
#include "strbuf.h"
#include "strvec.h"

struct child {
	struct strvec args;   /* args.v[0] is looked up on PATH if it has no '/' */
	/* Each entry "NAME=value" sets, "NAME" unsets. With clear_env, the
	 * child gets exactly the set entries. */
	struct strvec env;
	int clear_env;
	const char *dir;          /* working directory; NULL: ours */
	const char *stdin_path;   /* NULL: inherit; "" : /dev/null */
	const char *stdout_path;  /* NULL: inherit; truncates */
	const char *stderr_path;  /* NULL: inherit; truncates */
	int stderr_to_stdout;
	int no_stdout;            /* stdout to /dev/null */
	pid_t pid;
};

#define CHILD_INIT { STRVEC_INIT, STRVEC_INIT, 0, NULL, NULL, NULL, NULL, 0, 0, -1 }

void child_release(struct child *c);

/* Start c. -1 with a message in err ("could not run 'docker': not found on PATH"). */
int run_start(struct child *c, struct strbuf *err);
/* Wait for a started child: its exit code, or 128+signal. */
int run_wait(struct child *c);
/* Start and wait. Exit status, or -1 with err set if it could not start. */
int run_command(struct child *c, struct strbuf *err);
/* Like run_command, the child's stdout appended to out. */
int run_capture(struct child *c, struct strbuf *out, struct strbuf *err);
/* Replace this process with argv (PATH lookup). Returns -1 with err set on failure. */
int run_exec(const char **argv, struct strbuf *err);

/* Absolute path of this executable. Caller frees. */
char *self_exe_path(void);

#endif
