/* The log's check: it needs no config, only the values. */
#include "log.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

void test_log(void)
{
	struct strbuf err = STRBUF_INIT;
	char tmpl[] = "/tmp/cargo-green-log-test.XXXXXX";
	int fd = mkstemp(tmpl);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* No logs asked for: nothing to open. */
	CHECK(log_check(NULL, "/no/such/dir/log.txt", "the default", &err) == 0);
	CHECK(log_check("off", "/no/such/dir/log.txt", "the default", &err) == 0);
	CHECK_STR(err.buf, "");
	/* A file that can be appended to. */
	CHECK(log_check("debug", tmpl, "from the environment", &err) == 0);
	/* One that cannot: one line naming the path, where it came from, the fix. */
	CHECK(log_check("info,engine=debug", "/no/such/dir/log.txt", "from the environment", &err) == -1);
	CHECK(strstr(err.buf, "CARGOGREEN_LOG_PATH=\"/no/such/dir/log.txt\" (from the environment): cannot open it") != NULL);
	CHECK(strstr(err.buf, "No such file or directory") != NULL);
	CHECK(strchr(err.buf, '\n') == NULL);
	unlink(tmpl);
	strbuf_release(&err);
}
