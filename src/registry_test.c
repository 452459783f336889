/* registry_test.c: image names, challenges and config.json's credentials. */
#include "registry.h"
#include "fs.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void ref_case(const char *image, const char *host, const char *repo, const char *tag)
{
	struct registry_ref r;
	struct strbuf err = STRBUF_INIT;
	int rc = registry_ref_parse(image, &r, &err);
	CHECK(rc == 0);
	if (!rc) {
		CHECK_STR(r.host, host);
		CHECK_STR(r.repo, repo);
		CHECK_STR(r.tag, tag);
	}
	registry_ref_release(&r);
	strbuf_release(&err);
}

static void test_refs(void)
{
	struct registry_ref r;
	struct strbuf err = STRBUF_INIT;
	ref_case("docker-image://127.0.0.1:5000/team/cache", "127.0.0.1:5000", "team/cache", NULL);
	ref_case("docker-image://ghcr.io/me/fork:green", "ghcr.io", "me/fork", "green");
	ref_case("docker-image://localhost/x", "localhost", "x", NULL);
	ref_case("docker-image://me/cache", "docker.io", "me/cache", NULL);
	ref_case("docker-image://cache", "docker.io", "library/cache", NULL);
	ref_case("docker-image://my.org:443/a/b:t@sha256:ab", "my.org:443", "a/b", "t");
	CHECK(registry_ref_parse("docker-image://my.org/", &r, &err) < 0);
	CHECK(strstr(err.buf, "names no repository") != NULL);
	strbuf_reset(&err);
	CHECK(registry_ref_parse("docker-image://my.org/A/B", &r, &err) < 0);
	strbuf_release(&err);
	CHECK(registry_host_is_loopback("127.0.0.1:5000"));
	CHECK(registry_host_is_loopback("localhost:5000"));
	CHECK(registry_host_is_loopback("[::1]:5000"));
	CHECK(!registry_host_is_loopback("ghcr.io"));
	CHECK(!registry_host_is_loopback("localhost.example.org"));
}

static void test_challenges(void)
{
	struct strbuf scheme = STRBUF_INIT, realm = STRBUF_INIT, service = STRBUF_INIT, scope = STRBUF_INIT;
	CHECK(registry_parse_challenge("Bearer realm=\"https://ghcr.io/token\",service=\"ghcr.io\",scope=\"repository:me/c:pull\"",
				       &scheme, &realm, &service, &scope) == 0);
	CHECK_STR(scheme.buf, "Bearer");
	CHECK_STR(realm.buf, "https://ghcr.io/token");
	CHECK_STR(service.buf, "ghcr.io");
	CHECK_STR(scope.buf, "repository:me/c:pull");
	strbuf_reset(&scheme);
	strbuf_reset(&realm);
	strbuf_reset(&service);
	strbuf_reset(&scope);
	CHECK(registry_parse_challenge("Basic realm=\"Registry Realm\"", &scheme, &realm, &service, &scope) == 0);
	CHECK_STR(scheme.buf, "Basic");
	CHECK_STR(realm.buf, "Registry Realm");
	CHECK_STR(scope.buf, "");
	strbuf_release(&scheme);
	strbuf_release(&realm);
	strbuf_release(&service);
	strbuf_release(&scope);
}

static void test_credentials(void)
{
	char dir[] = "/tmp/cargo-green-regtest.XXXXXX";
	struct strbuf p = STRBUF_INIT, user = STRBUF_INIT, secret = STRBUF_INIT, err = STRBUF_INIT, path = STRBUF_INIT;
	const char *old_dc = getenv("DOCKER_CONFIG"), *old_path = getenv("PATH");
	char *save_dc = old_dc ? xstrdup(old_dc) : NULL, *save_path = xstrdup(old_path ? old_path : "/usr/bin:/bin");
	static const char config[] =
		"{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"YWxpY2U6czNjcjN0\"},"
		"\"https://index.docker.io/v1/\":{\"username\":\"bob\",\"password\":\"pw\"}},"
		"\"credHelpers\":{\"ghcr.io\":\"green-test\"}}";
	static const char helper[] =
		"#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread host\n"
		"[ \"$host\" = ghcr.io ] || { echo 'credentials not found in native keychain'; exit 1; }\n"
		"printf '{\"ServerURL\":\"%s\",\"Username\":\"carol\",\"Secret\":\"tok\"}\\n' \"$host\"\n";
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	strbuf_addf(&p, "%s/config.json", dir);
	CHECK(write_file_atomic(p.buf, config, strlen(config), 0600) == 0);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/docker-credential-green-test", dir);
	CHECK(write_file_atomic(p.buf, helper, strlen(helper), 0755) == 0);
	setenv("DOCKER_CONFIG", dir, 1);
	strbuf_addf(&path, "%s:%s", dir, save_path);
	setenv("PATH", path.buf, 1);

	CHECK(registry_credentials("127.0.0.1:5000", &user, &secret, &err) == 1);
	CHECK_STR(user.buf, "alice");
	CHECK_STR(secret.buf, "s3cr3t");
	strbuf_reset(&user);
	strbuf_reset(&secret);
	CHECK(registry_credentials("docker.io", &user, &secret, &err) == 1);
	CHECK_STR(user.buf, "bob");
	strbuf_reset(&user);
	strbuf_reset(&secret);
	CHECK(registry_credentials("ghcr.io", &user, &secret, &err) == 1);
	CHECK_STR(user.buf, "carol");
	CHECK_STR(secret.buf, "tok");
	strbuf_reset(&user);
	strbuf_reset(&secret);
	CHECK(registry_credentials("other.org", &user, &secret, &err) == 0);

	if (save_dc)
		setenv("DOCKER_CONFIG", save_dc, 1);
	else
		unsetenv("DOCKER_CONFIG");
	setenv("PATH", save_path, 1);
	rm_rf(dir);
	free(save_dc);
	free(save_path);
	strbuf_release(&p);
	strbuf_release(&user);
	strbuf_release(&secret);
	strbuf_release(&err);
	strbuf_release(&path);
}

/* The registry's words of a failure: its code, and for its own failures its last words. */
static void test_error_words(void)
{
	struct strbuf e = STRBUF_INIT;
	const char *nospace = "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"unknown error\","
			      "\"detail\":\"write /var/lib/registry/_uploads/x/data: no space left on device\"}]}\n";
	const char *patherr = "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"unknown error\","
			      "\"detail\":{\"Op\":\"write\",\"Path\":\"/var/lib/registry/x/data\",\"Err\":28}}]}";
	registry_error_words(nospace, strlen(nospace), 500, &e);
	CHECK_STR(e.buf, " (UNKNOWN: no space left on device)");
	strbuf_reset(&e);
	registry_error_words(patherr, strlen(patherr), 500, &e);
	CHECK_STR(e.buf, " (UNKNOWN: no space left on device)");
	strbuf_reset(&e);
	/* Not its own failure: the code alone. */
	registry_error_words(nospace, strlen(nospace), 404, &e);
	CHECK_STR(e.buf, " (UNKNOWN)");
	strbuf_reset(&e);
	registry_error_words("<html>bad gateway</html>", 24, 502, &e);
	CHECK_STR(e.buf, "");
	/* Its text stays one line of ours. */
	{
		const char *ctl = "{\"errors\":[{\"code\":\"X\\nY\",\"detail\":\"a\\r\\nb\"}]}";
		registry_error_words(ctl, strlen(ctl), 500, &e);
	}
	CHECK_STR(e.buf, " (X Y: a  b)");
	strbuf_release(&e);
}

void test_registry(void)
{
	test_error_words();
	test_refs();
	test_challenges();
	test_credentials();
}
