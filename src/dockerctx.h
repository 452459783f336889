/* dockerctx.h: which engine the docker CLI would talk to, by docker's own
 * rule, so that cargo-green's own connections (the API socket, the ssh
 * forward of remote.h) and its messages follow what the user chose:
 *   1. DOCKER_HOST, when set: it wins over any context (docker's rule);
 *   2. else the context DOCKER_CONTEXT names,
 *   3. else config.json's currentContext (`docker context use NAME`),
 *      config.json in $DOCKER_CONFIG, else ~/.docker;
 *   4. else the default socket (unix:///var/run/docker.sock).
 * A context's endpoint is in DOCKER_CONFIG/contexts/meta/SHA256(NAME)/meta.json
 * (Endpoints.docker.Host), as the CLI keeps it. And BUILDX_BUILDER naming a
 * context rather than a builder of buildx's own (no instance file of that
 * name): that context's docker-driver builder, i.e. its engine. */
#ifndef DOCKERCTX_H
#define DOCKERCTX_H

#include "strbuf.h"

enum dockerctx_from { CTX_DEFAULT, CTX_HOST, CTX_ENV, CTX_CURRENT, CTX_BUILDER };

struct dockerctx {
	enum dockerctx_from from;
	struct strbuf name;  /* the context's (or builder's) name; empty for CTX_DEFAULT, CTX_HOST */
	struct strbuf host;  /* the endpoint (ssh://box, unix:///x, tcp://h:p); empty for CTX_DEFAULT */
	struct strbuf where; /* for messages: DOCKER_HOST=ssh://box, DOCKER_CONTEXT=box (ssh://box), ... */
};

#define DOCKERCTX_INIT { CTX_DEFAULT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT }

/* Resolve from the environment (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG,
 * HOME) and, when buildx_builder is non-NULL and non-empty, that builder
 * name as buildx would read it. 0, or -1 with one line in err (a context
 * that does not exist, a meta.json that cannot be read). */
int dockerctx_resolve(const char *buildx_builder, struct dockerctx *out, struct strbuf *err);
void dockerctx_release(struct dockerctx *c);

/* The run's engine, resolved once per process: the plugin's choice, which
 * dockerctx_setup hands to its wrappers (ENGINE_ENV_*, internal.h), else
 * resolved here at each call (an error then counts as the default). Points
 * into static storage. */
const struct dockerctx *dockerctx_run(void);

/* Plugin: resolve (BUILDX_BUILDER as the settings give it) and hand the
 * result to the wrappers through the environment. 0, or -1 with err. */
int dockerctx_setup(const char *buildx_builder, struct strbuf *err);

/* Will buildx build on the engine's own builder (its docker driver)?
 * BUILDX_BUILDER empty or "default", or unset with no builder chosen by
 * `docker buildx use` (no DOCKER_CONFIG/buildx/current): 1, else 0. */
int dockerctx_default_builder(void);

/* Does buildx keep a builder of that name itself (DOCKER_CONFIG/buildx/instances/NAME)? */
int dockerctx_is_buildx_instance(const char *name);

/* A builder buildx keeps itself: its driver and its first node's endpoint,
 * appended. 0; 1 when there is no such instance; -1 when it cannot be read. */
int dockerctx_buildx_instance(const char *name, struct strbuf *driver, struct strbuf *endpoint);

#endif
