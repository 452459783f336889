/* registry.h: a client of an OCI registry's HTTP API (the distribution
 * spec): manifests by tag (HEAD, GET, PUT), blobs (HEAD, GET into a file
 * with its digest verified, monolithic upload by POST then PUT).
 *
 * HTTP through libcurl, loaded on first use (dlopen of libcurl.so.4), so
 * that a process that talks to no registry pays nothing for it at start-up.
 * Transport as docker has it: plain HTTP for a loopback registry
 * (localhost, 127.0.0.0/8, ::1) unless a CA file is there for it, HTTPS
 * otherwise, verified with the
 * system's CA store plus a registry's own CA file where docker looks for
 * one (/etc/docker/certs.d/HOST/ca.crt, and $XDG_CONFIG_HOME/docker/certs.d
 * or ~/.config/docker/certs.d as rootless docker does). Credentials from
 * $DOCKER_CONFIG/config.json (default ~/.docker/config.json): `auths`
 * entries, and the credential helpers (`credHelpers` per host,
 * `credsStore`) run as docker-credential-NAME through run.c. Both
 * challenges: Basic, and the bearer-token flow (WWW-Authenticate: Bearer
 * realm=...,service=...,scope=...: a token asked of the realm, with the
 * credentials if there are any). Deadlines: 3 s to connect; a lookup
 * (manifest, HEAD, token) 5 s in all; a blob's first byte within 5 s, then
 * 1 KiB/s at least over 10 s, 5 min in all. */
#ifndef REGISTRY_H
#define REGISTRY_H

#include "strbuf.h"

/* An image name docker-image://HOST[:PORT]/REPO[:TAG] split: host with its
 * port, the repository, the tag (NULL: none). */
struct registry_ref {
	char *host;
	char *repo;
	char *tag;
};

/* 0, or -1 with err (a name without a registry host, bad characters). A
 * name without a dot, colon or "localhost" before its first slash is
 * docker.io's (library/ added for one component). */
int registry_ref_parse(const char *image, struct registry_ref *ref, struct strbuf *err);
void registry_ref_release(struct registry_ref *ref);

/* Is host (with maybe a port) a loopback one, spoken to in plain HTTP? */
int registry_host_is_loopback(const char *host);

/* The parameters of a WWW-Authenticate header's value: scheme ("Basic",
 * "Bearer") and realm, service, scope (empty when absent). 0, or -1. */
int registry_parse_challenge(const char *value, struct strbuf *scheme, struct strbuf *realm, struct strbuf *service,
			     struct strbuf *scope);

/* The credentials config.json gives for host (auths' base64 "auth", or
 * "username"/"password"; credHelpers/credsStore through
 * docker-credential-NAME get). 1 found, 0 none, -1 with err. */
int registry_credentials(const char *host, struct strbuf *user, struct strbuf *secret, struct strbuf *err);

struct registry;

/* A session with the repository of image (docker-image://...), its
 * credentials and token kept for its requests. NULL with err. */
struct registry *registry_open(const char *image, struct strbuf *err);
void registry_close(struct registry *r);
/* "HOST/REPO", for messages. */
const char *registry_name(const struct registry *r);
/* Keep the bearer tokens of r in file, and use those there (regtoken.h):
 * the run's processes share them. */
void registry_keep_tokens(struct registry *r, const char *file);

/* Every call below: -1 with err on a transport fault, an auth refusal or
 * an unexpected status ("127.0.0.1:5000/cache: HTTP 401 ..."), with
 * *status (when not NULL) the HTTP status, 0 for a transport fault. */

/* The manifest of tag: 1 with its body (and its digest when digest is not
 * NULL), 0 when there is none. */
int registry_manifest_get(struct registry *r, const char *tag, struct strbuf *body, struct strbuf *digest,
			  int *status, struct strbuf *err);
/* 1 when tag has a manifest, 0 when not. */
int registry_manifest_exists(struct registry *r, const char *tag, int *status, struct strbuf *err);
/* PUT body as tag's manifest, of media type type. 0. */
int registry_manifest_put(struct registry *r, const char *tag, const char *type, const char *body, size_t len,
			  int *status, struct strbuf *err);
/* 1 when the blob is there, 0 when not. */
int registry_blob_exists(struct registry *r, const char *digest, int *status, struct strbuf *err);
/* GET the blob digest ("sha256:HEX") into the file path (created 0600),
 * at most max bytes; its SHA-256 checked: a blob that is not what its
 * digest says is an error and no file is left. 0. */
int registry_blob_get(struct registry *r, const char *digest, const char *path, long long max, int *status,
		      struct strbuf *err);
/* Upload len bytes of data as blob digest (POST, then one PUT). 0. */
int registry_blob_put(struct registry *r, const char *digest, const char *data, size_t len, int *status,
		      struct strbuf *err);

/* The registry's words of a failure (its error body, len bytes, of a reply
 * with status code), appended to err as " (CODE)" or, for a failure of its
 * own (5xx), " (CODE: its last words)": a detail's text after its last ": ",
 * or a Go error's errno ({"Op":..,"Path":..,"Err":28}) as its text. One line:
 * control characters as spaces, at most 240 bytes. Nothing for a body that
 * is not such JSON. */
void registry_error_words(const char *body, size_t len, long code, struct strbuf *err);

#endif
