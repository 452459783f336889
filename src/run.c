#include "run.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Signals. The terminal sends SIGINT and SIGQUIT to the whole foreground
 * process group: a child of ours got its own copy, so they are never
 * forwarded (as system(3) does); SIGTERM and SIGHUP usually name one process
 * and are passed on to the child being waited for, unless the kernel sent
 * them (a hang-up reaches the whole group). Each is also noted: once one has
 * arrived no child starts, and run_exit_if_signaled() ends this process by
 * it after the caller has cleaned up.
 *
 * SIGPIPE is ignored: a write to a reader that is gone (cargo, ended by a
 * Ctrl-C while we replay a compile's output into its pipe) fails with
 * EPIPE where it is made, and this process still cleans up what it made
 * (its export dir in target/cargo-green/tmp) instead of dying on the spot.
 * Children get it at its default, as Rust's std gives them.
 *
 * This is the one piece of mutable process state outside the config: a
 * signal handler has no other way to find its child. */
static const int handled_signals[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
static volatile pid_t running_child = -1;
static volatile sig_atomic_t caught_signal;
/* The signals this process handles: each child gets them at their default
 * disposition (an ignored one would survive exec). */
static sigset_t defaulted;
static int signals_set;

static void on_signal(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	if (!caught_signal)
		caught_signal = sig;
	if ((sig == SIGTERM || sig == SIGHUP) && si->si_code != SI_KERNEL && running_child > 0)
		kill(running_child, sig);
}

void run_catch_signals(void)
{
	struct sigaction sa, old;
	if (signals_set)
		return;
	signals_set = 1;
	sigemptyset(&defaulted);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(handled_signals); i++) {
		int sig = handled_signals[i];
		/* Ignored on entry (nohup, a non-interactive shell's `&`): stays
		 * so, for us and for our children, as it would for plain cargo. */
		if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaddset(&defaulted, sig);
		sigaction(sig, &sa, NULL);
	}
	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler != SIG_IGN) {
		sigaddset(&defaulted, SIGPIPE);
		signal(SIGPIPE, SIG_IGN);
	}
}

int run_signal_caught(void)
{
	return caught_signal;
}

void run_exit_by_signal(int sig)
{
	struct sigaction sa;
	sigset_t set;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* Not fatal by default (it cannot be for these): the shell's convention. */
	_exit(128 + sig);
}

void run_exit_if_signaled(void)
{
	if (caught_signal)
		run_exit_by_signal(caught_signal);
}

void child_release(struct child *c)
{
	strvec_clear(&c->args);
	strvec_clear(&c->env);
}

static int env_name_len(const char *e)
{
	const char *eq = strchr(e, '=');
	return eq ? (int)(eq - e) : (int)strlen(e);
}

static void build_env(const struct child *c, struct strvec *out)
{
	if (!c->clear_env) {
		for (char **e = environ; *e; e++) {
			int n = env_name_len(*e), overridden = 0;
			for (size_t i = 0; i < c->env.nr; i++)
				if (env_name_len(c->env.v[i]) == n && !strncmp(c->env.v[i], *e, (size_t)n)) {
					overridden = 1;
					break;
				}
			if (!overridden)
				strvec_push(out, *e);
		}
	}
	for (size_t i = 0; i < c->env.nr; i++)
		if (strchr(c->env.v[i], '='))
			strvec_push(out, c->env.v[i]);
}

static int add_redirect(posix_spawn_file_actions_t *fa, int fd, const char *path, int flags)
{
	return posix_spawn_file_actions_addopen(fa, fd, path && *path ? path : "/dev/null", flags, 0644);
}

static int start(struct child *c, int capture_fd, struct strbuf *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct strvec env = STRVEC_INIT;
	sigset_t none;
	int rc;

	if (!c->args.nr)
		BUG("run_start with no arguments");
	if (caught_signal) {
		strbuf_addf(err, "interrupted (%s): '%s' not started", strsignal(caught_signal), c->args.v[0]);
		return -1;
	}
	/* The child starts as if we had not touched a signal: handled ones at
	 * their default, nothing blocked. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	if (signals_set)
		posix_spawnattr_setsigdefault(&attr, &defaulted);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | (signals_set ? POSIX_SPAWN_SETSIGDEF : 0));
	posix_spawn_file_actions_init(&fa);
	if (c->stdin_path)
		add_redirect(&fa, 0, c->stdin_path, O_RDONLY);
	if (capture_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, capture_fd, 1);
	else if (c->no_stdout)
		add_redirect(&fa, 1, NULL, O_WRONLY);
	else if (c->stdout_path)
		add_redirect(&fa, 1, c->stdout_path, O_WRONLY | O_CREAT | O_TRUNC);
	if (c->stderr_to_stdout)
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	else if (c->stderr_path)
		add_redirect(&fa, 2, c->stderr_path, O_WRONLY | O_CREAT | O_TRUNC);
	if (c->dir)
		posix_spawn_file_actions_addchdir_np(&fa, c->dir);
	if (c->close_fds)
		posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	build_env(c, &env);

	rc = posix_spawnp(&c->pid, c->args.v[0], &fa, &attr, (char *const *)c->args.v, (char *const *)env.v);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	strvec_clear(&env);
	if (rc) {
		c->pid = -1;
		if (rc == ENOENT && !strchr(c->args.v[0], '/'))
			strbuf_addf(err, "could not run '%s': not found on PATH", c->args.v[0]);
		else
			strbuf_addf(err, "could not run '%s': %s", c->args.v[0], strerror(rc));
		return -1;
	}
	running_child = c->pid;
	return 0;
}

int run_start(struct child *c, struct strbuf *err)
{
	return start(c, -1, err);
}

int run_wait(struct child *c)
{
	int status;
	pid_t r;
	do
		r = waitpid(c->pid, &status, 0);
	while (r < 0 && errno == EINTR);
	running_child = -1;
	c->pid = -1;
	c->term_signal = 0;
	if (r < 0)
		return 127;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		c->term_signal = WTERMSIG(status);
		return 128 + WTERMSIG(status);
	}
	return 127;
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child has ended (not reaped: run_wait reaps it and reports its status). */
static int child_ended(struct child *c)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno != EINTR;
	return si.si_pid != 0;
}

int run_wait_watch(struct child *c, int (*watch)(void *data), void *data, int *stopped)
{
	/* A pidfd wakes us the moment the child ends (a compile's end is not
	 * delayed by the watch); without one (Linux < 5.3), naps. */
#ifdef SYS_pidfd_open
	int pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
#else
	int pidfd = -1;
#endif
	struct timespec nap = { 0, 1000000 };
	*stopped = 0;
	while (!child_ended(c)) {
		int stop;
		if (pidfd >= 0) {
			struct pollfd p = { pidfd, POLLIN, 0 };
			if (poll(&p, 1, 100) > 0)
				continue; /* ended: child_ended says so */
		} else {
			nanosleep(&nap, NULL);
			if (nap.tv_nsec < 50 * 1000000)
				nap.tv_nsec *= 2;
		}
		stop = watch(data);
		running_child = c->pid; /* (a watcher may have run a child of its own) */
		if (stop) {
			*stopped = 1;
			kill(c->pid, SIGKILL);
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return run_wait(c);
}

static int past_deadline(void *data)
{
	return mono_ms() >= *(long long *)data;
}

int run_wait_deadline(struct child *c, int timeout_ms, int *timed_out)
{
	long long deadline = mono_ms() + timeout_ms;
	return run_wait_watch(c, past_deadline, &deadline, timed_out);
}

int run_command_deadline(struct child *c, int timeout_ms, int *timed_out, struct strbuf *err)
{
	*timed_out = 0;
	if (start(c, -1, err) < 0)
		return -1;
	return run_wait_deadline(c, timeout_ms, timed_out);
}

/* Start c with its stdout (and stderr, as c says) into a pipe: its reading
 * end, or -1 with err. */
static int start_piped(struct child *c, struct strbuf *err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		strbuf_addf(err, "pipe: %s", strerror(errno));
		return -1;
	}
	if (start(c, fds[1], err) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	return fds[0];
}

int run_capture_watch(struct child *c, struct strbuf *out, int (*watch)(void *data), void *data, int *stopped,
		      struct strbuf *err)
{
	int fd;
	*stopped = 0;
	if ((fd = start_piped(c, err)) < 0)
		return -1;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int n = poll(&p, 1, 100);
		if (n > 0) {
			ssize_t got;
			strbuf_grow(out, 8192);
			got = read(fd, out->buf + out->len, out->alloc - out->len - 1);
			if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
				break; /* EOF: the child (and whatever it started) is done with it */
			if (got > 0)
				strbuf_setlen(out, out->len + (size_t)got);
		} else if (n < 0 && errno != EINTR) {
			break;
		}
		int stop = watch(data);
		running_child = c->pid; /* (a watcher may have run a child of its own) */
		if (stop) {
			/* (a grandchild may still hold the pipe: not read to its end) */
			*stopped = 1;
			kill(c->pid, SIGKILL);
			break;
		}
	}
	close(fd);
	return run_wait(c);
}

int run_capture_deadline(struct child *c, struct strbuf *out, int timeout_ms, int *timed_out, struct strbuf *err)
{
	long long deadline = mono_ms() + timeout_ms;
	return run_capture_watch(c, out, past_deadline, &deadline, timed_out, err);
}

int run_command(struct child *c, struct strbuf *err)
{
	if (start(c, -1, err) < 0)
		return -1;
	return run_wait(c);
}

int run_capture(struct child *c, struct strbuf *out, struct strbuf *err)
{
	int fd = start_piped(c, err);
	if (fd < 0)
		return -1;
	(void)strbuf_read_fd(out, fd); /* what it printed until it closed its end */
	close(fd);
	return run_wait(c);
}

int run_exec(const char **argv, struct strbuf *err)
{
	/* (an ignored signal stays so across exec: ours goes back to its default) */
	int pipe_reset = signals_set && sigismember(&defaulted, SIGPIPE);
	if (pipe_reset)
		signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], (char *const *)argv);
	if (pipe_reset) { /* (not run: ignored again, as for the rest of this process) */
		int e = errno;
		signal(SIGPIPE, SIG_IGN);
		errno = e;
	}
	if (errno == ENOENT && !strchr(argv[0], '/'))
		strbuf_addf(err, "could not run '%s': not found on PATH", argv[0]);
	else
		strbuf_addf(err, "could not run '%s': %s", argv[0], strerror(errno));
	return -1;
}

char *self_exe_path(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		die("cannot read /proc/self/exe: %s", strerror(errno));
	buf[n] = '\0';
	return xstrdup(buf);
}
