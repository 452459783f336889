#include "engine.h"
#include "dockerapi.h"
#include "dockerctx.h"
#include "config.h"
#include "exitcode.h"
#include "fs.h"
#include "internal.h"
#include "log.h"
#include "remote.h"
#include "run.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The client's variable holding the secret NAME: SECRET_ENV_PREFIX NAME. */
#define SECRET_ENV_PREFIX "CARGOGREEN_SECRET_"

const char *engine_host(void)
{
	const struct dockerctx *c = dockerctx_run();
	return c->host.len ? c->host.buf : "unix:///var/run/docker.sock (DOCKER_HOST unset)";
}

const char *engine_where(void)
{
	return dockerctx_run()->where.buf;
}

int engine_check_answers(const struct config *cfg, struct strbuf *err)
{
	int r;
	/* (ssh://, a context: not asked here; every later call has its deadline.
	 * Through the run's ssh forward, the ping comes when it opens: remote.c.) */
	if (!cfg || cfg->runner != RUNNER_DOCKER || remote_active() || (r = dockerapi_ping(ENGINE_PING_MS)) < 1)
		return 0;
	strbuf_addf(err, "the engine at %s %s within %d s (GET /_ping): it is stuck; restart it (scripts/engine.sh), or set CARGOGREEN_RUNNER=none to build with the local rustc",
		    engine_where(), r == 1 ? "took the connection but did not answer" : "did not take the connection",
		    ENGINE_PING_MS / 1000);
	return EXIT_ENGINE_UNREACHABLE;
}

int engine_answers(const struct config *cfg)
{
	struct child c = CHILD_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	int r, timed_out = 0;
	if (!cfg || cfg->runner != RUNNER_DOCKER)
		return -1;
	if ((r = dockerapi_ping(ENGINE_PING_MS)) != -2)
		return r > 0 ? 1 : r;
	/* ssh://, a context: the CLI asks, within the same deadline. */
	engine_cli_argv(cfg, &c.args);
	strvec_pushl(&c.args, "version", "--format", "{{.Server.Version}}", NULL);
	engine_child_env(&c);
	c.stdin_path = "";
	c.stderr_to_stdout = 1;
	r = run_capture_deadline(&c, &out, ENGINE_PING_MS, &timed_out, &err);
	child_release(&c);
	strbuf_release(&out);
	strbuf_release(&err);
	return timed_out ? 1 : r == 0 ? 0 : -1;
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What watches a running engine call (run_wait_watch's watcher): a fixed
 * deadline, or the stall check (its output has not grown for
 * ENGINE_STALL_MS, and the engine does not answer a ping). */
struct engine_watch {
	const struct config *cfg;
	long long deadline;            /* monotonic ms; 0: none, the stall check instead */
	const char *log_path;          /* progress: this file's size, */
	const struct strbuf *captured; /* or this capture's length */
	long long size, since;         /* the last size seen, and since when */
	int stalled;                   /* set when stopped for a stall */
};

static void watch_init(struct engine_watch *w, const struct config *cfg, int timeout_ms)
{
	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->since = mono_ms();
	w->size = -1;
	if (timeout_ms)
		w->deadline = w->since + timeout_ms;
}

static int engine_watcher(void *data)
{
	struct engine_watch *w = data;
	long long now = mono_ms(), size = 0;
	struct stat st;
	if (w->deadline)
		return now >= w->deadline;
	if (w->captured)
		size = (long long)w->captured->len;
	else if (w->log_path && stat(w->log_path, &st) == 0)
		size = (long long)st.st_size;
	if (size != w->size) {
		w->size = size;
		w->since = now;
		return 0;
	}
	if (now - w->since < ENGINE_STALL_MS)
		return 0;
	/* Silent for a while: a long compile prints nothing; a stuck engine
	 * does not answer either. */
	if (engine_answers(w->cfg) == 1) {
		LOG(LOG_WARN, "engine: nothing for %d s and no answer to a ping: stopping the call", ENGINE_STALL_MS / 1000);
		w->stalled = 1;
		return 1;
	}
	w->since = mono_ms();
	return 0;
}

/* `docker image inspect`: how a call is named in a message. */
static void cli_what(const struct config *cfg, const char **args, struct strbuf *out)
{
	static const char *const groups[] = { "image", "buildx", "builder", "system", "container" };
	strbuf_addstr(out, cfg && cfg->runner == RUNNER_PODMAN ? "podman" : "docker");
	if (!args[0])
		return;
	strbuf_addf(out, " %s", args[0]);
	for (size_t i = 0; args[1] && args[1][0] != '-' && i < ARRAY_SIZE(groups); i++)
		if (!strcmp(args[0], groups[i])) {
			strbuf_addf(out, " %s", args[1]);
			break;
		}
}

static void stuck_message(const struct config *cfg, const char **args, const struct engine_watch *w, struct strbuf *err)
{
	struct strbuf what = STRBUF_INIT;
	cli_what(cfg, args, &what);
	strbuf_reset(err);
	if (w->stalled)
		strbuf_addf(err, "the engine at %s stopped answering during `%s`: nothing came from it for %d s and it did not answer a ping within %d s; restart it (scripts/engine.sh) and run the build again",
			    engine_where(), what.buf, ENGINE_STALL_MS / 1000, ENGINE_PING_MS / 1000);
	else
		strbuf_addf(err, "the engine at %s did not answer `%s` within %d s: it is stuck; restart it (scripts/engine.sh), or set CARGOGREEN_RUNNER=none to build with the local rustc",
			    engine_where(), what.buf, ENGINE_CLI_MS / 1000);
	strbuf_release(&what);
}

void engine_buildx_argv(const struct config *cfg, struct strvec *argv)
{
	/* Calling the buildx plugin binary directly skips the docker CLI's own start-up. */
	const char *dirs[] = { NULL, NULL, "/usr/local/lib/docker/cli-plugins",
			       "/usr/local/libexec/docker/cli-plugins", "/usr/lib/docker/cli-plugins",
			       "/usr/libexec/docker/cli-plugins" };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	const char *dcfg = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	if (cfg && cfg->runner == RUNNER_PODMAN) {
		strvec_push(argv, "podman");
		return;
	}
	if (dcfg && *dcfg) {
		strbuf_addf(&a, "%s/cli-plugins", dcfg);
		dirs[0] = a.buf;
	}
	if (home && *home) {
		strbuf_addf(&b, "%s/.docker/cli-plugins", home);
		dirs[1] = b.buf;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		struct strbuf p = STRBUF_INIT;
		if (!dirs[i])
			continue;
		strbuf_addf(&p, "%s/docker-buildx", dirs[i]);
		if (!access(p.buf, X_OK)) {
			strvec_push(argv, p.buf);
			strbuf_release(&p);
			goto out;
		}
		strbuf_release(&p);
	}
	strvec_push(argv, "docker");
	strvec_push(argv, "buildx");
out:
	strbuf_release(&a);
	strbuf_release(&b);
}

void engine_cli_argv(const struct config *cfg, struct strvec *argv)
{
	strvec_push(argv, cfg && cfg->runner == RUNNER_PODMAN ? "podman" : "docker");
}

static int cli(const struct config *cfg, const char **args, int timeout_ms, struct strbuf *out, struct strbuf *err)
{
	struct child c = CHILD_INIT;
	struct engine_watch w;
	int rc, stopped;
	if (remote_ensure(err))
		return -1;
	if (!strcmp(args[0], "buildx") && (!cfg || cfg->runner != RUNNER_PODMAN)) {
		/* The plugin itself: one process to stop at a deadline (the docker
		 * CLI would run it as its child). */
		engine_buildx_argv(cfg, &c.args);
		strvec_pushv(&c.args, args + 1);
	} else {
		engine_cli_argv(cfg, &c.args);
		strvec_pushv(&c.args, args);
	}
	strvec_push(&c.env, "BUILDX_BUILDER=");
	engine_child_env(&c);
	c.stdin_path = "";
	c.stderr_to_stdout = 1;
	watch_init(&w, cfg, timeout_ms);
	w.captured = out;
	rc = run_capture_watch(&c, out, engine_watcher, &w, &stopped, err);
	child_release(&c);
	if (stopped) {
		stuck_message(cfg, args, &w, err);
		return ENGINE_STUCK;
	}
	return rc;
}

int engine_cli(const struct config *cfg, const char **args, struct strbuf *out, struct strbuf *err)
{
	return cli(cfg, args, ENGINE_CLI_MS, out, err);
}

int engine_cli_long(const struct config *cfg, const char **args, struct strbuf *out, struct strbuf *err)
{
	return cli(cfg, args, 0, out, err);
}

/* What the runner may see of our environment: the spec's list, and what ssh needs. */
static const char *const runner_env[] = {
	"BUILDKIT_COLORS", "BUILDKIT_HOST", "BUILDKIT_PROGRESS", "BUILDKIT_TTY_LOG_LINES",
	"BUILDX_BAKE_GIT_AUTH_HEADER", "BUILDX_BAKE_GIT_AUTH_TOKEN", "BUILDX_BAKE_GIT_SSH",
	"BUILDX_BUILDER", "DOCKER_BUILDKIT", "BUILDX_CONFIG", "BUILDX_CPU_PROFILE", "BUILDX_EXPERIMENTAL",
	"BUILDX_GIT_CHECK_DIRTY", "BUILDX_GIT_INFO", "BUILDX_GIT_LABELS", "BUILDX_MEM_PROFILE",
	"BUILDX_METADATA_PROVENANCE", "BUILDX_METADATA_WARNINGS", "BUILDX_NO_DEFAULT_ATTESTATIONS",
	"BUILDX_NO_DEFAULT_LOAD", "DOCKER_API_VERSION", "DOCKER_CERT_PATH", "DOCKER_CONFIG",
	"DOCKER_CONTENT_TRUST", "DOCKER_CONTENT_TRUST_SERVER", "DOCKER_CONTEXT", "DOCKER_DEFAULT_PLATFORM",
	"DOCKER_HIDE_LEGACY_COMMANDS", "DOCKER_HOST", "DOCKER_TLS", "DOCKER_TLS_VERIFY",
	"EXPERIMENTAL_BUILDKIT_SOURCE_POLICY", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
	/* What the CLI's own ssh needs for DOCKER_HOST=ssh://HOST (or an ssh
	 * context): to be found, its agent, and (through HOME) the CLI's config. */
	"PATH", "SSH_AUTH_SOCK", "HOME",
};

void engine_child_env(struct child *c)
{
	const char *home = getenv("HOME");
	int has_config = 0;
	c->clear_env = 1;
	/* The run's one ssh connection (remote.h), not one of the CLI's per call. */
	if (remote_active())
		strvec_pushf(&c->env, "DOCKER_HOST=%s", remote_socket());
	else if (dockerctx_run()->from == CTX_BUILDER) {
		/* BUILDX_BUILDER naming a context: that context for the CLI's own
		 * questions too (an empty DOCKER_HOST counts as unset). */
		strvec_push(&c->env, "DOCKER_HOST=");
		strvec_pushf(&c->env, "DOCKER_CONTEXT=%s", dockerctx_run()->name.buf);
	}
	for (size_t i = 0; i < ARRAY_SIZE(runner_env); i++) {
		const char *v = getenv(runner_env[i]);
		/* Entries already set by the caller win. */
		int set = 0;
		for (size_t k = 0; k < c->env.nr && !set; k++)
			set = starts_with(c->env.v[k], runner_env[i]) && c->env.v[k][strlen(runner_env[i])] == '=';
		if (!strcmp(runner_env[i], "DOCKER_CONFIG"))
			has_config = set || v;
		if (v && !set)
			strvec_pushf(&c->env, "%s=%s", runner_env[i], v);
	}
	/* buildx asks git about a build's context for its provenance (seven
	 * git processes a compile when the context is in a work tree, as a
	 * workspace's is: ~11 ms of CPU a compile, measured); our builds
	 * export files, with no provenance to record. Unless the user says. */
	if (!getenv("BUILDX_GIT_INFO") && !getenv("BUILDX_GIT_LABELS"))
		strvec_push(&c->env, "BUILDX_GIT_INFO=0");
	/* Without HOME the CLI would not find its config (contexts, builders,
	 * plugins): name it through DOCKER_CONFIG, which the list allows. */
	if (!has_config && home && *home)
		strvec_pushf(&c->env, "DOCKER_CONFIG=%s/.docker", home);
}

static const char *unreachable_signs[] = {
	"Cannot connect to the Docker daemon",
	"error during connect",
	"connection refused",
	"no such host",
	"dial unix",
	"dial tcp",
	"is the docker daemon running",
};

/* The engine's connection broke during a call: it stopped or restarted. */
static const char *gone_signs[] = {
	"error reading from server: EOF",
	/* (killed while buildx opened its session: the dial cut mid-answer) */
	"failed to dial gRPC: unexpected EOF",
	"transport is closing",
	"connection reset by peer",
	"broken pipe",
};

/* The docker CLI's own ssh failed (DOCKER_HOST=ssh:// without the forward,
 * or an ssh context): "command [ssh ... docker system dial-stdio] has exited
 * with exit status N, ...: stderr=WHAT SSH SAID", to the end of the output.
 * Its last line appended to out, and N returned; 0 when it is not that. */
static int ssh_cause(const char *output, struct strbuf *out)
{
	const char *p = strstr(output, "docker system dial-stdio] has exited with exit status "), *s, *end;
	if (!p || !(s = strstr(p, "stderr=")))
		return 0;
	s += strlen("stderr=");
	end = s + strlen(s);
	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	for (const char *q = end; q > s; q--)
		if (q[-1] == '\n') {
			s = q;
			break;
		}
	strbuf_add(out, s, (size_t)(end - s));
	return atoi(p + strlen("docker system dial-stdio] has exited with exit status ")) ?: 255;
}

/* Last line of text that starts with "ERROR" or "error", trimmed. */
static void last_error_line(const char *text, struct strbuf *out)
{
	const char *line = text, *found = NULL, *found_end = NULL;
	while (*line) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (starts_with(p, "ERROR") || starts_with(p, "error") || starts_with(p, "failed to")) {
			found = p;
			found_end = end;
		}
		line = *end ? end + 1 : end;
	}
	if (!found) {
		/* Fall back to the last non-empty line. */
		const char *end = text + strlen(text);
		while (end > text && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		const char *start = end;
		while (start > text && start[-1] != '\n')
			start--;
		found = start;
		found_end = end;
	}
	strbuf_add(out, found, (size_t)(found_end - found));
	if (out->len > 400) {
		strbuf_setlen(out, 400);
		strbuf_addstr(out, "...");
	}
}

int engine_explain_failure(const char *what, const char *output, const char *log_path, struct strbuf *err)
{
	struct strbuf cause = STRBUF_INIT;
	const char *p;
	int rc;
	if ((p = strstr(output, "failed to resolve source metadata for "))) {
		/* An image the engine must pull (a syntax, base or builder image). */
		p += strlen("failed to resolve source metadata for ");
		const char *end = strstr(p, ": ");
		strbuf_addf(err, "the engine at %s cannot get the image %.*s (it is not in the engine and its registry did not give it): load it into the engine, or change the setting that names it (full log: %s)",
			    engine_where(), (int)(end ? (size_t)(end - p) : strcspn(p, "\n")), p, log_path);
		return EXIT_ENGINE_FAILED;
	}
	if (strstr(output, "received message larger than max")) {
		/* Only a Dockerfile holding the stages of the unit's whole closure
		 * (a dependency's outputs were not kept) grows with the graph. */
		strbuf_addf(err, "the engine refused the build: its Dockerfile (the stages of the whole dependency closure, as some dependency's outputs were not kept) is larger than the engine's gRPC message limit (%.*s): run cargo clean, then the build again (full log: %s)",
			    (int)strcspn(strstr(output, "received message larger than max"), ")\n") + 1,
			    strstr(output, "received message larger than max"), log_path);
		return EXIT_ENGINE_FAILED;
	}
	if (strstr(output, "invalid bind address format") || strstr(output, "unsupported protocol scheme")) {
		strbuf_addf(err, "%s is not an engine address (e.g. unix:///run/cargo-green/docker.sock, tcp://127.0.0.1:2375, ssh://HOST)",
			    engine_where());
		return EXIT_ENGINE_UNREACHABLE;
	}
	if (strstr(output, "no space left on device")) {
		last_error_line(output, &cause);
		strbuf_addf(err, "no space left on device in the engine's storage (%s): free some (docker builder prune, or a larger disk), then build again: %s (full log: %s)",
			    engine_where(), cause.buf, log_path);
		strbuf_release(&cause);
		return EXIT_ENGINE_FAILED;
	}
	if ((p = strstr(output, "no builder \""))) {
		p += strlen("no builder \"");
		strbuf_addf(err, "BUILDX_BUILDER=%.*s names no builder (see `docker buildx ls`; unset BUILDX_BUILDER for the default one)",
			    (int)strcspn(p, "\""), p);
		return EXIT_ENGINE_FAILED;
	}
	if (strstr(output, "network bridge not found")) {
		strbuf_addf(err, "the engine at %s has no bridge network for CARGOGREEN_WITH_NETWORK=default (scripts/engine.sh starts one with its own bridge; or set CARGOGREEN_WITH_NETWORK=host) (full log: %s)",
			    engine_where(), log_path);
		return EXIT_ENGINE_FAILED;
	}
	if ((rc = ssh_cause(output, &cause))) {
		/* The docker CLI's own ssh: what ssh (or the remote's shell) said. */
		if (rc == 127)
			strbuf_addf(err, "the host of %s has no docker CLI (%s): install docker there (`docker` on the PATH of ssh sessions)",
				    engine_where(), cause.buf);
		else
			strbuf_addf(err, "cannot reach the engine at %s: %s%s (check that ssh to it logs in without a prompt: host, user and port in ~/.ssh/config, the key in your ssh agent; or set CARGOGREEN_RUNNER=none to build with the local rustc)",
				    engine_where(), starts_with(cause.buf, "ssh: ") ? "" : "ssh: ", cause.buf);
		strbuf_release(&cause);
		return EXIT_ENGINE_UNREACHABLE;
	}
	strbuf_reset(&cause);
	if (remote_active() && (remote_ssh_cause(&cause), cause.len)) {
		/* Through the run's forward, its ssh ended: what ssh said is the cause. */
		for (size_t i = 0; i < ARRAY_SIZE(unreachable_signs) + ARRAY_SIZE(gone_signs); i++)
			if (strstr(output, i < ARRAY_SIZE(unreachable_signs) ? unreachable_signs[i]
									 : gone_signs[i - ARRAY_SIZE(unreachable_signs)])) {
				strbuf_addf(err, "lost the engine at %s while %s: %s%s (check that ssh to it works, then run the build again; full log: %s)",
					    engine_where(), what, starts_with(cause.buf, "ssh: ") ? "" : "ssh: ", cause.buf,
					    log_path);
				strbuf_release(&cause);
				return EXIT_ENGINE_UNREACHABLE;
			}
		strbuf_reset(&cause);
	}
	for (size_t i = 0; i < ARRAY_SIZE(unreachable_signs); i++)
		if (strstr(output, unreachable_signs[i])) {
			strbuf_addf(err, "cannot reach the BuildKit engine at %s (start one with scripts/engine.sh and export the DOCKER_HOST it prints, or set CARGOGREEN_RUNNER=none to build with the local rustc)",
				    engine_where());
			return EXIT_ENGINE_UNREACHABLE;
		}
	for (size_t i = 0; i < ARRAY_SIZE(gone_signs); i++)
		if (strstr(output, gone_signs[i])) {
			strbuf_addf(err, "the engine at %s went away while %s (it stopped or restarted): start it again (scripts/engine.sh) and run the build again (full log: %s)",
				    engine_where(), what, log_path);
			return EXIT_ENGINE_UNREACHABLE;
		}
	if (strstr(output, "unknown flag: --build-context") ||
	    strstr(output, "unsupported frontend capability moby.buildkit.frontend.contexts")) {
		last_error_line(output, &cause);
		strbuf_addf(err, "the engine at %s is too old for named build contexts: %s (use BuildKit >= 0.12 and buildx >= 0.11; scripts/engine.sh starts one)",
			    engine_where(), cause.buf);
		strbuf_release(&cause);
		return EXIT_ENGINE_FAILED;
	}
	last_error_line(output, &cause);
	strbuf_addf(err, "the engine failed %s: %s (full log: %s)", what, cause.buf, log_path);
	strbuf_release(&cause);
	return EXIT_ENGINE_FAILED;
}

/* Did the RUN of stage watch hit BuildKit's cache? Reads --progress=plain output. */
static int run_was_cached(const char *log, const char *watch)
{
	struct strbuf needle = STRBUF_INIT, cached = STRBUF_INIT;
	const char *line = log;
	int found = 0;
	strbuf_addf(&needle, "[%s ", watch);
	while (*line) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (line[0] == '#') {
			const char *hit = strstr(line, needle.buf);
			const char *run = hit ? strstr(hit, "] RUN ") : NULL;
			if (hit && run && hit < end && run < end) {
				size_t idlen = strcspn(line, " ");
				strbuf_reset(&cached);
				strbuf_add(&cached, line, idlen);
				strbuf_addstr(&cached, " CACHED\n");
				found = 1;
			}
		}
		line = *end ? end + 1 : end;
	}
	int ret = found && strstr(log, cached.buf) != NULL;
	strbuf_release(&needle);
	strbuf_release(&cached);
	return ret;
}

int engine_build(const struct engine_build *b, int *cached, struct strbuf *err)
{
	struct child c = CHILD_INIT;
	struct strbuf log = STRBUF_INIT, what = STRBUF_INIT;
	int rc, ret = 0;

	if ((ret = remote_ensure(err)))
		return ret;
	engine_buildx_argv(b->cfg, &c.args);
	strvec_push(&c.args, "build");
	if (!b->cfg || b->cfg->runner != RUNNER_PODMAN) {
		strvec_push(&c.args, "--progress=plain");
		strvec_push(&c.args, "--provenance=false");
	}
	if (b->network && strcmp(b->network, "default"))
		strvec_pushf(&c.args, "--network=%s", b->network);
	if (((b->network && !strcmp(b->network, "host")) || b->allow_host) && (!b->cfg || b->cfg->runner != RUNNER_PODMAN))
		strvec_push(&c.args, "--allow=network.host");
	for (size_t i = 0; i < b->secrets.nr; i++) {
		const char *v = b->secrets.v[i];
		int n = (int)strcspn(v, "=");
		if (!v[n])
			BUG("a secret without a value");
		strvec_pushf(&c.args, "--secret=id=%.*s,env=" SECRET_ENV_PREFIX "%.*s", n, v, n, v);
		strvec_pushf(&c.env, SECRET_ENV_PREFIX "%s", v);
	}
	if ((getenv(NO_CACHE_ENV) || b->no_cache) && b->watch_stage)
		strvec_pushf(&c.args, "--no-cache-filter=%s", b->watch_stage);
	strvec_pushf(&c.args, "--file=%s", b->dockerfile);
	if (b->target)
		strvec_pushf(&c.args, "--target=%s", b->target);
	for (size_t i = 0; i < b->contexts.nr; i++)
		strvec_pushf(&c.args, "--build-context=%s", b->contexts.v[i]);
	if (b->out_dir) {
		/* buildx reads the value as CSV: a dir with a quote or comma is quoted. */
		struct strbuf o = STRBUF_INIT, dest = STRBUF_INIT;
		strbuf_addf(&dest, "dest=%s", b->out_dir);
		strbuf_addstr(&o, "--output=type=local,");
		strbuf_add_csv_field(&o, dest.buf);
		strvec_push(&c.args, o.buf);
		strbuf_release(&o);
		strbuf_release(&dest);
	}
	if (b->tag) {
		strvec_pushf(&c.args, "--tag=%s", b->tag);
		strvec_push(&c.args, "--load");
	}
	strvec_push(&c.args, b->main_ctx);
	c.stdin_path = "";
	c.stdout_path = b->log_path;
	c.stderr_to_stdout = 1;
	/* Exactly the runner's variables: no jobserver, no secrets by accident. */
	engine_child_env(&c);

	if (log_enabled(LOG_DEBUG, __FILE__)) {
		struct strbuf cmd = STRBUF_INIT;
		for (size_t i = 0; i < c.args.nr; i++) {
			strbuf_addch(&cmd, ' ');
			strbuf_add_shquoted(&cmd, c.args.v[i]);
		}
		LOG(LOG_DEBUG, "engine:%s", cmd.buf);
		strbuf_release(&cmd);
	}
	{
		struct engine_watch w;
		int stopped = 0;
		watch_init(&w, b->cfg, b->timeout_ms);
		w.log_path = b->log_path;
		rc = run_start(&c, err);
		if (rc == 0)
			rc = run_wait_watch(&c, engine_watcher, &w, &stopped);
		if (stopped && w.stalled) {
			strbuf_addf(err, "the engine at %s stopped answering while %s %s: its progress did not grow for %d s and it did not answer a ping within %d s; restart it (scripts/engine.sh) and run the build again (full log: %s)",
				    engine_where(), b->target || b->tag ? "building" : "probing", b->target ? b->target : b->tag ? b->tag : "what it can build",
				    ENGINE_STALL_MS / 1000, ENGINE_PING_MS / 1000, b->log_path);
			ret = EXIT_ENGINE_UNREACHABLE;
			goto out;
		}
		if (stopped) {
			strbuf_addf(err, "the engine at %s did not finish %s within %d s: it is stuck; restart it (scripts/engine.sh), or set CARGOGREEN_RUNNER=none to build with the local rustc (full log: %s)",
				    engine_where(), b->target || b->tag ? "a build" : "probing what it can build",
				    b->timeout_ms / 1000, b->log_path);
			ret = EXIT_ENGINE_UNREACHABLE;
			goto out;
		}
	}
	if (rc < 0) {
		ret = EXIT_ENGINE_UNREACHABLE;
		strbuf_addstr(err, " (install docker and buildx: scripts/engine.sh, or set CARGOGREEN_RUNNER=none)");
		goto out;
	}
	if (strbuf_read_file(&log, b->log_path) < 0)
		strbuf_addf(&log, "(cannot read %s: %s)", b->log_path, strerror(errno));
	if (rc) {
		struct strbuf dir = STRBUF_INIT;
		if (b->target || b->tag)
			strbuf_addf(&what, "building %s", b->target ? b->target : b->tag);
		else
			strbuf_addstr(&what, "probing what it can build");
		if (b->out_dir) {
			const char *slash = strrchr(b->out_dir, '/');
			strbuf_add(&dir, b->out_dir, slash && slash != b->out_dir ? (size_t)(slash - b->out_dir) : strlen(b->out_dir));
		}
		if (dir.len && fs_nearly_full(dir.buf)) {
			/* The export into a full target dir fails as "context canceled". */
			strbuf_addf(err, "no space left on device in %s, where the engine's outputs go: free some (cargo clean, or a larger disk), then build again (full log: %s)",
				    dir.buf, b->log_path);
			ret = EXIT_IO;
		} else {
			ret = engine_explain_failure(what.buf, log.buf, b->log_path, err);
		}
		strbuf_release(&dir);
		goto out;
	}
	if (cached)
		*cached = b->watch_stage ? run_was_cached(log.buf, b->watch_stage) : 0;
out:
	LOG(LOG_DEBUG, "engine: %s exit %d", b->target, rc);
	strbuf_release(&log);
	strbuf_release(&what);
	child_release(&c);
	return ret;
}

void engine_build_release(struct engine_build *b)
{
	strvec_clear(&b->contexts);
	strvec_clear(&b->secrets);
}

#define PROBE_DF "FROM scratch\nCOPY --from=probe . /\n"

/* Can this podman parse what our stages use: RUN --network= and heredocs?
 * (Debian 12's podman 4.3 cannot: "RUN only supports the --mount flag", and
 * it reads a heredoc's lines as instructions.) FROM scratch has no shell,
 * so a podman that parses it fails later, running it: that is a yes. */
#define PODMAN_DF "FROM scratch\nRUN --network=none <<'EOT'\ntrue\nEOT\n"

static int podman_check(const struct config *cfg, const char *dir, const char *ctx, struct strbuf *err)
{
	struct strbuf df = STRBUF_INIT, out = STRBUF_INIT, ver = STRBUF_INIT, e = STRBUF_INIT;
	int ret = 0;

	strbuf_addf(&df, "%s/Podmanfile", dir);
	if (write_file_atomic(df.buf, PODMAN_DF, strlen(PODMAN_DF), 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", df.buf, strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	engine_cli_long(cfg, (const char *[]){ "build", "--file", df.buf, ctx, NULL }, &out, &e);
	if (strstr(out.buf, "only supports the --mount flag") || strstr(out.buf, "STEP 3/")) {
		engine_cli(cfg, (const char *[]){ "--version", NULL }, &ver, &e);
		strbuf_rtrim(&ver);
		strbuf_addf(err, "CARGOGREEN_RUNNER=podman: %s cannot build cargo-green's Dockerfiles: they need RUN --network= and heredoc RUNs (and COPY --link), which it %s (use CARGOGREEN_RUNNER=docker, or a podman whose buildah supports them)",
			    ver.len ? ver.buf : "this podman",
			    strstr(out.buf, "only supports the --mount flag") ? "refuses (\"RUN only supports the --mount flag\")" : "reads as instructions");
		ret = EXIT_ENGINE_FAILED;
	}
out:
	strbuf_release(&df);
	strbuf_release(&out);
	strbuf_release(&ver);
	strbuf_release(&e);
	return ret;
}

/* The probe's failure said the engine's BuildKit lacks named contexts: say
 * which dockerd it is (asked now) and the fix, instead of BuildKit's words. */
static void too_old(const struct config *cfg, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT, e = STRBUF_INIT;
	int rc = engine_cli(cfg, (const char *[]){ "version", "--format", "{{.Server.Version}}", NULL }, &out, &e);
	strbuf_rtrim(&out);
	if (rc || !out.len || strchr(out.buf, '\n') || strchr(out.buf, ' '))
		strbuf_reset(&out);
	strbuf_reset(err);
	strbuf_addf(err, "the engine at %s is too old: %s%s embeds a BuildKit without named build contexts (the frontend capability moby.buildkit.frontend.contexts, which cargo-green's Dockerfiles need): upgrade docker on that host (dockerd 26 with BuildKit 0.13 is what cargo-green is tested with; scripts/engine.sh starts one), or use another engine",
		    engine_where(), out.len ? "dockerd " : "its dockerd", out.buf);
	strbuf_release(&out);
	strbuf_release(&e);
}

int engine_probe(const struct config *cfg, const char *state, struct strbuf *err)
{
	struct engine_build b = ENGINE_BUILD_INIT;
	struct strbuf dir = STRBUF_INIT, df = STRBUF_INIT, ctx = STRBUF_INIT, out = STRBUF_INIT, log = STRBUF_INIT;
	int ret;

	strbuf_addf(&dir, "%s/probe.%ld", state, (long)getpid());
	strbuf_addf(&ctx, "%s/ctx", dir.buf);
	strbuf_addf(&out, "%s/out", dir.buf);
	strbuf_addf(&df, "%s/Dockerfile", dir.buf);
	strbuf_addf(&log, "%s/probe.log", state);
	if (mkdir_p(ctx.buf, 0755) < 0 ||
	    write_file_atomic(df.buf, PROBE_DF, strlen(PROBE_DF), 0644) < 0) {
		strbuf_addf(err, "cannot write in '%s': %s", dir.buf, strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	b.cfg = cfg;
	b.dockerfile = df.buf;
	b.main_ctx = ctx.buf;
	b.out_dir = out.buf;
	b.log_path = log.buf;
	strvec_pushf(&b.contexts, "probe=%s", ctx.buf);
	b.timeout_ms = ENGINE_PROBE_MS;
	ret = engine_build(&b, NULL, err);
	if (ret == EXIT_ENGINE_FAILED && (!cfg || cfg->runner == RUNNER_DOCKER) &&
	    strstr(err->buf, "unsupported frontend capability moby.buildkit.frontend.contexts"))
		too_old(cfg, err);
	if (!ret && cfg && cfg->runner == RUNNER_PODMAN)
		ret = podman_check(cfg, dir.buf, ctx.buf, err);
	else if (ret && cfg && cfg->runner == RUNNER_PODMAN && strstr(err->buf, "could not run 'podman'")) {
		strbuf_reset(err);
		strbuf_addstr(err, "CARGOGREEN_RUNNER=podman but podman is not installed (apt-get install podman, or set CARGOGREEN_RUNNER=docker)");
		ret = EXIT_ENGINE_UNREACHABLE;
	}
out:
	rm_rf(dir.buf);
	engine_build_release(&b);
	strbuf_release(&dir);
	strbuf_release(&df);
	strbuf_release(&ctx);
	strbuf_release(&out);
	strbuf_release(&log);
	return ret;
}
