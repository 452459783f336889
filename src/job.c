#include "job.h"
#include "base.h"
#include "config.h"
#include "depsdir.h"
#include "env.h"
#include "engine.h"
#include "exitcode.h"
#include "fs.h"
#include "log.h"
#include "sha256.h"
#include "stats.h"
#include "store.h"
#include "syslib.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

void job_release(struct job *j)
{
	free(j->host_target);
	pathmap_release(&j->pm);
	stage_spec_release(&j->spec);
	unit_release(&j->self);
	strvec_clear(&j->dep_records);
	free(j->record_path);
	free(j->shim_ct);
	free(j->shim_text);
	free(j->incr_host);
	free(j->git_root);
	strvec_clear(&j->learned_env);
	strvec_clear(&j->learned_apt);
}

char *find_target_dir(const char *path)
{
	char *p = xstrdup(path);
	for (;;) {
		/* cargo marks its target dirs with CACHEDIR.TAG; cargo install's
		 * temporary one only has cargo's .rustc_info.json. */
		struct strbuf tag = STRBUF_INIT, info = STRBUF_INIT;
		char *slash;
		strbuf_addf(&tag, "%s/CACHEDIR.TAG", p);
		strbuf_addf(&info, "%s/.rustc_info.json", p);
		int found = !access(tag.buf, F_OK) || !access(info.buf, F_OK);
		strbuf_release(&tag);
		strbuf_release(&info);
		if (found)
			return p;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = '\0';
	}
	free(p);
	return NULL;
}

int job_set_target(struct job *j, const char *dir, char **norm, const char **why)
{
	char *n = path_normalize(dir), *spelled;
	struct stat a, b;
	*norm = NULL;
	if (strcmp(n, dir) && (stat(dir, &a) < 0 || stat(n, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
		/* A ".." after a symlink: the text is not where the kernel goes. */
		free(n);
		*why = "the out dir has a '..' after a symlink";
		return -1;
	}
	j->host_target = find_target_dir(n);
	if (!j->host_target) {
		free(n);
		*why = "the out dir is not in a cargo target dir";
		return -1;
	}
	/* cargo's own spelling first: what comes back (dep-info, diagnostics,
	 * artifacts) names the target dir as rustc would have; it is the same
	 * directory (checked above). The normalized one maps too. */
	spelled = path_spelled_prefix(dir, j->host_target);
	if (spelled && strcmp(spelled, j->host_target))
		pathmap_add(&j->pm, spelled, CT_TARGET);
	pathmap_add(&j->pm, j->host_target, CT_TARGET);
	free(spelled);
	*norm = n;
	return 0;
}

int job_mirror_sources(const char *src, const char *dst, int whole_ws, const char *host_target, struct strbuf *err)
{
	struct strvec names = STRVEC_INIT, paths = STRVEC_INIT;
	int ret;
	if (whole_ws != JOB_MIRROR_GIT)
		strvec_push(&names, ".git");
	strvec_push(&names, "target");
	strvec_push(&paths, host_target);
	ret = mirror_tree(src, dst, whole_ws, &names, &paths, err);
	strvec_clear(&names);
	strvec_clear(&paths);
	return ret;
}

struct land {
	struct job *j;
	struct strbuf *err;
	int copy;        /* root is the local store's: copy, never link */
	const char *tmp; /* the temporary name, in target/cargo-green/tmp (same file system) */
};

/* Write data as the file tmp, then rename it to host. 0, or -1 with errno
 * and tmp gone. */
static int land_bytes(const char *tmp, const char *host, const char *data, size_t len, int mode)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode), saved;
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, host) < 0) {
		saved = errno;
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	errno = saved;
	return -1;
}

/* Put the file at root/rel in its place on the host, leaving root as it
 * is: a hard link (a copy from the local store) renamed over the old one
 * (cargo sees a new file at once, never a half-written one); a .d
 * rewritten to host paths and the build script's shim written anew. Each
 * goes through l->tmp, which no path leaves behind (the job removes it
 * too, and the next run's sweep what a killed one left). */
static int land_one(const char *root, const char *rel, void *data)
{
	struct land *l = data;
	struct strbuf src = STRBUF_INIT, ct = STRBUF_INIT, body = STRBUF_INIT, fixed = STRBUF_INIT;
	char *host = NULL;
	int ret = -1;

	strbuf_addf(&src, "%s/%s", root, rel);
	strbuf_addf(&ct, CT_TARGET "/%s", rel);
	host = pathmap_to_host(&l->j->pm, ct.buf);
	if (!host) {
		strbuf_addf(l->err, "the engine produced '%s', which has no place on the host", ct.buf);
		goto out;
	}
	if (mkdir_parent(host, 0755) < 0)
		goto io;
	if (l->j->shim_ct && !strcmp(ct.buf, l->j->shim_ct)) {
		/* The build script's real binary stays in the engine; cargo runs the shim. */
		if (land_bytes(l->tmp, host, l->j->shim_text, strlen(l->j->shim_text), 0755) < 0)
			goto io;
	} else if (ends_with(rel, ".d")) {
		/* dep-info names container paths: cargo must see the host's. */
		if (strbuf_read_file(&body, src.buf) < 0)
			goto io;
		pathmap_rewrite(&l->j->pm, 1, ESCAPE_DEPINFO, body.buf, body.len, &fixed);
		if (land_bytes(l->tmp, host, fixed.buf, fixed.len, 0644) < 0)
			goto io;
	} else {
		struct stat st;
		unlink(l->tmp);
		/* Fresh mtimes: a cache hit must not look older than its dependencies. */
		if (((l->copy || link(src.buf, l->tmp) < 0) &&
		     (lstat(src.buf, &st) < 0 || clone_entry(src.buf, l->tmp, &st, 0) < 0)) ||
		    (utimensat(AT_FDCWD, l->tmp, NULL, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT) ||
		    rename(l->tmp, host) < 0) {
			int saved = errno;
			unlink(l->tmp);
			errno = saved;
			goto io;
		}
	}
	LOG(LOG_TRACE, "landed %s", host);
	ret = 0;
	goto out;
io:
	strbuf_addf(l->err, "cannot land '%s': %s", host ? host : src.buf, strerror(errno));
out:
	free(host);
	strbuf_release(&src);
	strbuf_release(&ct);
	strbuf_release(&body);
	strbuf_release(&fixed);
	return ret;
}

static void add_context(struct strvec *contexts, struct strvec *names, const struct unit *u,
			const char *host_target, struct strbuf *warn)
{
	if (!u->ctx_name || strvec_find(names, u->ctx_name) >= 0)
		return;
	strvec_push(names, u->ctx_name);
	if (access(u->ctx_dir, F_OK) && strcmp(u->ctx_dir, u->ctx_origin))
		job_mirror_sources(u->ctx_origin, u->ctx_dir, u->ctx_full, host_target, warn);
	strvec_pushf(contexts, "%s=%s", u->ctx_name, u->ctx_dir);
}

static void replay(const char *path, int fd, const struct pathmap *pm, enum rewrite_escape esc)
{
	struct strbuf raw = STRBUF_INIT, out = STRBUF_INIT;
	if (strbuf_read_file(&raw, path) == 0 && raw.len) {
		pathmap_rewrite(pm, 1, esc, raw.buf, raw.len, &out);
		write_all(fd, out.buf, out.len);
	}
	strbuf_release(&raw);
	strbuf_release(&out);
}

/* CARGOGREEN_WITH_NETWORK and CARGOGREEN_SET_ENVS on the stage: plain
 * values join its environment (and so its text); secret-looking ones become
 * BuildKit secrets, their "NAME=value" kept in secrets for the build only,
 * the stage carrying a keyed digest of the value so that a change rebuilds. */
static int apply_settings(struct job *j, struct strvec *secrets, struct strbuf *err)
{
	struct strvec names = STRVEC_INIT;
	int ret = 0;
	j->spec.network = cfg_get(j->cfg, S_WITH_NETWORK);
	strvec_clear(&j->spec.secrets);
	strvec_clear(secrets);
	strvec_pushv(&names, cfg_list(j->cfg, S_SET_ENVS)->v);
	for (size_t i = 0; i < j->learned_env.nr; i++)
		if (strvec_find(&names, j->learned_env.v[i]) < 0)
			strvec_push(&names, j->learned_env.v[i]);
	for (size_t i = 0; i < names.nr; i++) {
		const char *v = getenv(names.v[i]);
		size_t n = strlen(names.v[i]);
		if (!v) {
			if (strvec_find(cfg_list(j->cfg, S_SET_ENVS), names.v[i]) >= 0)
				LOG(LOG_WARN, "%s: %s is in CARGOGREEN_SET_ENVS but not set", j->spec.id, names.v[i]);
			continue;
		}
		for (size_t k = 0; k < j->spec.env.nr; k++)
			if (!strncmp(j->spec.env.v[k], names.v[i], n) && j->spec.env.v[k][n] == '=') {
				free((char *)j->spec.env.v[k]);
				memmove(&j->spec.env.v[k], &j->spec.env.v[k + 1], (j->spec.env.nr - k) * sizeof(char *));
				j->spec.env.nr--;
				break;
			}
		if (env_name_is_secret(names.v[i])) {
			char digest[17];
			if (store_secret_digest(names.v[i], v, digest, err) < 0) {
				ret = -1;
				break;
			}
			strvec_pushf(&j->spec.secrets, "%s:%s", names.v[i], digest);
			strvec_pushf(secrets, "%s=%s", names.v[i], v);
		} else {
			strvec_pushf(&j->spec.env, "%s=%s", names.v[i], v);
		}
	}
	strvec_sort(&j->spec.env);
	strvec_clear(&names);
	return ret;
}

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

static void learned_path(const struct job *j, struct strbuf *out)
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

static void learned_load(struct job *j)
{
	learned_read(j->host_target, j->spec.id, &j->learned_env, j->cfg->add_apt_from_host ? &j->learned_apt : NULL);
}

/* Everything learned of j, in learned_read's format. */
static void learned_save(const struct job *j)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	struct strvec apts = STRVEC_INIT;
	learned_path(j, &p);
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

/* Variables the unit read whose value in the stage (unset, unless the table
 * or a setting passed it) differs from the host's: appended to names. A
 * path-valued one of cargo's that it saw as a container path asks for
 * JOB_MODE_HOST_PATHS, in *modes. */
static void missing_env(const struct job *j, const char *tmp, struct strvec *names, unsigned *modes)
{
	struct envdeps d = { STRVEC_INIT };
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	strbuf_addf(&p, "%s%s", tmp, CT_TARGET);
	if (!access(p.buf, F_OK))
		tree_walk(p.buf, collect_envdeps, &d);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/green/%s.stdout", tmp, j->spec.id);
	if (strbuf_read_file(&text, p.buf) == 0)
		env_read_by(text.buf, &d.read);
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
	strbuf_release(&text);
}

/* What the unit's result in res shows of system libraries the base lacks
 * and the host has (syslib.h): one note each, for `cargo green` to say in
 * one line at the end; without it, that line on stderr now. Only failures
 * and build script runs (where probes happen) are read. */
static void syslib_note(const struct job *j, const char *res, const char *base_ref, int code, struct strvec *found)
{
	struct strbuf p = STRBUF_INIT, out = STRBUF_INIT, errs = STRBUF_INIT, pcs = STRBUF_INIT;
	int run = starts_with(j->spec.id, "run-");
	if (!code && !run)
		return;
	strbuf_addf(&p, "%s/green/%s.stdout", res, j->spec.id);
	strbuf_read_file(&out, p.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/green/%s.stderr", res, j->spec.id);
	strbuf_read_file(&errs, p.buf);
	syslib_scan(j->cfg, run ? out.buf : NULL, errs.buf,
		    run && base_pkgconfig_list(j->cfg, j->rustc, base_ref, &pcs) == 0 ? pcs.buf : NULL, found);
	strbuf_release(&p);
	strbuf_release(&out);
	strbuf_release(&errs);
	strbuf_release(&pcs);
}

/* What syslib_note found: with CARGOGREEN_ADD_APT_FROM_HOST, the packages
 * the unit's base lacks are learned and 1 returned (run it again); else one
 * note each for `cargo green` to say in one line at the end (without it,
 * that line on stderr now), and 0. */
static int syslib_act(struct job *j, const struct strvec *extra, const struct strvec *found)
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
		learned_save(j);
	if (note.nr && !j->cfg->stats_path) {
		struct strbuf line = STRBUF_INIT;
		syslib_hint(&note, cfg_list(j->cfg, S_ADD_APT), &line);
		fprintf(stderr, "%s\n", line.buf);
		strbuf_release(&line);
	}
	strvec_clear(&note);
	return again;
}

/* Where a unit's outputs are kept, as the engine made them (container
 * paths in .d files, a build script's real binary), laid out as CT_TARGET:
 * what a dependent's stage mounts instead of rebuilding its e- stages. */
static void out_dir(const struct job *j, const char *id, struct strbuf *out)
{
	strbuf_addf(out, "%s/cargo-green/out/%s", j->host_target, id);
}

/* Where a unit's outputs are, as the engine made them: its out dir, or
 * when it has none (its outputs came from the local store) the stored tree
 * of its key. 0, or -1 when neither is there. */
static int unit_outputs(const struct job *j, const struct unit *u, struct strbuf *path)
{
	strbuf_reset(path);
	out_dir(j, u->id, path);
	if (!access(path->buf, F_OK))
		return 0;
	/* (sizes only: the dependency's own hit checked its digests) */
	if (!u->key || !store_lookup(u->key, 0, path))
		return -1;
	strbuf_addstr(path, CT_TARGET);
	return access(path->buf, F_OK) ? -1 : 0;
}

/* Keep the tree the engine exported for this unit as its out dir (what
 * dependents' deps contexts link), moved there by one rename; a tree from
 * the local store is not kept again (unit_outputs finds it there). The
 * place to land from. */
static const char *keep_outputs(const struct job *j, const char *tree, int stored, struct strbuf *kept)
{
	int absent;
	out_dir(j, j->spec.id, kept);
	rm_rf(kept->buf);
	if (stored)
		return tree;
	absent = access(tree, F_OK) < 0;
	mkdir_parent(kept->buf, 0755);
	if ((absent ? mkdir(kept->buf, 0755) : rename(tree, kept->buf)) < 0) {
		/* Dependents then render their closure's stages instead. */
		LOG(LOG_WARN, "%s: cannot keep its outputs in %s: %s", j->spec.id, kept->buf, strerror(errno));
		return tree;
	}
	return absent ? tree : kept->buf;
}

/* Where the outputs of every unit of the closure are, into trees (in
 * closure order). 0, or -1 with trees emptied when a unit's are not there. */
static int closure_outputs(const struct job *j, const struct closure *cl, struct strvec *trees)
{
	struct strbuf src = STRBUF_INIT;
	int ret = 0;
	for (size_t i = 0; !ret && i < cl->nr; i++) {
		ret = unit_outputs(j, &cl->units[i], &src);
		strvec_push(trees, src.buf);
	}
	if (ret)
		strvec_clear(trees);
	strbuf_release(&src);
	return ret;
}

/* The deps context: a slot under parent holding trees, by hard links. 0,
 * or -1 with err and the slot released. */
static int gather_outputs(const char *parent, const struct strvec *trees, struct deps_slot *slot,
			  struct strbuf *err)
{
	if (deps_slot_acquire(parent, slot, err) < 0)
		return -1;
	if (deps_slot_sync(slot, trees, err) < 0) {
		deps_slot_release(slot);
		return -1;
	}
	return 0;
}

/* The named context of a compact call's closure outputs, or NULL: no
 * closure, no mount (BuildKit's digest of an empty context depends on what
 * that context held before: extra misses). */
static const char *deps_context(int compact, const struct closure *cl)
{
	return compact && cl->nr ? "deps" : NULL;
}

/* The Dockerfile of this call, into df and written at path: head, then
 * either the unit alone (compact; with_src: the dependencies' sources
 * mounted too) or every stage of the closure and the unit's own text. 0, or
 * EXIT_IO with err. */
static int write_dockerfile(const struct job *j, const struct closure *cl, const struct strbuf *head,
			    const struct strbuf *own, int compact, int with_src, struct strbuf *df, const char *path,
			    struct strbuf *err)
{
	strbuf_reset(df);
	strbuf_addbuf(df, head);
	if (compact) {
		/* A shallow copy: it owns nothing and is not released. */
		struct stage_spec s = j->spec;
		s.deps_ctx = deps_context(compact, cl);
		if (!with_src)
			strvec_init(&s.dep_mounts);
		if (stage_render(&s, df, err) < 0)
			return EXIT_IO; /* not reached: the same spec rendered before */
	} else {
		for (size_t i = 0; i < cl->nr; i++)
			strbuf_addstr(df, cl->units[i].stage);
		strbuf_addbuf(df, own);
	}
	if (write_file_atomic(path, df->buf, df->len, 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		return EXIT_IO;
	}
	return 0;
}

/* Does the output in tmp call for the dependencies' sources: a failure
 * (a build script may read them, or a diagnostic needs their lines), or a
 * message naming one of them? */
static int wants_dep_sources(const char *tmp, const char *id, int code, const struct strvec *dep_mounts,
			     const char *own_mount)
{
	static const char *streams[] = { "stdout", "stderr" };
	struct strbuf p = STRBUF_INIT, body = STRBUF_INIT;
	int want = code != 0 && dep_mounts->nr; /* with none, a second try would be the first */
	for (size_t s = 0; !want && s < 2; s++) {
		strbuf_reset(&p);
		strbuf_reset(&body);
		strbuf_addf(&p, "%s/green/%s.%s", tmp, id, streams[s]);
		if (strbuf_read_file(&body, p.buf) < 0)
			continue;
		for (size_t i = 0; !want && i < dep_mounts->nr; i++) {
			const char *t = strchr(dep_mounts->v[i], '=') + 1, *at = body.buf;
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
	strbuf_release(&p);
	strbuf_release(&body);
	return want;
}

/* A failed unit's output (in tmp) names variables that env! found unset
 * ("environment variable `X` not defined at compile time") and the host
 * has: appended to names (a variable of the user's shell or of cargo's
 * [env], which plain cargo's rustc sees). */
static void undefined_env(const struct job *j, const char *tmp, struct strvec *names)
{
	static const char open_[] = "environment variable `", close_[] = "` not defined at compile time";
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	strbuf_addf(&p, "%s/green/%s.stderr", tmp, j->spec.id);
	if (strbuf_read_file(&text, p.buf) == 0)
		for (const char *at = strstr(text.buf, open_); at; at = strstr(at + 1, open_)) {
			const char *n = at + strlen(open_), *end = strchr(n, '`');
			char *name;
			if (!end || !starts_with(end, close_) || end == n)
				continue;
			name = xstrndup(n, (size_t)(end - n));
			if (getenv(name) && strvec_find(&j->learned_env, name) < 0 && strvec_find(names, name) < 0)
				strvec_push(names, name);
			free(name);
		}
	strbuf_release(&p);
	strbuf_release(&text);
}

/* Did a failed unit of a workspace member look for a file it could not
 * find (rustc's "couldn't read", an I/O error of a build script)? Then it
 * may have read a file of the workspace outside its package. */
static int wants_workspace(const struct job *j, const char *tmp)
{
	static const char *streams[] = { "stdout", "stderr" };
	struct strbuf p = STRBUF_INIT, body = STRBUF_INIT;
	int want = 0;
	if (!j->self.ws_root || (j->modes & JOB_MODE_WORKSPACE))
		return 0;
	for (size_t s = 0; !want && s < 2; s++) {
		strbuf_reset(&p);
		strbuf_reset(&body);
		strbuf_addf(&p, "%s/green/%s.%s", tmp, j->spec.id, streams[s]);
		if (strbuf_read_file(&body, p.buf) < 0)
			continue;
		want = strstr(body.buf, "No such file or directory") || strstr(body.buf, "couldn't read") ||
		       strstr(body.buf, "os error 2)");
	}
	strbuf_release(&p);
	strbuf_release(&body);
	return want;
}

/* What a failed unit (output in tmp) was seen to need: variables into
 * learn, modes returned. */
static unsigned failure_needs(const struct job *j, const char *tmp, struct strvec *learn)
{
	undefined_env(j, tmp, learn);
	if (wants_workspace(j, tmp)) {
		LOG(LOG_INFO, "%s: failed looking for a file: again with the whole workspace", j->spec.id);
		return JOB_MODE_WORKSPACE | JOB_MODE_TRYING;
	}
	return 0;
}

#define JOB_RETRY (-2)
/* Internal: render every stage of the closure (the design before kept outputs; for comparisons). */
#define CLOSURE_STAGES_ENV "__CARGOGREEN_CLOSURE_STAGES"

/* One attempt. JOB_RETRY (nothing landed) with the names to add in learn
 * when the unit read variables the stage did not give it as the host would. */
static int job_run_once(struct job *j, int *exit_code, struct strvec *learn, struct strbuf *err)
{
	struct closure cl = CLOSURE_INIT;
	struct engine_build b = ENGINE_BUILD_INIT;
	struct strbuf df = STRBUF_INIT, own = STRBUF_INIT, base = STRBUF_INIT, work = STRBUF_INIT, head = STRBUF_INIT,
		      deps_parent = STRBUF_INIT,
		      dfpath = STRBUF_INIT, logpath = STRBUF_INIT, tmp = STRBUF_INIT, empty = STRBUF_INIT,
		      p = STRBUF_INIT, code = STRBUF_INIT, target = STRBUF_INIT, watch = STRBUF_INIT;
	struct strvec ctx_names = STRVEC_INIT, secrets = STRVEC_INIT, dep_trees = STRVEC_INIT;
	struct strbuf land_tmp = STRBUF_INIT, base_id = STRBUF_INIT;
	struct deps_slot slot = DEPS_SLOT_INIT;
	/* The result: the tree the engine exported into tmp, or the store's entry (read only). */
	struct strbuf entry = STRBUF_INIT;
	const char *res;
	const char *id = j->spec.id;
	long long t0 = now_ns(), te = 0;
	int ret = 0, cached = 0, use_store = 0, compact, with_src;
	char key[STORE_KEY_HEX];

	if (closure_collect(&cl, &j->dep_records, err) < 0) {
		ret = JOB_NO_CLOSURE;
		goto out;
	}
	for (size_t i = 0; i < j->dep_records.nr; i++) {
		int k = strvec_find(&cl.paths, j->dep_records.v[i]);
		if (k < 0)
			BUG("direct dependency missing from its closure");
		if (strvec_find(&j->spec.deps, cl.units[k].id) < 0)
			strvec_push(&j->spec.deps, cl.units[k].id);
	}
	strvec_sort(&j->spec.deps);
	strvec_clear(&j->spec.dep_mounts);
	{
		/* One mount per source dir of the closure (a package's lib and build
		 * script share one), never over the unit's own. */
		struct strvec targets = STRVEC_INIT;
		if (j->self.ctx_mount)
			strvec_push(&targets, j->self.ctx_mount);
		for (size_t i = 0; i < cl.nr; i++) {
			const struct unit *u = &cl.units[i];
			if (!u->ctx_name || strvec_find(&targets, u->ctx_mount) >= 0)
				continue;
			strvec_push(&targets, u->ctx_mount);
			strvec_pushf(&j->spec.dep_mounts, "%s=%s", u->ctx_name, u->ctx_mount);
		}
		strvec_clear(&targets);
	}
	if (apply_settings(j, &secrets, err) < 0) {
		ret = EXIT_IO;
		goto out;
	}
	if (stage_render(&j->spec, &own, err) < 0) {
		ret = JOB_NO_STAGE;
		goto out;
	}
	free(j->self.stage);
	j->self.stage = xstrdup(own.buf);
	strvec_clear(&j->self.deps);
	for (size_t i = 0; i < j->dep_records.nr; i++)
		strvec_push(&j->self.deps, j->dep_records.v[i]);

	/* Its base: the settings', with the host packages it was found to need
	 * (CARGOGREEN_ADD_APT_FROM_HOST) and those its closure was built with. */
	strvec_clear(&j->self.apt);
	strvec_pushv(&j->self.apt, j->learned_apt.v);
	for (size_t i = 0; i < cl.nr; i++)
		for (size_t k = 0; k < cl.units[i].apt.nr; k++)
			if (strvec_find(&j->self.apt, cl.units[i].apt.v[k]) < 0)
				strvec_push(&j->self.apt, cl.units[i].apt.v[k]);
	strvec_sort(&j->self.apt);
	if ((ret = base_ensure_with(j->cfg, j->rustc, &j->self.apt, 0, &base, j->self.apt.nr ? &base_id : NULL, err)))
		goto out;

	if (cfg_get(j->cfg, S_SYNTAX_IMAGE))
		strbuf_addf(&head, "# syntax=%s\n", cfg_get(j->cfg, S_SYNTAX_IMAGE) + strlen("docker-image://"));
	if (!stage_word_safe(base.buf)) {
		strbuf_addf(err, "the base image name '%s' cannot be written into a Dockerfile", base.buf);
		ret = EXIT_BASE_IMAGE;
		goto out;
	}
	strbuf_addf(&head, "# cargo-green: %s\nFROM %s AS rust-base\n", id, base.buf);

	strbuf_addf(&work, "%s/cargo-green", j->host_target);
	/* A directory of its own: buildx sends a Dockerfile's directory as a
	 * context, and parallel builds syncing one shared directory raced. */
	strbuf_addf(&dfpath, "%s/df/%s/Dockerfile", work.buf, id);
	strbuf_addf(&logpath, "%s/log/%s.log", work.buf, id);
	strbuf_addf(&tmp, "%s/tmp/%s.%ld", work.buf, id, (long)getpid());
	strbuf_addf(&deps_parent, "%s/deps", work.buf);
	strbuf_addf(&empty, "%s/empty", work.buf);
	for (const char **sub = (const char *[]){ "df", "log", "tmp", "empty", "deps", NULL }; *sub; sub++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", work.buf, *sub);
		mkdir_p(p.buf, 0755);
	}
	mkdir_parent(dfpath.buf, 0755);
	{
		/* What killed runs left (their processes gone): export dirs, landings' temporary files. */
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/tmp", work.buf);
		sweep_dead_temps(p.buf);
	}

	/* Compact: the Dockerfile holds this unit alone, the closure's outputs
	 * coming as one context of hard links to their kept copies. Else (a
	 * unit of the closure has no kept outputs, or
	 * __CARGOGREEN_CLOSURE_STAGES is set) every stage of the closure. */
	compact = !getenv(CLOSURE_STAGES_ENV) && closure_outputs(j, &cl, &dep_trees) == 0;
	with_src = !compact;
	if ((ret = write_dockerfile(j, &cl, &head, &own, compact, with_src, &df, dfpath.buf, err)))
		goto out;
	LOG(LOG_DEBUG, "%s: %zu units in its closure, %s, Dockerfile %s (%zu bytes)", id, cl.nr,
	    compact ? "their outputs as one context" : "their stages", dfpath.buf, df.len);

	strbuf_addf(&target, "o-%s", id);
	strbuf_addf(&watch, "u-%s", id);
	b.dockerfile = dfpath.buf;
	b.target = target.buf;
	b.main_ctx = empty.buf;
	b.out_dir = tmp.buf;
	b.log_path = logpath.buf;
	b.watch_stage = watch.buf;
	b.cfg = j->cfg;
	b.network = cfg_get(j->cfg, S_WITH_NETWORK);
	rm_rf(tmp.buf);
	res = tmp.buf;

	/* The local store: the same inputs as a build BuildKit already did, its outputs.
	 * The key needs the base's ID (pinned by the plugin) and every direct
	 * dependency's key; it is kept in the record even when the store is off. */
	{
		struct strbuf pin = STRBUF_INIT;
		struct strvec dep_keys = STRVEC_INIT;
		/* The plugin's pin, or (extra packages: another image) its ID as base_ensure_with found it. */
		int keyed = j->self.apt.nr ? base_id.len > 0 : base_pin_find(getenv(BASE_PIN_ENV), base.buf, &pin) == 0;
		const char *pinned = j->self.apt.nr ? base_id.buf : pin.buf;
		for (size_t i = 0; keyed && i < j->dep_records.nr; i++) {
			int k = strvec_find(&cl.paths, j->dep_records.v[i]);
			if (!cl.units[k].key)
				keyed = 0;
			else
				strvec_push(&dep_keys, cl.units[k].key);
		}
		if (keyed) {
			struct strbuf own_ctx = STRBUF_INIT;
			if (j->self.ctx_name)
				strbuf_addf(&own_ctx, "%s=%s", j->self.ctx_name, j->self.ctx_dir);
			if (store_unit_key(head.buf, own.buf, pinned, target.buf, own_ctx.len ? own_ctx.buf : NULL, &dep_keys,
					   key, err) < 0) {
				LOG(LOG_WARN, "%s: no local store: %s", id, err->buf);
				strbuf_reset(err);
				keyed = 0;
			}
			strbuf_release(&own_ctx);
		}
		strvec_clear(&dep_keys);
		strbuf_release(&pin);
		free(j->self.key);
		j->self.key = keyed ? xstrdup(key) : NULL;
		use_store = keyed && !getenv(NO_STORE_ENV) && !getenv(NO_CACHE_ENV);
		if (use_store && store_lookup(key, 1, &entry)) {
			cached = 2;
			res = entry.buf;
		}
	}
	if (cached != 2) {
		/* The values go to the engine's client in its environment, never to a file. */
		strvec_pushv(&b.secrets, secrets.v);
		if (deps_context(compact, &cl) && gather_outputs(deps_parent.buf, &dep_trees, &slot, &p) < 0) {
			LOG(LOG_WARN, "%s: cannot gather its closure's outputs: %s: its stages instead", id, p.buf);
			strbuf_reset(&p);
			compact = 0;
			with_src = 1;
			if ((ret = write_dockerfile(j, &cl, &head, &own, compact, with_src, &df, dfpath.buf, err)))
				goto out;
		}
		for (;;) {
			strvec_clear(&b.contexts);
			strvec_clear(&ctx_names);
			for (size_t i = 0; with_src && i < cl.nr; i++)
				add_context(&b.contexts, &ctx_names, &cl.units[i], j->host_target, err);
			add_context(&b.contexts, &ctx_names, &j->self, j->host_target, err);
			if (deps_context(compact, &cl))
				strvec_pushf(&b.contexts, "%s=%s", deps_context(compact, &cl), slot.dir.buf);
			if (err->len) {
				ret = EXIT_IO;
				goto out;
			}
			long long t1 = now_ns();
			ret = engine_build(&b, &cached, err);
			te += now_ns() - t1;
			if (ret)
				goto out;
			if (with_src)
				break;
			strbuf_reset(&p);
			strbuf_reset(&code);
			strbuf_addf(&p, "%s/green/%s.code", tmp.buf, id);
			if (strbuf_read_file(&code, p.buf) < 0 || !code.len ||
			    (atoi(code.buf) && (wants_workspace(j, tmp.buf) || (undefined_env(j, tmp.buf, learn), learn->nr))) ||
			    !wants_dep_sources(tmp.buf, id, atoi(code.buf), &j->spec.dep_mounts, j->self.ctx_mount))
				break;
			LOG(LOG_INFO, "%s: failed or names a dependency's sources: again with them mounted", id);
			with_src = 1;
			rm_rf(tmp.buf);
			if ((ret = write_dockerfile(j, &cl, &head, &own, compact, with_src, &df, dfpath.buf, err)))
				goto out;
		}
		deps_slot_release(&slot);
		strbuf_reset(&p);
		if (use_store && store_save(key, tmp.buf, &p) < 0) {
			/* The build goes on without it: said once per cargo green run. */
			stats_warn_once(j->cfg, "store", p.buf);
			strbuf_reset(&p);
		}
	}

	strbuf_reset(&p);
	strbuf_addf(&p, "%s/green/%s.code", res, id);
	if (strbuf_read_file(&code, p.buf) < 0 || !code.len) {
		strbuf_addf(err, "the engine ran %s but returned no exit code (full log: %s)", id, logpath.buf);
		ret = EXIT_ENGINE_FAILED;
		goto out;
	}
	*exit_code = atoi(code.buf);
	{
		unsigned want = 0;
		if (j->spec.git_probe && j->git_root && !(j->modes & JOB_MODE_GIT)) {
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/green/%s.git", res, id);
			if (!access(p.buf, F_OK)) {
				LOG(LOG_INFO, "%s: ran git: again with the work tree %s", id, j->git_root);
				want |= JOB_MODE_GIT;
			}
		}
		if (*exit_code == 0) {
			missing_env(j, res, learn, &want);
		} else {
			want |= failure_needs(j, res, learn);
		}
		if (want & ~j->modes) {
			j->modes |= want;
			for (size_t i = 0; i < learn->nr; i++)
				strvec_push(&j->learned_env, learn->v[i]);
			strvec_clear(learn);
			learned_save(j);
			ret = JOB_RESTART;
			goto out;
		}
		if (learn->nr) {
			ret = JOB_RETRY;
			goto out;
		}
		if (j->modes & JOB_MODE_TRYING) {
			/* Kept when it helped; a unit failing anyway goes back to its package alone. */
			j->modes &= *exit_code ? ~(unsigned)(JOB_MODE_WORKSPACE | JOB_MODE_TRYING) : ~(unsigned)JOB_MODE_TRYING;
			learned_save(j);
		}
	}
	{
		struct strvec found = STRVEC_INIT;
		syslib_note(j, res, base.buf, *exit_code, &found);
		if (syslib_act(j, &j->self.apt, &found))
			ret = JOB_RETRY;
		strvec_clear(&found);
		if (ret)
			goto out;
	}

	if (j->incr_host) {
		/* The engine's incremental entries of this crate replace the host's. */
		struct strvec names = STRVEC_INIT;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s%s", res, j->spec.incr_dir);
		if (!access(p.buf, F_OK) && dir_entries(j->incr_host, &names) == 0)
			for (size_t i = 0; i < names.nr; i++)
				if (starts_with(names.v[i], j->spec.incr_prefix)) {
					strbuf_reset(&p);
					strbuf_addf(&p, "%s/%s", j->incr_host, names.v[i]);
					rm_rf(p.buf);
				}
		strvec_clear(&names);
	}
	if (*exit_code == 0) {
		struct land l = { j, err, cached == 2, NULL };
		struct strbuf kept = STRBUF_INIT;
		const char *from;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s%s", res, CT_TARGET);
		from = keep_outputs(j, p.buf, l.copy, &kept);
		strbuf_addf(&land_tmp, "%s.land", tmp.buf);
		l.tmp = land_tmp.buf;
		ret = !access(from, F_OK) && tree_walk(from, land_one, &l);
		strbuf_release(&kept);
		if (ret) {
			if (!err->len)
				strbuf_addf(err, "cannot land the outputs of %s", id);
			ret = EXIT_IO;
			goto out;
		}
		if (unit_write(&j->self, j->record_path, err) < 0) {
			ret = EXIT_IO;
			goto out;
		}
	}
	{
		static const char *kinds[] = { "miss", "hit", "local" };
		static const enum stats_kind stat_kinds[] = { STATS_BUILT, STATS_ENGINE_HIT, STATS_LOCAL_HIT };
		/* rustc's own failure counts as failed, whether it ran now or came from a cache. */
		enum stats_kind kind = *exit_code ? STATS_FAILED : stat_kinds[cached];
		LOG(LOG_INFO, "%s: %s, exit %d, engine %lld ms", id, kinds[cached], *exit_code, te / 1000000);
		stats_record(j->cfg, kind, id, NULL, now_ns() - t0, te);
	}

	/* Only now, with the outputs in place: cargo starts dependents on what it reads here. */
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/green/%s.stdout", res, id);
	replay(p.buf, 1, &j->pm, ESCAPE_NONE);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/green/%s.stderr", res, id);
	replay(p.buf, 2, &j->pm, j->stderr_escape);
out:
	if (ret > 0)
		stats_record(j->cfg, STATS_FAILED, id, NULL, now_ns() - t0, te);
	if (tmp.len)
		rm_rf(tmp.buf);
	if (land_tmp.len)
		unlink(land_tmp.buf);
	deps_slot_release(&slot);
	closure_release(&cl);
	engine_build_release(&b);
	strvec_clear(&ctx_names);
	strvec_clear(&secrets);
	strvec_clear(&dep_trees);
	strbuf_release(&land_tmp);
	strbuf_release(&base_id);
	strbuf_release(&df);
	strbuf_release(&head);
	strbuf_release(&deps_parent);
	strbuf_release(&entry);
	strbuf_release(&own);
	strbuf_release(&base);
	strbuf_release(&work);
	strbuf_release(&dfpath);
	strbuf_release(&logpath);
	strbuf_release(&tmp);
	strbuf_release(&empty);
	strbuf_release(&p);
	strbuf_release(&code);
	strbuf_release(&target);
	strbuf_release(&watch);
	return ret;
}

int job_run(struct job *j, int *exit_code, struct strbuf *err)
{
	int ret, attempt = 0;
	learned_load(j);
	for (;;) {
		struct strvec learn = STRVEC_INIT;
		ret = job_run_once(j, exit_code, &learn, err);
		if (ret != JOB_RETRY || attempt++ >= 3) {
			strvec_clear(&learn);
			break;
		}
		for (size_t i = 0; i < learn.nr; i++) {
			LOG(LOG_INFO, "%s: reads %s, which the host sets otherwise: again with it", j->spec.id, learn.v[i]);
			strvec_push(&j->learned_env, learn.v[i]);
		}
		if (learn.nr)
			learned_save(j);
		strvec_clear(&learn);
	}
	if (ret == JOB_RETRY) {
		struct strbuf p = STRBUF_INIT;
		learned_path(j, &p);
		strbuf_addf(err, "%s keeps reading variables it was not given (see %s)", j->spec.id, p.buf);
		strbuf_release(&p);
		ret = EXIT_ENGINE_FAILED;
	}
	return ret;
}
