/* run.h: the one way cargo-green starts a subprocess (after git's run-command).
 *
 * Arguments and environment are vectors, never a shell string. The child's
 * stdin/stdout/stderr can be sent to files or captured. Every child starts
 * with default signal dispositions and nothing blocked, whatever this
 * process does with its own signals (run_catch_signals). */
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
	int term_signal;          /* after run_wait: the signal that ended it, or 0 */
	int close_fds;            /* nothing of ours but 0-2 stays open in it (it may outlive us) */
};

#define CHILD_INIT { STRVEC_INIT, STRVEC_INIT, 0, NULL, NULL, NULL, NULL, 0, 0, -1, 0, 0 }

void child_release(struct child *c);

/* Start c. -1 with a message in err ("could not run 'docker': not found on PATH"). */
int run_start(struct child *c, struct strbuf *err);
/* Wait for a started child: its exit code, or 128+signal. */
int run_wait(struct child *c);
/* Start and wait. Exit status, or -1 with err set if it could not start. */
int run_command(struct child *c, struct strbuf *err);
/* Like run_command, with a deadline for what must not take long (an engine
 * probe): a child still running after timeout_ms is killed (SIGKILL) and
 * *timed_out set. The exit status then is 128+9. */
int run_command_deadline(struct child *c, int timeout_ms, int *timed_out, struct strbuf *err);
/* run_wait with that deadline, for a child run_start started. */
int run_wait_deadline(struct child *c, int timeout_ms, int *timed_out);
/* Like run_command, the child's stdout appended to out. */
int run_capture(struct child *c, struct strbuf *out, struct strbuf *err);
/* For what must not hang while it runs (an engine call): watch(data) is
 * asked every 100 ms or so (after each read, for a capture); when it returns
 * nonzero the child is killed (SIGKILL), *stopped set, and the status is
 * then 128+9. The watcher may block (an engine ping): the child's end is
 * noticed after it returns. For a capture, what was read before stays in
 * out. */
int run_wait_watch(struct child *c, int (*watch)(void *data), void *data, int *stopped);
int run_capture_watch(struct child *c, struct strbuf *out, int (*watch)(void *data), void *data, int *stopped,
		      struct strbuf *err);
/* run_capture with a deadline of timeout_ms, as run_command_deadline. */
int run_capture_deadline(struct child *c, struct strbuf *out, int timeout_ms, int *timed_out, struct strbuf *err);
/* Replace this process with argv (PATH lookup). Returns -1 with err set on failure. */
int run_exec(const char **argv, struct strbuf *err);

/* From now on SIGINT, SIGQUIT, SIGTERM and SIGHUP (those not ignored on
 * entry) do not end this process: each is noted, SIGTERM and SIGHUP sent by
 * a process are passed on to the running child (SIGINT and SIGQUIT come from
 * the terminal to the whole process group: the child has its own), and no
 * child starts after one arrived (run_start fails, "interrupted"). The
 * caller cleans up, then run_exit_if_signaled(). */
void run_catch_signals(void);
/* The first signal noted since run_catch_signals, or 0. */
int run_signal_caught(void);
/* End this process by the noted signal, if any (as if it had not been
 * caught, so that the parent sees the same status). */
void run_exit_if_signaled(void);
/* End this process by sig, its default disposition restored. */
void run_exit_by_signal(int sig) __attribute__((noreturn));

/* Absolute path of this executable. Caller frees. */
char *self_exe_path(void);

#endif
