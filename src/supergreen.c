/* supergreen.c: cargo-green's own commands, one table of them. */
#include "supergreen.h"
#include "base.h"
#include "cache.h"
#include "cachecmd.h"
#include "config.h"
#include "engine.h"
#include "exitcode.h"
#include "explain.h"
#include "plugin.h"
#include "recipe.h"
#include "run.h"
#include "util.h"
#include "version.h"
#include "banned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"Usage:\n"
	"  cargo green supergreen env [ENV ...]   Show the values in effect, and where each comes from\n"
	"  cargo green supergreen doc [ENV ...]   Documentation of the settings\n"
	"  cargo green fetch                      cargo fetch, then prepare the base image (for offline builds)\n"
	"  cargo green supergreen fetch           The same\n"
	"  cargo green supergreen push            Write what the last build used to the cache images\n"
	"  cargo green supergreen cache ls [--sort=name|size|used|hits] [--json]\n"
	"                                         The local store's entries: crate, version, kind, size, last use, hits\n"
	"  cargo green supergreen cache rm CRATE[@VERSION] ... | --all\n"
	"                                         Remove entries of the local store\n"
	"  cargo green supergreen cache gc [--max-size SIZE]\n"
	"                                         Evict least recently used entries (default size: CARGOGREEN_CACHE_SIZE)\n"
	"  cargo green supergreen cache stats [--json | --zero]\n"
	"                                         Hits, misses, pass-throughs, time saved, since the last --zero\n"
	"  cargo green supergreen explain [CRATE] Why each unit of CRATE (all: none named) last missed the local store\n"
	"  cargo green supergreen recipe NAME[@VERSION] [-o FILE]\n"
	"                                         Print the Dockerfile that builds and installs crates.io's NAME\n"
	"                                         as `cargo install --locked` does (it runs that install once)\n"
	"  cargo green supergreen -h | --help\n"
	"  cargo green supergreen -V | --version\n"
	"  cargo green ...any cargo subcommand...\n"
	"\n"
	"`cargo supergreen ...` is the same as `cargo green supergreen ...`.\n";

/* The settings named on the command line (all when none) in a new array
 * (*nr of them), or NULL with a message for an unknown one. */
static const struct setting **pick(int argc, const char **argv, int *nr)
{
	const struct setting **out = xcalloc(argc ? (size_t)argc : S__NR, sizeof(*out));
	if (!argc) {
		for (unsigned i = 0; i < S__NR; i++)
			out[i] = &settings[i];
		*nr = S__NR;
		return out;
	}
	for (int i = 0; i < argc; i++) {
		if (!(out[i] = setting_find(argv[i]))) {
			error("supergreen: '%s' is not a setting (see `cargo green supergreen doc` for all of them)", argv[i]);
			free(out);
			return NULL;
		}
	}
	*nr = argc;
	return out;
}

void settings_env_render(const struct config *cfg, const struct setting *s, const char *shown, const char *note,
			 struct strbuf *out)
{
	const struct config_value *v = &cfg->v[s->id];
	if (!shown) {
		strbuf_addf(out, "# %s is unset\n", s->env);
		return;
	}
	strbuf_addf(out, "%s=", s->env);
	strbuf_add_shquoted(out, shown);
	if (note) {
		strbuf_addf(out, " # %s\n", note);
		return;
	}
	strbuf_addf(out, " # %s", origin_name(v->origin));
	if (v->where)
		strbuf_addf(out, " (%s)", v->where);
	strbuf_addch(out, '\n');
}

static int cmd_env(const struct config *cfg, int argc, const char **argv)
{
	struct strbuf out = STRBUF_INIT, inl = STRBUF_INIT, err = STRBUF_INIT;
	int n, ret = 0;
	const struct setting **picked = pick(argc, argv, &n);
	if (!picked)
		return EXIT_USAGE;
	for (int i = 0; i < n; i++) {
		const char *shown = cfg_get(cfg, picked[i]->id), *note = NULL;
		if (picked[i]->id == S_BASE_IMAGE_INLINE) {
			/* With packages to add, the base is generated: show it. */
			int rc = base_inline_text(cfg, cfg->cargo.rustc ? cfg->cargo.rustc : "rustc", &inl, &err);
			if (rc) {
				error("%s", err.buf);
				ret = rc;
				goto out;
			}
			if (inl.len && (cfg_list(cfg, S_ADD_APT)->nr || cfg_list(cfg, S_ADD_APT_GET)->nr ||
					cfg_list(cfg, S_ADD_APK)->nr))
				note = "generated from the add settings";
			if (inl.len)
				shown = inl.buf;
		}
		settings_env_render(cfg, picked[i], shown, note, &out);
		if (picked[i]->id == S_BASE_IMAGE) {
			/* What the local store's keys (and the registry's tags) are keyed on. */
			const char *rustc = cfg->cargo.rustc ? cfg->cargo.rustc : "rustc";
			struct strbuf ref = STRBUF_INIT, ident = STRBUF_INIT;
			if (cfg->runner == RUNNER_NONE)
				strbuf_addstr(&out, "# base identity: none (CARGOGREEN_RUNNER=none)\n");
			else if (base_identity_describe(cfg, rustc, &ref, &ident) == 0)
				strbuf_addf(&out, "# base identity: %s = %s\n", ref.buf, ident.buf);
			else
				strbuf_addf(&out, "# base identity: %s, not checked on this engine yet (cargo green fetch)\n", ref.buf);
			strbuf_release(&ref);
			strbuf_release(&ident);
		}
	}
	if (fputs(out.buf, stdout) < 0)
		ret = EXIT_IO;
out:
	free(picked);
	strbuf_release(&out);
	strbuf_release(&inl);
	strbuf_release(&err);
	return ret;
}

void settings_doc_render(const struct setting *s, struct strbuf *out)
{
	const char *d = s->doc;
	strbuf_addf(out, "%s\n", s->env);
	while (*d) {
		size_t n = strcspn(d, "\n");
		strbuf_addf(out, "    %.*s\n", (int)n, d);
		d += n + !!d[n];
	}
	strbuf_addstr(out, "    Default: ");
	if (s->def)
		strbuf_addstr(out, s->def);
	else if (s->id == S_LOG_PATH)
		strbuf_addstr(out, "$TMPDIR/cargo-green.log");
	else
		strbuf_addstr(out, "unset");
	strbuf_addstr(out, "\n    Environment: ");
	strbuf_addf(out, "%s=", s->env);
	strbuf_add_shquoted(out, s->example);
	if (s->kind == KIND_LIST)
		strbuf_addstr(out, " (comma-separated)");
	if (s->env_only) {
		strbuf_addstr(out, "\n    Cargo.toml: none, environment only\n");
		return;
	}
	strbuf_addstr(out, "\n    Cargo.toml: [package.metadata.green] or [workspace.metadata.green] ");
	setting_toml_example(s, out);
	strbuf_addch(out, '\n');
}

static int cmd_doc(const struct config *cfg, int argc, const char **argv)
{
	struct strbuf out = STRBUF_INIT;
	int n, ret = 0;
	const struct setting **picked = pick(argc, argv, &n);
	if (!picked)
		return EXIT_USAGE;
	for (int i = 0; i < n; i++) {
		if (i)
			strbuf_addch(&out, '\n');
		settings_doc_render(picked[i], &out);
	}
	if (!argc)
		strbuf_addstr(&out, "\n"
			      "cargo green supergreen cache ...\n"
			      "    The local store (CARGOGREEN_CACHE_SIZE), as ccache's and sccache's:\n"
			      "    cache ls [--sort=name|size|used|hits] [--json]  one line per entry: crate,\n"
			      "        version, kind, size, last use, hits\n"
			      "    cache rm CRATE[@VERSION] ... | --all  remove entries\n"
			      "    cache gc [--max-size SIZE]  evict least recently used entries down to SIZE\n"
			      "    cache stats [--json | --zero]  local and engine hits, misses, pass-throughs by\n"
			      "        reason, time saved, the wrapper's own time, bytes stored, since --zero\n");
	if (fputs(out.buf, stdout) < 0)
		ret = EXIT_IO;
	free(picked);
	strbuf_release(&out);
	return ret;
}

static int cmd_fetch(const struct config *cfg, int argc, const char **argv)
{
	struct strvec args = STRVEC_INIT;
	int ret;
	strvec_push(&args, "fetch");
	for (int i = 0; i < argc; i++)
		strvec_push(&args, argv[i]);
	ret = cmd_plugin(cfg, (int)args.nr, args.v);
	strvec_clear(&args);
	return ret;
}

/* What the last build used, written to the cache images: its target dir
 * is $CARGO_TARGET_DIR, or the nearest target/ holding cargo-green's notes. */
static int cmd_push(const struct config *cfg, int argc, const char **argv)
{
	struct strvec images = STRVEC_INIT;
	struct strbuf target = STRBUF_INIT;
	const char *env = getenv("CARGO_TARGET_DIR");
	int ret = 0;
	cache_images(cfg, 1, &images);
	if (!images.nr) {
		error("supergreen push: no cache images to push to (set CARGOGREEN_CACHE_IMAGES or CARGOGREEN_CACHE_TO_IMAGES, e.g. CARGOGREEN_CACHE_IMAGES=docker-image://my.org/team/my-project)");
		ret = EXIT_USAGE;
		goto out;
	}
	if (env && *env) {
		strbuf_addstr(&target, env);
	} else {
		char cwd[4096];
		if (getcwd(cwd, sizeof(cwd)))
			for (char *end = cwd + strlen(cwd); end; end = strrchr(cwd, '/')) {
				*end = '\0';
				strbuf_reset(&target);
				strbuf_addf(&target, "%s/target", cwd);
				{
					struct strbuf p = STRBUF_INIT;
					int found;
					strbuf_addf(&p, "%s/cargo-green/used-keys", target.buf);
					found = !access(p.buf, F_OK);
					strbuf_release(&p);
					if (found)
						break;
				}
				if (end == cwd) {
					strbuf_reset(&target);
					strbuf_addstr(&target, "target");
					break;
				}
			}
	}
	ret = cache_push_last(cfg, target.buf) ? EXIT_ENGINE_FAILED : 0;
out:
	strvec_clear(&images);
	strbuf_release(&target);
	return ret;
}

/* The last explanation of each unit of a crate that missed (explain.h). */
static int cmd_explain(const struct config *cfg, int argc, const char **argv)
{
	struct strbuf out = STRBUF_INIT;
	int ret = 0;
	if (argc > 1) {
		error("supergreen explain: one crate at most (e.g. cargo green supergreen explain serde)");
		return EXIT_USAGE;
	}
	if (explain_show(argc ? argv[0] : NULL, &out) < 0)
		printf("no miss of %s%s%s noted yet (each miss of the local store is noted, with why)\n", argc ? "'" : "",
		       argc ? argv[0] : "any crate", argc ? "'" : "");
	else if (fputs(out.buf, stdout) < 0)
		ret = EXIT_IO;
	strbuf_release(&out);
	return ret;
}

static int cmd_version(const struct config *cfg, int argc, const char **argv)
{
	return printf("cargo-green %s\n", CARGO_GREEN_VERSION) < 0 ? EXIT_IO : 0;
}

static int cmd_help(const struct config *cfg, int argc, const char **argv)
{
	return fputs(usage, stdout) < 0 ? EXIT_IO : 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct config *, int, const char **);
} commands[] = {
	{ "env", cmd_env },
	{ "doc", cmd_doc },
	{ "fetch", cmd_fetch },
	{ "push", cmd_push },
	{ "cache", cmd_cache },
	{ "explain", cmd_explain },
	{ "recipe", cmd_recipe },
	{ "-V", cmd_version },
	{ "--version", cmd_version },
	{ "-h", cmd_help },
	{ "--help", cmd_help },
	{ "help", cmd_help },
};

int cmd_supergreen(const struct config *cfg, int argc, const char **argv)
{
	struct strbuf valid = STRBUF_INIT;
	if (argc < 1)
		return cmd_help(cfg, argc, argv);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].fn(cfg, argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		strbuf_addf(&valid, "%s%s", i ? ", " : "", commands[i].name);
	error("supergreen: unknown subcommand '%s' (valid: %s)", argv[0], valid.buf);
	strbuf_release(&valid);
	return EXIT_USAGE;
}
