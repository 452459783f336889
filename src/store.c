#include "store.h"
#include "base.h"
#include "fs.h"
#include "hash.h"
#include "log.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void hex(const unsigned char *md, unsigned n, char out[STORE_KEY_HEX])
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < n && i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

static void finish(EVP_MD_CTX *ctx, char out[STORE_KEY_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	EVP_DigestFinal_ex(ctx, md, &n);
	hex(md, n, out);
}

/* Feed the tree below root/rel into ctx: with contents (digest) or with stat
 * data only (fingerprint). */
static int walk_hash(EVP_MD_CTX *ctx, const char *root, struct strbuf *rel, int contents)
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
			EVP_DigestUpdate(ctx, line.buf, line.len + 1);
			ret = walk_hash(ctx, root, rel, contents);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(full.buf, target, sizeof(target) - 1);
			target[n < 0 ? 0 : n] = '\0';
			strbuf_addf(&line, "l %s -> %s\n", rel->buf, target);
			EVP_DigestUpdate(ctx, line.buf, line.len + 1);
		} else if (S_ISREG(st.st_mode)) {
			strbuf_addf(&line, "f %s %o %lld", rel->buf, (unsigned)(st.st_mode & 07777), (long long)st.st_size);
			if (!contents) {
				strbuf_addf(&line, " %lld.%09ld %lld.%09ld %llu", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
					    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, (unsigned long long)st.st_ino);
				EVP_DigestUpdate(ctx, line.buf, line.len + 1);
			} else {
				struct strbuf body = STRBUF_INIT;
				EVP_DigestUpdate(ctx, line.buf, line.len + 1);
				if (strbuf_read_file(&body, full.buf) < 0)
					ret = -1;
				else
					EVP_DigestUpdate(ctx, body.buf, body.len);
				strbuf_release(&body);
			}
		} else {
			strbuf_addf(&line, "o %s %o\n", rel->buf, (unsigned)st.st_mode);
			EVP_DigestUpdate(ctx, line.buf, line.len + 1);
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
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct strbuf rel = STRBUF_INIT;
	int ret;
	if (!ctx)
		die("out of memory (EVP_MD_CTX_new)");
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	ret = walk_hash(ctx, dir, &rel, contents);
	finish(ctx, out);
	EVP_MD_CTX_free(ctx);
	strbuf_release(&rel);
	return ret;
}

int store_dir_digest(const char *dir, char out[STORE_KEY_HEX], struct strbuf *err)
{
	struct strbuf memo = STRBUF_INIT, line = STRBUF_INIT;
	char fp[STORE_KEY_HEX], name[17];

	if (tree_hash(dir, 0, fp) < 0) {
		strbuf_addf(err, "cannot read the sources in '%s': %s", dir, strerror(errno));
		strbuf_release(&memo);
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
	{
		char *slash = strrchr(memo.buf, '/');
		*slash = '\0';
		mkdir_p(memo.buf, 0755);
		*slash = '/';
	}
	write_file_atomic(memo.buf, line.buf, line.len, 0644);
out:
	strbuf_release(&memo);
	strbuf_release(&line);
	return 0;
}

int store_key(const char *dockerfile, const char *base_id, const char *target, const struct strvec *contexts,
	      char key[STORE_KEY_HEX], struct strbuf *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct strvec sorted = STRVEC_INIT;
	int ret = 0;
	if (!ctx)
		die("out of memory (EVP_MD_CTX_new)");
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, "cargo-green store 1\n", 20);
	EVP_DigestUpdate(ctx, base_id, strlen(base_id) + 1);
	EVP_DigestUpdate(ctx, target, strlen(target) + 1);
	EVP_DigestUpdate(ctx, dockerfile, strlen(dockerfile) + 1);
	strvec_pushv(&sorted, contexts->v);
	strvec_sort(&sorted);
	for (size_t i = 0; i < sorted.nr; i++) {
		const char *eq = strchr(sorted.v[i], '=');
		char digest[STORE_KEY_HEX];
		if (!eq || store_dir_digest(eq + 1, digest, err) < 0) {
			ret = -1;
			break;
		}
		EVP_DigestUpdate(ctx, sorted.v[i], (size_t)(eq - sorted.v[i]) + 1);
		EVP_DigestUpdate(ctx, digest, 65);
	}
	finish(ctx, key);
	EVP_MD_CTX_free(ctx);
	strvec_clear(&sorted);
	return ret;
}

static void entry_path(const char *key, struct strbuf *out)
{
	state_dir(out);
	strbuf_addf(out, "/store/%.2s/%s", key, key);
}

int store_lookup(const char *key, const char *dest)
{
	struct strbuf entry = STRBUF_INIT;
	int hit = 0;
	entry_path(key, &entry);
	if (!access(entry.buf, F_OK)) {
		rm_rf(dest);
		hit = copy_tree(entry.buf, dest) == 0;
		if (!hit)
			rm_rf(dest);
	}
	strbuf_release(&entry);
	return hit;
}

void store_save(const char *key, const char *src)
{
	struct strbuf entry = STRBUF_INIT, tmp = STRBUF_INIT;
	entry_path(key, &entry);
	strbuf_addf(&tmp, "%s.tmp.%ld", entry.buf, (long)getpid());
	{
		char *slash = strrchr(tmp.buf, '/');
		*slash = '\0';
		mkdir_p(tmp.buf, 0755);
		*slash = '/';
	}
	if (copy_tree(src, tmp.buf) < 0 || rename(tmp.buf, entry.buf) < 0) {
		LOG(LOG_WARN, "could not save %s in the local store: %s", key, strerror(errno));
		rm_rf(tmp.buf);
	}
	strbuf_release(&entry);
	strbuf_release(&tmp);
}
