#include "manifest.h"
#include "base.h"
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
 * workspace root. Saves ~30 ms on every `cargo green` run. */
static void stat_line(struct strbuf *sb, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		strbuf_addf(sb, "stat %s\t-\n", path);
	else
		strbuf_addf(sb, "stat %s\t%lu %lu %lld %lld.%09ld %lld.%09ld\n", path, (unsigned long)st.st_dev,
			    (unsigned long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

static void memo_path(const char *cargo, const char *mpath, struct strbuf *out)
{
	struct strbuf key = STRBUF_INIT;
	char cwd[PATH_MAX], hex[17];
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	strbuf_addf(&key, "%s\n%s\n%s\n%s", cwd, mpath ? mpath : "", cargo,
		    getenv("CARGO_HOME") ? getenv("CARGO_HOME") : "");
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

static void memo_write(const char *path, const struct json *root, const char *json)
{
	struct strbuf text = STRBUF_INIT, dir = STRBUF_INIT;
	const struct json *pkgs = json_get(root, "packages");
	const char *wr = json_str(json_get(root, "workspace_root"));
	strbuf_addstr(&text, "cargo-green manifest 1\n");
	if (wr) {
		strbuf_addf(&dir, "%s/Cargo.toml", wr);
		stat_line(&text, wr);
		stat_line(&text, dir.buf);
	}
	for (size_t i = 0; pkgs && pkgs->type == JV_ARRAY && i < pkgs->nr; i++) {
		const char *mp = json_str(json_get(&pkgs->items[i], "manifest_path"));
		char *d, *slash;
		if (!mp)
			continue;
		stat_line(&text, mp);
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

int manifest_read(struct manifest *m, const char *cargo, int argc, const char **argv, struct strbuf *why)
{
	struct child c = CHILD_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, memo = STRBUF_INIT;
	const char *want_pkg = manifest_arg_package(argc, argv), *mpath = manifest_arg_path(argc, argv);
	const struct json *pkgs, *root;
	char cwd[PATH_MAX], real[PATH_MAX];
	size_t best = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	memo_path(cargo, mpath, &memo);
	if (memo_read(memo.buf, &out) < 0 || json_parse(out.buf, out.len, &m->root, &err) < 0) {
		strbuf_reset(&out);
		strbuf_reset(&err);
		strvec_push(&c.args, cargo);
		strvec_pushl(&c.args, "metadata", "--format-version", "1", "--no-deps", "--offline", NULL);
		if (mpath)
			strvec_pushf(&c.args, "--manifest-path=%s", mpath);
		c.stderr_path = "";
		c.stdin_path = "";
		rc = run_capture(&c, &out, &err);
		child_release(&c);
		if (rc < 0) {
			strbuf_addbuf(why, &err);
			goto fail;
		}
		if (rc) {
			strbuf_addf(why, "cargo metadata exited with %d", rc);
			goto none;
		}
		if (json_parse(out.buf, out.len, &m->root, &err) < 0) {
			strbuf_addf(why, "cargo metadata printed unreadable JSON: %s", err.buf);
			goto none;
		}
		memo_write(memo.buf, &m->root, out.buf);
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

	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	if (mpath && realpath(mpath, real))
		mpath = real;
	pkgs = json_get(root, "packages");
	for (size_t i = 0; pkgs && pkgs->type == JV_ARRAY && i < pkgs->nr; i++) {
		const struct json *p = &pkgs->items[i];
		const char *name = json_str(json_get(p, "name")), *path = json_str(json_get(p, "manifest_path"));
		size_t n;
		if (!name || !path)
			continue;
		n = dir_len(path);
		if (want_pkg) {
			if (strcmp(name, want_pkg))
				continue;
		} else if (mpath) {
			if (strcmp(path, mpath))
				continue;
		} else if (!(cwd[0] && !strncmp(cwd, path, n) && (cwd[n] == '/' || !cwd[n]) && n > best)) {
			continue;
		}
		best = n;
		m->package_path = path;
		m->toml.package = green_of(json_get(p, "metadata"));
		m->toml.package_path = path;
		if (want_pkg || mpath)
			break;
	}
	strbuf_release(&memo);
	LOG(LOG_DEBUG, "settings from %s%s%s", m->workspace_path ? m->workspace_path : "(no workspace)",
	    m->package_path ? " and " : "", m->package_path ? m->package_path : "");
	strbuf_release(&out);
	strbuf_release(&err);
	return 0;
none:
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&memo);
	return 0;
fail:
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&memo);
	return -1;
}

void manifest_release(struct manifest *m)
{
	json_release(&m->root);
	free(m->workspace_path);
	memset(m, 0, sizeof(*m));
}
