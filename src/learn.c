#include "learn.h"
#include "base.h"
#include "config.h"
#include "env.h"
#include "fs.h"
#include "log.h"
#include "paths.h"
#include "sha256.h"
#include "stats.h"
#include "syslib.h"
#include "util.h"
#include "banned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where a unit's learned variable names and modes are kept between
 * builds: one per line, a mode as "@NAME". Per crate, not per unit (a
 * feature or flag change keeps what was learned), per target dir, and
 * outside it: cargo clean keeps it (the learning runs would otherwise run
 * again, as misses). */
static void learned_path_for(const char *host_target, const char *id, struct strbuf *out)
{
	const char *dash = strrchr(id, '-');
	struct sha256 c;
	char hex[65];
	sha256_init(&c);
	sha256_update(&c, host_target, strlen(host_target));
	sha256_hex(&c, hex);
	state_dir(out);
	strbuf_addf(out, "/learned/%.16s/%.*s", hex, (int)(dash ? (size_t)(dash - id) : strlen(id)), id);
}

void learn_path(const struct job *j, struct strbuf *out)
{
	learned_path_for(j->host_target, j->spec.id, out);
}

static const struct {
	const char *name;
	unsigned mode;
} mode_names[] = {
	{ "@host-paths", JOB_MODE_HOST_PATHS },
	{ "@workspace", JOB_MODE_WORKSPACE },
	{ "@workspace-trying", JOB_MODE_TRYING },
	{ "@git", JOB_MODE_GIT },
};

/* The learned file of id: one line a thing learned, a mode as "@NAME", a
 * host package the base needs (CARGOGREEN_ADD_APT_FROM_HOST) as "apt PKG",
 * else a variable's name. Names into names and packages into apts (each
 * may be NULL); the modes returned. */
static unsigned learned_read(const char *host_target, const char *id, struct strvec *names, struct strvec *apts)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	unsigned modes = 0;
	learned_path_for(host_target, id, &p);
	if (strbuf_read_file(&text, p.buf) == 0) {
		char *line = text.buf, *nl;
		for (; *line; line = nl ? nl + 1 : line + strlen(line)) {
			const char *pkg;
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (*line == '@') {
				for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
					if (!strcmp(line, mode_names[i].name))
						modes |= mode_names[i].mode;
			} else if (skip_prefix(line, "apt ", &pkg)) {
				if (*pkg && apts && strvec_find(apts, pkg) < 0)
					strvec_push(apts, pkg);
			} else if (*line && names && strvec_find(names, line) < 0) {
				strvec_push(names, line);
			}
			if (!nl)
				break;
		}
	}
	strbuf_release(&p);
	strbuf_release(&text);
	return modes;
}

unsigned job_modes_load(const char *host_target, const char *id)
{
	return learned_read(host_target, id, NULL, NULL);
}

void learn_load(struct job *j)
{
	learned_read(j->host_target, j->spec.id, &j->learned_env, j->cfg->add_apt_from_host ? &j->learned_apt : NULL);
}

void learn_save(const struct job *j)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	struct strvec apts = STRVEC_INIT;
	learn_path(j, &p);
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (j->modes & mode_names[i].mode)
			strbuf_addf(&text, "%s\n", mode_names[i].name);
	for (size_t i = 0; i < j->learned_env.nr; i++)
		strbuf_addf(&text, "%s\n", j->learned_env.v[i]);
	/* Packages learned without ADD_APT_FROM_HOST in effect are kept. */
	if (!j->cfg->add_apt_from_host)
		learned_read(j->host_target, j->spec.id, NULL, &apts);
	for (size_t i = 0; i < (j->cfg->add_apt_from_host ? j->learned_apt.nr : apts.nr); i++)
		strbuf_addf(&text, "apt %s\n", j->cfg->add_apt_from_host ? j->learned_apt.v[i] : apts.v[i]);
	mkdir_parent(p.buf, 0755);
	if (write_file_atomic(p.buf, text.buf, text.len, 0644) < 0)
		LOG(LOG_WARN, "%s: cannot write '%s'", j->spec.id, p.buf);
	strvec_clear(&apts);
	strbuf_release(&p);
	strbuf_release(&text);
}

struct envdeps {
	struct strvec read;
};

static int collect_envdeps(const char *root, const char *rel, void *data)
{
	struct envdeps *d = data;
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	if (ends_with(rel, ".d")) {
		strbuf_addf(&p, "%s/%s", root, rel);
		if (strbuf_read_file(&text, p.buf) == 0)
			env_read_by(text.buf, &d->read);
	}
	strbuf_release(&p);
	strbuf_release(&text);
	return 0;
}

void learn_missing_env(const struct job *j, const char *root, const struct stage_result *r, struct strvec *names,
		       unsigned *modes)
{
	struct envdeps d = { STRVEC_INIT };
	struct strbuf p = STRBUF_INIT;
	strbuf_addf(&p, "%s%s", root, CT_TARGET);
	if (!access(p.buf, F_OK))
		tree_walk(p.buf, collect_envdeps, &d);
	env_read_by(r->out.buf, &d.read);
	for (size_t i = 0; i < d.read.nr; i++) {
		const char *eq = strchr(d.read.v[i], '=');
		char *name = eq ? xstrndup(d.read.v[i], (size_t)(eq - d.read.v[i])) : xstrdup(d.read.v[i]);
		const char *host = getenv(name), *inside = eq ? eq + 1 : NULL;
		if (env_is_path_valued(name) && host && inside && strcmp(host, inside) && !(j->modes & JOB_MODE_HOST_PATHS)) {
			LOG(LOG_INFO, "%s: reads %s (%s here, %s on the host): again at host paths", j->spec.id, name, inside, host);
			*modes |= JOB_MODE_HOST_PATHS;
		}
		int given = env_is_ruled(name) || strvec_find(&j->learned_env, name) >= 0 ||
			    strvec_find(cfg_list(j->cfg, S_SET_ENVS), name) >= 0;
		for (size_t k = 0; k < j->spec.env.nr && !given; k++)
			given = starts_with(j->spec.env.v[k], name) && j->spec.env.v[k][strlen(name)] == '=';
		if (!given && (host ? !inside || strcmp(host, inside) : inside != NULL) && strvec_find(names, name) < 0)
			strvec_push(names, name);
		free(name);
	}
	strvec_clear(&d.read);
	strbuf_release(&p);
}

void learn_syslib_note(const struct job *j, const struct stage_result *r, const char *base_ref, struct strvec *found)
{
	struct strbuf pcs = STRBUF_INIT;
	int run = starts_with(j->spec.id, "run-");
	if (!r->code && !run)
		return;
	syslib_scan(j->cfg, run ? r->out.buf : NULL, r->err.buf,
		    run && base_pkgconfig_list(j->cfg, j->rustc, base_ref, &pcs) == 0 ? pcs.buf : NULL, found);
	strbuf_release(&pcs);
}

int learn_syslib_act(struct job *j, const struct strvec *extra, const struct strvec *found)
{
	struct strvec note = STRVEC_INIT;
	int again = 0;
	for (size_t i = 0; i < found->nr; i++) {
		const char *eq = strchr(found->v[i], '=');
		char *pkg = xstrndup(found->v[i], (size_t)(eq - found->v[i]));
		if (strvec_find(extra, pkg) >= 0) {
			LOG(LOG_WARN, "%s: its base has the host's %s, yet it shows %s lacking", j->spec.id, pkg, eq + 1);
		} else if (j->cfg->add_apt_from_host) {
			LOG(LOG_INFO, "%s: the base lacks %s, which the host has: again with %s", j->spec.id, eq + 1, pkg);
			strvec_push(&j->learned_apt, pkg);
			stats_record(j->cfg, STATS_APT_ADDED, j->spec.id, found->v[i], 0, 0);
			again = 1;
		} else {
			LOG(LOG_INFO, "%s: the base lacks %s, which the host has (%s)", j->spec.id, eq + 1, pkg);
			stats_record(j->cfg, STATS_SYSLIB, j->spec.id, found->v[i], 0, 0);
			strvec_push(&note, found->v[i]);
		}
		free(pkg);
	}
	if (again)
		learn_save(j);
	if (note.nr && !j->cfg->stats_path) {
		struct strbuf line = STRBUF_INIT;
		syslib_hint(&note, cfg_list(j->cfg, S_ADD_APT), &line);
		fprintf(stderr, "%s\n", line.buf);
		strbuf_release(&line);
	}
	strvec_clear(&note);
	return again;
}

int learn_wants_dep_sources(const struct stage_result *r, const struct strvec *dep_mounts, const char *own_mount)
{
	const struct strbuf *streams[] = { &r->out, &r->err };
	int want = r->code != 0 && dep_mounts->nr; /* with none, a second try would be the first */
	for (size_t s = 0; !want && s < 2; s++) {
		for (size_t i = 0; !want && i < dep_mounts->nr; i++) {
			const char *t = strchr(dep_mounts->v[i], '=') + 1, *at = streams[s]->buf;
			size_t tl = strlen(t), ol = own_mount ? strlen(own_mount) : 0;
			/* A workspace root holds its members: a path under the
			 * unit's own sources does not count. */
			while (!want && (at = strstr(at, t))) {
				if (!(ol > tl && !strncmp(at, own_mount, ol) && at[ol] == '/'))
					want = 1;
				at += tl;
			}
		}
	}
	return want;
}

/* A failed unit's output (in tmp) names variables that env! found unset
 * ("environment variable `X` not defined at compile time") and the host
 * has: appended to names (a variable of the user's shell or of cargo's
 * [env], which plain cargo's rustc sees). */
static void undefined_env(const struct job *j, const struct stage_result *r, struct strvec *names)
{
	static const char open_[] = "environment variable `", close_[] = "` not defined at compile time";
	for (const char *at = strstr(r->err.buf, open_); at; at = strstr(at + 1, open_)) {
		const char *n = at + strlen(open_), *end = strchr(n, '`');
		char *name;
		if (!end || !starts_with(end, close_) || end == n)
			continue;
		name = xstrndup(n, (size_t)(end - n));
		if (getenv(name) && strvec_find(&j->learned_env, name) < 0 && strvec_find(names, name) < 0)
			strvec_push(names, name);
		free(name);
	}
}

/* Did a failed unit of a workspace member look for a file it could not
 * find (rustc's "couldn't read", an I/O error of a build script)? Then it
 * may have read a file of the workspace outside its package. */
static int wants_workspace(const struct job *j, const struct stage_result *r)
{
	const struct strbuf *streams[] = { &r->out, &r->err };
	int want = 0;
	if (!j->self.ws_root || (j->modes & JOB_MODE_WORKSPACE))
		return 0;
	for (size_t s = 0; !want && s < 2; s++)
		want = strstr(streams[s]->buf, "No such file or directory") || strstr(streams[s]->buf, "couldn't read") ||
		       strstr(streams[s]->buf, "os error 2)");
	return want;
}

unsigned learn_failure_needs(const struct job *j, const struct stage_result *r, struct strvec *learn)
{
	undefined_env(j, r, learn);
	if (wants_workspace(j, r)) {
		LOG(LOG_INFO, "%s: failed looking for a file: again with the whole workspace", j->spec.id);
		return JOB_MODE_WORKSPACE | JOB_MODE_TRYING;
	}
	return 0;
}
