#include "run.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The child being waited for, so that a signal can be passed on. This is the
 * one piece of mutable process state outside the config: a signal handler
 * has no other way to find its child. */
static volatile pid_t running_child = -1;

static void forward_signal(int sig)
{
	if (running_child > 0)
		kill(running_child, sig);
}

static void set_forwarding(int on)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? forward_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
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
	struct strvec env = STRVEC_INIT;
	int rc;

	if (!c->args.nr)
		BUG("run_start with no arguments");
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
	build_env(c, &env);

	rc = posix_spawnp(&c->pid, c->args.v[0], &fa, NULL, (char *const *)c->args.v, (char *const *)env.v);
	posix_spawn_file_actions_destroy(&fa);
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
	set_forwarding(1);
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
	set_forwarding(0);
	c->pid = -1;
	if (r < 0)
		return 127;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 127;
}

int run_command(struct child *c, struct strbuf *err)
{
	if (start(c, -1, err) < 0)
		return -1;
	return run_wait(c);
}

int run_capture(struct child *c, struct strbuf *out, struct strbuf *err)
{
	int fds[2];
	int rc;
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
	rc = strbuf_read_fd(out, fds[0]);
	close(fds[0]);
	(void)rc;
	return run_wait(c);
}

int run_exec(const char **argv, struct strbuf *err)
{
	execvp(argv[0], (char *const *)argv);
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
