#include "direct.h"
#include "fs.h"
#include "log.h"
#include "paths.h"
#include "sha256.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Lines kept per pre-key: the newest, a few builds back (a branch switched to and fro). */
#define DIRECT_KEEP 8

static void index_path(const char *prekey, struct strbuf *out)
{
	state_dir(out);
	strbuf_addf(out, "/direct/%.2s/%s", prekey, prekey);
}

/* The first 16 hex digits of the SHA-256 of file's contents; -1 when it cannot be read. */
static int file_digest(const char *file, char out[17])
{
	struct strbuf text = STRBUF_INIT;
	struct sha256 c;
	char hex[65];
	if (strbuf_read_file(&text, file) < 0) {
		strbuf_release(&text);
		return -1;
	}
	sha256_init(&c);
	sha256_update(&c, text.buf, text.len);
	sha256_hex(&c, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
	strbuf_release(&text);
	return 0;
}

void direct_depinfo_files(const char *text, struct strvec *out)
{
	const char *line = text;
	while (*line) {
		const char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
		/* "FILE:" alone on its line: one file read (the rule's own line has deps after its colon). */
		if (end > line && end[-1] == ':' && *line != '#') {
			struct strbuf f = STRBUF_INIT;
			for (const char *p = line; p < end - 1; p++) {
				if (*p == '\\' && p + 1 < end - 1 && (p[1] == ' ' || p[1] == '\\' || p[1] == '#' || p[1] == ':'))
					p++;
				strbuf_addch(&f, *p);
			}
			if (f.len && strvec_find(out, f.buf) < 0)
				strvec_push(out, f.buf);
			strbuf_release(&f);
		}
		line = nl ? nl + 1 : end;
	}
}

/* line's tab-separated fields into out. */
static void split_tabs(const char *line, struct strvec *out)
{
	for (const char *p = line;;) {
		const char *t = strchr(p, '\t');
		if (!t) {
			strvec_push(out, p);
			return;
		}
		strvec_pushf(out, "%.*s", (int)(t - p), p);
		p = t + 1;
	}
}

int direct_lookup(const char *prekey, const char *ctx_dir, char key[STORE_KEY_HEX])
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, file = STRBUF_INIT;
	struct strvec lines = STRVEC_INIT;
	int found = 0;
	index_path(prekey, &path);
	if (strbuf_read_file(&text, path.buf) < 0)
		goto out;
	for (char *l = text.buf, *nl; *l; l = nl ? nl + 1 : l + strlen(l)) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		strvec_push(&lines, l);
		if (!nl)
			break;
	}
	for (size_t i = lines.nr; i-- > 0 && !found;) {
		struct strvec f = STRVEC_INIT;
		int same = 1;
		split_tabs(lines.v[i], &f);
		if (f.nr < 1 || strlen(f.v[0]) != STORE_KEY_HEX - 1 || f.nr % 2 == 0)
			same = 0;
		for (size_t k = 1; same && k + 1 < f.nr; k += 2) {
			char d[17];
			strbuf_reset(&file);
			strbuf_addf(&file, "%s/%s", ctx_dir, f.v[k]);
			same = file_digest(file.buf, d) == 0 && !strcmp(d, f.v[k + 1]);
		}
		if (same) {
			memcpy(key, f.v[0], STORE_KEY_HEX);
			found = 1;
		}
		strvec_clear(&f);
	}
out:
	strvec_clear(&lines);
	strbuf_release(&path);
	strbuf_release(&text);
	strbuf_release(&file);
	return found;
}

struct depinfo {
	struct strvec files;
};

static int collect_depinfo(const char *root, const char *rel, void *data)
{
	struct depinfo *d = data;
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	if (ends_with(rel, ".d")) {
		strbuf_addf(&p, "%s/%s", root, rel);
		if (strbuf_read_file(&text, p.buf) == 0)
			direct_depinfo_files(text.buf, &d->files);
	}
	strbuf_release(&p);
	strbuf_release(&text);
	return 0;
}

void direct_files_compiled(const char *root, struct strvec *out)
{
	struct depinfo d = { STRVEC_INIT };
	struct strbuf tree = STRBUF_INIT;
	strbuf_addf(&tree, "%s%s", root, CT_TARGET);
	if (!access(tree.buf, F_OK))
		tree_walk(tree.buf, collect_depinfo, &d);
	strvec_pushv(out, d.files.v);
	strvec_clear(&d.files);
	strbuf_release(&tree);
}

int direct_files_rerun(const char *out, struct strvec *files)
{
	int any = 0;
	for (const char *l = out; *l;) {
		const char *nl = strchr(l, '\n'), *end = nl ? nl : l + strlen(l), *v = NULL;
		if (starts_with(l, "cargo:rerun-if-changed="))
			v = l + strlen("cargo:rerun-if-changed=");
		else if (starts_with(l, "cargo::rerun-if-changed="))
			v = l + strlen("cargo::rerun-if-changed=");
		if (v) {
			any = 1;
			strvec_pushf(files, "%.*s", (int)(end - v), v);
		}
		l = nl ? nl + 1 : end;
	}
	return any;
}

void direct_record(const char *prekey, const char *ctx_dir, const char *ctx_mount, const char *workdir,
		   const struct strvec *read, const char *key)
{
	struct strbuf line = STRBUF_INIT, path = STRBUF_INIT, old = STRBUF_INIT, file = STRBUF_INIT, text = STRBUF_INIT;
	struct strvec rels = STRVEC_INIT, keep = STRVEC_INIT;
	size_t ml = strlen(ctx_mount);

	for (size_t i = 0; i < read->nr; i++) {
		char *n;
		/* rustc names them as it was given them: relative to its cwd, or absolute, ".." and all */
		strbuf_reset(&file);
		if (read->v[i][0] != '/')
			strbuf_addf(&file, "%s/", workdir);
		strbuf_addstr(&file, read->v[i]);
		n = path_normalize(file.buf);
		if (!strncmp(n, ctx_mount, ml) && n[ml] == '/' && !strchr(n + ml + 1, '\t')) {
			if (strvec_find(&rels, n + ml + 1) < 0)
				strvec_push(&rels, n + ml + 1);
		} else if (!path_under(n, CT_TARGET) && !path_under(n, CT_CARGO_HOME)) {
			/* A file neither its sources nor what its dependencies'
			 * keys cover (their outputs, the registry's crates): it
			 * cannot be vouched for here, so neither can the build. */
			free(n);
			goto out;
		}
		free(n);
	}
	if (!rels.nr)
		goto out; /* (no dep-info: nothing to vouch for it) */
	strvec_sort(&rels);
	strbuf_addstr(&line, key);
	for (size_t i = 0; i < rels.nr; i++) {
		char dg[17];
		strbuf_reset(&file);
		strbuf_addf(&file, "%s/%s", ctx_dir, rels.v[i]);
		if (file_digest(file.buf, dg) < 0)
			goto out; /* it read a file that is gone: not vouched for */
		strbuf_addf(&line, "\t%s\t%s", rels.v[i], dg);
	}
	index_path(prekey, &path);
	if (strbuf_read_file(&old, path.buf) == 0)
		for (char *l = old.buf, *nl; *l; l = nl ? nl + 1 : l + strlen(l)) {
			nl = strchr(l, '\n');
			if (nl)
				*nl = '\0';
			if (*l && strcmp(l, line.buf))
				strvec_push(&keep, l);
			if (!nl)
				break;
		}
	for (size_t i = keep.nr > DIRECT_KEEP - 1 ? keep.nr - (DIRECT_KEEP - 1) : 0; i < keep.nr; i++)
		strbuf_addf(&text, "%s\n", keep.v[i]);
	strbuf_addf(&text, "%s\n", line.buf);
	if (mkdir_parent(path.buf, 0755) < 0 || write_file_atomic(path.buf, text.buf, text.len, 0644) < 0)
		LOG(LOG_WARN, "cannot write '%s': %s", path.buf, strerror(errno));
out:
	strvec_clear(&rels);
	strvec_clear(&keep);
	strbuf_release(&line);
	strbuf_release(&path);
	strbuf_release(&old);
	strbuf_release(&file);
	strbuf_release(&text);
}
