#include "dockerctx.h"
#include "internal.h"
#include "json.h"
#include "sha256.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The docker CLI's config dir: $DOCKER_CONFIG, else ~/.docker. */
static void config_dir(struct strbuf *out)
{
	const char *d = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	if (d && *d)
		strbuf_addstr(out, d);
	else
		strbuf_addf(out, "%s/.docker", home && *home ? home : "");
}

/* A JSON file's parsed tree: 0; 1 when it does not exist; -1 with err. */
static int read_json(const char *path, struct json *j, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT, e = STRBUF_INIT;
	int ret = 0;
	if (strbuf_read_file(&text, path) < 0) {
		if (errno != ENOENT) {
			strbuf_addf(err, "cannot read '%s': %s", path, strerror(errno));
			ret = -1;
		} else
			ret = 1;
	} else if (json_parse(text.buf, text.len, j, &e) < 0) {
		strbuf_addf(err, "'%s' is not JSON (%s)", path, e.buf);
		ret = -1;
	}
	strbuf_release(&text);
	strbuf_release(&e);
	return ret;
}

/* config.json's currentContext, appended to out (nothing when none). */
static int current_context(struct strbuf *out, struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	struct json j;
	int rc;
	config_dir(&p);
	strbuf_addstr(&p, "/config.json");
	rc = read_json(p.buf, &j, err);
	if (rc == 0) {
		const char *c = json_str(json_get(&j, "currentContext"));
		if (c)
			strbuf_addstr(out, c);
		json_release(&j);
	}
	strbuf_release(&p);
	return rc < 0 ? -1 : 0;
}

/* The docker endpoint of context name, appended to host: 0; 1 when there is
 * no such context; -1 with err. */
static int context_host(const char *name, struct strbuf *host, struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	struct sha256 c;
	char hex[65];
	struct json j;
	int rc;
	sha256_init(&c);
	sha256_update(&c, name, strlen(name));
	sha256_hex(&c, hex);
	config_dir(&p);
	strbuf_addf(&p, "/contexts/meta/%s/meta.json", hex);
	rc = read_json(p.buf, &j, err);
	if (rc == 0) {
		const char *h = json_str(json_get(json_get(json_get(&j, "Endpoints"), "docker"), "Host"));
		if (h && *h)
			strbuf_addstr(host, h);
		else {
			strbuf_addf(err, "the docker context '%s' has no docker endpoint (%s: Endpoints.docker.Host)", name, p.buf);
			rc = -1;
		}
		json_release(&j);
	}
	strbuf_release(&p);
	return rc;
}

/* buildx's file for the builder name: $BUILDX_CONFIG, else DOCKER_CONFIG/buildx. */
static void instance_path(const char *name, struct strbuf *p)
{
	const char *b = getenv("BUILDX_CONFIG");
	if (b && *b)
		strbuf_addstr(p, b);
	else {
		config_dir(p);
		strbuf_addstr(p, "/buildx");
	}
	strbuf_addf(p, "/instances/%s", name);
}

int dockerctx_default_builder(void)
{
	const char *want = getenv("BUILDX_BUILDER"), *b = getenv("BUILDX_CONFIG");
	struct strbuf p = STRBUF_INIT;
	int yes;
	if (want)
		return !*want || !strcmp(want, "default");
	/* Unset: buildx's current builder (`docker buildx use`), unless none was chosen. */
	if (b && *b)
		strbuf_addstr(&p, b);
	else {
		config_dir(&p);
		strbuf_addstr(&p, "/buildx");
	}
	strbuf_addstr(&p, "/current");
	yes = access(p.buf, F_OK) != 0;
	if (!yes) {
		/* {"Key":ENDPOINT,"Name":"",...}: buildx writes it itself, "" for the default. */
		struct strbuf err = STRBUF_INIT;
		struct json j;
		if (read_json(p.buf, &j, &err) == 0) {
			const char *n = json_str(json_get(&j, "Name"));
			yes = n && (!*n || !strcmp(n, "default"));
			json_release(&j);
		}
		strbuf_release(&err);
	}
	strbuf_release(&p);
	return yes;
}

int dockerctx_is_buildx_instance(const char *name)
{
	struct strbuf p = STRBUF_INIT;
	int yes;
	instance_path(name, &p);
	yes = access(p.buf, F_OK) == 0;
	strbuf_release(&p);
	return yes;
}

int dockerctx_buildx_instance(const char *name, struct strbuf *driver, struct strbuf *endpoint)
{
	struct strbuf p = STRBUF_INIT, err = STRBUF_INIT;
	struct json j;
	int rc;
	instance_path(name, &p);
	rc = read_json(p.buf, &j, &err);
	if (rc == 0) {
		const struct json *nodes = json_get(&j, "Nodes");
		const char *d = json_str(json_get(&j, "Driver")), *e = NULL;
		if (nodes && nodes->type == JV_ARRAY && nodes->nr)
			e = json_str(json_get(&nodes->items[0], "Endpoint"));
		strbuf_addstr(driver, d ? d : "");
		strbuf_addstr(endpoint, e ? e : "");
		json_release(&j);
	}
	strbuf_release(&p);
	strbuf_release(&err);
	return rc;
}

int dockerctx_resolve(const char *buildx_builder, struct dockerctx *out, struct strbuf *err)
{
	const char *dh = getenv("DOCKER_HOST"), *env = getenv("DOCKER_CONTEXT");
	int rc;

	strbuf_reset(&out->name);
	strbuf_reset(&out->host);
	strbuf_reset(&out->where);
	out->from = CTX_DEFAULT;
	/* BUILDX_BUILDER naming a context (buildx's builder of the docker driver
	 * on it) picks that engine whatever DOCKER_HOST says. */
	if (buildx_builder && *buildx_builder && strcmp(buildx_builder, "default") &&
	    !dockerctx_is_buildx_instance(buildx_builder)) {
		if ((rc = context_host(buildx_builder, &out->host, err)) < 0)
			return -1;
		if (rc == 0) {
			out->from = CTX_BUILDER;
			strbuf_addstr(&out->name, buildx_builder);
			strbuf_addf(&out->where, "BUILDX_BUILDER=%s (%s)", buildx_builder, out->host.buf);
			return 0;
		}
	}
	if (dh && *dh) {
		out->from = CTX_HOST;
		strbuf_addstr(&out->host, dh);
		strbuf_addf(&out->where, "DOCKER_HOST=%s", dh);
		return 0;
	}
	if (env && *env) {
		out->from = CTX_ENV;
		strbuf_addstr(&out->name, env);
	} else {
		if (current_context(&out->name, err) < 0)
			return -1;
		if (out->name.len)
			out->from = CTX_CURRENT;
	}
	if (out->from == CTX_DEFAULT || !strcmp(out->name.buf, "default")) {
		/* The default context: the default socket (DOCKER_HOST is unset). */
		out->from = CTX_DEFAULT;
		strbuf_reset(&out->name);
		strbuf_addstr(&out->where, "DOCKER_HOST=unix:///var/run/docker.sock (DOCKER_HOST unset)");
		return 0;
	}
	if ((rc = context_host(out->name.buf, &out->host, err)) < 0)
		return -1;
	if (rc == 1) {
		strbuf_addf(err, "%s%s names no docker context (see `docker context ls`; %s)",
			    out->from == CTX_ENV ? "DOCKER_CONTEXT=" : "the current docker context ", out->name.buf,
			    out->from == CTX_ENV ? "unset DOCKER_CONTEXT, or create it" : "`docker context use default`, or create it");
		return -1;
	}
	if (out->from == CTX_ENV)
		strbuf_addf(&out->where, "DOCKER_CONTEXT=%s (%s)", out->name.buf, out->host.buf);
	else
		strbuf_addf(&out->where, "docker context %s (%s, the current one)", out->name.buf, out->host.buf);
	return 0;
}

static struct dockerctx run = DOCKERCTX_INIT;
static int run_known;

const struct dockerctx *dockerctx_run(void)
{
	const char *h = getenv(ENGINE_ENV_HOST), *w = getenv(ENGINE_ENV_WHERE), *f = getenv(ENGINE_ENV_FROM),
		   *n = getenv(ENGINE_ENV_NAME);
	struct strbuf err = STRBUF_INIT;
	if (run_known)
		return &run;
	if (h && w && f && n && *w) {
		run_known = 1;
		strbuf_addstr(&run.host, h);
		strbuf_addstr(&run.name, n);
		strbuf_addstr(&run.where, w);
		run.from = (enum dockerctx_from)atoi(f);
		return &run;
	}
	/* Not a run of the plugin's (supergreen, tests): resolved at each call,
	 * as the environment is now. */
	if (dockerctx_resolve(NULL, &run, &err) < 0) {
		strbuf_reset(&run.host);
		strbuf_reset(&run.where);
		strbuf_addstr(&run.where, "DOCKER_HOST=unix:///var/run/docker.sock (DOCKER_HOST unset)");
		run.from = CTX_DEFAULT;
	}
	strbuf_release(&err);
	return &run;
}

int dockerctx_setup(const char *buildx_builder, struct strbuf *err)
{
	char from[16];
	if (dockerctx_resolve(buildx_builder, &run, err) < 0)
		return -1;
	run_known = 1;
	snprintf(from, sizeof(from), "%d", (int)run.from);
	setenv(ENGINE_ENV_HOST, run.host.buf, 1);
	setenv(ENGINE_ENV_WHERE, run.where.buf, 1);
	setenv(ENGINE_ENV_FROM, from, 1);
	setenv(ENGINE_ENV_NAME, run.name.buf, 1);
	return 0;
}

void dockerctx_release(struct dockerctx *c)
{
	strbuf_release(&c->name);
	strbuf_release(&c->host);
	strbuf_release(&c->where);
}
