#include "unit.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void unit_release(struct unit *u)
{
	free(u->id);
	free(u->ctx_name);
	free(u->ctx_dir);
	free(u->ctx_origin);
	free(u->ctx_mount);
	free(u->ws_root);
	strvec_clear(&u->deps);
	free(u->stage);
	free(u->key);
	strvec_clear(&u->apt);
	free(u->built_on);
	free(u->base);
	memset(u, 0, sizeof(*u));
	strvec_init(&u->deps);
	strvec_init(&u->apt);
}

int unit_write(const struct unit *u, const char *path, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = 0;
	strbuf_addf(&sb, "cargo-green unit 1\nid %s\n", u->id);
	if (u->ctx_name)
		strbuf_addf(&sb, "ctx %s\t%s\t%s\t%s\n", u->ctx_name, u->ctx_dir, u->ctx_origin, u->ctx_mount);
	if (u->ws_root)
		strbuf_addf(&sb, "ws %s\n", u->ws_root);
	if (u->ctx_full)
		strbuf_addstr(&sb, "ctx-full\n");
	if (u->local)
		strbuf_addstr(&sb, "local\n");
	for (size_t i = 0; i < u->deps.nr; i++)
		strbuf_addf(&sb, "dep %s\n", u->deps.v[i]);
	if (u->key)
		strbuf_addf(&sb, "key %s\n", u->key);
	for (size_t i = 0; i < u->apt.nr; i++)
		strbuf_addf(&sb, "apt %s\n", u->apt.v[i]);
	if (u->base)
		strbuf_addf(&sb, "base %s\n", u->base);
	if (u->built_on)
		strbuf_addf(&sb, "built-on %s\n", u->built_on);
	strbuf_addf(&sb, "stage\n%s", u->stage);
	if (write_file_atomic(path, sb.buf, sb.len, 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		ret = -1;
	}
	strbuf_release(&sb);
	return ret;
}

int unit_read(struct unit *u, const char *path, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *next;
	int ret = -1;

	if (strbuf_read_file(&sb, path) < 0) {
		strbuf_addf(err, "cannot read the record '%s': %s (was it built without cargo-green? run cargo clean)", path, strerror(errno));
		goto out;
	}
	if (!starts_with(sb.buf, "cargo-green unit 1\n"))
		goto bad;
	for (line = strchr(sb.buf, '\n') + 1; *line; line = next) {
		const char *v;
		char *nl = strchr(line, '\n');
		if (!nl)
			goto bad;
		*nl = '\0';
		next = nl + 1;
		if (skip_prefix(line, "id ", &v)) {
			free(u->id);
			u->id = xstrdup(v);
		} else if (skip_prefix(line, "ctx ", &v)) {
			const char *t1 = strchr(v, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
			const char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
			if (!t3 || u->ctx_name)
				goto bad;
			u->ctx_name = xstrndup(v, (size_t)(t1 - v));
			u->ctx_dir = xstrndup(t1 + 1, (size_t)(t2 - t1 - 1));
			u->ctx_origin = xstrndup(t2 + 1, (size_t)(t3 - t2 - 1));
			u->ctx_mount = xstrdup(t3 + 1);
		} else if (skip_prefix(line, "ws ", &v)) {
			free(u->ws_root);
			u->ws_root = xstrdup(v);
		} else if (!strcmp(line, "ctx-full")) {
			u->ctx_full = 1;
		} else if (!strcmp(line, "local")) {
			u->local = 1;
		} else if (skip_prefix(line, "dep ", &v)) {
			strvec_push(&u->deps, v);
		} else if (skip_prefix(line, "key ", &v)) {
			free(u->key);
			u->key = xstrdup(v);
		} else if (skip_prefix(line, "apt ", &v)) {
			strvec_push(&u->apt, v);
		} else if (skip_prefix(line, "base ", &v)) {
			free(u->base);
			u->base = xstrdup(v);
		} else if (skip_prefix(line, "built-on ", &v)) {
			free(u->built_on);
			u->built_on = xstrdup(v);
		} else if (!strcmp(line, "stage")) {
			u->stage = xstrdup(next);
			break;
		} else {
			goto bad;
		}
	}
	if (!u->id || !u->stage)
		goto bad;
	ret = 0;
	goto out;
bad:
	strbuf_addf(err, "the record '%s' is malformed (delete it and rebuild)", path);
out:
	strbuf_release(&sb);
	return ret;
}

static int visit(struct closure *c, const char *path, int depth, struct strbuf *err)
{
	struct unit u = UNIT_INIT;
	if (strvec_find(&c->paths, path) >= 0)
		return 0;
	if (depth > 10000) {
		strbuf_addf(err, "dependency cycle through '%s'", path);
		return -1;
	}
	if (unit_read(&u, path, err) < 0)
		return -1;
	for (size_t i = 0; i < u.deps.nr; i++)
		if (visit(c, u.deps.v[i], depth + 1, err) < 0) {
			unit_release(&u);
			return -1;
		}
	c->units = xrealloc(c->units, (c->nr + 1) * sizeof(*c->units));
	c->units[c->nr++] = u;
	strvec_push(&c->paths, path);
	return 0;
}

int closure_collect(struct closure *c, const struct strvec *deps, struct strbuf *err)
{
	for (size_t i = 0; i < deps->nr; i++)
		if (visit(c, deps->v[i], 0, err) < 0)
			return -1;
	return 0;
}

void closure_release(struct closure *c)
{
	for (size_t i = 0; i < c->nr; i++)
		unit_release(&c->units[i]);
	free(c->units);
	strvec_clear(&c->paths);
	c->units = NULL;
	c->nr = 0;
}

char *unit_record_for_artifact(const char *path)
{
	const char *base = path_basename(path);
	const char *dot;
	struct strbuf sb = STRBUF_INIT;
	size_t dirlen = (size_t)(base - path);

	if (starts_with(base, "lib"))
		base += 3;
	/* NAME-HASH.EXT, or NAME.EXT for a unit cargo names without a hash (a
	 * cdylib or dylib): neither a crate name nor a hash holds a dot. */
	dot = strchr(base, '.');
	if (!dot)
		dot = base + strlen(base);
	if (dot == base)
		return NULL;
	strbuf_add(&sb, path, dirlen);
	strbuf_add(&sb, base, (size_t)(dot - base));
	strbuf_addstr(&sb, ".green");
	return strbuf_detach(&sb, NULL);
}

char *unit_record_path(const char *out_dir, const char *crate_name, const char *extra_filename)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s/%s%s.green", out_dir, crate_name, extra_filename);
	return strbuf_detach(&sb, NULL);
}

char *unit_local_mark(const char *record)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s.local", record);
	return strbuf_detach(&sb, NULL);
}

char *unit_record_for_out_dir(const char *out_dir)
{
	size_t n = strlen(out_dir);
	while (n > 1 && out_dir[n - 1] == '/')
		n--;
	if (n < 4 || strncmp(out_dir + n - 4, "/out", 4))
		return NULL;
	return unit_record_for_run_dir(out_dir, n - 4);
}

char *unit_record_for_run_dir(const char *run_dir, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_add(&sb, run_dir, len);
	strbuf_addstr(&sb, "/build-script-run.green");
	return strbuf_detach(&sb, NULL);
}
