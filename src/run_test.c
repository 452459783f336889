/* run_test.c: the deadline of run_command_deadline; SIGPIPE. */
#include "run.h"
#include "test.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int run_for(const char *const *argv, int timeout_ms, int *timed_out, long *ms)
{
	struct child c = CHILD_INIT;
	struct strbuf err = STRBUF_INIT;
	struct timespec t0, t1;
	int rc;
	strvec_pushv(&c.args, (const char **)argv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = run_command_deadline(&c, timeout_ms, timed_out, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	child_release(&c);
	strbuf_release(&err);
	return rc;
}

/* A watcher that says stop on its nth question. */
static int stop_on(void *data)
{
	int *n = data;
	return --*n <= 0;
}

/* Whether the SigIgn mask of a /proc/PID/status text holds SIGPIPE: 1, 0,
 * or -1 without the line. */
static int sigpipe_ignored(const char *status)
{
	const char *l = strstr(status, "\nSigIgn:");
	if (!l)
		return -1;
	return (strtoull(l + 9, NULL, 16) >> (SIGPIPE - 1)) & 1;
}

/* In a child of its own (the signals it sets are its alone): with the
 * signals caught, a write to a pipe nobody reads fails with EPIPE rather
 * than killing the writer, yet a child it starts, and a program it execs,
 * gets SIGPIPE at its default. The child's exit code: a bit per failure. */
static int sigpipe_case(void)
{
	struct child c = CHILD_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	int fds[2], bad = 0, st;
	pid_t pid;
	run_catch_signals();
	if (pipe(fds) < 0)
		return 64;
	close(fds[0]);
	if (write(fds[1], "x", 1) != -1 || errno != EPIPE)
		bad |= 1;
	close(fds[1]);
	strvec_pushl(&c.args, "cat", "/proc/self/status", NULL);
	if (run_capture(&c, &out, &err) != 0 || sigpipe_ignored(out.buf) != 0)
		bad |= 2;
	child_release(&c);
	if (pipe(fds) < 0)
		return 64;
	pid = fork();
	if (pid == 0) {
		const char *argv[] = { "cat", "/proc/self/status", NULL };
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		run_exec(argv, &err);
		_exit(127);
	}
	close(fds[1]);
	strbuf_reset(&out);
	strbuf_read_fd(&out, fds[0]);
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) || sigpipe_ignored(out.buf) != 0)
		bad |= 4;
	strbuf_release(&out);
	strbuf_release(&err);
	return bad;
}

void test_run(void)
{
	{
		int st = -1;
		pid_t pid = fork();
		if (pid == 0)
			_exit(sigpipe_case());
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0); /* 1: killed by it; 2, 4: a child's ignored */
	}

	int timed_out;
	long ms;
	/* Ends in time: its own status, not timed out. */
	CHECK(run_for((const char *const[]){ "sh", "-c", "exit 3", NULL }, 5000, &timed_out, &ms) == 3);
	CHECK(!timed_out);
	CHECK(run_for((const char *const[]){ "true", NULL }, 5000, &timed_out, &ms) == 0);
	CHECK(!timed_out && ms < 2000);
	/* Does not: killed at the deadline. */
	CHECK(run_for((const char *const[]){ "sleep", "30", NULL }, 200, &timed_out, &ms) == 128 + 9);
	CHECK(timed_out);
	CHECK(ms >= 200 && ms < 3000);
	/* Not found: -1, as run_command. */
	CHECK(run_for((const char *const[]){ "cargo-green-no-such-tool", NULL }, 200, &timed_out, &ms) == -1);
	CHECK(!timed_out);

	/* A capture with a deadline: what came before it is kept. */
	{
		struct child c = CHILD_INIT;
		struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		strvec_pushl(&c.args, "sh", "-c", "echo before; exec sleep 30", NULL);
		CHECK(run_capture_deadline(&c, &out, 300, &timed_out, &err) == 128 + 9);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		CHECK(timed_out && ms >= 300 && ms < 3000);
		CHECK_STR(out.buf, "before\n");
		child_release(&c);
		strbuf_reset(&out);
		/* In time: all of its output, its status. */
		strvec_pushl(&c.args, "sh", "-c", "printf 'a\\nb'; exit 4", NULL);
		CHECK(run_capture_deadline(&c, &out, 5000, &timed_out, &err) == 4);
		CHECK(!timed_out);
		CHECK_STR(out.buf, "a\nb");
		child_release(&c);
		/* A watcher stops a child on its word. */
		{
			int n = 3, stopped;
			strvec_pushl(&c.args, "sleep", "30", NULL);
			CHECK(run_start(&c, &err) == 0);
			CHECK(run_wait_watch(&c, stop_on, &n, &stopped) == 128 + 9);
			CHECK(stopped && n == 0);
			child_release(&c);
			n = 1000;
			strvec_pushl(&c.args, "true", NULL);
			CHECK(run_start(&c, &err) == 0);
			CHECK(run_wait_watch(&c, stop_on, &n, &stopped) == 0);
			CHECK(!stopped);
			child_release(&c);
		}
		strbuf_release(&out);
		strbuf_release(&err);
	}
}
