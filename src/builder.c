#include "builder.h"
#include "paths.h"
#include "config.h"
#include "dockerctx.h"
#include "engine.h"
#include "exitcode.h"
#include "fs.h"
#include "hash.h"
#include "log.h"
#include "remote.h"
#include "run.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1 the builder exists, 0 not (or it cannot be asked), or
 * ENGINE_STUCK with one line in err. */
static int builder_exists(const struct config *cfg, const char *name, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	int rc = engine_cli(cfg, (const char *[]){ "buildx", "inspect", name, NULL }, &out, err);
	strbuf_release(&out);
	return rc == ENGINE_STUCK ? rc : rc == 0;
}

static int create_managed(const struct config *cfg, const char *image, struct strbuf *err)
{
	struct strbuf toml = STRBUF_INIT, path = STRBUF_INIT, opt = STRBUF_INIT, out = STRBUF_INIT,
		      conf = STRBUF_INIT;
	const struct strvec *mirrors = cfg_list(cfg, S_REGISTRY_MIRRORS);
	int rc, ret = 0;

	strbuf_addstr(&toml, "[registry.\"docker.io\"]\n  mirrors = [");
	for (size_t i = 0; i < mirrors->nr; i++)
		strbuf_addf(&toml, "%s\"%s\"", i ? ", " : "", mirrors->v[i]);
	strbuf_addstr(&toml, "]\n");
	state_dir(&path);
	mkdir_p(path.buf, 0755);
	strbuf_addstr(&path, "/buildkitd.toml");
	if (write_file_atomic(path.buf, toml.buf, toml.len, 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path.buf, strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	strbuf_addf(&opt, "image=%s", image);
	strbuf_addf(&conf, "--buildkitd-config=%s", path.buf);
	rc = engine_cli_long(cfg, (const char *[]){ "buildx", "create", "--name", MANAGED_BUILDER, "--driver", "docker-container",
					"--driver-opt", opt.buf, conf.buf, "--bootstrap", NULL },
		 &out, err);
	if (rc == ENGINE_STUCK) {
		ret = EXIT_ENGINE_UNREACHABLE;
	} else if (rc) {
		strbuf_rtrim(&out);
		strbuf_addf(err, "cannot create the builder " MANAGED_BUILDER " with %s: %s (set BUILDX_BUILDER= to use the default builder)",
			    image, rc < 0 ? "the docker CLI is missing" : out.buf);
		ret = EXIT_ENGINE_FAILED;
	}
out:
	strbuf_release(&toml);
	strbuf_release(&path);
	strbuf_release(&opt);
	strbuf_release(&out);
	strbuf_release(&conf);
	return ret;
}

/* A builder of buildx's own whose driver is not docker's cannot see the
 * engine's image store, where the derived base image is: 1 with one line in
 * err when name is such a builder, else 0. */
static int foreign_builder(const char *name, struct strbuf *err)
{
	struct strbuf driver = STRBUF_INIT, endpoint = STRBUF_INIT;
	int yes = dockerctx_buildx_instance(name, &driver, &endpoint) == 0 && strcmp(driver.buf, "docker");
	if (yes)
		strbuf_addf(err, "BUILDX_BUILDER=%s is a builder of the %s driver (at %s), which does not see the engine's image store where cargo-green makes its base image: point DOCKER_HOST (or DOCKER_CONTEXT) at that engine instead (e.g. DOCKER_HOST=ssh://HOST), or set CARGOGREEN_BASE_IMAGE to an image that builder can pull",
			    name, driver.buf, endpoint.len ? endpoint.buf : "its default endpoint");
	strbuf_release(&driver);
	strbuf_release(&endpoint);
	return yes;
}

int builder_resolve(const struct config *cfg, struct strbuf *out, struct strbuf *note, struct strbuf *err)
{
	const char *want = cfg_get(cfg, S_BUILDX_BUILDER);
	const char *image = cfg_get(cfg, S_BUILDER_IMAGE) + strlen("docker-image://");
	struct strbuf o = STRBUF_INIT;
	const char *bk;
	int ret = 0, rc = 0;

	/* buildx does not read BUILDKIT_HOST for builds (only `buildx create
	 * --driver remote` does, for its endpoint): it would be ignored. */
	if ((bk = getenv("BUILDKIT_HOST")) && *bk) {
		strbuf_addf(err, "BUILDKIT_HOST=%s is not read by docker buildx, through which cargo-green builds: for a remote docker engine set DOCKER_HOST=ssh://HOST (or DOCKER_CONTEXT); for that BuildKit daemon make it a builder (`docker buildx create --name NAME --driver remote %s`) and set BUILDX_BUILDER=NAME and CARGOGREEN_BASE_IMAGE; or unset BUILDKIT_HOST",
			    bk, bk);
		return EXIT_USAGE;
	}
	if (want && *want && dockerctx_run()->from == CTX_BUILDER) {
		/* A docker context's own builder: its engine, which the run reaches
		 * by ssh forward (remote.h; its default builder), or as buildx would. */
		strbuf_addstr(out, remote_active() ? "" : want);
		return 0;
	}
	if (want && *want && strcmp(want, MANAGED_BUILDER) && !cfg_get(cfg, S_BASE_IMAGE) && foreign_builder(want, err))
		return EXIT_USAGE;
	if (want) {
		if (!strcmp(want, MANAGED_BUILDER) && (rc = builder_exists(cfg, want, err)) == ENGINE_STUCK)
			return EXIT_ENGINE_UNREACHABLE;
		if (!strcmp(want, MANAGED_BUILDER) && !rc) {
			strbuf_addf(err, "BUILDX_BUILDER=" MANAGED_BUILDER " names no builder of the engine at %s (unset BUILDX_BUILDER to let cargo-green manage it, or set BUILDX_BUILDER= for the default builder)",
				    engine_where());
			return EXIT_USAGE;
		}
		if (*want && strcmp(want, MANAGED_BUILDER)) {
			/* Once here, not once per compile: buildx keeps its builders on
			 * the client, so this is cheap and needs no engine. */
			struct strbuf o2 = STRBUF_INIT;
			int missing;
			rc = engine_cli(cfg, (const char *[]){ "buildx", "inspect", want, NULL }, &o2, err);
			missing = rc > 0 && strstr(o2.buf, "no builder");
			strbuf_release(&o2);
			if (rc == ENGINE_STUCK)
				return EXIT_ENGINE_UNREACHABLE;
			if (missing) {
				strbuf_addf(err, "BUILDX_BUILDER=%s names no builder (see `docker buildx ls`; unset BUILDX_BUILDER to let cargo-green manage one, or set BUILDX_BUILDER= for the default builder)",
					    want);
				return EXIT_USAGE;
			}
			strbuf_reset(err);
		}
		strbuf_addstr(out, want);
		return 0;
	}
	if (!cfg_get(cfg, S_BASE_IMAGE)) {
		/* The derived base image lives in the engine's image store, which only
		 * its own (default) builder sees. */
		LOG(LOG_INFO, "default builder: the base image is made in the engine's image store");
		return 0;
	}
	if ((rc = builder_exists(cfg, MANAGED_BUILDER, err)) == ENGINE_STUCK)
		return EXIT_ENGINE_UNREACHABLE;
	if (rc) {
		strbuf_addstr(out, MANAGED_BUILDER);
		return 0;
	}
	strbuf_reset(err);
	if ((rc = engine_cli(cfg, (const char *[]){ "image", "inspect", "--format={{.Id}}", image, NULL }, &o, err)) == ENGINE_STUCK) {
		ret = EXIT_ENGINE_UNREACHABLE;
		goto out;
	}
	if (rc) {
		struct strbuf stamp = STRBUF_INIT, key = STRBUF_INIT;
		char hex[17];
		LOG(LOG_INFO, "default builder: no builder image %s", image);
		strbuf_reset(err);
		/* Said once per engine and image; the log has it every time. */
		state_dir(&stamp);
		strbuf_addf(&key, "%s\n%s", engine_host(), image);
		hash_hex(key.buf, hex);
		strbuf_addf(&stamp, "/base/builder-note-%s", hex);
		if (access(stamp.buf, F_OK)) {
			strbuf_addf(note, "cargo-green: using the engine's default builder: the builder image %s is not in the engine at %s and no registry gave it (load it there, or set BUILDX_BUILDER= to use the default builder without this note)",
				    image, engine_where());
			write_file_atomic(stamp.buf, "", 0, 0644);
		}
		strbuf_release(&stamp);
		strbuf_release(&key);
		goto out;
	}
	if ((ret = create_managed(cfg, image, err)))
		goto out;
	strbuf_addstr(out, MANAGED_BUILDER);
out:
	strbuf_release(&o);
	return ret;
}
