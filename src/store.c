#include "store.h"
#include "sha256.h"
#include "paths.h"
#include "fs.h"
#include "hash.h"
#include "log.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void finish(struct sha256 *ctx, char out[STORE_KEY_HEX])
{
	sha256_hex(ctx, out);
}

/* Feed the tree below root/rel into ctx: with contents (digest) or with stat
 * data only (fingerprint). */
static int walk_hash(struct sha256 *ctx, const char *root, struct strbuf *rel, int contents)
{
	struct strvec names = STRVEC_INIT;
	struct strbuf full = STRBUF_INIT;
	int ret = 0;

	strbuf_addstr(&full, root);
	if (rel->len)
		strbuf_addf(&full, "/%s", rel->buf);
	if (dir_entries(full.buf, &names) < 0) {
		ret = -1;
		goto out;
	}
	for (size_t i = 0; !ret && i < names.nr; i++) {
		size_t keep = rel->len;
		struct stat st;
		struct strbuf line = STRBUF_INIT;
		if (rel->len)
			strbuf_addch(rel, '/');
		strbuf_addstr(rel, names.v[i]);
		strbuf_reset(&full);
		strbuf_addf(&full, "%s/%s", root, rel->buf);
		if (lstat(full.buf, &st) < 0) {
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			strbuf_addf(&line, "d %s\n", rel->buf);
			sha256_update(ctx, line.buf, line.len + 1);
			ret = walk_hash(ctx, root, rel, contents);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(full.buf, target, sizeof(target) - 1);
			target[n < 0 ? 0 : n] = '\0';
			strbuf_addf(&line, "l %s -> %s\n", rel->buf, target);
			sha256_update(ctx, line.buf, line.len + 1);
		} else if (S_ISREG(st.st_mode)) {
			strbuf_addf(&line, "f %s %o %lld", rel->buf, (unsigned)(st.st_mode & 07777), (long long)st.st_size);
			if (!contents) {
				strbuf_addf(&line, " %lld.%09ld %lld.%09ld %llu", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
					    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, (unsigned long long)st.st_ino);
				sha256_update(ctx, line.buf, line.len + 1);
			} else {
				struct strbuf body = STRBUF_INIT;
				sha256_update(ctx, line.buf, line.len + 1);
				if (strbuf_read_file(&body, full.buf) < 0)
					ret = -1;
				else
					sha256_update(ctx, body.buf, body.len);
				strbuf_release(&body);
			}
		} else {
			strbuf_addf(&line, "o %s %o\n", rel->buf, (unsigned)st.st_mode);
			sha256_update(ctx, line.buf, line.len + 1);
		}
		strbuf_release(&line);
		strbuf_setlen(rel, keep);
	}
out:
	strvec_clear(&names);
	strbuf_release(&full);
	return ret;
}

static int tree_hash(const char *dir, int contents, char out[STORE_KEY_HEX])
{
	struct sha256 md, *ctx = &md;
	struct strbuf rel = STRBUF_INIT;
	int ret;
	sha256_init(ctx);
	ret = walk_hash(ctx, dir, &rel, contents);
	finish(ctx, out);
	strbuf_release(&rel);
	return ret;
}

/* A crate cargo extracted from a registry is never changed by cargo again
 * (it marks it done with .cargo-ok and never re-reads its files to decide
 * anything; crates.io never publishes a version twice): its digest is its
 * identity, the registry's directory and the crate's name and version, with
 * no walk of its files. 0 with out set, or -1 for any other directory. */
static int registry_digest(const char *dir, char out[STORE_KEY_HEX])
{
	static const char mark[] = "/registry/src/";
	const char *at = strstr(dir, mark);
	struct strbuf ok = STRBUF_INIT, id = STRBUF_INIT;
	struct sha256 md;
	struct stat st;
	int ret = -1;
	if (!at || !strchr(at + strlen(mark), '/'))
		return -1;
	strbuf_addf(&ok, "%s/.cargo-ok", dir);
	if (lstat(ok.buf, &st) == 0 && S_ISREG(st.st_mode)) {
		strbuf_addf(&id, "registry crate %s", at + strlen(mark));
		sha256_init(&md);
		sha256_update(&md, id.buf, id.len);
		sha256_hex(&md, out);
		ret = 0;
	}
	strbuf_release(&ok);
	strbuf_release(&id);
	return ret;
}

int store_dir_digest(const char *dir, char out[STORE_KEY_HEX], struct strbuf *err)
{
	struct strbuf memo = STRBUF_INIT, line = STRBUF_INIT;
	char fp[STORE_KEY_HEX], name[17];

	if (registry_digest(dir, out) == 0)
		return 0;
	if (tree_hash(dir, 0, fp) < 0) {
		strbuf_addf(err, "cannot read the sources in '%s': %s", dir, strerror(errno));
		return -1;
	}
	hash_hex(dir, name);
	state_dir(&memo);
	strbuf_addf(&memo, "/dirs/%s", name);
	/* memo: "FINGERPRINT DIGEST" */
	if (strbuf_read_file(&line, memo.buf) == 0 && line.len == 2 * 64 + 1 && !strncmp(line.buf, fp, 64)) {
		memcpy(out, line.buf + 65, 64);
		out[64] = '\0';
		goto out;
	}
	if (tree_hash(dir, 1, out) < 0) {
		strbuf_addf(err, "cannot read the sources in '%s': %s", dir, strerror(errno));
		strbuf_release(&memo);
		strbuf_release(&line);
		return -1;
	}
	strbuf_reset(&line);
	strbuf_addf(&line, "%s %s", fp, out);
	mkdir_parent(memo.buf, 0755);
	write_file_atomic(memo.buf, line.buf, line.len, 0644);
out:
	strbuf_release(&memo);
	strbuf_release(&line);
	return 0;
}

int store_unit_key(const char *head, const char *stage, const char *base_id, const char *target, const char *ctx,
		   const struct strvec *dep_keys, char key[STORE_KEY_HEX], struct strbuf *err)
{
	struct sha256 md, *ctx_md = &md;
	struct strvec sorted = STRVEC_INIT;
	int ret = 0;
	sha256_init(ctx_md);
	sha256_update(ctx_md, "cargo-green store 2\n", 20);
	sha256_update(ctx_md, base_id, strlen(base_id) + 1);
	sha256_update(ctx_md, target, strlen(target) + 1);
	sha256_update(ctx_md, head, strlen(head) + 1);
	sha256_update(ctx_md, stage, strlen(stage) + 1);
	if (ctx) {
		const char *eq = strchr(ctx, '=');
		char digest[STORE_KEY_HEX];
		if (!eq || store_dir_digest(eq + 1, digest, err) < 0) {
			ret = -1;
			goto out;
		}
		sha256_update(ctx_md, ctx, (size_t)(eq - ctx) + 1);
		sha256_update(ctx_md, digest, 65);
	}
	strvec_pushv(&sorted, dep_keys->v);
	strvec_sort(&sorted);
	for (size_t i = 0; i < sorted.nr; i++)
		sha256_update(ctx_md, sorted.v[i], strlen(sorted.v[i]) + 1);
out:
	finish(ctx_md, key);
	strvec_clear(&sorted);
	return ret;
}

static void entry_path(const char *key, struct strbuf *out)
{
	state_dir(out);
	strbuf_addf(out, "/store/%.2s/%s", key, key);
}

int store_lookup(const char *key, struct strbuf *entry)
{
	strbuf_reset(entry);
	entry_path(key, entry);
	return !access(entry->buf, F_OK);
}

int store_save(const char *key, const char *src, struct strbuf *err)
{
	struct strbuf entry = STRBUF_INIT, tmp = STRBUF_INIT;
	int ret = 0;
	entry_path(key, &entry);
	strbuf_addf(&tmp, "%s.tmp.%ld", entry.buf, (long)getpid());
	mkdir_parent(tmp.buf, 0755);
	if (copy_tree(src, tmp.buf) < 0 || rename(tmp.buf, entry.buf) < 0) {
		strbuf_addf(err, "cannot save in the local store (%s): %s", entry.buf, strerror(errno));
		LOG(LOG_WARN, "%s", err->buf);
		rm_rf(tmp.buf);
		ret = -1;
	}
	strbuf_release(&entry);
	strbuf_release(&tmp);
	return ret;
}

int store_secret_digest(const char *name, const char *value, char out[17], struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, key = STRBUF_INIT;
	char hex[STORE_KEY_HEX];
	struct sha256 md, *ctx = &md;
	int ret = -1;

	state_dir(&path);
	strbuf_addstr(&path, "/secret-key");
	if (strbuf_read_file(&key, path.buf) < 0 || key.len != 32) {
		unsigned char raw[32];
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, raw, sizeof(raw)) : -1;
		if (fd >= 0)
			close(fd);
		strbuf_reset(&key);
		if (n != (ssize_t)sizeof(raw)) {
			strbuf_addstr(err, "cannot read /dev/urandom for the secrets' key");
			goto out;
		}
		mkdir_parent(path.buf, 0755);
		/* Two wrappers may race: the first rename wins, both read it back. */
		if (write_file_atomic(path.buf, raw, sizeof(raw), 0600) < 0 || strbuf_read_file(&key, path.buf) < 0 ||
		    key.len != 32) {
			strbuf_addf(err, "cannot write '%s': %s", path.buf, strerror(errno));
			goto out;
		}
	}
	sha256_init(ctx);
	sha256_update(ctx, key.buf, key.len);
	sha256_update(ctx, name, strlen(name) + 1);
	sha256_update(ctx, value, strlen(value));
	finish(ctx, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
	ret = 0;
out:
	strbuf_release(&path);
	strbuf_release(&key);
	return ret;
}
