/* config_test.c: every validator with good and bad values, the sources and
 * their precedence, the error lines. */
#include "base.h"
#include "config.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "run.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void clear_env(void)
{
	for (unsigned i = 0; i < S__NR; i++)
		unsetenv(settings[i].env);
}

/* Load with one variable set; 0 or -1, the error in err. */
static int load_env(const char *name, const char *value, struct config *cfg, struct strbuf *err)
{
	int rc;
	clear_env();
	setenv(name, value, 1);
	strbuf_reset(err);
	rc = config_load(cfg, NULL, err);
	unsetenv(name);
	return rc;
}

#define X16 "xxxxxxxxxxxxxxxx"
#define X128 X16 X16 X16 X16 X16 X16 X16 X16
/* A name of 256 characters (with a registry's port), a tag of 129. */
#define LONG_NAME "docker-image://h:5/" X128 X16 X16 X16 X16 X16 X16 X16 "abcdefghijkl:1"
#define LONG_TAG "docker-image://rust:" X128 "x"
static const struct {
	const char *env, *value;
	int ok;
	const char *why; /* a part of the error line */
} cases[] = {
	{ "CARGOGREEN_LOG_PATH", "/tmp/x.log", 1, NULL },
	{ "CARGOGREEN_LOG_PATH", "a\nb", 0, "newline" },
	{ "CARGOGREEN_LOG", "info", 1, NULL },
	{ "CARGOGREEN_LOG", "trace,cargo_green::build=info", 1, NULL },
	{ "CARGOGREEN_LOG", "engine=debug,warn", 1, NULL },
	{ "CARGOGREEN_LOG", "engine", 1, NULL },
	{ "CARGOGREEN_LOG", "loud", 1, NULL }, /* a module name alone, like RUST_LOG */
	{ "CARGOGREEN_LOG", "info,,debug", 0, "empty" },
	{ "CARGOGREEN_LOG", "engine=loud", 0, "not a directive" },
	{ "CARGOGREEN_LOG", "a b=info", 0, "not a module" },
	{ "CARGOGREEN_LOG_STYLE", "never", 1, NULL },
	{ "CARGOGREEN_LOG_STYLE", "sometimes", 0, "expected auto, always or never" },
	{ "CARGOGREEN_RUNNER", "docker", 1, NULL },
	{ "CARGOGREEN_RUNNER", "podman", 1, NULL },
	{ "CARGOGREEN_RUNNER", "none", 1, NULL },
	{ "CARGOGREEN_RUNNER", "dockr", 0, "not a runner, expected docker, podman or none (e.g. CARGOGREEN_RUNNER=docker)" },
	{ "BUILDX_BUILDER", "", 1, NULL },
	{ "BUILDX_BUILDER", "supergreen", 1, NULL },
	{ "BUILDX_BUILDER", "my builder", 0, "not a builder name" },
	{ "CARGOGREEN_BUILDER_IMAGE", "docker-image://docker.io/moby/buildkit:v0.13.2", 1, NULL },
	{ "CARGOGREEN_BUILDER_IMAGE", "moby/buildkit", 0, "must start with docker-image://" },
	{ "CARGOGREEN_SYNTAX_IMAGE", "docker-image://docker/dockerfile:1@sha256:ab12", 1, NULL },
	{ "CARGOGREEN_SYNTAX_IMAGE", "docker-image://\"x\"", 0, "not an image reference" },
	{ "CARGOGREEN_REGISTRY_MIRRORS", "mirror.gcr.io,localhost:5000,public.ecr.aws/docker", 1, NULL },
	{ "CARGOGREEN_REGISTRY_MIRRORS", "https://mirror.gcr.io", 0, "not a URL" },
	{ "CARGOGREEN_REGISTRY_MIRRORS", "localhost:50a0", 0, "port is not a number" },
	{ "CARGOGREEN_REGISTRY_MIRRORS", "a,a", 0, "'a' is listed twice" },
	{ "CARGOGREEN_REGISTRY_MIRRORS", "a,", 0, "an entry is empty" },
	{ "CARGOGREEN_CACHE_IMAGES", "docker-image://my.org/team/p,docker-image://127.0.0.1:5000/c", 1, NULL },
	{ "CARGOGREEN_CACHE_IMAGES", "docker-image://a b", 0, "not an image reference" },
	{ "CARGOGREEN_CACHE_FROM_IMAGES", "docker-image://my.org/x", 1, NULL },
	{ "CARGOGREEN_CACHE_FROM_IMAGES", "my.org/x", 0, "docker-image://" },
	{ "CARGOGREEN_CACHE_TO_IMAGES", "docker-image://localhost:5000/x", 1, NULL },
	{ "CARGOGREEN_CACHE_TO_IMAGES", "docker-image://x,docker-image://x", 0, "listed twice" },
	{ "CARGOGREEN_CACHE_PRIVATE", "1", 1, NULL },
	{ "CARGOGREEN_CACHE_PRIVATE", "yes", 0, "not a boolean" },
	{ "CARGOGREEN_CACHE_SIZE", "500MB", 1, NULL },
	{ "CARGOGREEN_CACHE_SIZE", "0", 1, NULL },
	{ "CARGOGREEN_CACHE_SIZE", "5 gigs", 0, "not a size (a number and a unit, e.g. 5GiB, 500MB, 0 for no limit) (e.g. CARGOGREEN_CACHE_SIZE=10GiB)" },
	{ "CARGOGREEN_FINAL_PATH", "/tmp/app.Dockerfile", 1, NULL },
	{ "CARGOGREEN_FINAL_PATH_NONPRIMARY", "1", 1, NULL },
	{ "CARGOGREEN_FINAL_PATH_NONPRIMARY", "yes please", 0, "not a boolean" },
	{ "CARGOGREEN_BASE_IMAGE", "docker-image://rust:1.95.0-slim", 1, NULL },
	{ "CARGOGREEN_BASE_IMAGE", "docker-image://localhost:5000/a/b:tag@sha256:0123", 1, NULL },
	{ "CARGOGREEN_BASE_IMAGE", LONG_NAME, 0, "the image name is 256 characters long, more than the engine's 255" },
	{ "CARGOGREEN_BASE_IMAGE", LONG_TAG, 0, "the tag is 129 characters long, more than the engine's 128" },
	{ "CARGOGREEN_BASE_IMAGE", "rust:1", 0, "must start with docker-image:// (e.g. CARGOGREEN_BASE_IMAGE=docker-image://docker.io/library/rust:1-slim)" },
	{ "CARGOGREEN_SET_ENVS", "GIT_AUTH_TOKEN,TYPENUM_BUILD_OP", 1, NULL },
	{ "CARGOGREEN_SET_ENVS", "A-B", 0, "not an environment variable name" },
	{ "CARGOGREEN_SET_ENVS", "9A", 0, "not an environment variable name" },
	{ "CARGOGREEN_BASE_IMAGE_INLINE", "FROM rust:1 AS rust-base\nRUN true\n", 1, NULL },
	{ "CARGOGREEN_BASE_IMAGE_INLINE", "FROM a AS x\nFROM rust:1\n", 0, "naming its stage" },
	{ "CARGOGREEN_WITH_NETWORK", "host", 1, NULL },
	{ "CARGOGREEN_WITH_NETWORK", "bridge", 0, "expected none, default or host" },
	{ "CARGOGREEN_ADD_APT", "libpq-dev,pkg-config,libc6:amd64,gcc=4:12.2.0-3", 1, NULL },
	{ "CARGOGREEN_ADD_APT", "libpq-dev pkg-config", 0, "not a package name" },
	{ "CARGOGREEN_ADD_APT_GET", "libpq-dev", 1, NULL },
	{ "CARGOGREEN_ADD_APT_GET", "'libpq-dev'", 0, "not a package name" },
	{ "CARGOGREEN_ADD_APK", "pkgconf,libpq-dev", 1, NULL },
	{ "CARGOGREEN_ADD_APK", "pkgconf,pkgconf", 0, "listed twice" },
	{ "CARGOGREEN_ADD_APT_FROM_HOST", "1", 1, NULL },
	{ "CARGOGREEN_ADD_APT_FROM_HOST", "yes", 0, "not a boolean" },
	{ "CARGOGREEN_INCREMENTAL", "1", 1, NULL },
	{ "CARGOGREEN_INCREMENTAL", "on", 0, "not a boolean" },
	{ "CARGOGREEN_EXPLAIN", "1", 1, NULL },
	{ "CARGOGREEN_EXPLAIN", "yes", 0, "not a boolean" },
	{ "CARGOGREEN_VERIFY", "0.1", 1, NULL },
	{ "CARGOGREEN_VERIFY", "strict", 1, NULL },
	{ "CARGOGREEN_VERIFY", "all,strict", 1, NULL },
	{ "CARGOGREEN_VERIFY", "10%", 0, "not a share of hits to verify: expected off, a number in (0, 1] such as 0.1" },
	{ "CARGOGREEN_VERIFY", "2", 0, "not a share of hits to verify" },
};

static void test_validators(void)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	unsigned covered[S__NR] = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = load_env(cases[i].env, cases[i].value, &cfg, &err);
		const struct setting *s = setting_find(cases[i].env);
		CHECK(s != NULL);
		if (s)
			covered[s->id] |= cases[i].ok ? 1 : 2;
		if (cases[i].ok) {
			if (rc)
				fprintf(stderr, "  %s=%s: %s\n", cases[i].env, cases[i].value, err.buf);
			CHECK(rc == 0);
			if (s)
				CHECK_STR(cfg_get(&cfg, s->id), cases[i].value);
		} else {
			CHECK(rc < 0);
			if (!strstr(err.buf, cases[i].why) || !strstr(err.buf, cases[i].env) || strchr(err.buf, '\n'))
				fprintf(stderr, "  %s=%s: got '%s', want '%s'\n", cases[i].env, cases[i].value, err.buf,
					cases[i].why);
			CHECK(strstr(err.buf, cases[i].why) != NULL);
			CHECK(strstr(err.buf, "(from the environment)") != NULL);
			CHECK(strchr(err.buf, '\n') == NULL);
		}
		config_release(&cfg);
	}
	/* Every setting has a good case, and a bad one if it can be bad. */
	for (unsigned i = 0; i < S__NR; i++) {
		if (!(covered[i] & 1))
			fprintf(stderr, "  no good case for %s\n", settings[i].env);
		CHECK(covered[i] & 1);
		CHECK((covered[i] & 2) || i == S_FINAL_PATH);
	}
	strbuf_release(&err);
}

static void test_table(void)
{
	for (unsigned i = 0; i < S__NR; i++) {
		struct strbuf why = STRBUF_INIT;
		const char *e = settings[i].example, *p = e;
		CHECK(settings[i].id == i);
		CHECK(settings[i].doc && *settings[i].doc);
		/* The example is valid, item by item. */
		do {
			size_t n = settings[i].kind == KIND_LIST ? strcspn(p, ",") : strlen(p);
			char *item = xstrndup(p, n);
			CHECK(settings[i].check(item, &why) == 0);
			free(item);
			p += n + !!p[n];
		} while (settings[i].kind == KIND_LIST && *p);
		if (settings[i].def)
			CHECK(settings[i].check(settings[i].kind == KIND_LIST ? "mirror.gcr.io" : settings[i].def, &why) == 0);
		if (why.len)
			fprintf(stderr, "  %s: %s\n", settings[i].env, why.buf);
		strbuf_release(&why);
	}
	CHECK(setting_find("RUNNER") == &settings[S_RUNNER]);
	CHECK(setting_find("CARGOGREEN_ADD_APT_GET") == &settings[S_ADD_APT_GET]);
	CHECK(setting_find("NOPE") == NULL);
	{
		/* An unset list is an empty vector, NULL-terminated like any other. */
		struct config cfg;
		struct strbuf err = STRBUF_INIT;
		clear_env();
		CHECK(config_load(&cfg, NULL, &err) == 0);
		CHECK(cfg_list(&cfg, S_SET_ENVS)->nr == 0 && cfg_list(&cfg, S_SET_ENVS)->v != NULL &&
		      cfg_list(&cfg, S_SET_ENVS)->v[0] == NULL);
		config_release(&cfg);
		strbuf_release(&err);
	}
}

/* cargo's variables, read once into cfg->cargo: set, unset, empty. */
void test_config_cargo_vars(void)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	char *old[3];
	const char *names[] = { "RUSTC", "CARGO_MANIFEST_DIR", "OUT_DIR" };
	for (int i = 0; i < 3; i++)
		old[i] = getenv(names[i]) ? xstrdup(getenv(names[i])) : NULL;
	clear_env();
	setenv("RUSTC", "/opt/rust/bin/rustc", 1);
	setenv("CARGO_MANIFEST_DIR", "/src/app", 1);
	setenv("OUT_DIR", "", 1);
	CHECK(config_load(&cfg, NULL, &err) == 0);
	CHECK_STR(cfg.cargo.rustc, "/opt/rust/bin/rustc");
	CHECK_STR(cfg.cargo.manifest_dir, "/src/app");
	CHECK(cfg.cargo.out_dir == NULL); /* empty is unset */
	config_release(&cfg);
	for (int i = 0; i < 3; i++) {
		if (old[i])
			setenv(names[i], old[i], 1);
		else
			unsetenv(names[i]);
		free(old[i]);
	}
	strbuf_release(&err);
}

static int load_toml(const char *ws, const char *pkg, struct config *cfg, struct strbuf *err)
{
	struct json w, p;
	struct config_toml t = { NULL, "/w/Cargo.toml", NULL, "/w/app/Cargo.toml" };
	struct strbuf e = STRBUF_INIT;
	int rc;
	if (ws && json_parse(ws, strlen(ws), &w, &e) == 0)
		t.workspace = &w;
	if (pkg && json_parse(pkg, strlen(pkg), &p, &e) == 0)
		t.package = &p;
	CHECK(e.len == 0);
	strbuf_reset(err);
	rc = config_load(cfg, &t, err);
	if (t.workspace)
		json_release(&w);
	if (t.package)
		json_release(&p);
	strbuf_release(&e);
	return rc;
}

static void test_precedence(void)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;

	clear_env();
	CHECK(load_toml("{\"base-image\":\"docker-image://ws\",\"set-envs\":[\"A\",\"B\"],\"add\":{\"apt\":[\"libpq-dev\"]}}",
			"{\"base-image\":\"docker-image://pkg\"}", &cfg, &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_BASE_IMAGE), "docker-image://pkg");
	CHECK(cfg.v[S_BASE_IMAGE].origin == ORIGIN_PACKAGE);
	CHECK_STR(cfg.v[S_BASE_IMAGE].where, "/w/app/Cargo.toml");
	CHECK_STR(cfg_get(&cfg, S_SET_ENVS), "A,B");
	CHECK(cfg_list(&cfg, S_SET_ENVS)->nr == 2);
	CHECK(cfg.v[S_SET_ENVS].origin == ORIGIN_WORKSPACE);
	CHECK_STR(cfg_get(&cfg, S_ADD_APT), "libpq-dev");
	CHECK(cfg.v[S_WITH_NETWORK].origin == ORIGIN_DEFAULT);
	config_release(&cfg);

	setenv("CARGOGREEN_BASE_IMAGE", "docker-image://env", 1);
	CHECK(load_toml("{\"base-image\":\"docker-image://ws\"}", "{\"base-image\":\"docker-image://pkg\"}", &cfg, &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_BASE_IMAGE), "docker-image://env");
	CHECK(cfg.v[S_BASE_IMAGE].origin == ORIGIN_ENV);
	config_release(&cfg);
	unsetenv("CARGOGREEN_BASE_IMAGE");

	/* Bad values name the key, the section and the file. */
	CHECK(load_toml(NULL, "{\"base-image\":\"rust:1\"}", &cfg, &err) < 0);
	CHECK_STR(err.buf, "base-image = \"rust:1\" in [package.metadata.green] of /w/app/Cargo.toml: an image must start with docker-image:// (e.g. base-image = \"docker-image://docker.io/library/rust:1-slim\")");
	config_release(&cfg);
	CHECK(load_toml("{\"set-envs\":\"A,B\"}", NULL, &cfg, &err) < 0);
	CHECK_STR(err.buf, "set-envs in [workspace.metadata.green] of /w/Cargo.toml: must be an array of strings, not a string (e.g. set-envs = [ \"GIT_AUTH_TOKEN\", \"TYPENUM_BUILD_CONSTS\" ])");
	config_release(&cfg);
	CHECK(load_toml(NULL, "{\"set-envs\":[\"A\",2]}", &cfg, &err) < 0);
	CHECK_STR(err.buf, "set-envs in [package.metadata.green] of /w/app/Cargo.toml: must be an array of strings, but entry 2 is a number (e.g. set-envs = [ \"GIT_AUTH_TOKEN\", \"TYPENUM_BUILD_CONSTS\" ])");
	config_release(&cfg);
	CHECK(load_toml(NULL, "{\"set-envs\":[\"A\",\"A\"]}", &cfg, &err) < 0);
	CHECK(strstr(err.buf, "'A' is listed twice") != NULL);
	config_release(&cfg);
	CHECK(load_toml(NULL, "{\"set-envs\":[\"A,B\"]}", &cfg, &err) < 0);
	CHECK(strstr(err.buf, "holds a comma") != NULL);
	config_release(&cfg);
	CHECK(load_toml(NULL, "{\"set-envs\":[]}", &cfg, &err) < 0);
	CHECK(strstr(err.buf, "the list is empty") != NULL);
	config_release(&cfg);
	CHECK(load_toml(NULL, "{\"runner\":\"docker\"}", &cfg, &err) < 0);
	CHECK(strstr(err.buf, "runner in [package.metadata.green] of /w/app/Cargo.toml: this setting is read from the environment only; remove it there and set CARGOGREEN_RUNNER instead") != NULL);
	config_release(&cfg);
	CHECK(load_toml(NULL, "{\"base-imag\":\"docker-image://x\"}", &cfg, &err) < 0);
	CHECK(strstr(err.buf, "base-imag in [package.metadata.green] of /w/app/Cargo.toml: unknown key") != NULL);
	config_release(&cfg);
	CHECK(load_toml("{\"add\":{\"yum\":[\"x\"]}}", NULL, &cfg, &err) < 0);
	CHECK(strstr(err.buf, "add.yum in [workspace.metadata.green] of /w/Cargo.toml: unknown key (known under add: add.apt, add.apt-get, add.apk, add.apt-from-host)") != NULL);
	config_release(&cfg);
	CHECK(load_toml(NULL, "{\"with-network\":true}", &cfg, &err) < 0);
	CHECK(strstr(err.buf, "must be a string, not a boolean") != NULL);
	config_release(&cfg);
	CHECK(load_toml(NULL, "{\"add\":[\"x\"]}", &cfg, &err) < 0);
	CHECK(strstr(err.buf, "add in [package.metadata.green] of /w/app/Cargo.toml: must be a table") != NULL);
	config_release(&cfg);

	/* Empty CARGOGREEN_X is unset; empty BUILDX_BUILDER is a choice. */
	setenv("CARGOGREEN_RUNNER", "", 1);
	setenv("BUILDX_BUILDER", "", 1);
	CHECK(config_load(&cfg, NULL, &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_RUNNER), "docker");
	CHECK_STR(cfg_get(&cfg, S_BUILDX_BUILDER), "");
	config_release(&cfg);
	clear_env();
	strbuf_release(&err);
}

static void test_log_filter(void)
{
	CHECK(log_filter_level("info", "engine") == LOG_INFO);
	CHECK(log_filter_level("trace,engine=info", "engine") == LOG_INFO);
	CHECK(log_filter_level("trace,engine=info", "job") == LOG_TRACE);
	CHECK(log_filter_level("engine=info,trace", "engine") == LOG_INFO);
	CHECK(log_filter_level("cargo_green::job=debug", "job") == LOG_DEBUG);
	CHECK(log_filter_level("cargo_green::job=debug", "engine") == LOG_OFF);
	CHECK(log_filter_level("job", "job") == LOG_TRACE);
	CHECK(log_filter_level(NULL, "job") == LOG_OFF);
}

static void test_json(void)
{
	struct json j;
	struct strbuf err = STRBUF_INIT;
	const char *t = "{\"a\": [1, true, null, \"x\\u00e9\\n\"], \"b\": {\"c\": \"d\"}, \"e\": -1.5e3}";
	CHECK(json_parse(t, strlen(t), &j, &err) == 0);
	CHECK(json_get(&j, "a")->nr == 4);
	CHECK(json_get(&j, "a")->items[1].type == JV_TRUE);
	CHECK_STR(json_str(&json_get(&j, "a")->items[3]), "x\xc3\xa9\n");
	CHECK_STR(json_str(json_get(json_get(&j, "b"), "c")), "d");
	CHECK_STR(json_get(&j, "e")->str, "-1500");
	CHECK(json_get(&j, "z") == NULL);
	json_release(&j);
	CHECK(json_parse("{\"a\":}", 6, &j, &err) < 0);
	CHECK(json_parse("[1,2", 4, &j, &err) < 0);
	CHECK(json_parse("\"x", 2, &j, &err) < 0);
	CHECK(json_parse("{} x", 4, &j, &err) < 0);
	/* What the hand-written reader took (issue 11): a lone surrogate that
	 * ate the next character, bad numbers, raw invalid UTF-8, duplicate keys. */
	static const char *bad[] = { "\"\\ud800\\u0041\"", "1-2e+", "-", "01", "\"\xff\"", "{\"a\":1,\"a\":2}",
				     "\"a\\u0000b\"" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		strbuf_reset(&err);
		CHECK(json_parse(bad[i], strlen(bad[i]), &j, &err) < 0);
		CHECK(err.len > 0);
	}
	t = "\"\\ud83d\\ude00A\"";
	CHECK(json_parse(t, strlen(t), &j, &err) == 0);
	CHECK_STR(json_str(&j), "\xf0\x9f\x98\x80" "A");
	json_release(&j);
	strbuf_release(&err);
}

static void test_manifest_args(void)
{
	const char *a[] = { "build", "-p", "app", "--release" };
	const char *b[] = { "test", "--package=greet", "--manifest-path", "x/Cargo.toml" };
	const char *c[] = { "run", "-pgreet", "--", "-p", "nope" };
	CHECK_STR(manifest_arg_package(4, a), "app");
	CHECK_STR(manifest_arg_package(4, b), "greet");
	CHECK_STR(manifest_arg_path(4, b), "x/Cargo.toml");
	CHECK_STR(manifest_arg_package(5, c), "greet");
	CHECK(manifest_arg_path(4, a) == NULL);
}

/* The memo of cargo metadata's answer: one run of cargo while the
 * manifests stand; a hard link to one (a source mirror's, which moves its
 * ctime) keeps it; a new mtime does not. The "cargo" is a script that
 * counts its runs. */
static void test_manifest_memo(void)
{
	char dir[] = "/tmp/cargo-green-memo-test.XXXXXX";
	struct strbuf cargo = STRBUF_INIT, json = STRBUF_INIT, p = STRBUF_INIT, q = STRBUF_INIT, why = STRBUF_INIT,
		      count = STRBUF_INIT, env = STRBUF_INIT;
	char *saved = test_env_save("XDG_CACHE_HOME"), *cwd = getcwd(NULL, 0);
	struct manifest m;
	const char *argv[] = { "build" };
	if (!mkdtemp(dir) || !cwd) {
		CHECK(!"mkdtemp");
		free(cwd);
		test_env_restore("XDG_CACHE_HOME", saved);
		return;
	}
	test_put(dir, "a/ws/Cargo.toml", "[package]\nname = \"a\"\n", 0644);
	strbuf_addf(&json, "{\"packages\":[{\"name\":\"a\",\"id\":\"a 0.1\",\"manifest_path\":\"%s/a/ws/Cargo.toml\"}],"
		     "\"workspace_members\":[\"a 0.1\"],\"workspace_root\":\"%s/a/ws\"}", dir, dir);
	strbuf_addf(&cargo, "#!/bin/sh\necho run >>%s/runs\ncat <<'EOF'\n%s\nEOF\n", dir, json.buf);
	test_put(dir, "cargo", cargo.buf, 0755);
	strbuf_reset(&cargo);
	strbuf_addf(&cargo, "%s/cargo", dir);
	strbuf_addf(&env, "%s/cache", dir);
	setenv("XDG_CACHE_HOME", env.buf, 1);
	strbuf_addf(&p, "%s/a/ws", dir); /* (the memo stands on ws and a: runs and cache beside a) */
	CHECK(chdir(p.buf) == 0);
	strbuf_addf(&count, "%s/runs", dir);
	for (int i = 0; i < 2; i++) {
		CHECK(manifest_read(&m, cargo.buf, 1, argv, &why) == 0);
		CHECK_STR(m.package_path ? path_basename(m.package_path) : NULL, "Cargo.toml");
		manifest_release(&m);
	}
	strbuf_reset(&json);
	strbuf_read_file(&json, count.buf);
	CHECK_STR(json.buf, "run\n"); /* the second read is the memo's */
	strbuf_addf(&p, "/Cargo.toml");
	strbuf_addf(&q, "%s/mirror-link", dir);
	CHECK(link(p.buf, q.buf) == 0);
	CHECK(manifest_read(&m, cargo.buf, 1, argv, &why) == 0);
	manifest_release(&m);
	strbuf_reset(&json);
	strbuf_read_file(&json, count.buf);
	CHECK_STR(json.buf, "run\n"); /* a link moved its ctime only */
	{
		struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };
		CHECK(utimensat(AT_FDCWD, p.buf, ts, 0) == 0);
	}
	CHECK(manifest_read(&m, cargo.buf, 1, argv, &why) == 0);
	manifest_release(&m);
	strbuf_reset(&json);
	strbuf_read_file(&json, count.buf);
	CHECK_STR(json.buf, "run\nrun\n"); /* a new mtime: cargo again */
	if (chdir(cwd) < 0)
		CHECK(!"chdir back");
	test_env_restore("XDG_CACHE_HOME", saved);
	rm_rf(dir);
	free(cwd);
	strbuf_release(&cargo);
	strbuf_release(&json);
	strbuf_release(&p);
	strbuf_release(&q);
	strbuf_release(&why);
	strbuf_release(&count);
	strbuf_release(&env);
}

/* The handoff: what the plugin resolved reaches each wrapper, for its own package. */
static void test_handoff(void)
{
	struct config cfg;
	struct strbuf h = STRBUF_INIT, err = STRBUF_INIT;
	const char *inl = "FROM x AS y\nRUN a\tb \\ c";

	clear_env();
	config_handoff_value(&h, -1, setting_find("SET_ENVS"), "/w/Cargo.toml", "A,B");
	config_handoff_value(&h, -1, setting_find("WITH_NETWORK"), "/w/Cargo.toml", "host");
	config_handoff_value(&h, 0, setting_find("WITH_NETWORK"), "/w/m/Cargo.toml", "default");
	config_handoff_value(&h, 0, setting_find("BASE_IMAGE_INLINE"), "/w/m/Cargo.toml", inl);
	config_handoff_dir(&h, 0, "/w/m");
	config_handoff_dir(&h, 0, "/reg/dep-1.0");
	config_handoff_value(&h, 1, setting_find("ADD_APT"), "/w/n\tx/Cargo.toml", "libpq-dev");
	config_handoff_dir(&h, 1, "/w/n\tx");
	CHECK(strchr(h.buf, '\n') && !strstr(h.buf, "RUN a\tb"));

	CHECK(config_load_handoff(&cfg, h.buf, "/w/m", &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_WITH_NETWORK), "default");
	CHECK(cfg.v[S_WITH_NETWORK].origin == ORIGIN_PACKAGE);
	CHECK_STR(cfg.v[S_WITH_NETWORK].where, "/w/m/Cargo.toml");
	CHECK_STR(cfg_get(&cfg, S_BASE_IMAGE_INLINE), inl);
	CHECK_STR(cfg_get(&cfg, S_SET_ENVS), "A,B");
	CHECK(cfg.v[S_SET_ENVS].origin == ORIGIN_WORKSPACE);
	CHECK(cfg_get(&cfg, S_ADD_APT) == NULL);
	config_release(&cfg);
	CHECK(config_load_handoff(&cfg, h.buf, "/reg/dep-1.0", &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_WITH_NETWORK), "default");
	config_release(&cfg);
	CHECK(config_load_handoff(&cfg, h.buf, "/w/n\tx", &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_ADD_APT), "libpq-dev");
	CHECK_STR(cfg_get(&cfg, S_WITH_NETWORK), "host");
	config_release(&cfg);
	/* Another package (or none named): the workspace's only. */
	CHECK(config_load_handoff(&cfg, h.buf, "/w/other", &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_WITH_NETWORK), "host");
	CHECK(cfg_get(&cfg, S_BASE_IMAGE_INLINE) == NULL);
	config_release(&cfg);
	CHECK(config_load_handoff(&cfg, h.buf, NULL, &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_WITH_NETWORK), "host");
	config_release(&cfg);
	/* Too large for the environment: a file named "@FILE". */
	{
		char path[] = "/tmp/cargo-green-handoff-test.XXXXXX";
		struct strbuf at = STRBUF_INIT;
		int fd = mkstemp(path);
		CHECK(fd >= 0 && write(fd, h.buf, h.len) == (ssize_t)h.len);
		close(fd);
		strbuf_addf(&at, "@%s", path);
		CHECK(config_load_handoff(&cfg, at.buf, "/w/m", &err) == 0);
		CHECK_STR(cfg_get(&cfg, S_BASE_IMAGE_INLINE), inl);
		config_release(&cfg);
		unlink(path);
		strbuf_reset(&err);
		CHECK(config_load_handoff(&cfg, at.buf, "/w/m", &err) < 0);
		CHECK(strstr(err.buf, "cannot read the settings cargo green handed over") != NULL);
		config_release(&cfg);
		strbuf_release(&at);
	}
	/* The environment over both; no handoff: defaults and environment. */
	setenv("CARGOGREEN_WITH_NETWORK", "none", 1);
	CHECK(config_load_handoff(&cfg, h.buf, "/w/m", &err) == 0);
	CHECK(cfg.v[S_WITH_NETWORK].origin == ORIGIN_ENV);
	config_release(&cfg);
	unsetenv("CARGOGREEN_WITH_NETWORK");
	CHECK(config_load_handoff(&cfg, NULL, "/w/m", &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_WITH_NETWORK), "none");
	CHECK(cfg.v[S_WITH_NETWORK].origin == ORIGIN_DEFAULT);
	config_release(&cfg);
	strbuf_release(&h);
	strbuf_release(&err);
}

/* Each unit's settings from the members' tables: members their own, a shared
 * dependency the lists of every member it is built for, a bad value anywhere
 * refused. */
static void test_manifest_handoff(void)
{
	struct json ws, a, b, bad;
	struct strbuf e = STRBUF_INIT, h = STRBUF_INIT, err = STRBUF_INIT;
	struct manifest m;
	struct manifest_pkg pk[4];
	size_t both[] = { 0, 1 }, only_a[] = { 0 };
	struct config cfg;
	const char *wsj = "{\"set-envs\":[\"W\"]}", *aj = "{\"add\":{\"apt\":[\"libpq-dev\"]},\"with-network\":\"host\"}",
		   *bj = "{\"add\":{\"apt\":[\"libpq-dev\",\"pkg-config\"]}}", *badj = "{\"with-network\":\"wide\"}";

	clear_env();
	CHECK(json_parse(wsj, strlen(wsj), &ws, &e) == 0 && json_parse(aj, strlen(aj), &a, &e) == 0 &&
	      json_parse(bj, strlen(bj), &b, &e) == 0 && json_parse(badj, strlen(badj), &bad, &e) == 0);
	memset(&m, 0, sizeof(m));
	memset(pk, 0, sizeof(pk));
	m.toml.workspace = &ws;
	m.toml.workspace_path = "/w/Cargo.toml";
	pk[0] = (struct manifest_pkg){ "a", "a", "/w/a/Cargo.toml", "/w/a", 1, &a, NULL, 0 };
	pk[1] = (struct manifest_pkg){ "b", "b", "/w/b/Cargo.toml", "/w/b", 1, &b, NULL, 0 };
	pk[2] = (struct manifest_pkg){ "shared", "s", "/r/shared/Cargo.toml", "/r/shared", 0, NULL, both, 2 };
	pk[3] = (struct manifest_pkg){ "mine", "i", "/r/mine/Cargo.toml", "/r/mine", 0, NULL, only_a, 1 };
	m.pkgs = pk;
	m.nr = 4;
	CHECK(manifest_handoff(&m, &h, &err) == 0);
	CHECK(config_load_handoff(&cfg, h.buf, "/w/b", &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_ADD_APT), "libpq-dev,pkg-config");
	CHECK_STR(cfg_get(&cfg, S_SET_ENVS), "W");
	CHECK_STR(cfg_get(&cfg, S_WITH_NETWORK), "none");
	config_release(&cfg);
	CHECK(config_load_handoff(&cfg, h.buf, "/r/shared", &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_ADD_APT), "libpq-dev,pkg-config");
	CHECK_STR(cfg_get(&cfg, S_WITH_NETWORK), "host"); /* only a sets it */
	config_release(&cfg);
	CHECK(config_load_handoff(&cfg, h.buf, "/r/mine", &err) == 0);
	CHECK_STR(cfg_get(&cfg, S_ADD_APT), "libpq-dev");
	config_release(&cfg);

	/* Members disagreeing on a value for a crate they share. */
	strbuf_reset(&h);
	json_release(&a);
	aj = "{\"with-network\":\"default\"}";
	CHECK(json_parse(aj, strlen(aj), &a, &e) == 0);
	pk[1].green = &b;
	json_release(&b);
	bj = "{\"with-network\":\"host\"}";
	CHECK(json_parse(bj, strlen(bj), &b, &e) == 0);
	CHECK(manifest_handoff(&m, &h, &err) < 0);
	CHECK(strstr(err.buf, "with-network = \"default\" in [package.metadata.green] of /w/a/Cargo.toml and \"host\" in that of /w/b/Cargo.toml: shared, a dependency of both") != NULL);

	/* A bad value in any member. */
	strbuf_reset(&h);
	strbuf_reset(&err);
	pk[1].green = &bad;
	CHECK(manifest_handoff(&m, &h, &err) < 0);
	CHECK_STR(err.buf, "with-network = \"wide\" in [package.metadata.green] of /w/b/Cargo.toml: not a network mode, expected none, default or host (e.g. with-network = \"default\")");
	json_release(&ws);
	json_release(&a);
	json_release(&b);
	json_release(&bad);
	strbuf_release(&e);
	strbuf_release(&h);
	strbuf_release(&err);
}

/* The base pins the plugin hands over: one line per base image. */
static void test_base_pins(void)
{
	struct strbuf id = STRBUF_INIT;
	const char *pins = "cargo-green-rust:1.95\tsha256:aa\ncargo-green-base:12\tsha256:bb\n";
	CHECK(base_pin_find(pins, "cargo-green-base:12", &id) == 0);
	CHECK_STR(id.buf, "sha256:bb");
	strbuf_reset(&id);
	CHECK(base_pin_find(pins, "cargo-green-rust:1.95", &id) == 0);
	CHECK_STR(id.buf, "sha256:aa");
	CHECK(base_pin_find(pins, "cargo-green-base:1", &id) < 0);
	CHECK(base_pin_find(pins, "cargo-green", &id) < 0);
	CHECK(base_pin_find(NULL, "cargo-green-base:12", &id) < 0);
	strbuf_release(&id);
}

/* A base's identity is what it is made of: the same whatever the package
 * list's order, another for any change of rustc, OS or one package. */
static void test_base_identity(void)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, sum = STRBUF_INIT;
	const char *vv = "rustc 1.95.0 (abc 2026-01-01)\nhost: x86_64-unknown-linux-gnu\n";
	const char *osr = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n";
	base_identity_compute(vv, osr, "gcc 12 amd64\nlibc6 2.36 amd64\n", &a, &sum);
	CHECK(starts_with(a.buf, "sha256:") && a.len == 7 + 64);
	CHECK_STR(sum.buf, "rustc 1.95.0 (abc 2026-01-01), Debian GNU/Linux 12 (bookworm), 2 packages");
	base_identity_compute(vv, osr, "libc6 2.36 amd64\ngcc 12 amd64\n", &b, &sum);
	CHECK_STR(a.buf, b.buf);
	strbuf_reset(&b);
	base_identity_compute(vv, osr, "libc6 2.36 amd64\ngcc 12.1 amd64\n", &b, &sum);
	CHECK(strcmp(a.buf, b.buf));
	strbuf_reset(&b);
	base_identity_compute("rustc 1.96.0 (def 2026-02-01)\n", osr, "gcc 12 amd64\nlibc6 2.36 amd64\n", &b, &sum);
	CHECK(strcmp(a.buf, b.buf));
	strbuf_reset(&b);
	base_identity_compute(vv, "ID=debian\nVERSION_ID=\"13\"\n", "gcc 12 amd64\nlibc6 2.36 amd64\n", &b, &sum);
	CHECK(strcmp(a.buf, b.buf));
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&sum);
}

/* rustc -vV's memo: a toolchain's own rustc is asked once whatever the
 * directory (cargo runs each compile in its package's); a rustup proxy
 * (rustup beside it) once per directory, which picks its toolchain. The
 * "rustc" is a script that counts its runs. */
static void test_rustc_vv_memo(void)
{
	char dir[] = "/tmp/cargo-green-vv-test.XXXXXX";
	struct strbuf body = STRBUF_INIT, rustc = STRBUF_INIT, env = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT,
		      runs = STRBUF_INIT, p = STRBUF_INIT;
	char *saved = test_env_save("XDG_CACHE_HOME"), *cwd = getcwd(NULL, 0);
	const char *sub[] = { "pkg-a", "pkg-b", "pkg-a" };
	if (!mkdtemp(dir) || !cwd) {
		CHECK(!"mkdtemp");
		free(cwd);
		test_env_restore("XDG_CACHE_HOME", saved);
		return;
	}
	strbuf_addf(&body, "#!/bin/sh\necho run >>%s/runs\nprintf 'rustc 1.95.0 (59807616e 2026-04-14)\\nrelease: 1.95.0\\n'\n", dir);
	test_put(dir, "toolchain/bin/rustc", body.buf, 0755);
	test_put(dir, "proxy/rustc", body.buf, 0755);
	test_put(dir, "proxy/rustup", "#!/bin/sh\nexit 0\n", 0755);
	test_put(dir, "pkg-a/x", "", 0644);
	test_put(dir, "pkg-b/x", "", 0644);
	strbuf_addf(&env, "%s/cache", dir);
	setenv("XDG_CACHE_HOME", env.buf, 1);
	strbuf_addf(&runs, "%s/runs", dir);
	for (int proxy = 0; proxy < 2; proxy++) {
		unlink(runs.buf);
		strbuf_reset(&rustc);
		strbuf_addf(&rustc, "%s/%s", dir, proxy ? "proxy/rustc" : "toolchain/bin/rustc");
		for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/%s", dir, sub[i]);
			CHECK(chdir(p.buf) == 0);
			strbuf_reset(&out);
			CHECK(rustc_version_verbose(rustc.buf, &out, &err) == 0);
			CHECK(starts_with(out.buf, "rustc 1.95.0 "));
		}
		strbuf_reset(&out);
		strbuf_read_file(&out, runs.buf);
		CHECK_STR(out.buf, proxy ? "run\nrun\n" : "run\n");
	}
	if (chdir(cwd) < 0)
		CHECK(!"chdir back");
	test_env_restore("XDG_CACHE_HOME", saved);
	rm_rf(dir);
	free(cwd);
	strbuf_release(&body);
	strbuf_release(&rustc);
	strbuf_release(&env);
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&runs);
	strbuf_release(&p);
}

/* tar -cf of dir's members (NULL-ended) into a strbuf. */
static void tar_of(const char *dir, const char *const *members, struct strbuf *tar)
{
	struct child c = CHILD_INIT;
	struct strbuf err = STRBUF_INIT, file = STRBUF_INIT;
	strbuf_addf(&file, "%s/t.tar", dir);
	strvec_pushl(&c.args, "tar", "--format=posix", "-cf", file.buf, "-C", dir, NULL);
	for (const char *const *m = members; *m; m++)
		strvec_push(&c.args, *m);
	c.stdin_path = "";
	CHECK(run_command(&c, &err) == 0);
	strbuf_reset(tar);
	CHECK(strbuf_read_file(tar, file.buf) == 0);
	unlink(file.buf);
	child_release(&c);
	strbuf_release(&err);
	strbuf_release(&file);
}

/* The derived base's check files read from the engine's tar of them: all
 * four, byte for byte; one missing, or the tar cut: -1. */
static void test_base_check_untar(void)
{
	char dir[] = "/tmp/cargo-green-untar-test.XXXXXX";
	struct strbuf tar = STRBUF_INIT, out = STRBUF_INIT, got = STRBUF_INIT, p = STRBUF_INIT;
	const char *all[] = { "green-check", NULL };
	const char *three[] = { "green-check/vV", "green-check/pc", "green-check/os", NULL };
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	test_put(dir, "green-check/vV", "rustc 1.95.0 (59807616e 2026-04-14)\nrelease: 1.95.0\n", 0644);
	test_put(dir, "green-check/pc", "", 0644);
	test_put(dir, "green-check/os", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n", 0644);
	{
		/* (a package list longer than a tar block) */
		struct strbuf pk = STRBUF_INIT;
		for (int i = 0; i < 300; i++)
			strbuf_addf(&pk, "pkg%d 1.%d amd64\n", i, i);
		test_put(dir, "green-check/pkgs", pk.buf, 0644);
		strbuf_release(&pk);
	}
	tar_of(dir, all, &tar);
	strbuf_addf(&out, "%s/out", dir);
	CHECK(base_check_untar(&tar, out.buf) == 0);
	for (int i = 0; i < 4; i++) {
		const char *n = (const char *[]){ "vV", "pc", "os", "pkgs" }[i];
		struct strbuf want = STRBUF_INIT;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/green-check/%s", dir, n);
		strbuf_read_file(&want, p.buf);
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", out.buf, n);
		strbuf_reset(&got);
		CHECK(strbuf_read_file(&got, p.buf) == 0);
		CHECK(got.len == want.len && !memcmp(got.buf, want.buf, got.len));
		strbuf_release(&want);
	}
	/* Cut in the package list: not read. */
	rm_rf(out.buf);
	{
		const char *mid = memmem(tar.buf, tar.len, "pkg150 ", 7);
		CHECK(mid != NULL);
		if (mid)
			strbuf_setlen(&tar, (size_t)(mid - tar.buf));
	}
	CHECK(base_check_untar(&tar, out.buf) < 0);
	/* One file missing: not read. */
	rm_rf(out.buf);
	tar_of(dir, three, &tar);
	CHECK(base_check_untar(&tar, out.buf) < 0);
	rm_rf(dir);
	strbuf_release(&tar);
	strbuf_release(&out);
	strbuf_release(&got);
	strbuf_release(&p);
}

void test_config(void)
{
	test_base_pins();
	test_base_check_untar();
	test_rustc_vv_memo();
	test_base_identity();
	test_handoff();
	test_manifest_handoff();
	test_validators();
	test_table();
	test_precedence();
	test_log_filter();
	test_json();
	test_manifest_args();
	test_manifest_memo();
}
