#include "config.h"
#include "final.h"
#include "internal.h"
#include "json.h"
#include "log.h"
#include "stage.h"
#include "storegc.h"
#include "util.h"
#include "verify.h"
#include "banned.h"

#include <stdlib.h>
#include <string.h>

/* ---- validators: one value (or one list item), what is wrong in why ---- */

static int only_chars(const char *v, const char *extra)
{
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr(extra, *p)))
			return 0;
	return 1;
}

static int one_of(const char *v, const char *const *words, const char *what, struct strbuf *why)
{
	for (size_t i = 0; words[i]; i++)
		if (!strcmp(v, words[i]))
			return 0;
	strbuf_addf(why, "not %s, expected ", what);
	for (size_t i = 0; words[i]; i++)
		strbuf_addf(why, "%s%s", i ? (words[i + 1] ? ", " : " or ") : "", words[i]);
	return -1;
}

static int check_path(const char *v, struct strbuf *why)
{
	if (!*v || strchr(v, '\n')) {
		strbuf_addstr(why, *v ? "a path cannot hold a newline" : "the path is empty");
		return -1;
	}
	return 0;
}

static int check_log(const char *v, struct strbuf *why)
{
	return log_filter_check(v, why);
}

static int check_log_style(const char *v, struct strbuf *why)
{
	static const char *const w[] = { "auto", "always", "never", NULL };
	return one_of(v, w, "a log style", why);
}

static int check_runner(const char *v, struct strbuf *why)
{
	static const char *const w[] = { "docker", "podman", "none", NULL };
	return one_of(v, w, "a runner", why);
}

static int check_builder(const char *v, struct strbuf *why)
{
	/* Empty is meaningful: no builder of our own. */
	if (*v && (!only_chars(v, "_.-") || *v == '-' || *v == '.')) {
		strbuf_addstr(why, "not a builder name (letters, digits, '_', '.', '-')");
		return -1;
	}
	return 0;
}

static int check_image(const char *v, struct strbuf *why)
{
	const char *ref;
	if (!skip_prefix(v, "docker-image://", &ref)) {
		strbuf_addstr(why, "an image must start with docker-image://");
		return -1;
	}
	if (!*ref || !only_chars(ref, "._-/:@") || *ref == '/' || *ref == ':' || *ref == '@' || strstr(ref, "//")) {
		strbuf_addstr(why, "not an image reference (NAME[:TAG][@sha256:DIGEST], no spaces or quotes)");
		return -1;
	}
	{
		/* The engine's limits (distribution/reference): a name of at most
		 * 255 characters, a tag of at most 128, a digest of sha256 and 64 hex. */
		const char *at = strchr(ref, '@'), *end = at ? at : ref + strlen(ref), *slash, *colon = NULL;
		for (const char *p = ref; p < end; p++)
			if (*p == ':')
				colon = p;
		slash = NULL;
		for (const char *p = ref; p < end; p++)
			if (*p == '/')
				slash = p;
		if (colon && slash && colon < slash)
			colon = NULL; /* a registry's port, not a tag */
		if ((size_t)((colon ? colon : end) - ref) > 255) {
			strbuf_addf(why, "the image name is %zu characters long, more than the engine's 255",
				    (size_t)((colon ? colon : end) - ref));
			return -1;
		}
		if (colon && (size_t)(end - colon - 1) > 128) {
			strbuf_addf(why, "the tag is %zu characters long, more than the engine's 128", (size_t)(end - colon - 1));
			return -1;
		}
		if (at && strlen(at + 1) > 7 + 128) {
			strbuf_addf(why, "the digest is %zu characters long, more than ALGORITHM:HEX can be (sha256: and 64 hex digits)",
				    strlen(at + 1));
			return -1;
		}
	}
	return 0;
}

static int check_mirror(const char *v, struct strbuf *why)
{
	const char *slash = strchr(v, '/'), *colon;
	size_t host = slash ? (size_t)(slash - v) : strlen(v);
	if (strstr(v, "://")) {
		strbuf_addstr(why, "a mirror is a host (with maybe a port and a path), not a URL");
		return -1;
	}
	colon = memchr(v, ':', host);
	if (!host || !only_chars(v, ".-:/_") || (colon && (colon == v || colon + 1 == v + host)) ||
	    (colon && memchr(colon + 1, ':', host - (size_t)(colon + 1 - v))) || (slash && !slash[1])) {
		strbuf_addstr(why, "not a registry host (HOST[:PORT][/PATH])");
		return -1;
	}
	for (const char *p = colon ? colon + 1 : v + host; colon && p < v + host; p++)
		if (*p < '0' || *p > '9') {
			strbuf_addstr(why, "the port is not a number");
			return -1;
		}
	return 0;
}

static int check_bool(const char *v, struct strbuf *why)
{
	static const char *const w[] = { "1", "0", "true", "false", NULL };
	return one_of(v, w, "a boolean", why);
}

static int check_size(const char *v, struct strbuf *why)
{
	long long n;
	return store_size_parse(v, &n, why);
}

static int check_env_name(const char *v, struct strbuf *why)
{
	if (!*v || (*v >= '0' && *v <= '9') || !only_chars(v, "_")) {
		strbuf_addstr(why, "not an environment variable name (letters, digits and '_')");
		return -1;
	}
	return 0;
}

static int check_inline(const char *v, struct strbuf *why)
{
	char *name = dockerfile_last_stage(v);
	if (!name) {
		strbuf_addstr(why, "the text needs a FROM line naming its stage (FROM ... AS NAME); its last stage becomes the base");
		return -1;
	}
	free(name);
	return 0;
}

static int check_network(const char *v, struct strbuf *why)
{
	static const char *const w[] = { "none", "default", "host", NULL };
	return one_of(v, w, "a network mode", why);
}

static int check_package(const char *v, struct strbuf *why)
{
	if (!*v || !only_chars(v, "+.-_:=~") || *v == '-' || *v == '=' || *v == ':') {
		strbuf_addstr(why, "not a package name (letters, digits and + . - _ : = ~)");
		return -1;
	}
	return 0;
}

/* ---- the table ---- */

const struct setting settings[S__NR] = {
	[S_LOG_PATH] = { S_LOG_PATH, "CARGOGREEN_LOG_PATH", "log-path", 1, KIND_TEXT, NULL, check_path,
		"/tmp/my-logs.txt",
		"Path to a text file to write logs to, by default in the temporary directory.\n"
		"Every wrapper of a run appends to the same file, each line prefixed with\n"
		"[time pid crate]. Nothing is written unless CARGOGREEN_LOG is set." },
	[S_LOG] = { S_LOG, "CARGOGREEN_LOG", "log", 1, KIND_TEXT, NULL, check_log,
		"trace,engine=info",
		"Filter logs, with the syntax of $RUST_LOG (it does not conflict with cargo's).\n"
		"A comma-separated list of LEVEL or MODULE=LEVEL, LEVEL one of off, error,\n"
		"warn, info, debug, trace. Modules are cargo-green's source files: plugin,\n"
		"wrap, job, stage, engine, base, store, buildscript, config (a\n"
		"cargo_green:: prefix is accepted). The most specific directive wins." },
	[S_LOG_STYLE] = { S_LOG_STYLE, "CARGOGREEN_LOG_STYLE", "log-style", 1, KIND_TEXT, "auto", check_log_style,
		"never",
		"Style logs, like $RUST_LOG_STYLE: auto, always or never.\n"
		"With always, levels are coloured in the log file; auto and never write plain text." },
	[S_RUNNER] = { S_RUNNER, "CARGOGREEN_RUNNER", "runner", 1, KIND_TEXT, "docker", check_runner,
		"docker",
		"Which executor builds the stages: docker (default), podman or none.\n"
		"none sends every compile to the local rustc (cargo-green then only counts).\n"
		"The runner is started with exactly these environment variables, when set:\n"
		"BUILDKIT_COLORS BUILDKIT_HOST BUILDKIT_PROGRESS BUILDKIT_TTY_LOG_LINES\n"
		"BUILDX_BAKE_GIT_AUTH_HEADER BUILDX_BAKE_GIT_AUTH_TOKEN BUILDX_BAKE_GIT_SSH\n"
		"BUILDX_BUILDER BUILDX_CONFIG BUILDX_CPU_PROFILE BUILDX_EXPERIMENTAL\n"
		"BUILDX_GIT_CHECK_DIRTY BUILDX_GIT_INFO BUILDX_GIT_LABELS BUILDX_MEM_PROFILE\n"
		"BUILDX_METADATA_PROVENANCE BUILDX_METADATA_WARNINGS\n"
		"BUILDX_NO_DEFAULT_ATTESTATIONS BUILDX_NO_DEFAULT_LOAD DOCKER_API_VERSION\n"
		"DOCKER_BUILDKIT DOCKER_CERT_PATH DOCKER_CONFIG DOCKER_CONTENT_TRUST\n"
		"DOCKER_CONTENT_TRUST_SERVER DOCKER_CONTEXT DOCKER_DEFAULT_PLATFORM\n"
		"DOCKER_HIDE_LEGACY_COMMANDS DOCKER_HOST DOCKER_TLS DOCKER_TLS_VERIFY\n"
		"EXPERIMENTAL_BUILDKIT_SOURCE_POLICY HTTP_PROXY HTTPS_PROXY NO_PROXY." },
	[S_BUILDX_BUILDER] = { S_BUILDX_BUILDER, "BUILDX_BUILDER", "buildx-builder", 1, KIND_TEXT, NULL, check_builder,
		"supergreen",
		"Which BuildKit builder to use (buildx's own variable).\n"
		"Unset: cargo-green manages a builder named supergreen (docker-container\n"
		"driver, image CARGOGREEN_BUILDER_IMAGE, mirrors CARGOGREEN_REGISTRY_MIRRORS),\n"
		"created only when its image is in the engine; otherwise the engine's default\n"
		"builder is used and one line says why.\n"
		"Set to \"\": the default builder, no builder of our own.\n"
		"Set to supergreen: that builder must exist; it is used as it is.\n"
		"Set to any other name: that builder, no questions asked." },
	[S_BUILDER_IMAGE] = { S_BUILDER_IMAGE, "CARGOGREEN_BUILDER_IMAGE", "builder-image", 1, KIND_TEXT,
		"docker-image://docker.io/moby/buildkit:buildx-stable-1", check_image,
		"docker-image://docker.io/moby/buildkit:latest",
		"The BuildKit image of the managed supergreen builder (see BUILDX_BUILDER)." },
	[S_SYNTAX_IMAGE] = { S_SYNTAX_IMAGE, "CARGOGREEN_SYNTAX_IMAGE", "syntax-image", 1, KIND_TEXT, NULL, check_image,
		"docker-image://docker.io/docker/dockerfile:1",
		"The Dockerfile frontend image, written as the # syntax= line of every Dockerfile.\n"
		"Default: none, the engine's built-in frontend (nothing to pull). The image must\n"
		"be available to the engine." },
	[S_REGISTRY_MIRRORS] = { S_REGISTRY_MIRRORS, "CARGOGREEN_REGISTRY_MIRRORS", "registry-mirrors", 0, KIND_LIST,
		"mirror.gcr.io,public.ecr.aws/docker", check_mirror,
		"mirror.gcr.io,public.ecr.aws/docker",
		"Registry mirrors for Docker Hub (docker.io), given to the managed supergreen\n"
		"builder: hosts with maybe a port and a path (localhost:5000, mirror.gcr.io,\n"
		"public.ecr.aws/docker)." },
	[S_CACHE_IMAGES] = { S_CACHE_IMAGES, "CARGOGREEN_CACHE_IMAGES", "cache-images", 0, KIND_LIST, NULL, check_image,
		"docker-image://my.org/team/my-project",
		"Images to both read cached data from and write it to: the local store's\n"
		"entries (each unit's outputs, keyed by its key) as OCI artifacts in that\n"
		"repository, tagged by the key. A miss of the local store asks them, in order;\n"
		"what a build makes is written in the background. A build that writes ends by\n"
		"writing the index of its build (the keys of its entries there, tagged by the\n"
		"base's identity, Cargo.lock and the kind of build); a build that reads fetches\n"
		"what that index lists, a few at a time, while cargo starts, so that its\n"
		"compiles find it in the local store. The same as listing them in both\n"
		"cache-from-images and cache-to-images. Credentials: ~/.docker/config.json." },
	[S_CACHE_FROM_IMAGES] = { S_CACHE_FROM_IMAGES, "CARGOGREEN_CACHE_FROM_IMAGES", "cache-from-images", 0, KIND_LIST,
		NULL, check_image, "docker-image://my.org/team/my-project-in-ci",
		"Images to read cached data from only (see cache-images)." },
	[S_CACHE_TO_IMAGES] = { S_CACHE_TO_IMAGES, "CARGOGREEN_CACHE_TO_IMAGES", "cache-to-images", 0, KIND_LIST, NULL,
		check_image, "docker-image://my.org/team/my-fork",
		"Images to write cached data to only (see cache-images). A failed cache export\n"
		"does not fail the build: it is said once, at the end." },
	[S_CACHE_PRIVATE] = { S_CACHE_PRIVATE, "CARGOGREEN_CACHE_PRIVATE", "cache-private", 0, KIND_BOOL, NULL, check_bool,
		"1",
		"Also write to the cache images what is not public: the units of workspace,\n"
		"path and git crates (and what depends on them), and units given secrets of\n"
		"CARGOGREEN_SET_ENVS. Default: only units of crates from crates.io are written\n"
		"(their sources are public). Never written, whatever this says: an entry\n"
		"holding the value of one of the unit's secrets." },
	[S_CACHE_SIZE] = { S_CACHE_SIZE, "CARGOGREEN_CACHE_SIZE", "cache-size", 0, KIND_TEXT, "5GiB", check_size, "10GiB",
		"The size limit of the local store (~/.cache/cargo-green/store, the outputs\n"
		"of every unit built, for hits with no engine round trip). At the end of a\n"
		"build that left it over the limit, the least recently used entries (a hit, or\n"
		"a dependent reading an entry, is a use) are evicted down to 90% of it; entries\n"
		"a running build reads are kept. A number and a unit: K, M, G, T are powers of\n"
		"1000, Ki, Mi, Gi, Ti of 1024 (5GiB, 500MB); 0: no limit. The store is the\n"
		"user's, shared by every project: a workspace's value applies at the end of its\n"
		"builds. `cargo green supergreen cache gc --max-size SIZE` evicts at once." },
	[S_FINAL_PATH] = { S_FINAL_PATH, "CARGOGREEN_FINAL_PATH", "final-path", 1, KIND_TEXT, NULL, final_path_check,
		"/tmp/my-bin.Dockerfile",
		"After cargo, write to this absolute path one standalone Dockerfile of the\n"
		"run's primary units (cargo's CARGO_PRIMARY_PACKAGE: the packages named on its\n"
		"command line, or the workspace's members), all of them in one file: every\n"
		"stage of their closure (the base, each compile, each build script compiled\n"
		"and run), crates.io sources fetched by ADD --checksum with Cargo.lock's\n"
		"checksum, a last FROM scratch stage with just the binaries at /NAME, and a\n"
		"closing comment with the plain `docker buildx build` command (named contexts\n"
		"relative to the workspace root). The same build writes the same bytes, from\n"
		"any checkout. A run that compiles no primary unit leaves the file as it was;\n"
		"a failed build writes the units that ran, the failed one too, and says so.\n"
		"For any crates.io crate's binaries, `cargo green supergreen recipe\n"
		"NAME[@VERSION] [-o FILE]` prints such a file (it runs `cargo green install\n"
		"--locked` once with this set)." },
	[S_FINAL_PATH_NONPRIMARY] = { S_FINAL_PATH_NONPRIMARY, "CARGOGREEN_FINAL_PATH_NONPRIMARY",
		"final-path-nonprimary", 1, KIND_BOOL, NULL, check_bool, "1",
		"With CARGOGREEN_FINAL_PATH, the file holds every unit of the run, primary or\n"
		"not, succeeded or failed: each compile and build script run lists itself, and\n"
		"the one file at CARGOGREEN_FINAL_PATH (the same path, no call overwriting\n"
		"another's) holds them all with their closures, written once after cargo exits.\n"
		"Helps debug builds that fail early: building the file reproduces the failed\n"
		"unit (its outputs hold green/ID.stderr and green/ID.code)." },
	[S_BASE_IMAGE] = { S_BASE_IMAGE, "CARGOGREEN_BASE_IMAGE", "base-image", 0, KIND_TEXT, NULL, check_image,
		"docker-image://docker.io/library/rust:1-slim",
		"The image every compile starts from, as docker-image://NAME. Its rustc must be\n"
		"the local one (rustc -vV is compared). Default: an image derived from the local\n"
		"toolchain (a Debian OS image plus the exact local rustc sysroot), made once per\n"
		"engine. For remote builds the image must be on the remote engine." },
	[S_SET_ENVS] = { S_SET_ENVS, "CARGOGREEN_SET_ENVS", "set-envs", 0, KIND_LIST, NULL, check_env_name,
		"GIT_AUTH_TOKEN,TYPENUM_BUILD_CONSTS",
		"Environment variables passed from here to every compile and build script run.\n"
		"A variable whose name looks secret (it holds TOKEN, SECRET, PASSWORD, PASSWD,\n"
		"CREDENTIAL, PRIVATE, AUTH or KEY) goes as a BuildKit secret: its value is never\n"
		"in the Dockerfile, the logs or the cache; the stage holds a digest of it keyed\n"
		"on this machine, so a new value rebuilds. Other values are written in the\n"
		"stage. Either way, after a change, cargo clean so that cargo asks again." },
	[S_BASE_IMAGE_INLINE] = { S_BASE_IMAGE_INLINE, "CARGOGREEN_BASE_IMAGE_INLINE", "base-image-inline", 0,
		KIND_TEXT, NULL, check_inline, "FROM docker.io/library/rust:1 AS rust-base",
		"Dockerfile stages whose last one (FROM ... AS NAME) becomes the base of every\n"
		"compile. It is built once per run into an image of the engine, tagged by its\n"
		"text; its rustc must be the local one. A FROM line may name the image it would\n"
		"otherwise be (BASE_IMAGE, or the derived one) as ${CARGOGREEN_BASE}. With\n"
		"ADD_APT, ADD_APT_GET or ADD_APK, `supergreen env` shows the generated text." },
	[S_WITH_NETWORK] = { S_WITH_NETWORK, "CARGOGREEN_WITH_NETWORK", "with-network", 0, KIND_TEXT, "none",
		check_network, "default",
		"The network of compiles and of base stages: none (default), default or host.\n"
		"Compiles run with it; the base image's own stages (base-image-inline) too,\n"
		"except that installing ADD_APT/ADD_APT_GET/ADD_APK packages always has the\n"
		"network (the host's, or the engine's default one with default). Use none\n"
		"with $CARGO_NET_OFFLINE." },
	[S_ADD_APT] = { S_ADD_APT, "CARGOGREEN_ADD_APT", "add.apt", 0, KIND_LIST, NULL, check_package,
		"libpq-dev,pkg-config",
		"OS packages added to the base image with apt install (Debian-based bases).\n"
		"Inspect the result with: cargo green supergreen env CARGOGREEN_BASE_IMAGE_INLINE" },
	[S_ADD_APT_GET] = { S_ADD_APT_GET, "CARGOGREEN_ADD_APT_GET", "add.apt-get", 0, KIND_LIST, NULL, check_package,
		"libpq-dev,pkg-config",
		"OS packages added to the base image with apt-get install (Debian-based bases)." },
	[S_ADD_APK] = { S_ADD_APK, "CARGOGREEN_ADD_APK", "add.apk", 0, KIND_LIST, NULL, check_package,
		"libpq-dev,pkgconf",
		"OS packages added to the base image with apk add (Alpine-based bases)." },
	[S_ADD_APT_FROM_HOST] = { S_ADD_APT_FROM_HOST, "CARGOGREEN_ADD_APT_FROM_HOST", "add.apt-from-host", 0, KIND_BOOL,
		NULL, check_bool, "1",
		"When a unit shows that the base lacks a system library this host has (a\n"
		"pkg-config probe the engine's pkg-config cannot answer, a missing -l library,\n"
		"openssl-sys's or bindgen's probe), install the host's Debian package of it\n"
		"(dpkg -S) into that unit's base with apt, and run the unit again: a -sys crate\n"
		"then builds and links as plain cargo does, instead of failing or falling back\n"
		"to a bundled copy. Units depending on it get the same base. What a crate was\n"
		"found to need is kept per target dir (beside what else was learned of it,\n"
		"under ~/.cache/cargo-green/learned/), so later builds, after cargo clean too,\n"
		"start with it. Unset, one line at the end of the run names the packages and the\n"
		"CARGOGREEN_ADD_APT setting that adds them. Debian-based bases only." },
	[S_INCREMENTAL] = { S_INCREMENTAL, "CARGOGREEN_INCREMENTAL", "incremental", 1, KIND_BOOL, NULL, check_bool,
		"1",
		"Whether to wrap incremental compilation, defaults to false.\n"
		"Cargo asks for it (-C incremental=DIR) for what a developer edits: workspace\n"
		"members and path dependencies, in profiles with incremental on (dev, test).\n"
		"Off (default): such a compile does not go to the engine; the local rustc\n"
		"compiles it with its incremental state in target/, as plain cargo, in a sandbox\n"
		"(bubblewrap) where it sees the paths its stage would (/green/target,\n"
		"/green/cargo, its sources at /green/ws/...): its outputs are stored and hit\n"
		"after cargo clean or in another checkout, like the engine's. The stats line\n"
		"counts it as \"compiled locally (incremental)\". Every other unit (registry\n"
		"dependencies, --release, CARGO_INCREMENTAL=0) goes through the engine, over its\n"
		"outputs if it depends on it. Without a sandbox (no bwrap) it compiles at host\n"
		"paths, unstored, said once. Only with the host-derived base: with\n"
		"BASE_IMAGE, BASE_IMAGE_INLINE or ADD_* set, what the engine builds (proc-macros,\n"
		"native libraries) may not load or link on the host, so they go to the engine.\n"
		"1: incremental compiles go through the engine as well, rustc continuing from\n"
		"the crate's incremental directory, which travels with its stage and comes back." },
	[S_EXPLAIN] = { S_EXPLAIN, "CARGOGREEN_EXPLAIN", "explain", 0, KIND_BOOL, NULL, check_bool, "1",
		"Say why each unit that missed the local store missed: one line per miss at the\n"
		"end of the run, naming the closest earlier build of the same crate and the first\n"
		"input that differs from it: the target, the base image, a feature, a rustc flag,\n"
		"an environment variable, a secret's value, a source file, a dependency's key.\n"
		"Every miss is explained anyway, in the log and for `cargo green supergreen\n"
		"explain [CRATE]`; this prints it too. A miss notes the inputs of its key (short\n"
		"digests, never a value) under ~/.cache/cargo-green/explain/, a few per crate;\n"
		"a hit notes nothing." },
	[S_VERIFY] = { S_VERIFY, "CARGOGREEN_VERIFY", "verify", 0, KIND_TEXT, NULL, verify_check, "0.1",
		"Verify cache hits: build a share of them again with the engine's cache off\n"
		"(BuildKit's no-cache for that unit's stage) and compare the outputs' digests\n"
		"with the hit's. off (default), a share of hits in (0, 1] such as 0.1, all, or\n"
		"strict (all, and a mismatch fails the build); a share or all followed by\n"
		"\",strict\" is strict too. A mismatch is one line naming the crate and the first\n"
		"file that differs, and is counted in the run's summary; the hit's outputs are\n"
		"the ones landed, the fresh ones kept in target/cargo-green/verify/. A unit\n"
		"compiled by the local rustc (incremental) is compiled again by it, in its\n"
		"sandbox." },
};

/* ---- loading ---- */

const char *origin_name(enum origin o)
{
	static const char *names[] = { "default", "workspace", "package", "env" };
	return names[o];
}

void config_log_setup(const struct config *cfg, const char *tag)
{
	log_setup(cfg_get(cfg, S_LOG), cfg_get(cfg, S_LOG_STYLE), cfg_get(cfg, S_LOG_PATH), tag);
}

int config_log_check(const struct config *cfg, struct strbuf *err)
{
	static const char *said[] = { "the default", "from [workspace.metadata.green]", "from [package.metadata.green]",
				      "from the environment" };
	return log_check(cfg_get(cfg, S_LOG), cfg_get(cfg, S_LOG_PATH), said[cfg->v[S_LOG_PATH].origin], err);
}

const struct setting *setting_find(const char *name)
{
	for (unsigned i = 0; i < S__NR; i++) {
		const char *rest;
		if (!strcmp(name, settings[i].env) ||
		    (skip_prefix(settings[i].env, "CARGOGREEN_", &rest) && !strcmp(name, rest)))
			return &settings[i];
	}
	return NULL;
}

/* A value as it can be shown on one line: quoted, newlines escaped, cut. */
static void add_shown(struct strbuf *sb, const char *v)
{
	strbuf_addch(sb, '"');
	for (size_t i = 0; v[i]; i++) {
		if (i == 60) {
			strbuf_addstr(sb, "...");
			break;
		}
		if (v[i] == '\n')
			strbuf_addstr(sb, "\\n");
		else if (v[i] == '"')
			strbuf_addstr(sb, "\\\"");
		else
			strbuf_addch(sb, v[i]);
	}
	strbuf_addch(sb, '"');
}

/* "CARGOGREEN_X="v" (from the environment)" or "x = "v" in [package.metadata.green] of F" */
static void add_source(struct strbuf *err, const struct setting *s, const char *shown, enum origin o, const char *where)
{
	if (o == ORIGIN_ENV) {
		strbuf_addf(err, "%s=", s->env);
		add_shown(err, shown);
		strbuf_addstr(err, " (from the environment)");
	} else {
		strbuf_addf(err, "%s = ", s->toml);
		add_shown(err, shown);
		strbuf_addf(err, " in [%s.metadata.green] of %s", o == ORIGIN_PACKAGE ? "package" : "workspace", where);
	}
}

void setting_toml_example(const struct setting *s, struct strbuf *out)
{
	strbuf_addf(out, "%s = ", s->toml);
	if (s->kind == KIND_LIST) {
		const char *p = s->example;
		strbuf_addstr(out, "[ ");
		while (*p) {
			size_t n = strcspn(p, ",");
			strbuf_addf(out, "\"%.*s\"%s", (int)n, p, p[n] ? ", " : "");
			p += n + !!p[n];
		}
		strbuf_addstr(out, " ]");
	} else if (s->kind == KIND_BOOL) {
		strbuf_addstr(out, !strcmp(s->example, "1") || !strcmp(s->example, "true") ? "true" : "false");
	} else {
		strbuf_addf(out, "\"%s\"", s->example);
	}
}

static void add_example(struct strbuf *err, const struct setting *s, enum origin o)
{
	if (o == ORIGIN_ENV || s->env_only) {
		strbuf_addf(err, " (e.g. %s=", s->env);
		strbuf_add_shquoted(err, s->example);
		strbuf_addch(err, ')');
		return;
	}
	strbuf_addstr(err, " (e.g. ");
	setting_toml_example(s, err);
	strbuf_addch(err, ')');
}

static void value_release(struct config_value *v)
{
	free(v->text);
	free(v->where);
	strvec_clear(&v->list);
	memset(v, 0, sizeof(*v));
	strvec_init(&v->list);
}

/* Check and store a value given as text (lists comma-separated). */
static int set_text(struct config_value *out, const struct setting *s, const char *text, enum origin o,
		    const char *where, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	struct strvec items = STRVEC_INIT;

	if (s->kind == KIND_LIST) {
		const char *p = text;
		for (;;) {
			size_t n = strcspn(p, ",");
			char *item = xstrndup(p, n);
			if (!*item)
				strbuf_addstr(&why, "an entry is empty");
			else if (strvec_find(&items, item) >= 0)
				strbuf_addf(&why, "'%s' is listed twice", item);
			else if (s->check(item, &why) == 0)
				strvec_push(&items, item);
			else
				strbuf_addf(&why, " ('%s')", item);
			free(item);
			if (why.len || !p[n])
				break;
			p += n + 1;
		}
	} else {
		s->check(text, &why);
	}
	if (why.len) {
		add_source(err, s, text, o, where);
		strbuf_addf(err, ": %s", why.buf);
		add_example(err, s, o);
		strbuf_release(&why);
		strvec_clear(&items);
		return -1;
	}
	value_release(out);
	out->text = xstrdup(text);
	out->list = items;
	out->origin = o;
	out->where = where ? xstrdup(where) : NULL;
	return 0;
}

/* A Cargo.toml value (from cargo metadata's JSON) as text, or -1. */
static int toml_text(const struct setting *s, const struct json *j, enum origin o, const char *where,
		     struct strbuf *out, struct strbuf *err)
{
	const char *want = s->kind == KIND_LIST ? "an array of strings" : s->kind == KIND_BOOL ? "a boolean" : "a string";
	if (s->kind == KIND_LIST && j->type == JV_ARRAY) {
		for (size_t i = 0; i < j->nr; i++) {
			if (j->items[i].type != JV_STRING) {
				strbuf_addf(err, "%s in [%s.metadata.green] of %s: must be an array of strings, but entry %zu is %s",
					    s->toml, o == ORIGIN_PACKAGE ? "package" : "workspace", where, i + 1,
					    json_type_name(j->items[i].type));
				add_example(err, s, o);
				return -1;
			}
			if (strchr(j->items[i].str, ',') || !*j->items[i].str) {
				strbuf_addf(err, "%s in [%s.metadata.green] of %s: entry %zu ", s->toml,
					    o == ORIGIN_PACKAGE ? "package" : "workspace", where, i + 1);
				add_shown(err, j->items[i].str);
				strbuf_addstr(err, *j->items[i].str ? " holds a comma" : " is empty");
				add_example(err, s, o);
				return -1;
			}
			strbuf_addf(out, "%s%s", i ? "," : "", j->items[i].str);
		}
		if (!j->nr) {
			strbuf_addf(err, "%s in [%s.metadata.green] of %s: the list is empty (remove the key for none)",
				    s->toml, o == ORIGIN_PACKAGE ? "package" : "workspace", where);
			add_example(err, s, o);
			return -1;
		}
		return 0;
	}
	if (s->kind == KIND_BOOL && (j->type == JV_TRUE || j->type == JV_FALSE)) {
		strbuf_addstr(out, j->type == JV_TRUE ? "true" : "false");
		return 0;
	}
	if (s->kind != KIND_LIST && j->type == JV_STRING) {
		strbuf_addstr(out, j->str);
		return 0;
	}
	strbuf_addf(err, "%s in [%s.metadata.green] of %s: must be %s, not %s", s->toml,
		    o == ORIGIN_PACKAGE ? "package" : "workspace", where, want, json_type_name(j->type));
	add_example(err, s, o);
	return -1;
}

/* The JSON value of a dotted key ("add.apt") in a green table. */
static const struct json *toml_lookup(const struct json *green, const char *key)
{
	const char *dot = strchr(key, '.');
	if (!dot)
		return json_get(green, key);
	{
		char *head = xstrndup(key, (size_t)(dot - key));
		const struct json *t = json_get(green, head);
		free(head);
		return json_get(t, dot + 1);
	}
}

/* Refuse keys of a green table that are not settings, or env-only ones. */
static int toml_check_keys(const struct json *green, enum origin o, const char *where, struct strbuf *err)
{
	const char *section = o == ORIGIN_PACKAGE ? "package" : "workspace";
	if (green->type != JV_OBJECT) {
		strbuf_addf(err, "[%s.metadata.green] of %s: must be a table, not %s", section, where,
			    json_type_name(green->type));
		return -1;
	}
	for (size_t i = 0; i < green->nr; i++) {
		const char *k = green->keys[i];
		const struct json *sub = &green->items[i];
		size_t klen = strlen(k);
		int known = 0;
		for (unsigned n = 0; n < S__NR && !known; n++) {
			const char *t = settings[n].toml;
			if (!strcmp(t, k)) {
				known = 1;
				if (settings[n].env_only) {
					strbuf_addf(err, "%s in [%s.metadata.green] of %s: this setting is read from the environment only; remove it there and set %s instead (e.g. %s=",
						    k, section, where, settings[n].env, settings[n].env);
					strbuf_add_shquoted(err, settings[n].example);
					strbuf_addch(err, ')');
					return -1;
				}
			} else if (!strncmp(t, k, klen) && t[klen] == '.') {
				known = 1;
				if (sub->type != JV_OBJECT) {
					strbuf_addf(err, "%s in [%s.metadata.green] of %s: must be a table, not %s (e.g. %s = [ \"pkg-config\" ])",
						    k, section, where, json_type_name(sub->type), t);
					return -1;
				}
				for (size_t m = 0; m < sub->nr; m++) {
					struct strbuf full = STRBUF_INIT;
					int ok = 0;
					strbuf_addf(&full, "%s.%s", k, sub->keys[m]);
					for (unsigned q = 0; q < S__NR; q++)
						ok |= !strcmp(settings[q].toml, full.buf);
					if (!ok) {
						strbuf_addf(err, "%s in [%s.metadata.green] of %s: unknown key (known under %s: ",
							    full.buf, section, where, k);
						for (unsigned q = 0, first = 1; q < S__NR; q++)
							if (!strncmp(settings[q].toml, k, klen) && settings[q].toml[klen] == '.') {
								strbuf_addf(err, "%s%s", first ? "" : ", ", settings[q].toml);
								first = 0;
							}
						strbuf_addch(err, ')');
						strbuf_release(&full);
						return -1;
					}
					strbuf_release(&full);
				}
			}
		}
		if (!known) {
			strbuf_addf(err, "%s in [%s.metadata.green] of %s: unknown key (see `cargo green supergreen doc` for the settings, e.g. base-image = \"docker-image://rust:1\")",
				    k, section, where);
			return -1;
		}
	}
	return 0;
}

static int load_toml_layer(struct config *cfg, const struct json *green, enum origin o, const char *where,
			   struct strbuf *err)
{
	if (!green)
		return 0;
	if (toml_check_keys(green, o, where, err) < 0)
		return -1;
	for (unsigned i = 0; i < S__NR; i++) {
		const struct json *j;
		struct strbuf text = STRBUF_INIT;
		if (settings[i].env_only || !(j = toml_lookup(green, settings[i].toml)))
			continue;
		if (toml_text(&settings[i], j, o, where, &text, err) < 0 ||
		    set_text(&cfg->v[i], &settings[i], text.buf, o, where, err) < 0) {
			strbuf_release(&text);
			return -1;
		}
		strbuf_release(&text);
	}
	return 0;
}

static int truthy(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "true"));
}

static void load_defaults(struct config *cfg)
{
	const char *tmp = getenv("TMPDIR");
	struct strbuf err = STRBUF_INIT;

	memset(cfg, 0, sizeof(*cfg));
	for (unsigned i = 0; i < S__NR; i++)
		strvec_init(&cfg->v[i].list);
	for (unsigned i = 0; i < S__NR; i++) {
		const char *def = settings[i].def;
		struct strbuf p = STRBUF_INIT;
		if (i == S_LOG_PATH) {
			strbuf_addf(&p, "%s/cargo-green.log", tmp && *tmp ? tmp : "/tmp");
			def = p.buf;
		}
		if (def && set_text(&cfg->v[i], &settings[i], def, ORIGIN_DEFAULT, NULL, &err) < 0)
			die("BUG: default of %s: %s", settings[i].env, err.buf);
		strbuf_release(&p);
	}
	strbuf_release(&err);
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* The environment over what is loaded, then the typed views. */
static int load_env(struct config *cfg, struct strbuf *err)
{
	for (unsigned i = 0; i < S__NR; i++) {
		const char *v = getenv(settings[i].env);
		if (!v)
			continue;
		/* An empty BUILDX_BUILDER means something; an empty CARGOGREEN_X is unset. */
		if (!*v && i != S_BUILDX_BUILDER)
			continue;
		if (set_text(&cfg->v[i], &settings[i], v, ORIGIN_ENV, NULL, err) < 0)
			return -1;
	}

	{
		const char *r = cfg_get(cfg, S_RUNNER);
		cfg->runner = !strcmp(r, "none") ? RUNNER_NONE : !strcmp(r, "podman") ? RUNNER_PODMAN : RUNNER_DOCKER;
	}
	cfg->incremental = truthy(cfg_get(cfg, S_INCREMENTAL));
	cfg->add_apt_from_host = truthy(cfg_get(cfg, S_ADD_APT_FROM_HOST));
	cfg->cache_private = truthy(cfg_get(cfg, S_CACHE_PRIVATE));
	{
		struct strbuf why = STRBUF_INIT;
		if (store_size_parse(cfg_get(cfg, S_CACHE_SIZE), &cfg->cache_size, &why) < 0)
			cfg->cache_size = 0; /* (checked when set) */
		strbuf_release(&why);
	}
	cfg->final_path_nonprimary = truthy(cfg_get(cfg, S_FINAL_PATH_NONPRIMARY));
	cfg->explain = truthy(cfg_get(cfg, S_EXPLAIN));
	if (cfg_get(cfg, S_VERIFY)) {
		struct strbuf why = STRBUF_INIT;
		verify_parse(cfg_get(cfg, S_VERIFY), &cfg->verify_share, &cfg->verify_strict, &why);
		strbuf_release(&why);
	}
	{
		const char *st = getenv(STATS_ENV);
		cfg->stats_path = st && *st ? xstrdup(st) : NULL;
	}
	cfg->cargo.rustc = env_nonempty("RUSTC");
	cfg->cargo.manifest_dir = env_nonempty("CARGO_MANIFEST_DIR");
	cfg->cargo.pkg_name = env_nonempty("CARGO_PKG_NAME");
	cfg->cargo.out_dir = env_nonempty("OUT_DIR");
	cfg->cargo.bin_name = env_nonempty("CARGO_BIN_NAME");
	cfg->cargo.primary_package = env_nonempty("CARGO_PRIMARY_PACKAGE");
	return 0;
}

/* A refusal echoes what it refuses (a value, a key, a manifest's path):
 * its control characters are escapes, the message one line. */
static int refused(struct strbuf *err, size_t from)
{
	strbuf_escape_controls(err, from);
	return -1;
}

int config_load(struct config *cfg, const struct config_toml *toml, struct strbuf *err)
{
	size_t from = err->len;
	load_defaults(cfg);
	if (toml && (load_toml_layer(cfg, toml->workspace, ORIGIN_WORKSPACE, toml->workspace_path, err) < 0 ||
		     load_toml_layer(cfg, toml->package, ORIGIN_PACKAGE, toml->package_path, err) < 0))
		return refused(err, from);
	return load_env(cfg, err) < 0 ? refused(err, from) : 0;
}

/* ---- the handoff: Cargo.toml's settings, from the plugin to its wrappers ---- */

static void add_field(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '\t');
	for (; *s; s++) {
		if (*s == '\\' || *s == '\t' || *s == '\n') {
			strbuf_addch(out, '\\');
			strbuf_addch(out, *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\');
		} else {
			strbuf_addch(out, *s);
		}
	}
}

void config_handoff_value(struct strbuf *out, int layer, const struct setting *s, const char *where, const char *value)
{
	if (layer < 0)
		strbuf_addch(out, 'w');
	else
		strbuf_addf(out, "v\t%d", layer);
	add_field(out, s->env);
	add_field(out, where ? where : "");
	add_field(out, value);
	strbuf_addch(out, '\n');
}

void config_handoff_dir(struct strbuf *out, int layer, const char *dir)
{
	strbuf_addf(out, "d\t%d", layer);
	add_field(out, dir);
	strbuf_addch(out, '\n');
}

/* Split one line into its tab-separated fields, unescaped. Returns the count. */
static size_t split_line(const char *line, size_t len, struct strvec *fields)
{
	struct strbuf f = STRBUF_INIT;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || line[i] == '\t') {
			strvec_push(fields, f.buf);
			strbuf_reset(&f);
		} else if (line[i] == '\\' && i + 1 < len) {
			i++;
			strbuf_addch(&f, line[i] == 't' ? '\t' : line[i] == 'n' ? '\n' : line[i]);
		} else {
			strbuf_addch(&f, line[i]);
		}
	}
	strbuf_release(&f);
	return fields->nr;
}

/* The handoff's text: handoff itself, or the file "@FILE" names (too large
 * for the environment, the plugin wrote it). NULL with err if unreadable. */
static const char *handoff_text(const char *handoff, struct strbuf *file, struct strbuf *err)
{
	if (!handoff || *handoff != '@')
		return handoff;
	if (strbuf_read_file(file, handoff + 1) < 0) {
		strbuf_addf(err, "cannot read the settings cargo green handed over (%s)", handoff + 1);
		return NULL;
	}
	return file->buf;
}

void config_handoff_layers(const char *handoff, struct strvec *dirs)
{
	struct strbuf file = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec seen = STRVEC_INIT;
	handoff = handoff_text(handoff, &file, &err);
	for (const char *line = handoff; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		struct strvec f = STRVEC_INIT;
		if (split_line(line, (size_t)(nl - line), &f) == 3 && !strcmp(f.v[0], "d") && strvec_find(&seen, f.v[1]) < 0) {
			strvec_push(&seen, f.v[1]);
			strvec_push(dirs, f.v[2]);
		}
		strvec_clear(&f);
		line = *nl ? nl + 1 : nl;
	}
	strvec_clear(&seen);
	strbuf_release(&file);
	strbuf_release(&err);
}

int config_load_handoff(struct config *cfg, const char *handoff, const char *dir, struct strbuf *err)
{
	struct strbuf file = STRBUF_INIT;
	long layer = -1;
	size_t from = err->len;

	load_defaults(cfg);
	if (handoff && !(handoff = handoff_text(handoff, &file, err)))
		return refused(err, from);
	/* Two passes: the unit's layer number (a "d" line naming dir), then the values. */
	for (int pass = 0; handoff && pass < 2; pass++) {
		for (const char *line = handoff; *line;) {
			const char *nl = strchrnul(line, '\n');
			struct strvec f = STRVEC_INIT;
			size_t n = split_line(line, (size_t)(nl - line), &f);
			if (pass == 0 && n == 3 && !strcmp(f.v[0], "d") && dir && !strcmp(f.v[2], dir))
				layer = atol(f.v[1]);
			if (pass == 1 && ((n == 4 && !strcmp(f.v[0], "w")) ||
					  (n == 5 && !strcmp(f.v[0], "v") && layer >= 0 && atol(f.v[1]) == layer))) {
				const char **v = f.v + (n == 4 ? 1 : 2);
				const struct setting *s = setting_find(v[0]);
				enum origin o = n == 4 ? ORIGIN_WORKSPACE : ORIGIN_PACKAGE;
				if (s && set_text(&cfg->v[s->id], s, v[2], o, *v[1] ? v[1] : NULL, err) < 0) {
					strvec_clear(&f);
					strbuf_release(&file);
					return refused(err, from);
				}
			}
			strvec_clear(&f);
			line = *nl ? nl + 1 : nl;
		}
	}
	strbuf_release(&file);
	return load_env(cfg, err) < 0 ? refused(err, from) : 0;
}

void config_release(struct config *cfg)
{
	for (unsigned i = 0; i < S__NR; i++)
		value_release(&cfg->v[i]);
	free(cfg->stats_path);
	memset(cfg, 0, sizeof(*cfg));
}
