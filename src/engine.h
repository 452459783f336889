/* engine.h: running a build on the BuildKit engine (docker buildx). */
#ifndef ENGINE_H
#define ENGINE_H

#include "strbuf.h"
#include "strvec.h"
#include "run.h"

struct config;


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
	int timeout_ms;          /* a deadline for the whole build (the probe); 0: none, the stall check (ENGINE_STALL_MS) */
	int no_cache;            /* watch_stage built anew (BuildKit's --no-cache-filter), as with NO_CACHE_ENV */
};

#define ENGINE_BUILD_INIT { NULL, NULL, STRVEC_INIT, NULL, NULL, NULL, NULL, NULL, NULL, STRVEC_INIT, 0, NULL, 0, 0 }

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
/* Run the runner's own CLI with args (NULL-terminated; "buildx" ... runs
 * the buildx plugin itself), no stdin, the runner's environment
 * (BUILDX_BUILDER emptied: cargo-green's choice of builder must not steer
 * it), stderr into out. Its exit code, -1 with err when it could not start,
 * or ENGINE_STUCK with one line in err naming DOCKER_HOST and the call:
 *   engine_cli       a question (inspect, version): ENGINE_CLI_MS at most;
 *   engine_cli_long  work (import, create --bootstrap, a podman build): no
 *                    deadline, but stopped when its output has not grown for
 *                    ENGINE_STALL_MS and the engine does not answer a ping
 *                    within ENGINE_PING_MS (engine_answers). */
#define ENGINE_STUCK (-2)
int engine_cli(const struct config *cfg, const char **args, struct strbuf *out, struct strbuf *err);
int engine_cli_long(const struct config *cfg, const char **args, struct strbuf *out, struct strbuf *err);
/* Give a runner child exactly the environment the runner may see (the
 * table in engine.c), nothing else. */
void engine_child_env(struct child *c);
/* Classify an engine failure from its output: EXIT_ENGINE_UNREACHABLE or
 * EXIT_ENGINE_FAILED, with one line in err (what, cause, fix, log). */
int engine_explain_failure(const char *what, const char *output, const char *log_path, struct strbuf *err);
/* Can the engine build with a named context and export locally? 0, or an
 * exit code with one line in err. state is a scratch directory. */
int engine_probe(const struct config *cfg, const char *state, struct strbuf *err);
/* The engine's address as docker picks it (DOCKER_HOST, else a context's
 * endpoint: dockerctx.h), or a description of the default; for keys and
 * stamps. Points into static storage. */
const char *engine_host(void);
/* How the user named it, for messages: "DOCKER_HOST=ssh://box",
 * "DOCKER_CONTEXT=box (ssh://box)", ... Points into static storage. */
const char *engine_where(void);
/* Deadlines. An engine that takes connections and never answers would hang
 * every call (the CLI has none), so each call has one suited to what it
 * does:
 *   the ping (GET /_ping, the API's own, unix:// and tcp://)  ENGINE_PING_MS
 *   a question to the CLI (image inspect, buildx inspect)      ENGINE_CLI_MS
 *   the probe build at the start (FROM scratch, one COPY)      ENGINE_PROBE_MS
 *   work: a compile, the base image's builds, an import        no deadline
 * Work is watched instead: when its progress (the build's --progress=plain
 * log, the CLI's output) has not grown for ENGINE_STALL_MS, the engine is
 * pinged; no answer within ENGINE_PING_MS stops the call, one line naming
 * DOCKER_HOST. (A compile that prints nothing for minutes on an engine that
 * answers goes on: only a stuck engine is stopped.) */
#define ENGINE_PING_MS 10000
#define ENGINE_CLI_MS 20000
#define ENGINE_PROBE_MS 30000
#define ENGINE_STALL_MS 30000
/* The plugin's first question to a docker engine, before anything else asks
 * it: does it answer at all? 0, or EXIT_ENGINE_UNREACHABLE with one line in
 * err when it did not answer the API's ping within ENGINE_PING_MS. unix://
 * and tcp:// (a TLS engine's answer to plain HTTP counts); ssh:// and
 * contexts are not pinged here (0): a stuck one fails the first CLI call
 * after, at its deadline. */
int engine_check_answers(const struct config *cfg, struct strbuf *err);
/* Does the engine answer a ping within ENGINE_PING_MS (the API's; through
 * the CLI's `version` for ssh:// and contexts)? 0 yes, 1 no (stuck), -1
 * cannot tell (refused, podman). */
int engine_answers(const struct config *cfg);

#endif
