/* dockerapi.h: the one question cargo-green asks the Docker engine's API
 * directly, without a CLI start-up (~50 ms): an image's ID, over the unix
 * socket of DOCKER_HOST (or the default socket). */
#ifndef DOCKERAPI_H
#define DOCKERAPI_H

#include "strbuf.h"

/* 1 with the ID appended to id (if not NULL), 0 if the engine has no such
 * image, -1 if the API cannot be asked this way (not a unix socket, a
 * DOCKER_CONTEXT, no answer): the caller asks the CLI instead. */
int dockerapi_image_id(const char *image, struct strbuf *id);

/* Does the engine answer (GET /_ping) within timeout_ms? 0 yes; 1 it took
 * the connection and did not answer in time (stuck); -1 it cannot be asked
 * this way or refused (not a unix socket, nothing listening, closed): other
 * checks say what is wrong then. */
int dockerapi_ping(int timeout_ms);

/* The socket path of a unix:// DOCKER_HOST (or the default when unset), or
 * NULL when the API is not reachable that way. Exposed for tests. */
const char *dockerapi_socket(const char *docker_host, const char *docker_context);

#endif
