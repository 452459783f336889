/* engine.h: running a build on the BuildKit engine (docker buildx). */
#ifndef ENGINE_H
#define ENGINE_H

#include "strbuf.h"
#include "strvec.h"
#include "run.h"

struct config;

/* Internal, for tests: every unit's own work done anew (BuildKit's
 * --no-cache-filter on its u- stage, no local store), as on a new machine;
 * its dependencies are those this same run just made. */
#define NO_CACHE_ENV "__CARGOGREEN_NO_CACHE"

struct engine_build {
	const char *dockerfile;  /* path of the Dockerfile */
	const char *target;      /* stage to build and export */
	struct strvec contexts;  /* "NAME=DIR" named contexts */
	const char *main_ctx;    /* the (empty) main context dir */
	const char *out_dir;     /* local export destination; NULL: no export */
	const char *tag;         /* load the result as this image instead; NULL: no */
	const char *log_path;    /* the engine's progress and errors */
	const char *watch_stage; /* report whether this stage's RUN was cached */
	const char *network;     /* the default network of RUNs (none, default, host); NULL: none */
	/* "NAME=value": BuildKit secrets, given to the engine's client in its
	 * environment (--secret id=NAME,env=...), never written to a file. */
	struct strvec secrets;
	int allow_host;          /* some RUN has --network=host */
	const struct config *cfg;
	int timeout_ms;          /* a deadline for the whole build (the probe); 0: none */
};

#define ENGINE_BUILD_INIT { NULL, NULL, STRVEC_INIT, NULL, NULL, NULL, NULL, NULL, NULL, STRVEC_INIT, 0, NULL, 0 }

/* Run the build. 0 on success (*cached says if watch_stage's RUN was a cache
 * hit), else an exit code from exitcode.h with one line in err naming the
 * cause and the log. */
int engine_build(const struct engine_build *b, int *cached, struct strbuf *err);
void engine_build_release(struct engine_build *b);

/* The build command to run, pushed on argv: for docker the buildx plugin
 * binary ("/path/docker-buildx", or "docker" "buildx"), for podman
 * "podman". */
void engine_buildx_argv(const struct config *cfg, struct strvec *argv);
/* The runner's own CLI ("docker" or "podman"), pushed on argv. */
void engine_cli_argv(const struct config *cfg, struct strvec *argv);
/* Run the runner's own CLI with args (NULL-terminated), no stdin, the
 * runner's environment (BUILDX_BUILDER emptied: cargo-green's choice of
 * builder must not steer it), stderr into out. Its exit code, or -1 with err. */
int engine_cli(const struct config *cfg, const char **args, struct strbuf *out, struct strbuf *err);
/* Give a runner child exactly the environment the runner may see (the
 * table in engine.c), nothing else. */
void engine_child_env(struct child *c);
/* Classify an engine failure from its output: EXIT_ENGINE_UNREACHABLE or
 * EXIT_ENGINE_FAILED, with one line in err (what, cause, fix, log). */
int engine_explain_failure(const char *what, const char *output, const char *log_path, struct strbuf *err);
/* Can the engine build with a named context and export locally? 0, or an
 * exit code with one line in err. state is a scratch directory. */
int engine_probe(const struct config *cfg, const char *state, struct strbuf *err);
/* DOCKER_HOST, or a description of the default. Points into env or static. */
const char *engine_host(void);
/* The plugin's first question to a docker engine, before anything else asks
 * it: does it answer at all? A socket that takes connections and never
 * answers would hang every later call (the CLI has no deadline). 0, or
 * EXIT_ENGINE_UNREACHABLE with one line in err when it did not answer the
 * API's ping within ENGINE_PING_MS. Unix sockets only (others: 0). */
#define ENGINE_PING_MS 10000
/* The probe build at the start (FROM scratch, one COPY: a second or two). */
#define ENGINE_PROBE_MS 30000
int engine_check_answers(const struct config *cfg, struct strbuf *err);

#endif
