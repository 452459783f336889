/* dockerctx_test.c: which engine docker would pick, from a config dir of the
 * test's own laid out as the CLI keeps it. */
#include "dockerctx.h"
#include "fs.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* contexts/meta/SHA256(NAME)/meta.json, as `docker context create` writes it */
#define BOX "contexts/meta/26f8567f2569182294c3fa5b9f9cb2270b554eef628b4c149cf82a42888ff4ae/meta.json"
#define LAN "contexts/meta/094a367b026246fb64649c4f868a45d8187821d16a973141436fd9cd2acfdb4a/meta.json"

static void env_set(const char *name, const char *v)
{
	if (v)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

/* dh, dc: DOCKER_HOST, DOCKER_CONTEXT (NULL unset); builder: BUILDX_BUILDER. */
static void resolve_case(const char *dh, const char *dc, const char *builder, int ok, enum dockerctx_from from,
			 const char *host, const char *where)
{
	struct dockerctx c = DOCKERCTX_INIT;
	struct strbuf err = STRBUF_INIT;
	int rc;
	env_set("DOCKER_HOST", dh);
	env_set("DOCKER_CONTEXT", dc);
	rc = dockerctx_resolve(builder, &c, &err);
	CHECK(rc == (ok ? 0 : -1));
	if (!rc) {
		CHECK(c.from == from);
		CHECK_STR(c.host.buf, host);
		CHECK_STR(c.where.buf, where);
	} else
		CHECK_STR(err.buf, where);
	dockerctx_release(&c);
	strbuf_release(&err);
}

void test_dockerctx(void)
{
	char root[] = "/tmp/cg-dockerctx-test.XXXXXX";
	char *saved[3];
	const char *names[3] = { "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG" };
	for (int i = 0; i < 3; i++)
		saved[i] = getenv(names[i]) ? strdup(getenv(names[i])) : NULL;
	if (!mkdtemp(root)) {
		CHECK(0);
		return;
	}
	setenv("DOCKER_CONFIG", root, 1);
	unsetenv("BUILDX_CONFIG");
	test_put(root, BOX, "{\"Name\":\"box\",\"Metadata\":{},\"Endpoints\":{\"docker\":{\"Host\":\"ssh://me@box:2222\",\"SkipTLSVerify\":false}}}", 0644);
	test_put(root, LAN, "{\"Name\":\"lan\",\"Metadata\":{},\"Endpoints\":{\"docker\":{\"Host\":\"unix:///run/lan.sock\"}}}", 0644);

	/* No config.json: the default, unless DOCKER_HOST or DOCKER_CONTEXT say. */
	resolve_case(NULL, NULL, NULL, 1, CTX_DEFAULT, "", "DOCKER_HOST=unix:///var/run/docker.sock (DOCKER_HOST unset)");
	resolve_case("unix:///x.sock", NULL, NULL, 1, CTX_HOST, "unix:///x.sock", "DOCKER_HOST=unix:///x.sock");
	resolve_case(NULL, "box", NULL, 1, CTX_ENV, "ssh://me@box:2222", "DOCKER_CONTEXT=box (ssh://me@box:2222)");
	resolve_case(NULL, "default", NULL, 1, CTX_DEFAULT, "", "DOCKER_HOST=unix:///var/run/docker.sock (DOCKER_HOST unset)");
	/* DOCKER_HOST wins over a context, as in docker's own rule. */
	resolve_case("ssh://other", "box", NULL, 1, CTX_HOST, "ssh://other", "DOCKER_HOST=ssh://other");
	resolve_case(NULL, "nope", NULL, 0, CTX_DEFAULT, "",
		     "DOCKER_CONTEXT=nope names no docker context (see `docker context ls`; unset DOCKER_CONTEXT, or create it)");

	/* `docker context use lan`: config.json's currentContext, below DOCKER_CONTEXT. */
	test_put(root, "config.json", "{\"auths\":{},\"currentContext\":\"lan\"}", 0644);
	resolve_case(NULL, NULL, NULL, 1, CTX_CURRENT, "unix:///run/lan.sock", "docker context lan (unix:///run/lan.sock, the current one)");
	resolve_case(NULL, "box", NULL, 1, CTX_ENV, "ssh://me@box:2222", "DOCKER_CONTEXT=box (ssh://me@box:2222)");
	resolve_case("tcp://h:2375", NULL, NULL, 1, CTX_HOST, "tcp://h:2375", "DOCKER_HOST=tcp://h:2375");
	test_put(root, "config.json", "{\"currentContext\":\"gone\"}", 0644);
	resolve_case(NULL, NULL, NULL, 0, CTX_DEFAULT, "",
		     "the current docker context gone names no docker context (see `docker context ls`; `docker context use default`, or create it)");
	test_put(root, "config.json", "{\"currentContext\":", 0644);
	{
		struct dockerctx c = DOCKERCTX_INIT;
		struct strbuf err = STRBUF_INIT;
		unsetenv("DOCKER_HOST");
		unsetenv("DOCKER_CONTEXT");
		CHECK(dockerctx_resolve(NULL, &c, &err) == -1 && strstr(err.buf, "config.json' is not JSON"));
		dockerctx_release(&c);
		strbuf_release(&err);
	}
	test_put(root, "config.json", "{}", 0644);

	/* BUILDX_BUILDER naming a context: its docker-driver builder, its engine,
	 * whatever DOCKER_HOST says; naming buildx's own builder or "default": not. */
	resolve_case("unix:///x.sock", NULL, "box", 1, CTX_BUILDER, "ssh://me@box:2222", "BUILDX_BUILDER=box (ssh://me@box:2222)");
	resolve_case("unix:///x.sock", NULL, "default", 1, CTX_HOST, "unix:///x.sock", "DOCKER_HOST=unix:///x.sock");
	resolve_case("unix:///x.sock", NULL, "cg-nope", 1, CTX_HOST, "unix:///x.sock", "DOCKER_HOST=unix:///x.sock");
	test_put(root, "buildx/instances/box",
		 "{\"Name\":\"box\",\"Driver\":\"docker-container\",\"Nodes\":[{\"Name\":\"box0\",\"Endpoint\":\"ssh://big\"}]}", 0644);
	resolve_case("unix:///x.sock", NULL, "box", 1, CTX_HOST, "unix:///x.sock", "DOCKER_HOST=unix:///x.sock");
	{
		struct strbuf d = STRBUF_INIT, e = STRBUF_INIT;
		CHECK(dockerctx_buildx_instance("box", &d, &e) == 0);
		CHECK_STR(d.buf, "docker-container");
		CHECK_STR(e.buf, "ssh://big");
		strbuf_reset(&d);
		strbuf_reset(&e);
		CHECK(dockerctx_buildx_instance("lan", &d, &e) == 1 && !d.len && !e.len);
		strbuf_release(&d);
		strbuf_release(&e);
	}

	/* Which builder buildx builds on: the engine's own (its docker driver),
	 * or one chosen by BUILDX_BUILDER or `docker buildx use`. */
	{
		char *builder = getenv("BUILDX_BUILDER") ? strdup(getenv("BUILDX_BUILDER")) : NULL;
		unsetenv("BUILDX_BUILDER");
		CHECK(dockerctx_default_builder() == 1); /* (no buildx/current) */
		test_put(root, "buildx/current", "{\"Key\":\"unix:///x.sock\",\"Name\":\"\",\"Global\":false}", 0644);
		CHECK(dockerctx_default_builder() == 1);
		test_put(root, "buildx/current", "{\"Key\":\"unix:///x.sock\",\"Name\":\"box\",\"Global\":false}", 0644);
		CHECK(dockerctx_default_builder() == 0);
		test_put(root, "buildx/current", "{\"Key\":", 0644);
		CHECK(dockerctx_default_builder() == 0); /* (unreadable: not known to be the default) */
		setenv("BUILDX_BUILDER", "", 1);
		CHECK(dockerctx_default_builder() == 1);
		setenv("BUILDX_BUILDER", "default", 1);
		CHECK(dockerctx_default_builder() == 1);
		setenv("BUILDX_BUILDER", "box", 1);
		CHECK(dockerctx_default_builder() == 0);
		env_set("BUILDX_BUILDER", builder);
		free(builder);
	}

	for (int i = 0; i < 3; i++) {
		env_set(names[i], saved[i]);
		free(saved[i]);
	}
	rm_rf(root);
}
