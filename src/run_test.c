/* run_test.c: the deadline of run_command_deadline. */
#include "run.h"
#include "test.h"

#include <time.h>

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

void test_run(void)
{
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
