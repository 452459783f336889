#include "engine.h"
#include "exitcode.h"
#include "fs.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *engine_host(void)
{
	const char *h = getenv("DOCKER_HOST");
	return h && *h ? h : "unix:///var/run/docker.sock (DOCKER_HOST unset)";
}

void engine_buildx_argv(struct strvec *argv)
{
	/* Calling the buildx plugin binary directly skips the docker CLI's own start-up. */
	const char *dirs[] = { NULL, NULL, "/usr/local/lib/docker/cli-plugins",
			       "/usr/local/libexec/docker/cli-plugins", "/usr/lib/docker/cli-plugins",
			       "/usr/libexec/docker/cli-plugins" };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	const char *cfg = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	if (cfg && *cfg) {
		strbuf_addf(&a, "%s/cli-plugins", cfg);
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

static const char *unreachable_signs[] = {
	"Cannot connect to the Docker daemon",
	"error during connect",
	"connection refused",
	"no such host",
	"dial unix",
	"dial tcp",
	"is the docker daemon running",
};

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
	for (size_t i = 0; i < ARRAY_SIZE(unreachable_signs); i++)
		if (strstr(output, unreachable_signs[i])) {
			strbuf_addf(err, "cannot reach the BuildKit engine at DOCKER_HOST=%s (start one with scripts/engine.sh and export the DOCKER_HOST it prints, or set CARGOGREEN_RUNNER=none to build with the local rustc)",
				    engine_host());
			return EXIT_ENGINE_UNREACHABLE;
		}
	if (strstr(output, "unknown flag: --build-context") ||
	    strstr(output, "unsupported frontend capability moby.buildkit.frontend.contexts")) {
		last_error_line(output, &cause);
		strbuf_addf(err, "the engine at DOCKER_HOST=%s is too old for named build contexts: %s (use BuildKit >= 0.12 and buildx >= 0.11; scripts/engine.sh starts one)",
			    engine_host(), cause.buf);
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

	engine_buildx_argv(&c.args);
	strvec_push(&c.args, "build");
	strvec_push(&c.args, "--progress=plain");
	strvec_push(&c.args, "--provenance=false");
	strvec_pushf(&c.args, "--file=%s", b->dockerfile);
	if (b->target)
		strvec_pushf(&c.args, "--target=%s", b->target);
	for (size_t i = 0; i < b->contexts.nr; i++)
		strvec_pushf(&c.args, "--build-context=%s", b->contexts.v[i]);
	if (b->out_dir)
		strvec_pushf(&c.args, "--output=type=local,dest=%s", b->out_dir);
	if (b->tag) {
		strvec_pushf(&c.args, "--tag=%s", b->tag);
		strvec_push(&c.args, "--load");
	}
	strvec_push(&c.args, b->main_ctx);
	c.stdin_path = "";
	c.stdout_path = b->log_path;
	c.stderr_to_stdout = 1;
	/* cargo's jobserver means nothing to the engine. */
	strvec_push(&c.env, "CARGO_MAKEFLAGS");
	strvec_push(&c.env, "MAKEFLAGS");
	strvec_push(&c.env, "MFLAGS");

	if (log_enabled(LOG_DEBUG)) {
		struct strbuf cmd = STRBUF_INIT;
		for (size_t i = 0; i < c.args.nr; i++) {
			strbuf_addch(&cmd, ' ');
			strbuf_add_shquoted(&cmd, c.args.v[i]);
		}
		LOG(LOG_DEBUG, "engine:%s", cmd.buf);
		strbuf_release(&cmd);
	}
	rc = run_command(&c, err);
	if (rc < 0) {
		ret = EXIT_ENGINE_UNREACHABLE;
		strbuf_addstr(err, " (install docker and buildx: scripts/engine.sh, or set CARGOGREEN_RUNNER=none)");
		goto out;
	}
	if (strbuf_read_file(&log, b->log_path) < 0)
		strbuf_addf(&log, "(cannot read %s: %s)", b->log_path, strerror(errno));
	if (rc) {
		strbuf_addf(&what, "building %s", b->target ? b->target : b->tag);
		ret = engine_explain_failure(what.buf, log.buf, b->log_path, err);
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
}

#define PROBE_DF "FROM scratch\nCOPY --from=probe . /\n"

int engine_probe(const char *state, struct strbuf *err)
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
	b.dockerfile = df.buf;
	b.main_ctx = ctx.buf;
	b.out_dir = out.buf;
	b.log_path = log.buf;
	strvec_pushf(&b.contexts, "probe=%s", ctx.buf);
	ret = engine_build(&b, NULL, err);
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
