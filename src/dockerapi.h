/* dockerapi.h: the questions cargo-green asks the Docker engine's API
 * directly, without a CLI start-up (~50 ms): an image's ID and a directory
 * of its files, over the unix socket of DOCKER_HOST (or the default
 * socket), and whether it answers at all (the ping, also over tcp://). ssh:// and contexts go through the CLI. */
#ifndef DOCKERAPI_H
#define DOCKERAPI_H

#include "strbuf.h"

/* 1 with the ID appended to id (if not NULL), 0 if the engine has no such
 * image, -1 if the API cannot be asked this way (not a unix socket, a
 * DOCKER_CONTEXT, refused, a bad answer): the caller asks the CLI instead;
 * -2 if it took the connection and did not answer within timeout_ms (or
 * did not take it): stuck. */
int dockerapi_image_id(const char *image, struct strbuf *id, int timeout_ms);

/* Does the engine answer (GET /_ping) within timeout_ms, over a unix:// or
 * tcp:// DOCKER_HOST? 0 yes; 1 it took the connection and did not answer in
 * time (stuck); 2 it did not take the connection in time (a TCP handshake
 * unanswered); -1 refused, closed, no such host: other checks say what is
 * wrong then; -2 it cannot be asked this way (ssh://, a DOCKER_CONTEXT). */
int dockerapi_ping(int timeout_ms);

/* The directory dir (absolute) of image's file system as the engine's tar
 * of it (GET /containers/ID/archive of a container created from image and
 * never started, removed after), over the unix socket as for
 * dockerapi_image_id: 0 with the tar appended to tar; 1 the image has no
 * such dir; -1 it cannot be read this way (the caller runs a build). */
int dockerapi_image_dir(const char *image, const char *dir, struct strbuf *tar, int timeout_ms);

/* The host and port of a tcp:// DOCKER_HOST (the port defaults as the
 * CLI's: 2376 with DOCKER_TLS_VERIFY, else 2375), appended: 0; -1 when it
 * is not one. Exposed for tests. */
int dockerapi_tcp(const char *docker_host, const char *docker_context, struct strbuf *host, struct strbuf *port);

/* The socket path of a unix:// DOCKER_HOST (or the default when unset), or
 * NULL when the API is not reachable that way. Exposed for tests. */
const char *dockerapi_socket(const char *docker_host, const char *docker_context);

#endif
