#include "manifest.h"
#include "paths.h"
#include "fs.h"
#include "hash.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "banned.h"

#include <limits.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *arg_value(int argc, const char **argv, const char *s, const char *l)
{
	size_t ll = strlen(l);
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if ((s && !strcmp(argv[i], s)) || !strcmp(argv[i], l))
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (!strncmp(argv[i], l, ll) && argv[i][ll] == '=')
			return argv[i] + ll + 1;
		if (s && !strncmp(argv[i], s, 2) && argv[i][2])
			return argv[i] + 2;
	}
	return NULL;
}

const char *manifest_arg_package(int argc, const char **argv)
{
	return arg_value(argc, argv, "-p", "--package");
}

const char *manifest_arg_path(int argc, const char **argv)
{
	return arg_value(argc, argv, NULL, "--manifest-path");
}

/* Length of the directory part of a manifest path ("/a/b/Cargo.toml" -> 4). */
static size_t dir_len(const char *manifest)
{
	const char *slash = strrchr(manifest, '/');
	return slash ? (size_t)(slash - manifest) : 0;
}

static const struct json *green_of(const struct json *metadata)
{
	const struct json *g = json_get(metadata, "green");
	return g && g->type != JV_NULL ? g : NULL;
}

/* A memo of `cargo metadata`'s answer, valid while every file and directory
 * it stands on is unchanged: the manifests, their directories and those
 * directories' parents (where a new member of a glob would appear), and the
 * workspace root. Saves ~30 ms on every `cargo green` run. Unchanged is
 * cargo's rule, the same file (device, inode), size and mtime: not the
 * ctime, which a source mirror's hard link moves (each local compile
 * makes one of its package), so the edit loop's every run missed. */
static void stat_line(struct strbuf *sb, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		strbuf_addf(sb, "stat %s\t-\n", path);
	else
		strbuf_addf(sb, "stat %s\t%lu %lu %lld %lld.%09ld\n", path, (unsigned long)st.st_dev,
			    (unsigned long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void memo_path(const char *cargo, const char *mpath, int with_deps, struct strbuf *out)
{
	struct strbuf key = STRBUF_INIT;
	char cwd[PATH_MAX], hex[17];
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	strbuf_addf(&key, "%s\n%s\n%s\n%s%s", cwd, mpath ? mpath : "", cargo,
		    getenv("CARGO_HOME") ? getenv("CARGO_HOME") : "", with_deps ? "\ndeps" : "");
	hash_hex(key.buf, hex);
	state_dir(out);
	strbuf_addf(out, "/manifest/%s", hex);
	strbuf_release(&key);
}

/* The memo's JSON if every stat line still holds, else -1. */
static int memo_read(const char *path, struct strbuf *json)
{
	struct strbuf text = STRBUF_INIT, now = STRBUF_INIT;
	const char *line, *body;
	int ret = -1;
	if (strbuf_read_file(&text, path) < 0 || !starts_with(text.buf, "cargo-green manifest 1\n"))
		goto out;
	body = strstr(text.buf, "\njson\n");
	if (!body)
		goto out;
	for (line = strchr(text.buf, '\n') + 1; line < body + 1; line = strchr(line, '\n') + 1) {
		const char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
		char *p;
		if (!starts_with(line, "stat ") || !tab || tab > nl)
			goto out;
		p = xstrndup(line + 5, (size_t)(tab - line - 5));
		strbuf_reset(&now);
		stat_line(&now, p);
		free(p);
		if (now.len != (size_t)(nl - line + 1) || memcmp(now.buf, line, now.len))
			goto out;
	}
	strbuf_addstr(json, body + strlen("\njson\n"));
	ret = 0;
out:
	strbuf_release(&text);
	strbuf_release(&now);
	return ret;
}

/* Is id one of the workspace's members? */
static int is_member(const struct json *root, const char *id)
{
	const struct json *ms = json_get(root, "workspace_members");
	for (size_t i = 0; id && ms && ms->type == JV_ARRAY && i < ms->nr; i++)
		if (json_str(&ms->items[i]) && !strcmp(json_str(&ms->items[i]), id))
			return 1;
	return 0;
}

static void memo_write(const char *path, const struct json *root, const char *json, int with_deps)
{
	struct strbuf text = STRBUF_INIT, dir = STRBUF_INIT;
	const struct json *pkgs = json_get(root, "packages");
	const char *wr = json_str(json_get(root, "workspace_root"));
	strbuf_addstr(&text, "cargo-green manifest 1\n");
	if (wr) {
		strbuf_addf(&dir, "%s/Cargo.toml", wr);
		stat_line(&text, wr);
		stat_line(&text, dir.buf);
		if (with_deps) {
			/* The resolved graph: what the lock file says. */
			strbuf_reset(&dir);
			strbuf_addf(&dir, "%s/Cargo.lock", wr);
			stat_line(&text, dir.buf);
		}
	}
	for (size_t i = 0; pkgs && pkgs->type == JV_ARRAY && i < pkgs->nr; i++) {
		const char *mp = json_str(json_get(&pkgs->items[i], "manifest_path"));
		char *d, *slash;
		if (!mp)
			continue;
		stat_line(&text, mp);
		if (with_deps && !is_member(root, json_str(json_get(&pkgs->items[i], "id"))))
			continue;
		d = xstrdup(mp);
		if ((slash = strrchr(d, '/'))) {
			*slash = '\0';
			stat_line(&text, d);
			if ((slash = strrchr(d, '/')) && slash != d) {
				*slash = '\0';
				stat_line(&text, d);
			}
		}
		free(d);
	}
	strbuf_addf(&text, "json\n%s", json);
	mkdir_parent(path, 0755);
	write_file_atomic(path, text.buf, text.len, 0644);
	strbuf_release(&text);
	strbuf_release(&dir);
}

/* cargo metadata's answer (memoized) in root: 0; 1 when cargo metadata
 * failed (why says how); -1 when cargo could not be run. With with_deps,
 * the whole graph (offline first: cargo fetches what a build would anyway). */
static int metadata_get(struct json *root, const char *cargo, const char *mpath, int with_deps, int offline_only,
			struct strbuf *why)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, memo = STRBUF_INIT;
	int ret = 0;

	memo_path(cargo, mpath, with_deps, &memo);
	if (memo_read(memo.buf, &out) == 0 && json_parse(out.buf, out.len, root, &err) == 0)
		goto out;
	for (int offline = 1; offline >= 0; offline--) {
		struct child c = CHILD_INIT;
		int rc;
		strbuf_reset(&out);
		strbuf_reset(&err);
		strvec_push(&c.args, cargo);
		strvec_pushl(&c.args, "metadata", "--format-version", "1", NULL);
		if (!with_deps)
			strvec_push(&c.args, "--no-deps");
		if (offline)
			strvec_push(&c.args, "--offline");
		if (mpath)
			strvec_pushf(&c.args, "--manifest-path=%s", mpath);
		c.stderr_path = "";
		c.stdin_path = "";
		rc = run_capture(&c, &out, &err);
		child_release(&c);
		if (rc < 0) {
			strbuf_addbuf(why, &err);
			ret = -1;
			goto out;
		}
		if (!rc)
			break;
		if (!offline || !with_deps || offline_only) {
			strbuf_addf(why, "cargo metadata exited with %d", rc);
			ret = 1;
			goto out;
		}
	}
	if (json_parse(out.buf, out.len, root, &err) < 0) {
		strbuf_addf(why, "cargo metadata printed unreadable JSON: %s", err.buf);
		ret = 1;
		goto out;
	}
	memo_write(memo.buf, root, out.buf, with_deps);
out:
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&memo);
	return ret;
}

static int has_flag(int argc, const char **argv, const char *flag)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], flag))
			return 1;
	return 0;
}

static int cmp_ids(const void *a, const void *b)
{
	return strcmp(((const struct manifest_pkg *const *)a)[0]->id, ((const struct manifest_pkg *const *)b)[0]->id);
}

/* For each package, the members with a green table it is built for: the
 * members from which the resolved graph reaches it. */
static void reach(struct manifest *m)
{
	const struct json *nodes = json_get(json_get(&m->root, "resolve"), "nodes");
	struct manifest_pkg **by_id = xcalloc(m->nr ? m->nr : 1, sizeof(*by_id)), ***adj;
	size_t *adj_nr, *stack;
	unsigned char *seen;
	size_t n = 0;

	if (!nodes || nodes->type != JV_ARRAY) {
		free(by_id);
		return;
	}
	for (size_t i = 0; i < m->nr; i++)
		if (m->pkgs[i].id)
			by_id[n++] = &m->pkgs[i];
	qsort(by_id, n, sizeof(*by_id), cmp_ids);
	adj = xcalloc(m->nr ? m->nr : 1, sizeof(*adj));
	adj_nr = xcalloc(m->nr ? m->nr : 1, sizeof(*adj_nr));
	for (size_t i = 0; i < nodes->nr; i++) {
		const struct json *node = &nodes->items[i], *deps = json_get(node, "deps");
		struct manifest_pkg key = { 0 }, *kp = &key, **from, **to;
		key.id = json_str(json_get(node, "id"));
		if (!key.id || !deps || deps->type != JV_ARRAY ||
		    !(from = bsearch(&kp, by_id, n, sizeof(*by_id), cmp_ids)))
			continue;
		size_t f = (size_t)(*from - m->pkgs);
		adj[f] = xrealloc(adj[f], (adj_nr[f] + deps->nr) * sizeof(**adj));
		for (size_t d = 0; d < deps->nr; d++) {
			key.id = json_str(json_get(&deps->items[d], "pkg"));
			if (key.id && (to = bsearch(&kp, by_id, n, sizeof(*by_id), cmp_ids)))
				adj[f][adj_nr[f]++] = *to;
		}
	}
	seen = xcalloc(m->nr ? m->nr : 1, 1);
	stack = xcalloc(m->nr ? m->nr : 1, sizeof(*stack));
	for (size_t s = 0; s < m->nr; s++) {
		size_t top = 0;
		if (!m->pkgs[s].member || !m->pkgs[s].green)
			continue;
		memset(seen, 0, m->nr);
		seen[s] = 1;
		stack[top++] = s;
		while (top) {
			size_t u = stack[--top];
			for (size_t e = 0; e < adj_nr[u]; e++) {
				size_t v = (size_t)(adj[u][e] - m->pkgs);
				if (seen[v])
					continue;
				seen[v] = 1;
				stack[top++] = v;
				if (!m->pkgs[v].member) {
					struct manifest_pkg *p = &m->pkgs[v];
					p->from = xrealloc(p->from, (p->from_nr + 1) * sizeof(*p->from));
					p->from[p->from_nr++] = s;
				}
			}
		}
	}
	for (size_t i = 0; i < m->nr; i++)
		free(adj[i]);
	free(adj);
	free(adj_nr);
	free(seen);
	free(stack);
	free(by_id);
}

int manifest_read(struct manifest *m, const char *cargo, int argc, const char **argv, struct strbuf *why)
{
	const char *want_pkg = manifest_arg_package(argc, argv), *mpath = manifest_arg_path(argc, argv);
	int offline_only = has_flag(argc, argv, "--offline") || has_flag(argc, argv, "--frozen");
	const struct json *pkgs, *root;
	char cwd[PATH_MAX], real[PATH_MAX];
	size_t best = 0;
	int rc, tables = 0;

	memset(m, 0, sizeof(*m));
	rc = metadata_get(&m->root, cargo, mpath, 0, offline_only, why);
	if (rc)
		return rc < 0 ? -1 : 0;
	/* Only a member's own table reaches past its units, to the crates it
	 * depends on: the graph is needed only when one has a table. */
	pkgs = json_get(&m->root, "packages");
	for (size_t i = 0; pkgs && pkgs->type == JV_ARRAY && i < pkgs->nr; i++)
		tables |= !!green_of(json_get(&pkgs->items[i], "metadata"));
	if (tables) {
		struct json full;
		struct strbuf no = STRBUF_INIT;
		memset(&full, 0, sizeof(full));
		if (metadata_get(&full, cargo, mpath, 1, offline_only, &no) == 0) {
			json_release(&m->root);
			m->root = full;
		} else {
			LOG(LOG_WARN, "no dependency graph (%s): dependencies get the workspace's settings only", no.buf);
		}
		strbuf_release(&no);
	}
	root = &m->root;
	{
		const char *wr = json_str(json_get(root, "workspace_root"));
		if (wr) {
			struct strbuf p = STRBUF_INIT;
			strbuf_addf(&p, "%s/Cargo.toml", wr);
			m->workspace_path = strbuf_detach(&p, NULL);
		}
	}
	m->toml.workspace = green_of(json_get(root, "metadata"));
	m->toml.workspace_path = m->workspace_path;

	pkgs = json_get(root, "packages");
	if (pkgs && pkgs->type == JV_ARRAY && pkgs->nr) {
		m->pkgs = xcalloc(pkgs->nr, sizeof(*m->pkgs));
		for (size_t i = 0; i < pkgs->nr; i++) {
			const struct json *p = &pkgs->items[i];
			struct manifest_pkg *mp = &m->pkgs[m->nr];
			mp->name = json_str(json_get(p, "name"));
			mp->id = json_str(json_get(p, "id"));
			mp->manifest_path = json_str(json_get(p, "manifest_path"));
			if (!mp->name || !mp->manifest_path)
				continue;
			mp->dir = xstrndup(mp->manifest_path, dir_len(mp->manifest_path));
			/* (without --no-deps, packages beyond the workspace are listed too) */
			mp->member = is_member(root, mp->id);
			mp->green = mp->member ? green_of(json_get(p, "metadata")) : NULL;
			m->nr++;
		}
	}
	if (tables)
		reach(m);

	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	if (mpath && realpath(mpath, real))
		mpath = real;
	for (size_t i = 0; i < m->nr; i++) {
		const struct manifest_pkg *p = &m->pkgs[i];
		size_t n = dir_len(p->manifest_path);
		if (!p->member)
			continue;
		if (want_pkg) {
			if (strcmp(p->name, want_pkg))
				continue;
		} else if (mpath) {
			if (strcmp(p->manifest_path, mpath))
				continue;
		} else if (!(cwd[0] && !strncmp(cwd, p->manifest_path, n) && (cwd[n] == '/' || !cwd[n]) && n > best)) {
			continue;
		}
		best = n;
		m->package_path = p->manifest_path;
		m->toml.package = p->green;
		m->toml.package_path = p->manifest_path;
		if (want_pkg || mpath)
			break;
	}
	LOG(LOG_DEBUG, "settings from %s%s%s", m->workspace_path ? m->workspace_path : "(no workspace)",
	    m->package_path ? " and " : "", m->package_path ? m->package_path : "");
	return 0;
}

void manifest_release(struct manifest *m)
{
	for (size_t i = 0; i < m->nr; i++) {
		free(m->pkgs[i].dir);
		free(m->pkgs[i].from);
	}
	free(m->pkgs);
	json_release(&m->root);
	free(m->workspace_path);
	memset(m, 0, sizeof(*m));
}

/* The values of cfg that came from origin o, as handoff lines of layer. */
static void add_layer(struct strbuf *out, int layer, const struct config *cfg, enum origin o)
{
	for (unsigned i = 0; i < S__NR; i++)
		if (cfg->v[i].origin == o)
			config_handoff_value(out, layer, &settings[i], cfg->v[i].where, cfg->v[i].text);
}

/* The layer of a crate built for the members from[]: each setting some of
 * them set, lists joined, other values the same in all. -1 with err if not. */
static int merged_layer(struct strbuf *out, int layer, const struct manifest *m, const struct config *cfgs,
			const size_t *from, size_t from_nr, const char *crate, struct strbuf *err)
{
	for (unsigned i = 0; i < S__NR; i++) {
		struct strvec items = STRVEC_INIT;
		const struct config_value *first = NULL;
		size_t first_pkg = 0;
		for (size_t k = 0; k < from_nr; k++) {
			const struct config_value *v = &cfgs[from[k]].v[i];
			if (v->origin != ORIGIN_PACKAGE)
				continue;
			if (!first) {
				first = v;
				first_pkg = from[k];
			}
			if (settings[i].kind == KIND_LIST) {
				for (size_t n = 0; n < v->list.nr; n++)
					if (strvec_find(&items, v->list.v[n]) < 0)
						strvec_push(&items, v->list.v[n]);
			} else if (strcmp(v->text, first->text)) {
				strbuf_addf(err, "%s = \"%s\" in [package.metadata.green] of %s and \"%s\" in that of %s: %s, a dependency of both, is built once, with one value; give them the same value, or set it in [workspace.metadata.green] only",
					    settings[i].toml, first->text, m->pkgs[first_pkg].manifest_path, v->text,
					    m->pkgs[from[k]].manifest_path, crate);
				strvec_clear(&items);
				return -1;
			}
		}
		if (first) {
			struct strbuf text = STRBUF_INIT;
			if (settings[i].kind == KIND_LIST)
				for (size_t n = 0; n < items.nr; n++)
					strbuf_addf(&text, "%s%s", n ? "," : "", items.v[n]);
			else
				strbuf_addstr(&text, first->text);
			config_handoff_value(out, layer, &settings[i], first->where, text.buf);
			strbuf_release(&text);
		}
		strvec_clear(&items);
	}
	return 0;
}

int manifest_handoff(const struct manifest *m, struct strbuf *out, struct strbuf *err)
{
	struct config *cfgs = xcalloc(m->nr ? m->nr : 1, sizeof(*cfgs));
	struct config ws;
	int layer = 0, ret = -1;
	size_t *group = xcalloc(m->nr ? m->nr : 1, sizeof(*group)); /* a crate's layer: that of the first crate with its from[] */
	struct config_toml t = { m->toml.workspace, m->toml.workspace_path, NULL, NULL };

	if (config_load(&ws, &t, err) < 0) {
		config_release(&ws);
		goto out;
	}
	add_layer(out, -1, &ws, ORIGIN_WORKSPACE);
	config_release(&ws);
	for (size_t i = 0; i < m->nr; i++) {
		const struct manifest_pkg *p = &m->pkgs[i];
		if (!p->member || !p->green)
			continue;
		t.package = p->green;
		t.package_path = p->manifest_path;
		if (config_load(&cfgs[i], &t, err) < 0)
			goto out;
		add_layer(out, layer, &cfgs[i], ORIGIN_PACKAGE);
		config_handoff_dir(out, layer++, p->dir);
	}
	for (size_t i = 0; i < m->nr; i++) {
		const struct manifest_pkg *p = &m->pkgs[i];
		size_t same = i;
		if (p->member || !p->from_nr)
			continue;
		for (size_t k = 0; k < i && same == i; k++)
			if (!m->pkgs[k].member && m->pkgs[k].from_nr == p->from_nr &&
			    !memcmp(m->pkgs[k].from, p->from, p->from_nr * sizeof(*p->from)))
				same = k;
		if (same == i) {
			if (merged_layer(out, layer, m, cfgs, p->from, p->from_nr, p->name, err) < 0)
				goto out;
			group[i] = (size_t)layer++;
		} else {
			group[i] = group[same];
		}
		config_handoff_dir(out, (int)group[i], p->dir);
	}
	ret = 0;
out:
	for (size_t i = 0; i < m->nr; i++)
		if (cfgs[i].v[0].list.v)
			config_release(&cfgs[i]);
	free(cfgs);
	free(group);
	return ret;
}
