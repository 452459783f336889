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
}
