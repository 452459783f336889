#include "land.h"
#include "fs.h"
#include "log.h"
#include "paths.h"
#include "store.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

void land_replay(const struct strbuf *text, int fd, const struct pathmap *pm, enum rewrite_escape esc)
{
	struct strbuf out = STRBUF_INIT;
	if (text->len) {
		pathmap_rewrite(pm, 1, esc, text->buf, text->len, &out);
		write_all(fd, out.buf, out.len);
	}
	strbuf_release(&out);
}

/* Where a unit's outputs are kept, as the engine made them (container
 * paths in .d files, a build script's real binary), laid out as CT_TARGET:
 * what a dependent's stage mounts instead of rebuilding its e- stages. */
static void out_dir(const struct job *j, const char *id, struct strbuf *out)
{
	strbuf_addf(out, "%s/cargo-green/out/%s", j->host_target, id);
}

/* Where a unit's outputs are, as the engine made them: the stored tree of
 * its key, or its out dir when the store has none. The stored tree first:
 * its files never change, mtimes included, where landing gives the out
 * dir's (hard links of what lands in target/) the time of each run; the
 * engine syncs the deps context by difference of stat data, and would be
 * sent again, every run, what it already has. 0, or -1 when neither is
 * there. */
int land_unit_outputs(const struct job *j, const struct unit *u, struct strbuf *path)
{
	strbuf_reset(path);
	/* (digests too, by stat data mostly: a dependency cargo did not run
	 * again had no lookup of its own in this build) */
	if (u->key && store_lookup(u->key, STORE_DEP, path)) {
		strbuf_addstr(path, CT_TARGET);
		if (!access(path->buf, F_OK))
			return 0;
	}
	strbuf_reset(path);
	out_dir(j, u->id, path);
	return access(path->buf, F_OK) ? -1 : 0;
}

const char *land_keep_outputs(const struct job *j, const char *tree, int stored, struct strbuf *kept)
{
	int absent;
	out_dir(j, j->spec.id, kept);
	rm_rf(kept->buf);
	if (stored && j->shim_ct) {
		mkdir_parent(kept->buf, 0755);
		if (link_tree(tree, kept->buf) < 0) {
			LOG(LOG_WARN, "%s: cannot keep its outputs in %s: %s", j->spec.id, kept->buf, strerror(errno));
			rm_rf(kept->buf);
		}
	}
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

int land_closure_outputs(const struct job *j, const struct closure *cl, struct strvec *trees)
{
	struct strbuf src = STRBUF_INIT;
	int ret = 0;
	for (size_t i = 0; !ret && i < cl->nr; i++) {
		ret = land_unit_outputs(j, &cl->units[i], &src);
		strvec_push(trees, src.buf);
	}
	if (ret)
		strvec_clear(trees);
	strbuf_release(&src);
	return ret;
}

int land_tree(struct job *j, const char *from, int copy, const char *tmp, struct strbuf *err)
{
	struct land l = { j, err, copy, tmp };
	if (access(from, F_OK) || !tree_walk(from, land_one, &l))
		return 0;
	if (!err->len)
		strbuf_addf(err, "cannot land the outputs of %s", j->spec.id);
	return -1;
}
