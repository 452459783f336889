/* config.h: the parsed settings, the only process-wide state, read-only after
 * config_load(). Every setting is a row of the table in config.c. */
#ifndef CONFIG_H
#define CONFIG_H

#include "strbuf.h"

enum runner { RUNNER_DOCKER, RUNNER_PODMAN, RUNNER_NONE };

struct config {
	enum runner runner;
	char *base_image;      /* "docker-image://NAME" or NULL for the derived image */
	char *log_filter;      /* CARGOGREEN_LOG, NULL when unset */
	int log_level;
	char *log_path;
	char *log_style;
	/* Internal, set by `cargo green` for its wrappers: where each wrapper
	 * appends one line of statistics. NULL when not run under the plugin. */
	char *stats_path;
};

struct setting {
	const char *env;       /* CARGOGREEN_RUNNER */
	const char *toml_key;  /* key under [package.metadata.green], NULL: env only */
	const char *def;       /* default as text, NULL: unset */
	int (*parse)(struct config *cfg, const char *value, struct strbuf *err);
	const char *doc;
};

extern const struct setting settings[];
extern const unsigned settings_nr;

/* Fill cfg from the environment. -1 with one line in err naming the setting,
 * what is wrong and a valid example. */
int config_load(struct config *cfg, struct strbuf *err);
void config_release(struct config *cfg);

#define STATS_ENV "__CARGOGREEN_STATS"

#endif
