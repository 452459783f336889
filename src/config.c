#include "config.h"
#include "log.h"
#include "util.h"
#include "banned.h"

#include <stdlib.h>
#include <string.h>

static int parse_runner(struct config *cfg, const char *v, struct strbuf *err)
{
	if (!strcmp(v, "docker"))
		cfg->runner = RUNNER_DOCKER;
	else if (!strcmp(v, "none"))
		cfg->runner = RUNNER_NONE;
	else if (!strcmp(v, "podman")) {
		strbuf_addstr(err, "CARGOGREEN_RUNNER: 'podman' is not supported yet (use CARGOGREEN_RUNNER=docker or CARGOGREEN_RUNNER=none)");
		return -1;
	} else {
		strbuf_addf(err, "CARGOGREEN_RUNNER: '%s' is not a runner (expected docker, podman or none, e.g. CARGOGREEN_RUNNER=docker)", v);
		return -1;
	}
	return 0;
}

static int parse_base_image(struct config *cfg, const char *v, struct strbuf *err)
{
	const char *name;
	if (!skip_prefix(v, "docker-image://", &name) || !*name || strpbrk(name, " \t\n\"'")) {
		strbuf_addf(err, "CARGOGREEN_BASE_IMAGE: '%s' is not an image reference (expected docker-image://NAME[:TAG][@sha256:...], e.g. docker-image://rust:1.95.0-slim)", v);
		return -1;
	}
	cfg->base_image = xstrdup(v);
	return 0;
}

static int parse_log(struct config *cfg, const char *v, struct strbuf *err)
{
	int level = log_level_parse(v);
	if (level < 0) {
		strbuf_addf(err, "CARGOGREEN_LOG: '%s' is not a log filter (expected a level: error, warn, info, debug or trace, e.g. CARGOGREEN_LOG=info)", v);
		return -1;
	}
	cfg->log_filter = xstrdup(v);
	cfg->log_level = level;
	return 0;
}

static int parse_log_path(struct config *cfg, const char *v, struct strbuf *err)
{
	if (!*v) {
		strbuf_addstr(err, "CARGOGREEN_LOG_PATH: the path is empty (e.g. CARGOGREEN_LOG_PATH=/tmp/cargo-green.log)");
		return -1;
	}
	free(cfg->log_path);
	cfg->log_path = xstrdup(v);
	return 0;
}

static int parse_log_style(struct config *cfg, const char *v, struct strbuf *err)
{
	if (strcmp(v, "auto") && strcmp(v, "always") && strcmp(v, "never")) {
		strbuf_addf(err, "CARGOGREEN_LOG_STYLE: '%s' is not a style (expected auto, always or never, e.g. CARGOGREEN_LOG_STYLE=never)", v);
		return -1;
	}
	cfg->log_style = xstrdup(v);
	return 0;
}

static int parse_stats(struct config *cfg, const char *v, struct strbuf *err)
{
	(void)err;
	cfg->stats_path = *v ? xstrdup(v) : NULL;
	return 0;
}

const struct setting settings[] = {
	{ "CARGOGREEN_LOG_PATH", NULL, NULL, parse_log_path, "Path to a text file to write logs." },
	{ "CARGOGREEN_LOG", NULL, NULL, parse_log, "Filter logs, like $RUST_LOG (e.g. info)." },
	{ "CARGOGREEN_LOG_STYLE", NULL, "auto", parse_log_style, "Style logs, like $RUST_LOG_STYLE." },
	{ "CARGOGREEN_RUNNER", NULL, "docker", parse_runner, "Which executor to use: docker (default), podman or none." },
	{ "CARGOGREEN_BASE_IMAGE", "base-image", NULL, parse_base_image, "The base Rust image, as docker-image://NAME; default: derived from the local toolchain." },
	{ STATS_ENV, NULL, NULL, parse_stats, "Internal: where wrappers append their statistics." },
};
const unsigned settings_nr = ARRAY_SIZE(settings);

int config_load(struct config *cfg, struct strbuf *err)
{
	const char *tmp = getenv("TMPDIR");
	memset(cfg, 0, sizeof(*cfg));
	cfg->runner = RUNNER_DOCKER;
	{
		struct strbuf p = STRBUF_INIT;
		strbuf_addf(&p, "%s/cargo-green.log", tmp && *tmp ? tmp : "/tmp");
		cfg->log_path = strbuf_detach(&p, NULL);
	}
	for (unsigned i = 0; i < settings_nr; i++) {
		const char *v = getenv(settings[i].env);
		if (!v)
			v = settings[i].def;
		if (!v)
			continue;
		if (settings[i].parse(cfg, v, err) < 0)
			return -1;
	}
	return 0;
}

void config_release(struct config *cfg)
{
	free(cfg->base_image);
	free(cfg->log_filter);
	free(cfg->log_path);
	free(cfg->log_style);
	free(cfg->stats_path);
	memset(cfg, 0, sizeof(*cfg));
}
