/* dockerapi_test.c: the ping's deadline: a socket that takes connections and
 * never answers is told apart from one with nothing behind it. */
#include "dockerapi.h"
#include "fs.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

void test_dockerapi(void)
{
	char tmpl[] = "/tmp/cargo-green-api.XXXXXX";
	char *root = mkdtemp(tmpl);
	const char *old = getenv("DOCKER_HOST");
	char *saved = old ? xstrdup(old) : NULL;
	struct strbuf host = STRBUF_INIT, path = STRBUF_INIT;
	struct sockaddr_un addr;
	struct timespec t0, t1;
	int fd;

	CHECK(root != NULL);
	if (!root)
		return;
	CHECK_STR(dockerapi_socket("unix:///run/x.sock", NULL), "/run/x.sock");
	CHECK(dockerapi_socket("tcp://1.2.3.4:2375", NULL) == NULL);
	CHECK(dockerapi_socket(NULL, "remote") == NULL);

	strbuf_addf(&path, "%s/engine.sock", root);
	strbuf_addf(&host, "unix://%s", path.buf);
	setenv("DOCKER_HOST", host.buf, 1);
	/* Nothing listening: not stuck, another check says what is wrong. */
	CHECK(dockerapi_ping(200) == -1);

	/* Listening, never accepting nor answering (the kernel completes the
	 * connection in the backlog): stuck, within the deadline. */
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path.buf, path.len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 && listen(fd, 8) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(dockerapi_ping(200) == 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
	close(fd);

	if (saved)
		setenv("DOCKER_HOST", saved, 1);
	else
		unsetenv("DOCKER_HOST");
	free(saved);
	rm_rf(root);
	strbuf_release(&host);
	strbuf_release(&path);
}
