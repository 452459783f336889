#include "dockerapi.h"
#include "json.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

const char *dockerapi_socket(const char *docker_host, const char *docker_context)
{
	const char *path;
	if (docker_context && *docker_context && strcmp(docker_context, "default"))
		return NULL;
	if (!docker_host || !*docker_host)
		return "/var/run/docker.sock";
	if (skip_prefix(docker_host, "unix://", &path) && *path)
		return path;
	return NULL;
}

/* Percent-encode what a path segment cannot hold; '/' and ':' stay (the
 * API routes /images/{name:.*}/json). */
static void add_escaped(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/:@", c))
			strbuf_addch(sb, c);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

/* A socket to the engine's API at DOCKER_HOST (a unix socket only), with
 * timeout tv on receiving (SO_RCVTIMEO) or, for a connect that waits on a
 * full backlog, sending (SO_SNDTIMEO), not connected yet; -1 when
 * DOCKER_HOST is not such a socket. */
static int api_socket(int optname, const struct timeval *tv, struct sockaddr_un *addr)
{
	const char *sock = dockerapi_socket(getenv("DOCKER_HOST"), getenv("DOCKER_CONTEXT"));
	int fd;
	if (!sock || strlen(sock) >= sizeof(addr->sun_path))
		return -1;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, optname, tv, sizeof(*tv)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int dockerapi_image_id(const char *image, struct strbuf *id)
{
	struct sockaddr_un addr;
	struct timeval tv = { 5, 0 };
	struct strbuf req = STRBUF_INIT, resp = STRBUF_INIT;
	const char *body;
	int fd = api_socket(SO_RCVTIMEO, &tv, &addr), ret = -1, status;

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		goto out;
	strbuf_addstr(&req, "GET /images/");
	add_escaped(&req, image);
	strbuf_addstr(&req, "/json HTTP/1.0\r\nHost: docker\r\n\r\n");
	if (write_all(fd, req.buf, req.len) < 0 || strbuf_read_fd(&resp, fd) < 0)
		goto out;
	if (!skip_prefix(resp.buf, "HTTP/1.", &body) || !*body || !body[1])
		goto out;
	status = atoi(body + 2);
	body = strstr(resp.buf, "\r\n\r\n");
	if (status == 404) {
		ret = 0;
	} else if (status == 200 && body) {
		struct json j;
		struct strbuf err = STRBUF_INIT;
		body += 4;
		if (json_parse(body, strlen(body), &j, &err) == 0) {
			const char *v = json_str(json_get(&j, "Id"));
			if (v && *v) {
				if (id)
					strbuf_addstr(id, v);
				ret = 1;
			}
			json_release(&j);
		}
		strbuf_release(&err);
	}
out:
	if (fd >= 0)
		close(fd);
	strbuf_release(&req);
	strbuf_release(&resp);
	return ret;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dockerapi_ping(int timeout_ms)
{
	static const char req[] = "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n";
	struct sockaddr_un addr;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	long long deadline = now_ms() + timeout_ms;
	char buf[512];
	size_t got = 0;
	/* (SO_SNDTIMEO bounds a connect that waits on a full backlog) */
	int fd = api_socket(SO_SNDTIMEO, &tv, &addr), ret = -1;

	if (fd < 0)
		goto out;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = errno == EAGAIN || errno == EINPROGRESS ? 1 : -1;
		goto out;
	}
	if (write_all(fd, req, sizeof(req) - 1) < 0) {
		ret = errno == EAGAIN ? 1 : -1;
		goto out;
	}
	/* Any status line is an answer; until the deadline for it. */
	ret = 1;
	while (got < 12) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = deadline - now_ms();
		ssize_t n;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0) {
			ret = -1; /* closed without an answer: not stuck */
			break;
		}
		got += (size_t)n;
	}
	if (got >= 12 && !strncmp(buf, "HTTP/1.", 7))
		ret = 0;
	else if (got >= 12)
		ret = -1;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}
