#include "remote.h"
#include "dockerapi.h"
#include "dockerctx.h"
#include "engine.h"
#include "exitcode.h"
#include "fs.h"
#include "internal.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "banned.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DIR_PREFIX "cargo-green-remote."

/* This process's view of the forward: memoized, so that a process asks ssh
 * (and says why it failed) once. */
enum { REMOTE_UNKNOWN, REMOTE_OPENING, REMOTE_OPEN, REMOTE_FAILED };
static int state;
static struct strbuf failure = STRBUF_INIT;

int remote_parse(const char *docker_host, struct strbuf *user, struct strbuf *host, struct strbuf *port,
		 struct strbuf *path)
{
	const char *p, *at, *end, *colon;
	if (!docker_host || !skip_prefix(docker_host, "ssh://", &p) || !*p)
		return -1;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		strbuf_add(user, p, (size_t)(at - p));
		p = at + 1;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	strbuf_add(host, p, (size_t)((colon ? colon : end) - p));
	if (colon)
		strbuf_add(port, colon + 1, (size_t)(end - colon - 1));
	if (*end == '/' && end[1])
		strbuf_add(path, end, strcspn(end, "?#"));
	if (!host->len || (colon && !port->len) || (at && !user->len) || host->buf[0] == '-')
		return -1;
	for (size_t i = 0; i < port->len; i++)
		if (port->buf[i] < '0' || port->buf[i] > '9')
			return -1;
	return 0;
}

int remote_active(void)
{
	const char *d = getenv(REMOTE_DIR_ENV);
	return d && *d;
}

const char *remote_socket(void)
{
	static char buf[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
	if (!remote_active())
		return NULL;
	snprintf(buf, sizeof(buf), "unix://%s/docker.sock", getenv(REMOTE_DIR_ENV));
	return buf;
}

/* ssh's own arguments for DOCKER_HOST, after the options: [-l USER] [-p PORT] -- HOST. */
static void push_target(struct strvec *args, const char *user, const char *port, const char *host)
{
	if (*user)
		strvec_pushl(args, "-l", user, NULL);
	if (*port)
		strvec_pushl(args, "-p", port, NULL);
	strvec_pushl(args, "--", host, NULL);
}

/* Is pid alive and one of ours for dir (its command line names dir)? */
static int is_master(long pid, const char *dir)
{
	struct strbuf p = STRBUF_INIT, cmd = STRBUF_INIT, st = STRBUF_INIT;
	int yes = 0;
	if (pid <= 0)
		return 0;
	strbuf_addf(&p, "/proc/%ld/stat", pid);
	if (strbuf_read_file(&st, p.buf) == 0) {
		const char *rp = strrchr(st.buf, ')');
		strbuf_reset(&p);
		strbuf_addf(&p, "/proc/%ld/cmdline", pid);
		if (rp && rp[1] && rp[2] != 'Z' && strbuf_read_file(&cmd, p.buf) == 0) {
			for (size_t i = 0; i < cmd.len; i++)
				if (!cmd.buf[i])
					cmd.buf[i] = ' ';
			yes = strstr(cmd.buf, dir) != NULL;
		}
	}
	strbuf_release(&p);
	strbuf_release(&cmd);
	strbuf_release(&st);
	return yes;
}

static long master_pid(const char *dir)
{
	struct strbuf p = STRBUF_INIT, v = STRBUF_INIT;
	long pid = 0;
	strbuf_addf(&p, "%s/master.pid", dir);
	if (strbuf_read_file(&v, p.buf) == 0)
		pid = atol(v.buf);
	strbuf_release(&p);
	strbuf_release(&v);
	return pid;
}

/* End the master of dir, if it runs; wait (3 s at most) until it is gone. */
static void stop_master(const char *dir)
{
	long pid = master_pid(dir);
	struct timespec nap = { 0, 10 * 1000000 };
	if (!is_master(pid, dir))
		return;
	LOG(LOG_INFO, "closing the ssh connection (pid %ld)", pid);
	kill((pid_t)pid, SIGTERM);
	for (int i = 0; i < 300 && is_master(pid, dir); i++)
		nanosleep(&nap, NULL);
	if (is_master(pid, dir))
		kill((pid_t)pid, SIGKILL);
}

/* The directories of runs whose plugin is gone (killed): their masters
 * ended, the directories removed. Only our own names. */
static void sweep(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *rest;
		char *end;
		long pid;
		struct strbuf p = STRBUF_INIT;
		if (!skip_prefix(e->d_name, DIR_PREFIX, &rest))
			continue;
		pid = strtol(rest, &end, 10);
		if (pid <= 0 || *end != '.' || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		strbuf_addf(&p, "%s/%s", tmp, e->d_name);
		stop_master(p.buf);
		rm_rf(p.buf);
		strbuf_release(&p);
	}
	closedir(d);
}

int remote_setup(struct strbuf *err)
{
	struct strbuf user = STRBUF_INIT, host = STRBUF_INIT, port = STRBUF_INIT, path = STRBUF_INIT, dir = STRBUF_INIT;
	const struct dockerctx *ctx = dockerctx_run();
	const char *dh = ctx->host.buf, *where = ctx->where.buf, *tmp = getenv("TMPDIR");
	int ret = 0;

	unsetenv(REMOTE_DIR_ENV);
	if (!dh || !starts_with(dh, "ssh://") || getenv(NO_FORWARD_ENV))
		goto out;
	if (remote_parse(dh, &user, &host, &port, &path) < 0) {
		strbuf_addf(err, "%s is not an ssh address (e.g. ssh://HOST, ssh://USER@HOST:PORT, HOST as in ~/.ssh/config)", where);
		ret = EXIT_USAGE;
		goto out;
	}
	if (!tmp || !*tmp)
		tmp = "/tmp";
	/* The socket's path must fit a sockaddr_un. */
	if (strlen(tmp) + strlen("/" DIR_PREFIX "4194304.XXXXXX/docker.sock") >= sizeof(((struct sockaddr_un *)0)->sun_path))
		tmp = "/tmp";
	sweep(tmp);
	strbuf_addf(&dir, "%s/" DIR_PREFIX "%ld.XXXXXX", tmp, (long)getpid());
	if (!mkdtemp(dir.buf)) {
		strbuf_addf(err, "cannot create a private directory in %s for the ssh connection to %s: %s", tmp,
			    where, strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	setenv(REMOTE_DIR_ENV, dir.buf, 1);
	LOG(LOG_INFO, "%s through one ssh connection, opened when first needed, in %s", where, dir.buf);
out:
	strbuf_release(&user);
	strbuf_release(&host);
	strbuf_release(&port);
	strbuf_release(&path);
	strbuf_release(&dir);
	return ret;
}

/* The last non-empty line of file, trimmed, appended to out. */
static void last_line(const char *file, struct strbuf *out)
{
	struct strbuf t = STRBUF_INIT;
	if (strbuf_read_file(&t, file) == 0) {
		char *end, *start;
		strbuf_rtrim(&t);
		end = t.buf + t.len;
		start = end;
		while (start > t.buf && start[-1] != '\n')
			start--;
		while (end > start && end[-1] == '\r')
			end--;
		strbuf_add(out, start, (size_t)(end - start));
	}
	strbuf_release(&t);
}

void remote_ssh_cause(struct strbuf *out)
{
	struct strbuf p = STRBUF_INIT;
	const char *dir = getenv(REMOTE_DIR_ENV);
	struct timespec nap = { 0, 20 * 1000000 };
	long pid = remote_active() ? master_pid(dir) : 0;
	/* Only when it ended (the engine's client may see the connection go
	 * a moment before ssh is gone): else the connection is not the cause. */
	for (int i = 0; pid > 0 && i < 100 && is_master(pid, dir); i++)
		nanosleep(&nap, NULL);
	if (pid > 0 && !is_master(pid, dir)) {
		strbuf_addf(&p, "%s/ssh.err", dir);
		last_line(p.buf, out);
		if (!out->len)
			strbuf_addstr(out, "ssh: the connection ended (closed by the other side, or the network went away)");
	}
	strbuf_release(&p);
}

/* One ssh call over the master (or the master itself): its exit code, its
 * stdout in out (may be NULL), its stderr in errfile. */
static int ssh_call(const char *dir, const char *const *opts, const char *user, const char *port, const char *host,
		    const char *command, const char *errfile, struct strbuf *out, struct strbuf *err)
{
	struct child c = CHILD_INIT;
	int rc;
	strvec_push(&c.args, "ssh");
	strvec_pushf(&c.args, "-S%s/ctl", dir);
	strvec_pushl(&c.args, "-o", "BatchMode=yes", NULL);
	strvec_pushv(&c.args, (const char **)opts);
	push_target(&c.args, user, port, host);
	if (command)
		strvec_push(&c.args, command);
	c.stdin_path = "";
	c.stderr_path = errfile;
	/* Nothing of ours stays open in it: the master outlives this process,
	 * and cargo waits for the end of the wrapper's stdout and stderr. */
	c.close_fds = 1;
	if (out)
		rc = run_capture(&c, out, err);
	else {
		c.no_stdout = 1;
		rc = run_command(&c, err);
	}
	child_release(&c);
	return rc;
}

/* Where the remote's docker talks to its engine, as an ssh -L target. */
static int remote_target(const char *dir, const char *user, const char *port, const char *host, const char *path,
			 struct strbuf *target, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT, errfile = STRBUF_INIT, cause = STRBUF_INIT;
	const struct dockerctx *ctx = dockerctx_run();
	const char *dh = ctx->host.buf, *where = ctx->where.buf, *rest;
	int rc, ret = 0;

	if (*path) {
		strbuf_addstr(target, path);
		return 0;
	}
	strbuf_addf(&errfile, "%s/remote.err", dir);
	/* Its DOCKER_HOST or its current context: what `docker system dial-stdio` there would use. */
	rc = ssh_call(dir, (const char *const[]){ "-T", NULL }, user, port, host,
		      "docker context inspect --format '{{.Endpoints.docker.Host}}'", errfile.buf, &out, err);
	last_line(errfile.buf, &cause);
	strbuf_rtrim(&out);
	if (rc < 0) {
		ret = EXIT_ENGINE_UNREACHABLE;
	} else if (rc == 127 || strstr(cause.buf, "command not found") || strstr(cause.buf, "not found")) {
		strbuf_addf(err, "the host of %s has no docker CLI (%s): install docker there (its engine and `docker` on the PATH of ssh sessions), or point DOCKER_HOST at another host",
			    where, cause.len ? cause.buf : "exit code 127");
		ret = EXIT_ENGINE_UNREACHABLE;
	} else if (rc) {
		strbuf_addf(err, "the docker CLI on the host of %s cannot say where its engine is (`docker context inspect` exit code %d: %s)",
			    where, rc, cause.len ? cause.buf : "no message");
		ret = EXIT_ENGINE_UNREACHABLE;
	} else if (skip_prefix(out.buf, "unix://", &rest) && *rest == '/') {
		strbuf_addstr(target, rest);
	} else if (skip_prefix(out.buf, "tcp://", &rest) && strchr(rest, ':')) {
		strbuf_add(target, rest, strcspn(rest, "/"));
	} else {
		strbuf_addf(err, "the docker CLI on the host of %s talks to its engine at '%s', which cargo-green cannot forward (a unix:// or tcp:// address is needed; or give the socket: DOCKER_HOST=%s/PATH/TO/docker.sock)",
			    where, out.buf, dh);
		ret = EXIT_ENGINE_UNREACHABLE;
	}
	strbuf_release(&out);
	strbuf_release(&errfile);
	strbuf_release(&cause);
	return ret;
}

/* Open the master, the forward, and note the master's pid. Under the lock. */
static int open_forward(const char *dir, struct strbuf *err)
{
	struct strbuf user = STRBUF_INIT, host = STRBUF_INIT, port = STRBUF_INIT, path = STRBUF_INIT,
		      errfile = STRBUF_INIT, cause = STRBUF_INIT, target = STRBUF_INIT, fwd = STRBUF_INIT,
		      check = STRBUF_INIT, pidfile = STRBUF_INIT, sock = STRBUF_INIT;
	const struct dockerctx *ctx = dockerctx_run();
	const char *dh = ctx->host.buf, *where = ctx->where.buf, *p;
	long long t0 = now_ns();
	int rc, ret = 0, started = 0;

	if (remote_parse(dh, &user, &host, &port, &path) < 0) {
		strbuf_addf(err, "%s is not an ssh address (e.g. ssh://HOST, ssh://USER@HOST:PORT)", where);
		ret = EXIT_USAGE;
		goto out;
	}
	strbuf_addf(&errfile, "%s/ssh.err", dir);
	strbuf_addf(&sock, "%s/docker.sock", dir);
	unlink(sock.buf);
	/* -f: in the background once authenticated, so its exit code says
	 * whether it got there, and its stderr stays in ssh.err. No prompt
	 * (BatchMode): a wrapper has no terminal to ask on. */
	rc = ssh_call(dir, (const char *const[]){ "-f", "-N", "-M", "-o", "ControlPersist=no", "-o", "ConnectTimeout=30",
						   "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
						   "-o", "ExitOnForwardFailure=yes", NULL },
		      user.buf, port.buf, host.buf, NULL, errfile.buf, NULL, err);
	if (rc) {
		last_line(errfile.buf, &cause);
		if (rc > 0)
			strbuf_addf(err, "cannot reach the engine at %s: %s%s (check that `ssh %s` logs in without a prompt: host, user and port in ~/.ssh/config, the key in your ssh agent; or set CARGOGREEN_RUNNER=none to build with the local rustc)",
				    where, starts_with(cause.buf, "ssh: ") ? "" : "ssh: ", cause.len ? cause.buf : "exit code 255",
				    host.buf);
		else
			strbuf_addf(err, " (%s needs ssh: apt-get install openssh-client)", where);
		ret = EXIT_ENGINE_UNREACHABLE;
		goto out;
	}
	started = 1;
	if ((ret = remote_target(dir, user.buf, port.buf, host.buf, path.buf, &target, err)))
		goto out;
	strbuf_addf(&fwd, "%s:%s", sock.buf, target.buf);
	strbuf_reset(&errfile);
	strbuf_addf(&errfile, "%s/forward.err", dir);
	rc = ssh_call(dir, (const char *const[]){ "-O", "forward", "-L", fwd.buf, NULL }, user.buf, port.buf, host.buf,
		      NULL, errfile.buf, NULL, err);
	if (rc) {
		last_line(errfile.buf, &cause);
		strbuf_addf(err, "cannot forward the engine's socket %s of %s over ssh: %s (the ssh server must allow it: AllowStreamLocalForwarding yes)",
			    target.buf, where, cause.len ? cause.buf : "no message");
		ret = EXIT_ENGINE_UNREACHABLE;
		goto out;
	}
	strbuf_reset(&errfile);
	strbuf_addf(&errfile, "%s/check.err", dir);
	rc = ssh_call(dir, (const char *const[]){ "-O", "check", NULL }, user.buf, port.buf, host.buf, NULL, errfile.buf,
		      NULL, err);
	strbuf_read_file(&check, errfile.buf);
	if (rc || !(p = strstr(check.buf, "(pid=")) || atol(p + 5) <= 0) {
		strbuf_addf(err, "the ssh connection to %s ended as soon as it was opened: %s", where, check.buf);
		strbuf_rtrim(err);
		ret = EXIT_ENGINE_UNREACHABLE;
		goto out;
	}
	strbuf_addf(&pidfile, "%s/master.pid", dir);
	strbuf_reset(&cause);
	strbuf_addf(&cause, "%ld\n", atol(p + 5));
	if (write_file_atomic(pidfile.buf, cause.buf, cause.len, 0600) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", pidfile.buf, strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	LOG(LOG_INFO, "ssh connection to %s open (pid %ld), %s forwarded to %s, in %lld ms", dh, atol(p + 5),
	    sock.buf, target.buf, (now_ns() - t0) / 1000000);
out:
	if (ret && started) {
		/* Its pid may not be known yet: ended through its control socket. */
		struct strbuf e = STRBUF_INIT;
		strbuf_reset(&errfile);
		strbuf_addf(&errfile, "%s/exit.err", dir);
		ssh_call(dir, (const char *const[]){ "-O", "exit", NULL }, user.buf, port.buf, host.buf, NULL, errfile.buf,
			 NULL, &e);
		strbuf_release(&e);
	}
	strbuf_release(&user);
	strbuf_release(&host);
	strbuf_release(&port);
	strbuf_release(&path);
	strbuf_release(&errfile);
	strbuf_release(&cause);
	strbuf_release(&target);
	strbuf_release(&fwd);
	strbuf_release(&check);
	strbuf_release(&pidfile);
	strbuf_release(&sock);
	return ret;
}

int remote_run(const char *command, struct strbuf *cause, struct strbuf *err)
{
	struct strbuf user = STRBUF_INIT, host = STRBUF_INIT, port = STRBUF_INIT, path = STRBUF_INIT,
		      errfile = STRBUF_INIT;
	const char *dir = getenv(REMOTE_DIR_ENV);
	int rc = -1;
	if (!remote_active() || remote_ensure(err))
		goto out;
	if (remote_parse(dockerctx_run()->host.buf, &user, &host, &port, &path) < 0)
		goto out;
	strbuf_addf(&errfile, "%s/run.%ld.err", dir, (long)getpid());
	rc = ssh_call(dir, (const char *const[]){ "-T", NULL }, user.buf, port.buf, host.buf, command, errfile.buf, NULL,
		      err);
	last_line(errfile.buf, cause);
	unlink(errfile.buf);
out:
	strbuf_release(&user);
	strbuf_release(&host);
	strbuf_release(&port);
	strbuf_release(&path);
	strbuf_release(&errfile);
	return rc;
}

int remote_ensure(struct strbuf *err)
{
	const char *dir = getenv(REMOTE_DIR_ENV);
	struct strbuf lockp = STRBUF_INIT;
	int lock = -1, ret = 0;

	if (!remote_active() || state == REMOTE_OPEN || state == REMOTE_OPENING)
		return 0;
	if (state == REMOTE_FAILED) {
		strbuf_addbuf(err, &failure);
		return EXIT_ENGINE_UNREACHABLE;
	}
	if (is_master(master_pid(dir), dir)) {
		state = REMOTE_OPEN;
		return 0;
	}
	strbuf_addf(&lockp, "%s/lock", dir);
	lock = open(lockp.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		strbuf_addf(err, "cannot lock '%s': %s", lockp.buf, strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	if (is_master(master_pid(dir), dir))
		goto out; /* another process opened it while we waited */
	state = REMOTE_OPENING;
	if ((ret = open_forward(dir, err)))
		goto out;
	/* A socket that takes connections and never answers would hang every
	 * later call: the ping the plugin makes of a local engine, here. */
	if (dockerapi_ping(ENGINE_PING_MS) >= 1) {
		strbuf_addf(err, "the engine at %s took the connection but did not answer within %d s (GET /_ping): it is stuck; restart it, or set CARGOGREEN_RUNNER=none to build with the local rustc",
			    engine_where(), ENGINE_PING_MS / 1000);
		ret = EXIT_ENGINE_UNREACHABLE;
	}
out:
	if (lock >= 0)
		close(lock);
	state = ret ? REMOTE_FAILED : REMOTE_OPEN;
	if (ret) {
		strbuf_reset(&failure);
		strbuf_addbuf(&failure, err);
	}
	strbuf_release(&lockp);
	return ret;
}

void remote_close(void)
{
	const char *dir = getenv(REMOTE_DIR_ENV);
	if (!remote_active())
		return;
	stop_master(dir);
	rm_rf(dir);
	unsetenv(REMOTE_DIR_ENV);
	state = REMOTE_UNKNOWN;
}
