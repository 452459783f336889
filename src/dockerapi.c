#include "dockerapi.h"
#include "dockerctx.h"
#include "json.h"
#include "remote.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
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

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dockerapi_tcp(const char *docker_host, const char *docker_context, struct strbuf *host, struct strbuf *port)
{
	const char *p, *end, *colon;
	if ((docker_context && *docker_context && strcmp(docker_context, "default")) || !docker_host ||
	    !skip_prefix(docker_host, "tcp://", &p) || !*p)
		return -1;
	end = p + strcspn(p, "/?#");
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return -1;
		strbuf_add(host, p + 1, (size_t)(close - p - 1));
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		strbuf_add(host, p, (size_t)((colon ? colon : end) - p));
	}
	if (colon && colon + 1 < end)
		strbuf_add(port, colon + 1, (size_t)(end - colon - 1));
	else {
		/* The CLI's defaults: 2376 with TLS, 2375 without. */
		const char *tls = getenv("DOCKER_TLS_VERIFY");
		strbuf_addstr(port, tls && *tls ? "2376" : "2375");
	}
	if (!host->len || strspn(port->buf, "0123456789") != port->len) {
		strbuf_reset(host);
		strbuf_reset(port);
		return -1;
	}
	return 0;
}

/* Connect fd to addr within the deadline: 0; 1 not within it; -1 refused
 * (errno). A unix socket's connect waits on a full backlog as long as
 * SO_SNDTIMEO lets it; a TCP one waits for the handshake non-blocking. */
static int connect_by(int fd, const struct sockaddr *addr, socklen_t len, long long deadline)
{
	int flags, rc = -1, e = 0;
	socklen_t elen = sizeof(e);
	if (addr->sa_family == AF_UNIX) {
		long long left = deadline - now_ms();
		struct timeval tv = { left > 0 ? left / 1000 : 0, left > 0 ? (left % 1000) * 1000 : 1000 };
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
			return -1;
		if (connect(fd, addr, len) == 0)
			return 0;
		return errno == EAGAIN || errno == EINPROGRESS ? 1 : -1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	if (connect(fd, addr, len) == 0) {
		rc = 0;
	} else if (errno == EINPROGRESS) {
		for (;;) {
			struct pollfd p = { fd, POLLOUT, 0 };
			long long left = deadline - now_ms();
			int n = left > 0 ? poll(&p, 1, (int)left) : 0;
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				rc = 1;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && e == 0)
				rc = 0;
			else
				errno = e;
			break;
		}
	}
	fcntl(fd, F_SETFL, flags);
	return rc;
}

/* A socket connected to the engine's API at DOCKER_HOST (unix:// or, with
 * tcp_ok, tcp://), its reads and writes bounded by timeout_ms. The fd; -1
 * when DOCKER_HOST is not such an address (*why 0), cannot be reached
 * (refused, no such host: *why -1) or did not take the connection within
 * timeout_ms (*why 1). */
static int api_connect(int timeout_ms, int tcp_ok, int *why)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	long long deadline = now_ms() + timeout_ms;
	/* Through the run's ssh forward (opened now if it is not yet). */
	/* Else the engine docker would pick (DOCKER_HOST, a context: dockerctx.h). */
	const struct dockerctx *e = dockerctx_run();
	const char *sock = remote_active() ? dockerapi_socket(remote_socket(), NULL)
					   : dockerapi_socket(e->host.len ? e->host.buf : NULL, NULL);
	struct strbuf host = STRBUF_INIT, port = STRBUF_INIT, err = STRBUF_INIT;
	int fd = -1, failed = remote_ensure(&err);

	strbuf_release(&err);
	*why = failed ? -1 : 0;
	if (failed)
		return -1;
	if (sock) {
		struct sockaddr_un addr;
		if (strlen(sock) >= sizeof(addr.sun_path))
			return -1;
		memset(&addr, 0, sizeof(addr));
		addr.sun_family = AF_UNIX;
		memcpy(addr.sun_path, sock, strlen(sock) + 1);
		*why = -1;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && (*why = connect_by(fd, (struct sockaddr *)&addr, sizeof(addr), deadline)) != 0) {
			close(fd);
			fd = -1;
		}
	} else if (tcp_ok && e->from == CTX_HOST && dockerapi_tcp(e->host.buf, NULL, &host, &port) == 0) {
		/* (a context's tcp:// may carry its own TLS material: the CLI asks) */
		struct addrinfo hints, *res = NULL, *ai;
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		*why = -1;
		if (getaddrinfo(host.buf, port.buf, &hints, &res) == 0) {
			for (ai = res; ai && fd < 0; ai = ai->ai_next) {
				fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
				if (fd >= 0 && (*why = connect_by(fd, ai->ai_addr, ai->ai_addrlen, deadline)) != 0) {
					close(fd);
					fd = -1;
				}
				if (*why == 1)
					break; /* the deadline is spent */
			}
			freeaddrinfo(res);
		}
	}
	if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)) {
		close(fd);
		fd = -1;
		*why = -1;
	}
	strbuf_release(&host);
	strbuf_release(&port);
	return fd;
}

int dockerapi_image_id(const char *image, struct strbuf *id, int timeout_ms)
{
	struct strbuf req = STRBUF_INIT, resp = STRBUF_INIT;
	const char *body;
	int why, ret = -1, status;
	/* (a unix socket only: over TCP the engine may want TLS; the CLI asks) */
	int fd = api_connect(timeout_ms, 0, &why);

	if (fd < 0) {
		if (why == 1)
			ret = -2;
		goto out;
	}
	strbuf_addstr(&req, "GET /images/");
	add_escaped(&req, image);
	strbuf_addstr(&req, "/json HTTP/1.0\r\nHost: docker\r\n\r\n");
	if (write_all(fd, req.buf, req.len) < 0 || strbuf_read_fd(&resp, fd) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			ret = -2; /* took the connection, no answer in time */
		goto out;
	}
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

int dockerapi_ping(int timeout_ms)
{
	static const char req[] = "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n";
	long long deadline = now_ms() + timeout_ms;
	char buf[512];
	size_t got = 0;
	int why, ret;
	int fd = api_connect(timeout_ms, 1, &why);

	if (fd < 0)
		return why == 1 ? 2 : why == 0 ? -2 : -1;
	if (write_all(fd, req, sizeof(req) - 1) < 0) {
		ret = errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
		goto out;
	}
	/* Any status line is an answer (a TLS engine's "400 ... HTTPS server"
	 * too); until the deadline for it. */
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
	else if (got > 0)
		ret = -1; /* something else answered (TLS alert, not HTTP): not stuck */
out:
	close(fd);
	return ret;
}

/* One request (method path, a JSON body or NULL) over a connection of its
 * own: the answer's status, its body (any bytes) into body; -1 with no
 * answer (not a unix socket, refused, cut, not in time). */
static int api_call(const char *method, const char *path, const char *json, int timeout_ms, struct strbuf *body)
{
	struct strbuf req = STRBUF_INIT, resp = STRBUF_INIT;
	const char *p, *end;
	int why, status = -1, fd = api_connect(timeout_ms, 0, &why);
	if (fd < 0)
		goto out;
	strbuf_addf(&req, "%s %s HTTP/1.0\r\nHost: docker\r\n", method, path);
	if (json)
		strbuf_addf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(json), json);
	else
		strbuf_addstr(&req, "\r\n");
	if (write_all(fd, req.buf, req.len) < 0 || strbuf_read_fd(&resp, fd) < 0)
		goto out;
	if (resp.len < 12 || strncmp(resp.buf, "HTTP/1.", 7))
		goto out;
	end = memmem(resp.buf, resp.len, "\r\n\r\n", 4);
	if (!end)
		goto out;
	status = atoi(resp.buf + 9);
	p = end + 4;
	strbuf_add(body, p, resp.len - (size_t)(p - resp.buf));
out:
	if (fd >= 0)
		close(fd);
	strbuf_release(&req);
	strbuf_release(&resp);
	return status;
}

int dockerapi_image_dir(const char *image, const char *dir, struct strbuf *tar, int timeout_ms)
{
	struct strbuf json = STRBUF_INIT, body = STRBUF_INIT, path = STRBUF_INIT, id = STRBUF_INIT;
	const char *safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-/@";
	int ret = -1, status;
	if (strspn(image, safe) != strlen(image) || strspn(dir, safe) != strlen(dir) || dir[0] != '/')
		return -1;
	/* Created, never started: its file system is the image's, nothing runs. */
	strbuf_addf(&json, "{\"Image\":\"%s\",\"Cmd\":[\"/bin/true\"],\"NetworkDisabled\":true,"
		    "\"Labels\":{\"org.cargo-green.read\":\"%s\"}}", image, dir);
	if (api_call("POST", "/containers/create", json.buf, timeout_ms, &body) != 201)
		goto out;
	{
		struct json j;
		struct strbuf err = STRBUF_INIT;
		if (json_parse(body.buf, body.len, &j, &err) == 0) {
			const char *v = json_str(json_get(&j, "Id"));
			if (v && strspn(v, "0123456789abcdef") == strlen(v) && *v)
				strbuf_addstr(&id, v);
			json_release(&j);
		}
		strbuf_release(&err);
	}
	if (!id.len)
		goto out;
	strbuf_addf(&path, "/containers/%s/archive?path=%s", id.buf, dir);
	strbuf_reset(&body);
	status = api_call("GET", path.buf, NULL, timeout_ms, &body);
	if (status == 200) {
		strbuf_addbuf(tar, &body);
		ret = 0;
	} else if (status == 404) {
		ret = 1;
	}
	strbuf_reset(&path);
	strbuf_addf(&path, "/containers/%s?force=1&v=1", id.buf);
	strbuf_reset(&body);
	if (api_call("DELETE", path.buf, NULL, timeout_ms, &body) != 204)
		ret = -1; /* (said by the caller's fallback; the container is the engine's to list) */
out:
	strbuf_release(&json);
	strbuf_release(&body);
	strbuf_release(&path);
	strbuf_release(&id);
	return ret;
}
