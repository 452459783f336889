#include "registry.h"
#include "json.h"
#include "log.h"
#include "regtoken.h"
#include "run.h"
#include "sha256.h"
#include "strvec.h"
#include "util.h"
#include "banned.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- libcurl, loaded on first use ---- */

static struct {
	int tried;
	void *h;
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} C;

static int curl_load(struct strbuf *err)
{
	if (!C.tried) {
		C.tried = 1;
		C.h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
		if (C.h) {
#define SYM(f, n) (*(void **)&C.f = dlsym(C.h, n))
			if (!SYM(global_init, "curl_global_init") || !SYM(easy_init, "curl_easy_init") ||
			    !SYM(easy_setopt, "curl_easy_setopt") || !SYM(easy_perform, "curl_easy_perform") ||
			    !SYM(easy_getinfo, "curl_easy_getinfo") || !SYM(easy_cleanup, "curl_easy_cleanup") ||
			    !SYM(easy_reset, "curl_easy_reset") || !SYM(easy_strerror, "curl_easy_strerror") ||
			    !SYM(slist_append, "curl_slist_append") || !SYM(slist_free_all, "curl_slist_free_all")) {
				dlclose(C.h);
				C.h = NULL;
			}
#undef SYM
			if (C.h && C.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
				dlclose(C.h);
				C.h = NULL;
			}
		}
	}
	if (!C.h) {
		strbuf_addstr(err, "cannot load libcurl.so.4 for the cache images (apt-get install libcurl4)");
		return -1;
	}
	return 0;
}

/* ---- names ---- */

void registry_ref_release(struct registry_ref *ref)
{
	free(ref->host);
	free(ref->repo);
	free(ref->tag);
	ref->host = ref->repo = ref->tag = NULL;
}

static int repo_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
}

int registry_ref_parse(const char *image, struct registry_ref *ref, struct strbuf *err)
{
	const char *name = image, *slash, *colon, *at;
	struct strbuf repo = STRBUF_INIT;
	memset(ref, 0, sizeof(*ref));
	skip_prefix(image, "docker-image://", &name);
	slash = strchr(name, '/');
	if (slash && (memchr(name, '.', (size_t)(slash - name)) || memchr(name, ':', (size_t)(slash - name)) ||
		      !strncmp(name, "localhost/", 10))) {
		ref->host = xstrndup(name, (size_t)(slash - name));
		name = slash + 1;
	} else {
		ref->host = xstrdup("docker.io");
		if (!slash)
			strbuf_addstr(&repo, "library/");
	}
	at = strchr(name, '@');
	colon = memrchr(name, ':', at ? (size_t)(at - name) : strlen(name));
	if (colon && strchr(colon, '/'))
		colon = NULL;
	strbuf_add(&repo, name, colon ? (size_t)(colon - name) : at ? (size_t)(at - name) : strlen(name));
	if (colon)
		ref->tag = xstrndup(colon + 1, at ? (size_t)(at - colon - 1) : strlen(colon + 1));
	ref->repo = strbuf_detach(&repo, NULL);
	if (!*ref->host || !*ref->repo || ref->repo[0] == '/' || ref->repo[strlen(ref->repo) - 1] == '/') {
		strbuf_addf(err, "'%s' names no repository (e.g. docker-image://my.org/team/my-project)", image);
		registry_ref_release(ref);
		return -1;
	}
	for (const char *p = ref->repo; *p; p++)
		if (!repo_char_ok(*p)) {
			strbuf_addf(err, "'%s': a repository name has only a-z, 0-9, '.', '_', '-' and '/'", image);
			registry_ref_release(ref);
			return -1;
		}
	return 0;
}

int registry_host_is_loopback(const char *host)
{
	struct strbuf h = STRBUF_INIT;
	int ret;
	if (host[0] == '[')
		strbuf_add(&h, host + 1, strcspn(host + 1, "]"));
	else
		strbuf_add(&h, host, strcspn(host, ":"));
	ret = !strcmp(h.buf, "localhost") || !strcmp(h.buf, "::1") || starts_with(h.buf, "127.");
	strbuf_release(&h);
	return ret;
}

/* Leading and trailing blanks (and a line's CR LF) off. */
static void trim(struct strbuf *sb)
{
	size_t i = 0;
	strbuf_rtrim(sb);
	while (i < sb->len && (sb->buf[i] == ' ' || sb->buf[i] == '\t'))
		i++;
	if (i) {
		memmove(sb->buf, sb->buf + i, sb->len - i);
		strbuf_setlen(sb, sb->len - i);
	}
}

/* s percent-encoded for a query string. */
static void url_escape(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
			strbuf_addch(out, c);
		else
			strbuf_addf(out, "%%%02X", c);
	}
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64_encode(const char *in, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		strbuf_addch(out, b64[v >> 18 & 63]);
		strbuf_addch(out, b64[v >> 12 & 63]);
		strbuf_addch(out, i + 1 < n ? b64[v >> 6 & 63] : '=');
		strbuf_addch(out, i + 2 < n ? b64[v & 63] : '=');
	}
}

static int base64_decode(const char *in, struct strbuf *out)
{
	unsigned v = 0;
	int bits = 0;
	for (; *in && *in != '='; in++) {
		const char *p = strchr(b64, *in);
		if (!p || !*in)
			return -1;
		v = v << 6 | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_addch(out, (char)(v >> bits & 0xff));
		}
	}
	return 0;
}

/* ---- challenges ---- */

int registry_parse_challenge(const char *value, struct strbuf *scheme, struct strbuf *realm, struct strbuf *service,
			     struct strbuf *scope)
{
	const char *p = value;
	while (*p == ' ')
		p++;
	strbuf_add(scheme, p, strcspn(p, " "));
	p += strcspn(p, " ");
	if (!scheme->len)
		return -1;
	while (*p) {
		struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		strbuf_add(&k, p, strcspn(p, "="));
		p += strcspn(p, "=");
		if (*p == '=')
			p++;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				strbuf_addch(&v, *p);
			}
			if (*p == '"')
				p++;
		} else {
			size_t n = strcspn(p, ",");
			strbuf_add(&v, p, n);
			p += n;
		}
		trim(&k);
		if (!strcasecmp(k.buf, "realm"))
			strbuf_addbuf(realm, &v);
		else if (!strcasecmp(k.buf, "service"))
			strbuf_addbuf(service, &v);
		else if (!strcasecmp(k.buf, "scope"))
			strbuf_addbuf(scope, &v);
		strbuf_release(&k);
		strbuf_release(&v);
	}
	return 0;
}

/* ---- credentials ---- */

/* Does a config.json key ("host", "https://host", "https://host/v1/") name host? */
static int auth_key_matches(const char *key, const char *host)
{
	const char *k = key;
	size_t n;
	if (!skip_prefix(key, "https://", &k))
		skip_prefix(key, "http://", &k);
	n = strcspn(k, "/");
	if (n == strlen(host) && !strncmp(k, host, n))
		return 1;
	/* docker.io's credentials are kept under index.docker.io. */
	return !strcmp(host, "docker.io") && n == strlen("index.docker.io") && !strncmp(k, "index.docker.io", n);
}

/* docker-credential-helper get, its answer host's. 1, 0 none, -1 with err. */
static int cred_helper(const char *helper, const char *host, struct strbuf *user, struct strbuf *secret,
		       struct strbuf *err)
{
	struct child c = CHILD_INIT;
	struct strbuf out = STRBUF_INIT, in = STRBUF_INIT, e = STRBUF_INIT;
	struct json j;
	const char *tmp = getenv("TMPDIR");
	int rc, ret = 0, fd;
	strbuf_addf(&in, "%s/cargo-green-cred.%ld.XXXXXX", tmp && *tmp ? tmp : "/tmp", (long)getpid());
	fd = mkstemp(in.buf);
	if (fd < 0 || write_all(fd, host, strlen(host)) < 0) {
		if (fd >= 0)
			close(fd);
		strbuf_addf(err, "cannot write a temporary file for docker-credential-%s: %s", helper, strerror(errno));
		ret = -1;
		goto out;
	}
	close(fd);
	strvec_pushf(&c.args, "docker-credential-%s", helper);
	strvec_push(&c.args, "get");
	c.stdin_path = in.buf;
	c.stderr_path = "/dev/null";
	rc = run_capture(&c, &out, &e);
	unlink(in.buf);
	if (rc < 0) {
		strbuf_addf(err, "the credential helper of config.json for %s: %s", host, e.buf);
		ret = -1;
	} else if (rc > 0) {
		ret = 0; /* none for this host */
	} else if (json_parse(out.buf, out.len, &j, &e) == 0) {
		const char *u = json_str(json_get(&j, "Username")), *s = json_str(json_get(&j, "Secret"));
		if (u && s && strcmp(u, "<token>")) {
			strbuf_addstr(user, u);
			strbuf_addstr(secret, s);
			ret = 1;
		}
		json_release(&j);
	} else {
		strbuf_addf(err, "docker-credential-%s get gave no JSON: %s", helper, e.buf);
		ret = -1;
	}
out:
	child_release(&c);
	strbuf_release(&out);
	strbuf_release(&in);
	strbuf_release(&e);
	return ret;
}

int registry_credentials(const char *host, struct strbuf *user, struct strbuf *secret, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, e = STRBUF_INIT;
	const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	const struct json *helpers, *auths, *store;
	struct json j;
	int ret = 0;
	if (dc && *dc)
		strbuf_addf(&path, "%s/config.json", dc);
	else
		strbuf_addf(&path, "%s/.docker/config.json", home && *home ? home : "/root");
	if (strbuf_read_file(&text, path.buf) < 0)
		goto out;
	if (json_parse(text.buf, text.len, &j, &e) < 0) {
		strbuf_addf(err, "%s: %s", path.buf, e.buf);
		ret = -1;
		goto out;
	}
	helpers = json_get(&j, "credHelpers");
	for (size_t i = 0; helpers && helpers->type == JV_OBJECT && i < helpers->nr; i++)
		if (auth_key_matches(helpers->keys[i], host) && json_str(&helpers->items[i])) {
			ret = cred_helper(json_str(&helpers->items[i]), host, user, secret, err);
			goto done;
		}
	auths = json_get(&j, "auths");
	for (size_t i = 0; auths && auths->type == JV_OBJECT && i < auths->nr; i++) {
		const struct json *a = &auths->items[i];
		const char *auth = json_str(json_get(a, "auth")), *u = json_str(json_get(a, "username")),
			   *p = json_str(json_get(a, "password"));
		if (!auth_key_matches(auths->keys[i], host))
			continue;
		if (auth && *auth) {
			struct strbuf dec = STRBUF_INIT;
			const char *colon;
			if (base64_decode(auth, &dec) == 0 && (colon = strchr(dec.buf, ':'))) {
				strbuf_add(user, dec.buf, (size_t)(colon - dec.buf));
				strbuf_addstr(secret, colon + 1);
				ret = 1;
			}
			strbuf_release(&dec);
		} else if (u && p) {
			strbuf_addstr(user, u);
			strbuf_addstr(secret, p);
			ret = 1;
		}
		if (ret)
			goto done;
	}
	store = json_get(&j, "credsStore");
	if (json_str(store) && *json_str(store))
		ret = cred_helper(json_str(store), host, user, secret, err);
done:
	json_release(&j);
out:
	strbuf_release(&path);
	strbuf_release(&text);
	strbuf_release(&e);
	return ret;
}

/* ---- sessions ---- */

struct registry {
	struct registry_ref ref;
	struct strbuf base;   /* https://HOST/v2/REPO */
	struct strbuf name;   /* HOST/REPO */
	struct strbuf auth;   /* the Authorization header's value, once known */
	struct strbuf user, secret;
	int creds;            /* -1 not looked up, 0 none, 1 user/secret */
	struct strbuf ca, cert, key;
	struct strbuf tokens; /* the run's token file (regtoken.h), or empty */
	CURL *curl;
};

/* The CA file (and client certificate) docker would use for host. */
static void certs_d(struct registry *r)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct strvec dirs = STRVEC_INIT;
	if (xdg && *xdg)
		strvec_pushf(&dirs, "%s/docker/certs.d", xdg);
	else if (home && *home)
		strvec_pushf(&dirs, "%s/.config/docker/certs.d", home);
	strvec_push(&dirs, "/etc/docker/certs.d");
	for (size_t i = 0; i < dirs.nr; i++) {
		struct strbuf p = STRBUF_INIT;
		strbuf_addf(&p, "%s/%s/ca.crt", dirs.v[i], r->ref.host);
		if (!r->ca.len && !access(p.buf, R_OK))
			strbuf_addbuf(&r->ca, &p);
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s/client.cert", dirs.v[i], r->ref.host);
		if (!r->cert.len && !access(p.buf, R_OK)) {
			strbuf_addbuf(&r->cert, &p);
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/%s/client.key", dirs.v[i], r->ref.host);
			strbuf_addbuf(&r->key, &p);
		}
		strbuf_release(&p);
	}
	strvec_clear(&dirs);
}

struct registry *registry_open(const char *image, struct strbuf *err)
{
	struct registry *r;
	if (curl_load(err) < 0)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	strbuf_init(&r->base, 0);
	strbuf_init(&r->name, 0);
	strbuf_init(&r->auth, 0);
	strbuf_init(&r->user, 0);
	strbuf_init(&r->secret, 0);
	strbuf_init(&r->ca, 0);
	strbuf_init(&r->cert, 0);
	strbuf_init(&r->key, 0);
	strbuf_init(&r->tokens, 0);
	r->creds = -1;
	if (registry_ref_parse(image, &r->ref, err) < 0 || !(r->curl = C.easy_init())) {
		if (!err->len)
			strbuf_addstr(err, "curl_easy_init failed");
		registry_close(r);
		return NULL;
	}
	certs_d(r);
	/* A loopback registry in plain HTTP, unless docker has a CA for it. */
	strbuf_addf(&r->base, "%s://%s/v2/%s", registry_host_is_loopback(r->ref.host) && !r->ca.len ? "http" : "https",
		    !strcmp(r->ref.host, "docker.io") ? "registry-1.docker.io" : r->ref.host, r->ref.repo);
	strbuf_addf(&r->name, "%s/%s", r->ref.host, r->ref.repo);
	return r;
}

void registry_close(struct registry *r)
{
	if (!r)
		return;
	if (r->curl)
		C.easy_cleanup(r->curl);
	registry_ref_release(&r->ref);
	strbuf_release(&r->base);
	strbuf_release(&r->name);
	strbuf_release(&r->auth);
	strbuf_release(&r->user);
	strbuf_release(&r->secret);
	strbuf_release(&r->ca);
	strbuf_release(&r->cert);
	strbuf_release(&r->key);
	strbuf_release(&r->tokens);
	free(r);
}

const char *registry_name(const struct registry *r)
{
	return r->name.buf;
}

void registry_keep_tokens(struct registry *r, const char *file)
{
	strbuf_reset(&r->tokens);
	strbuf_addstr(&r->tokens, file);
}

/* ---- one request ---- */

/* Deadlines. Connecting: 3 s. A lookup (manifests, HEADs, tokens: small
 * answers, on every compile's critical path): 5 s in all. A blob: its first
 * byte within 5 s of the request sent (or, for an upload, of its last byte),
 * then no slower than 1 KiB/s for 10 s, 5 min in all. A registry that misses
 * one is not asked again in the run (cache.c). */
#define CONNECT_MS 3000L
#define LOOKUP_MS 5000L
#define FIRST_BYTE_MS 5000L
#define BLOB_MS 300000L

struct sink {
	struct strbuf *body;  /* or */
	int fd;
	struct sha256 md;
	long long got, max;
	int too_big, write_failed;
	/* The first-byte deadline: when the request was last sent, any answer yet. */
	long long sent_ns;
	int answered, no_answer;
	/* Response headers we use. */
	struct strbuf challenge, location, digest;
};

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
	struct sink *s = p;
	size_t len = size * n;
	s->got += (long long)len;
	if (s->max && s->got > s->max) {
		s->too_big = 1;
		return 0;
	}
	if (s->fd >= 0) {
		sha256_update(&s->md, data, len);
		if (write_all(s->fd, data, len) < 0) {
			s->write_failed = 1;
			return 0;
		}
	} else if (s->body) {
		strbuf_add(s->body, data, len);
	}
	return len;
}

static void header_value(const char *line, size_t len, const char *name, struct strbuf *out)
{
	size_t n = strlen(name);
	if (len > n + 1 && !strncasecmp(line, name, n) && line[n] == ':') {
		strbuf_reset(out);
		strbuf_add(out, line + n + 1, len - n - 1);
		trim(out);
	}
}

static size_t on_header(char *data, size_t size, size_t n, void *p)
{
	struct sink *s = p;
	size_t len = size * n;
	s->answered = 1;
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* A new response (after a redirect or a 100): its own headers. */
		strbuf_reset(&s->challenge);
		strbuf_reset(&s->location);
		strbuf_reset(&s->digest);
	}
	header_value(data, len, "WWW-Authenticate", &s->challenge);
	header_value(data, len, "Location", &s->location);
	header_value(data, len, "Docker-Content-Digest", &s->digest);
	return len;
}

/* No answer FIRST_BYTE_MS after the request's last byte went: given up. */
static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct sink *s = p;
	(void)dltotal;
	(void)dlnow;
	if (s->answered)
		return 0;
	if (ulnow < ultotal) {
		s->sent_ns = now_ns();
		return 0;
	}
	if (now_ns() - s->sent_ns > FIRST_BYTE_MS * 1000000LL) {
		s->no_answer = 1;
		return 1;
	}
	return 0;
}

struct req {
	const char *method;   /* GET HEAD PUT POST */
	const char *url;
	const char *type;     /* Content-Type of what is sent */
	const char *accept;
	const char *data;
	size_t len;
	int is_blob;          /* longer deadline */
};

/* The credentials, looked up once per session. */
static int have_creds(struct registry *r, struct strbuf *err)
{
	if (r->creds < 0) {
		struct strbuf e = STRBUF_INIT;
		r->creds = registry_credentials(r->ref.host, &r->user, &r->secret, &e);
		if (r->creds < 0) {
			LOG(LOG_WARN, "%s: credentials: %s", r->name.buf, e.buf);
			r->creds = 0;
		}
		strbuf_release(&e);
	}
	return r->creds;
}

static int perform(struct registry *r, const struct req *q, struct sink *s, long *code, struct strbuf *err)
{
	struct curl_slist *h = NULL;
	struct strbuf line = STRBUF_INIT;
	CURLcode cc;
	CURL *c = r->curl;
	int ret = 0;
	C.easy_reset(c);
	C.easy_setopt(c, CURLOPT_URL, q->url);
	C.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	C.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
	C.easy_setopt(c, CURLOPT_TIMEOUT_MS, q->is_blob ? BLOB_MS : LOOKUP_MS);
	if (q->is_blob) {
		C.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		C.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 10L);
		s->sent_ns = now_ns();
		s->answered = s->no_answer = 0;
		C.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		C.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		C.easy_setopt(c, CURLOPT_XFERINFODATA, s);
	}
	C.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	C.easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	C.easy_setopt(c, CURLOPT_USERAGENT, "cargo-green");
	if (r->ca.len) {
		C.easy_setopt(c, CURLOPT_CAINFO, r->ca.buf);
		C.easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	if (r->cert.len) {
		C.easy_setopt(c, CURLOPT_SSLCERT, r->cert.buf);
		C.easy_setopt(c, CURLOPT_SSLKEY, r->key.buf);
	}
	C.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	C.easy_setopt(c, CURLOPT_WRITEDATA, s);
	C.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	C.easy_setopt(c, CURLOPT_HEADERDATA, s);
	if (!strcmp(q->method, "HEAD")) {
		C.easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(q->method, "GET")) {
		C.easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
		C.easy_setopt(c, CURLOPT_POSTFIELDS, q->data ? q->data : "");
		C.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
		h = C.slist_append(h, "Expect:");
	}
	if (q->type) {
		strbuf_addf(&line, "Content-Type: %s", q->type);
		h = C.slist_append(h, line.buf);
	}
	if (q->accept) {
		strbuf_reset(&line);
		strbuf_addf(&line, "Accept: %s", q->accept);
		h = C.slist_append(h, line.buf);
	}
	if (r->auth.len) {
		strbuf_reset(&line);
		strbuf_addf(&line, "Authorization: %s", r->auth.buf);
		h = C.slist_append(h, line.buf);
	}
	C.easy_setopt(c, CURLOPT_HTTPHEADER, h);
	cc = C.easy_perform(c);
	*code = 0;
	C.easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	if (cc != CURLE_OK && !s->too_big && !s->write_failed) {
		if (s->no_answer || (cc == CURLE_OPERATION_TIMEDOUT && !q->is_blob))
			strbuf_addf(err, "%s: cannot reach the registry: no answer within %ld s", r->name.buf,
				    (q->is_blob ? FIRST_BYTE_MS : LOOKUP_MS) / 1000);
		else
			strbuf_addf(err, "%s: cannot reach the registry: %s", r->name.buf, C.easy_strerror(cc));
		*code = 0;
		ret = -1;
	}
	if (s->too_big) {
		strbuf_addf(err, "%s: the answer is larger than %lld bytes", r->name.buf, s->max);
		ret = -1;
	}
	if (s->write_failed) {
		strbuf_addf(err, "%s: cannot write what it sends: %s", r->name.buf, strerror(errno));
		ret = -1;
	}
	C.slist_free_all(h);
	strbuf_release(&line);
	return ret;
}

static void sink_init(struct sink *s, struct strbuf *body, int fd, long long max)
{
	memset(s, 0, sizeof(*s));
	s->body = body;
	s->fd = fd;
	s->max = max;
	strbuf_init(&s->challenge, 0);
	strbuf_init(&s->location, 0);
	strbuf_init(&s->digest, 0);
}

static void sink_release(struct sink *s)
{
	strbuf_release(&s->challenge);
	strbuf_release(&s->location);
	strbuf_release(&s->digest);
}

/* A token of the realm for the challenge's service and scope. 0, or -1. */
static int bearer_token(struct registry *r, const char *realm, const char *service, const char *scope,
			struct strbuf *err)
{
	struct registry tr = *r;
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT, e = STRBUF_INIT;
	struct sink s;
	struct req q = { "GET", NULL, NULL, "application/json", NULL, 0, 0 };
	struct json j;
	long code;
	int ret = -1;
	strbuf_addf(&url, "%s%s", realm, strchr(realm, '?') ? "&" : "?");
	if (*service) {
		strbuf_addstr(&url, "service=");
		url_escape(&url, service);
		strbuf_addch(&url, '&');
	}
	if (*scope) {
		strbuf_addstr(&url, "scope=");
		url_escape(&url, scope);
		strbuf_addch(&url, '&');
	}
	strbuf_setlen(&url, url.len - 1);
	q.url = url.buf;
	sink_init(&s, &body, -1, 1 << 20);
	/* The token server, with the credentials when there are some (else anonymous). */
	strbuf_init(&tr.auth, 0);
	if (have_creds(r, err) > 0) {
		struct strbuf up = STRBUF_INIT;
		strbuf_addf(&up, "%s:%s", r->user.buf, r->secret.buf);
		strbuf_addstr(&tr.auth, "Basic ");
		base64_encode(up.buf, up.len, &tr.auth);
		strbuf_release(&up);
	}
	if (perform(&tr, &q, &s, &code, err) < 0)
		goto out;
	if (code != 200) {
		strbuf_addf(err, "%s: the token server %s refused%s (HTTP %ld)", r->name.buf, realm,
			    r->creds > 0 ? " the credentials of config.json" : " an anonymous token", code);
		goto out;
	}
	if (json_parse(body.buf, body.len, &j, &e) < 0) {
		strbuf_addf(err, "%s: the token server's answer is not JSON: %s", r->name.buf, e.buf);
		goto out;
	}
	{
		const char *t = json_str(json_get(&j, "token"));
		if (!t || !*t)
			t = json_str(json_get(&j, "access_token"));
		if (t && *t) {
			const struct json *ex = json_get(&j, "expires_in");
			/* The spec's default lifetime: 60 s. */
			long long life = ex && ex->type == JV_NUMBER && atoll(ex->str) > 0 ? atoll(ex->str) : 60;
			strbuf_reset(&r->auth);
			strbuf_addf(&r->auth, "Bearer %s", t);
			if (r->tokens.len && regtoken_keep(r->tokens.buf, r->name.buf, scope, t, life, now_ns() / 1000000000LL) < 0)
				LOG(LOG_WARN, "%s: a token of %s not kept for the run (%s)", r->name.buf, realm, r->tokens.buf);
			ret = 0;
		} else {
			strbuf_addf(err, "%s: the token server gave no token", r->name.buf);
		}
	}
	json_release(&j);
out:
	strbuf_release(&tr.auth);
	strbuf_release(&url);
	strbuf_release(&body);
	strbuf_release(&e);
	sink_release(&s);
	return ret;
}

static int is_read(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

/* A token of the run's other processes for scope, other than the one in
 * r->auth, made r->auth: 1, else 0. */
static int kept_token(struct registry *r, const char *scope)
{
	struct strbuf t = STRBUF_INIT;
	int ret = 0;
	if (r->tokens.len && regtoken_find(r->tokens.buf, r->name.buf, scope, now_ns() / 1000000000LL, &t) &&
	    !(r->auth.len == t.len + 7 && !strcmp(r->auth.buf + 7, t.buf))) {
		strbuf_reset(&r->auth);
		strbuf_addf(&r->auth, "Bearer %s", t.buf);
		ret = 1;
	}
	strbuf_release(&t);
	return ret;
}

/* perform, answering the registry's challenges (twice at most: a pull
 * token, then a push one). The sink is reset before each try. A session's
 * first request carries a token the run has for its repository already
 * (pull for a read, push for a write), when there is one. */
static int request(struct registry *r, const struct req *q, struct sink *s, long *code, struct strbuf *err)
{
	if (!r->auth.len && r->tokens.len) {
		struct strbuf want = STRBUF_INIT;
		strbuf_addf(&want, "repository:%s:%s", r->ref.repo, is_read(q->method) ? "pull" : "pull,push");
		kept_token(r, want.buf);
		strbuf_release(&want);
	}
	for (int tries = 0;; tries++) {
		struct strbuf scheme = STRBUF_INIT, realm = STRBUF_INIT, service = STRBUF_INIT, scope = STRBUF_INIT;
		int ret;
		if (s->body)
			strbuf_reset(s->body);
		if (s->fd >= 0) {
			if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
				return -1;
			sha256_init(&s->md);
		}
		s->got = 0;
		if (perform(r, q, s, code, err) < 0)
			return -1;
		if (*code != 401 || tries >= 2 || !s->challenge.len)
			return 0;
		registry_parse_challenge(s->challenge.buf, &scheme, &realm, &service, &scope);
		ret = 0;
		if (!strcasecmp(scheme.buf, "Basic")) {
			if (have_creds(r, err) > 0 && !r->auth.len) {
				struct strbuf up = STRBUF_INIT;
				strbuf_addf(&up, "%s:%s", r->user.buf, r->secret.buf);
				strbuf_addstr(&r->auth, "Basic ");
				base64_encode(up.buf, up.len, &r->auth);
				strbuf_release(&up);
			} else {
				ret = 1; /* nothing else to try */
			}
		} else if (!strcasecmp(scheme.buf, "Bearer") && realm.len) {
			if (!scope.len)
				strbuf_addf(&scope, "repository:%s:pull%s", r->ref.repo, is_read(q->method) ? "" : ",push");
			/* One the run has, else a new one of the token server. */
			if (!kept_token(r, scope.buf) && bearer_token(r, realm.buf, service.buf, scope.buf, err) < 0)
				ret = -1;
		} else {
			ret = 1;
		}
		strbuf_release(&scheme);
		strbuf_release(&realm);
		strbuf_release(&service);
		strbuf_release(&scope);
		if (ret < 0)
			return -1;
		if (ret > 0)
			return 0;
	}
}

/* (registry.h) The registry's own words of a failure, from its body
 * ({"errors":[{"code":"BLOB_UNKNOWN","message":...,"detail":...}]}) as
 * " (CODE)", and for a failure of its own (5xx) its last words: the detail's
 * ("write /var/lib/registry/...: no space left on device" -> "no space left
 * on device"), or where the detail is a Go error marshalled as an object
 * ({"Op":"write","Path":...,"Err":28}) the errno's text. Nothing for a body
 * that is not such JSON. */
void registry_error_words(const char *body, size_t len, long code, struct strbuf *err)
{
	struct json j;
	struct strbuf why = STRBUF_INIT;
	const struct json *errors, *first, *detail, *e;
	const char *c, *d;
	size_t from = err->len;
	if (json_parse(body, len, &j, &why) < 0) {
		strbuf_release(&why);
		return;
	}
	errors = json_get(&j, "errors");
	first = errors && errors->type == JV_ARRAY && errors->nr ? &errors->items[0] : NULL;
	if ((c = json_str(json_get(first, "code")))) {
		strbuf_addf(err, " (%s", c);
		detail = json_get(first, "detail");
		if (code >= 500 && (d = json_str(detail))) {
			const char *w = d, *colon;
			while ((colon = strstr(w, ": ")))
				w = colon + 2;
			strbuf_addf(err, ": %s", w);
		} else if (code >= 500 && (e = json_get(detail, "Err")) && e->type == JV_NUMBER && atoi(e->str) > 0) {
			const char *text = strerror(atoi(e->str));
			strbuf_addf(err, ": %c%s", (char)tolower((unsigned char)text[0]), text + 1);
		}
		strbuf_addch(err, ')');
	}
	/* (the registry's text, one line of ours: no control character, not too long) */
	for (size_t i = from; i < err->len; i++)
		if ((unsigned char)err->buf[i] < 0x20 || err->buf[i] == 0x7f)
			err->buf[i] = ' ';
	if (err->len - from > 240) {
		strbuf_setlen(err, from + 236);
		strbuf_addstr(err, "...)");
	}
	json_release(&j);
	strbuf_release(&why);
}

/* What a status other than the expected ones says, in err. */
static void status_error(struct registry *r, const char *what, long code, const struct strbuf *body, struct strbuf *err)
{
	int reading = starts_with(what, "GET") || starts_with(what, "HEAD");
	strbuf_addf(err, "%s: %s: HTTP %ld", r->name.buf, what, code);
	if (code == 401)
		strbuf_addf(err, " (%s: docker login %s, or credentials in ~/.docker/config.json)",
			    r->creds > 0 ? "the registry refused the credentials of config.json" : "the registry wants credentials",
			    r->ref.host);
	else if (code == 403)
		strbuf_addf(err, " (denied: %s may not %s %s; docker login %s as one who may)",
			    r->creds > 0 ? "the account of config.json" : "an anonymous client", reading ? "read" : "write to",
			    r->ref.repo, r->ref.host);
	else if (body && body->len)
		registry_error_words(body->buf, body->len, code, err);
}

#define MANIFEST_TYPES "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"

static int set_status(int *status, long code)
{
	if (status)
		*status = (int)code;
	return 0;
}

int registry_manifest_get(struct registry *r, const char *tag, struct strbuf *body, struct strbuf *digest,
			  int *status, struct strbuf *err)
{
	struct strbuf url = STRBUF_INIT;
	struct sink s;
	struct req q = { "GET", NULL, NULL, MANIFEST_TYPES, NULL, 0, 0 };
	long code = 0;
	int ret;
	strbuf_addf(&url, "%s/manifests/%s", r->base.buf, tag);
	q.url = url.buf;
	sink_init(&s, body, -1, 4 << 20);
	ret = request(r, &q, &s, &code, err);
	set_status(status, code);
	if (!ret) {
		if (code == 200) {
			ret = 1;
			if (digest)
				strbuf_addbuf(digest, &s.digest);
		} else if (code == 404) {
			ret = 0;
		} else {
			status_error(r, "GET manifest", code, body, err);
			ret = -1;
		}
	}
	sink_release(&s);
	strbuf_release(&url);
	return ret;
}

static int head(struct registry *r, const char *what, const char *path, int *status, struct strbuf *err)
{
	struct strbuf url = STRBUF_INIT;
	struct sink s;
	struct req q = { "HEAD", NULL, NULL, MANIFEST_TYPES, NULL, 0, 0 };
	long code = 0;
	int ret;
	strbuf_addf(&url, "%s/%s", r->base.buf, path);
	q.url = url.buf;
	sink_init(&s, NULL, -1, 0);
	ret = request(r, &q, &s, &code, err);
	set_status(status, code);
	if (!ret) {
		if (code == 200)
			ret = 1;
		else if (code == 404)
			ret = 0;
		else {
			status_error(r, what, code, NULL, err);
			ret = -1;
		}
	}
	sink_release(&s);
	strbuf_release(&url);
	return ret;
}

int registry_manifest_exists(struct registry *r, const char *tag, int *status, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int ret;
	strbuf_addf(&path, "manifests/%s", tag);
	ret = head(r, "HEAD manifest", path.buf, status, err);
	strbuf_release(&path);
	return ret;
}

int registry_blob_exists(struct registry *r, const char *digest, int *status, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int ret;
	strbuf_addf(&path, "blobs/%s", digest);
	ret = head(r, "HEAD blob", path.buf, status, err);
	strbuf_release(&path);
	return ret;
}

static int send_body(struct registry *r, const char *method, const char *url, const char *type, const char *data,
		     size_t len, const char *what, long want, struct strbuf *location, int *status, struct strbuf *err)
{
	struct strbuf body = STRBUF_INIT;
	struct sink s;
	struct req q = { method, url, type, NULL, data, len, 1 };
	long code = 0;
	int ret;
	sink_init(&s, &body, -1, 1 << 20);
	ret = request(r, &q, &s, &code, err);
	set_status(status, code);
	if (!ret && code != want && !(want == 201 && code == 200)) {
		status_error(r, what, code, &body, err);
		ret = -1;
	}
	if (!ret && location)
		strbuf_addbuf(location, &s.location);
	sink_release(&s);
	strbuf_release(&body);
	return ret;
}

int registry_manifest_put(struct registry *r, const char *tag, const char *type, const char *body, size_t len,
			  int *status, struct strbuf *err)
{
	struct strbuf url = STRBUF_INIT;
	int ret;
	strbuf_addf(&url, "%s/manifests/%s", r->base.buf, tag);
	ret = send_body(r, "PUT", url.buf, type, body, len, "PUT manifest", 201, NULL, status, err);
	strbuf_release(&url);
	return ret;
}

int registry_blob_put(struct registry *r, const char *digest, const char *data, size_t len, int *status,
		      struct strbuf *err)
{
	struct strbuf url = STRBUF_INIT, loc = STRBUF_INIT;
	int ret;
	strbuf_addf(&url, "%s/blobs/uploads/", r->base.buf);
	ret = send_body(r, "POST", url.buf, NULL, "", 0, "POST blob upload", 202, &loc, status, err);
	if (!ret && !loc.len) {
		strbuf_addf(err, "%s: POST blob upload: no Location", r->name.buf);
		ret = -1;
	}
	if (!ret) {
		strbuf_reset(&url);
		if (loc.buf[0] == '/') {
			/* Relative to the registry: scheme://host of base. */
			const char *p = strstr(r->base.buf, "://");
			strbuf_add(&url, r->base.buf, (size_t)(strchr(p + 3, '/') - r->base.buf));
		}
		strbuf_addf(&url, "%s%sdigest=%s", loc.buf, strchr(loc.buf, '?') ? "&" : "?", digest);
		ret = send_body(r, "PUT", url.buf, "application/octet-stream", data, len, "PUT blob", 201, NULL, status,
				err);
	}
	strbuf_release(&url);
	strbuf_release(&loc);
	return ret;
}

int registry_blob_get(struct registry *r, const char *digest, const char *path, long long max, int *status,
		      struct strbuf *err)
{
	struct strbuf url = STRBUF_INIT;
	struct sink s;
	struct req q = { "GET", NULL, NULL, NULL, NULL, 0, 1 };
	long code = 0;
	char hex[65];
	int ret, fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		strbuf_addf(err, "cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	strbuf_addf(&url, "%s/blobs/%s", r->base.buf, digest);
	q.url = url.buf;
	sink_init(&s, NULL, fd, max);
	sha256_init(&s.md);
	ret = request(r, &q, &s, &code, err);
	set_status(status, code);
	if (!ret && code != 200) {
		status_error(r, "GET blob", code, NULL, err);
		ret = -1;
	}
	if (!ret) {
		sha256_hex(&s.md, hex);
		if (!starts_with(digest, "sha256:") || strcmp(digest + 7, hex)) {
			strbuf_addf(err, "%s: blob %.19s is not what its digest says (sha256:%.12s, %lld bytes): damaged or truncated",
				    r->name.buf, digest, hex, s.got);
			ret = -1;
		}
	}
	if (close(fd) < 0 && !ret) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		ret = -1;
	}
	if (ret)
		unlink(path);
	sink_release(&s);
	strbuf_release(&url);
	return ret;
}
