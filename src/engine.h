/* engine.h: running a build on the BuildKit engine (docker buildx). */
#ifndef ENGINE_H
#define ENGINE_H

#include "strbuf.h"
#include "strvec.h"

struct engine_build {
	const char *dockerfile;  /* path of the Dockerfile */
	const char *target;      /* stage to build and export */
	struct strvec contexts;  /* "NAME=DIR" named contexts */
	const char *main_ctx;    /* the (empty) main context dir */
	const char *out_dir;     /* local export destination; NULL: no export */
	const char *tag;         /* load the result as this image instead; NULL: no */
	const char *log_path;    /* the engine's progress and errors */
	const char *watch_stage; /* report whether this stage's RUN was cached */
};

#define ENGINE_BUILD_INIT { NULL, NULL, STRVEC_INIT, NULL, NULL, NULL, NULL, NULL }

/* Run the build. 0 on success (*cached says if watch_stage's RUN was a cache
 * hit), else an exit code from exitcode.h with one line in err naming the
 * cause and the log. */
int engine_build(const struct engine_build *b, int *cached, struct strbuf *err);
void engine_build_release(struct engine_build *b);

/* The buildx command to run ("/path/docker-buildx" or "docker" "buildx"), pushed on argv. */
void engine_buildx_argv(struct strvec *argv);
/* Classify an engine failure from its output: EXIT_ENGINE_UNREACHABLE or
 * EXIT_ENGINE_FAILED, with one line in err (what, cause, fix, log). */
int engine_explain_failure(const char *what, const char *output, const char *log_path, struct strbuf *err);
/* Can the engine build with a named context and export locally? 0, or an
 * exit code with one line in err. state is a scratch directory. */
int engine_probe(const char *state, struct strbuf *err);
/* DOCKER_HOST, or a description of the default. Points into env or static. */
const char *engine_host(void);

#endif
