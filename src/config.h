/* config.h: cargo-green's settings, the only process-wide state, read-only
 * after config_load().
 *
 * Every setting is one row of the table in config.c: its environment name,
 * its key under [package.metadata.green] (or none: environment only), its
 * kind, default, validator, example and documentation. Parsing, validation,
 * `supergreen env`, `supergreen doc` and the tests all read that table.
 *
 * Precedence, lowest first: default, [workspace.metadata.green],
 * [package.metadata.green], CARGOGREEN_* environment. */
#ifndef CONFIG_H
#define CONFIG_H

#include "strbuf.h"
#include "strvec.h"

struct json;

enum setting_id {
	S_LOG_PATH,
	S_LOG,
	S_LOG_STYLE,
	S_RUNNER,
	S_BUILDX_BUILDER,
	S_BUILDER_IMAGE,
	S_SYNTAX_IMAGE,
	S_REGISTRY_MIRRORS,
	S_CACHE_IMAGES,
	S_CACHE_FROM_IMAGES,
	S_CACHE_TO_IMAGES,
	S_CACHE_PRIVATE,
	S_CACHE_SIZE,
	S_FINAL_PATH,
	S_FINAL_PATH_NONPRIMARY,
	S_BASE_IMAGE,
	S_SET_ENVS,
	S_BASE_IMAGE_INLINE,
	S_WITH_NETWORK,
	S_ADD_APT,
	S_ADD_APT_GET,
	S_ADD_APK,
	S_ADD_APT_FROM_HOST,
	S_INCREMENTAL,
	S_EXPLAIN,
	S_VERIFY,
	S__NR
};

enum origin { ORIGIN_DEFAULT, ORIGIN_WORKSPACE, ORIGIN_PACKAGE, ORIGIN_ENV };

enum setting_kind { KIND_TEXT, KIND_LIST, KIND_BOOL };

struct setting {
	enum setting_id id;
	const char *env;       /* CARGOGREEN_RUNNER */
	const char *toml;      /* key under [package.metadata.green], dotted for tables ("add.apt") */
	int env_only;          /* the spec names no Cargo.toml setting: the key is refused there */
	enum setting_kind kind;
	const char *def;       /* default as text, NULL: unset */
	/* Check one value (one item of a list). 0, or -1 with what is wrong in why. */
	int (*check)(const char *value, struct strbuf *why);
	const char *example;   /* a valid value */
	const char *doc;       /* documentation, first line a summary */
};

extern const struct setting settings[S__NR];

struct config_value {
	char *text;            /* as an environment variable would hold it; NULL: unset */
	struct strvec list;    /* KIND_LIST: the items */
	enum origin origin;
	char *where;           /* the Cargo.toml it came from, for ORIGIN_WORKSPACE/PACKAGE */
};

enum runner { RUNNER_DOCKER, RUNNER_PODMAN, RUNNER_NONE };

struct config {
	struct config_value v[S__NR];
	/* Typed views of some values, set by config_load(). */
	enum runner runner;
	int log_level;
	int incremental;
	int add_apt_from_host;
	int cache_private;
	long long cache_size;   /* S_CACHE_SIZE in bytes, 0: no limit */
	int final_path_nonprimary;
	int explain;
	double verify_share;   /* CARGOGREEN_VERIFY: the share of hits rebuilt and compared (0: none) */
	int verify_strict;     /* ...and a mismatch fails the build */
	/* Internal, set by `cargo green` for its wrappers: where each wrapper
	 * appends one line of statistics. NULL when not run under the plugin. */
	char *stats_path;
	/* What cargo says to the process it runs, read from the environment
	 * once by config_load*() (borrowed from it; NULL when unset or empty):
	 * the modules read these, never getenv, and a test sets them here. */
	struct cargo_vars {
		const char *rustc;           /* RUSTC: the rustc cargo uses */
		const char *manifest_dir;    /* CARGO_MANIFEST_DIR: the unit's package */
		const char *pkg_name;        /* CARGO_PKG_NAME */
		const char *out_dir;         /* OUT_DIR: its build script's output */
		const char *bin_name;        /* CARGO_BIN_NAME: a bin target's name */
		const char *primary_package; /* CARGO_PRIMARY_PACKAGE: named on cargo's command line */
	} cargo;
};

/* Cargo.toml settings: the `green` tables of the workspace and of the
 * package being built, with the manifest each came from. Any may be NULL. */
struct config_toml {
	const struct json *workspace;
	const char *workspace_path;
	const struct json *package;
	const char *package_path;
};

/* Fill cfg from toml (may be NULL) and the environment. -1 with one line in
 * err naming the setting, where it came from, what is wrong and a valid
 * example. */
int config_load(struct config *cfg, const struct config_toml *toml, struct strbuf *err);
void config_release(struct config *cfg);

/* The handoff: Cargo.toml's settings as `cargo green` resolved them, for its
 * wrappers, which do not run cargo metadata. One line per entry, fields
 * tab-separated and escaped (\\, \t, \n):
 *   w ENV WHERE VALUE      the workspace's value, for every unit
 *   v N ENV WHERE VALUE    a value of package layer N
 *   d N DIR                the units of the package in DIR get layer N
 * The plugin passes it in HANDOFF_ENV (or "@FILE" when it is large). */
void config_handoff_value(struct strbuf *out, int layer, const struct setting *s, const char *where, const char *value);
void config_handoff_dir(struct strbuf *out, int layer, const char *dir);
/* config_load, the Cargo.toml layers coming from a handoff text (NULL:
 * none), for the unit of the package in dir (NULL: the workspace's only). */
int config_load_handoff(struct config *cfg, const char *handoff, const char *dir, struct strbuf *err);
/* One package directory of each layer of a handoff, appended to dirs. */
void config_handoff_layers(const char *handoff, struct strvec *dirs);

/* The value of a setting, NULL when unset. */
static inline const char *cfg_get(const struct config *cfg, enum setting_id id)
{
	return cfg->v[id].text;
}
static inline const struct strvec *cfg_list(const struct config *cfg, enum setting_id id)
{
	return &cfg->v[id].list;
}

/* A setting by its environment name, with or without CARGOGREEN_; NULL if none. */
const struct setting *setting_find(const char *name);
/* log_setup() and log_check() with cfg's CARGOGREEN_LOG, _LOG_STYLE and _LOG_PATH. */
void config_log_setup(const struct config *cfg, const char *tag);
int config_log_check(const struct config *cfg, struct strbuf *err);
const char *origin_name(enum origin o);
/* `key = "example"` or `key = [ "a", "b" ]`: the setting in Cargo.toml. */
void setting_toml_example(const struct setting *s, struct strbuf *out);


#endif
