/* dockerapi_test.c: the ping's deadline: a socket that takes connections and
 * never answers is told apart from one with nothing behind it. */
#include "dockerapi.h"
#include "fs.h"
#include "test.h"
#include "util.h"

#include <signal.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
	{
		static const struct { const char *in, *host, *port; } tcp[] = {
			{ "tcp://1.2.3.4:2375", "1.2.3.4", "2375" },
			{ "tcp://engine.example", "engine.example", "2375" },
			{ "tcp://[::1]:12375/", "::1", "12375" },
			{ "tcp://[::1]", "::1", "2375" },
			{ "tcp://h:", "h", "2375" },
			{ "tcp://h:x1", NULL, NULL },
			{ "tcp://", NULL, NULL },
			{ "tcp://[::1", NULL, NULL },
			{ "unix:///x", NULL, NULL },
			{ "ssh://me@host", NULL, NULL },
		};
		for (size_t i = 0; i < ARRAY_SIZE(tcp); i++) {
			struct strbuf h = STRBUF_INIT, p = STRBUF_INIT;
			int rc = dockerapi_tcp(tcp[i].in, NULL, &h, &p);
			CHECK(rc == (tcp[i].host ? 0 : -1));
			if (tcp[i].host && !rc) {
				CHECK_STR(h.buf, tcp[i].host);
				CHECK_STR(p.buf, tcp[i].port);
			}
			strbuf_release(&h);
			strbuf_release(&p);
		}
		CHECK(dockerapi_tcp("tcp://1.2.3.4:2375", "remote", &host, &path) == -1);
	}

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

	/* The same over TCP (127.0.0.1, a port of the kernel's choice). */
	{
		struct sockaddr_in in;
		socklen_t len = sizeof(in);
		int c;
		memset(&in, 0, sizeof(in));
		in.sin_family = AF_INET;
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&in, sizeof(in)) == 0 && listen(fd, 8) == 0 &&
		      getsockname(fd, (struct sockaddr *)&in, &len) == 0);
		strbuf_reset(&host);
		strbuf_addf(&host, "tcp://127.0.0.1:%d", ntohs(in.sin_port));
		setenv("DOCKER_HOST", host.buf, 1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(dockerapi_ping(200) == 1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
		/* One that answers: accepted, read, answered by a child of ours. */
		pid_t server = fork();
		if (server == 0) {
			/* (the stuck ping's connection comes first: answered too late) */
			char buf[256];
			while ((c = accept(fd, NULL, NULL)) >= 0) {
				if (read(c, buf, sizeof(buf)) > 0)
					(void)!write(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", 40);
				close(c);
			}
			_exit(0);
		}
		CHECK(dockerapi_ping(2000) == 0);
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
		close(fd);
		/* Nothing listening there any more: refused, not stuck. */
		CHECK(dockerapi_ping(200) == -1);
		setenv("DOCKER_HOST", "ssh://nobody@127.0.0.1", 1);
		CHECK(dockerapi_ping(200) == -2);
	}

	if (saved)
		setenv("DOCKER_HOST", saved, 1);
	else
		unsetenv("DOCKER_HOST");
	free(saved);
	rm_rf(root);
	strbuf_release(&host);
	strbuf_release(&path);
}
