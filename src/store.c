#include "store.h"
#include "storemeta.h"
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
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
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
	/* The keys' version: bumped when entries an earlier cargo-green made
	 * may hold what a fresh build no longer gives (3: the local sandbox's
	 * build script runs saw rustup's proxy as RUSTC, 4a5903f). */
	sha256_update(ctx_md, "cargo-green store 3\n", 20);
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

/* ---- an entry's manifest: what detects a damaged or incomplete entry ---- */

/* store_sums' third mode: each file's stat data (mtime, ctime, inode, link
 * count) for its digest, a fingerprint that any write to the file changes. */
#define SUMS_STAT 2

struct sums {
	struct strbuf *out;
	int digests;
	int bad;
};

/* One line per file of the entry: "PATH\tf SIZE SHA256" for a regular
 * file ("-" for the digest when not asked for), "PATH\tl TARGET" for a
 * symlink; the manifest itself left out. */
static int sums_one(const char *rel, const char *full, char kind, void *data)
{
	struct sums *s = data;
	struct stat st;
	if (kind == 'd')
		return 0;
	if (!strcmp(rel, STORE_SUMS))
		return 0;
	if (kind == 'l') {
		char target[4096];
		ssize_t n = readlink(full, target, sizeof(target) - 1);
		if (n < 0)
			return s->bad = -1;
		target[n] = '\0';
		strbuf_addf(s->out, "%s\tl %s\n", rel, target);
		return 0;
	}
	if (kind != 'f' || lstat(full, &st) < 0)
		return s->bad = -1;
	strbuf_addf(s->out, "%s\tf %lld ", rel, (long long)st.st_size);
	if (s->digests == SUMS_STAT) {
		strbuf_addf(s->out, "%lld.%09ld,%lld.%09ld,%llu,%lu", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, (unsigned long long)st.st_ino,
			    (unsigned long)st.st_nlink);
	} else if (s->digests) {
		struct sha256 md;
		char hex[STORE_KEY_HEX], buf[65536];
		ssize_t n;
		int fd = open(full, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return s->bad = -1;
		sha256_init(&md);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			sha256_update(&md, buf, (size_t)n);
		close(fd);
		if (n < 0)
			return s->bad = -1;
		sha256_hex(&md, hex);
		strbuf_addstr(s->out, hex);
	} else {
		strbuf_addch(s->out, '-');
	}
	strbuf_addch(s->out, '\n');
	return 0;
}

int store_sums(const char *dir, int digests, struct strbuf *out)
{
	struct strbuf text = STRBUF_INIT;
	struct strvec lines = STRVEC_INIT;
	struct sums s = { &text, digests, 0 };
	int ret = 0;
	strbuf_reset(out);
	if (tree_visit(dir, sums_one, &s) < 0 || s.bad) {
		ret = -1;
		goto out;
	}
	/* Sorted, a canonical text (tree_visit goes in directory order). */
	for (char *line = text.buf, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		strvec_push(&lines, line);
	}
	strvec_sort(&lines);
	for (size_t i = 0; i < lines.nr; i++)
		strbuf_addf(out, "%s\n", lines.v[i]);
out:
	strbuf_release(&text);
	strvec_clear(&lines);
	return ret;
}

/* The manifest's lines without their digests, as store_sums(..., 0) makes them. */
static void sums_sizes_only(const char *text, struct strbuf *out)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n'), *tab = end, *sp;
		while (tab > line && tab[-1] != '\t')
			tab--;
		if (tab > line && tab[0] == 'f' && tab[1] == ' ' && (sp = memchr(tab + 2, ' ', (size_t)(end - tab - 2)))) {
			strbuf_add(out, line, (size_t)(sp - line) + 1);
			strbuf_addch(out, '-');
		} else {
			strbuf_add(out, line, (size_t)(end - line));
		}
		strbuf_addch(out, '\n');
		line = *end ? end + 1 : end;
	}
}

/* Is the line "PATH\t..." of text (len bytes with its tab) in lines? */
static int has_line(const char *lines, const char *line, size_t len)
{
	for (const char *l = lines; *l;) {
		const char *end = strchrnul(l, '\n');
		if ((size_t)(end - l) == len && !memcmp(l, line, len))
			return 1;
		l = *end ? end + 1 : end;
	}
	return 0;
}

/* What differs between the manifest want and the tree's have, by path: the
 * first file whose line is not the same. */
static void sums_diff(const char *want, const char *have, struct strbuf *why)
{
	for (int side = 0; side < 2; side++)
		for (const char *l = side ? have : want; *l;) {
			const char *end = strchrnul(l, '\n'), *tab = memchr(l, '\t', (size_t)(end - l));
			size_t plen = tab ? (size_t)(tab - l) + 1 : (size_t)(end - l);
			if (!has_line(side ? want : have, l, (size_t)(end - l))) {
				/* Same path on the other side: changed; none: gone or added. */
				const char *o = side ? want : have;
				int found = 0;
				for (const char *m = o; *m && !found;) {
					const char *e2 = strchrnul(m, '\n');
					found = (size_t)(e2 - m) >= plen && !memcmp(m, l, plen);
					m = *e2 ? e2 + 1 : e2;
				}
				strbuf_addf(why, "damaged: %.*s %s", (int)(plen - (tab ? 1 : 0)), l,
					    found ? "is not as saved" : side ? "is not in its manifest" : "is missing");
				return;
			}
			l = *end ? end + 1 : end;
		}
	strbuf_addstr(why, "damaged");
}

int store_entry_check(const char *entry, int digests, struct strbuf *why)
{
	struct strbuf path = STRBUF_INIT, want = STRBUF_INIT, have = STRBUF_INIT, sized = STRBUF_INIT;
	int ret = -1;
	strbuf_addf(&path, "%s/%s", entry, STORE_SUMS);
	if (strbuf_read_file(&want, path.buf) < 0) {
		strbuf_addstr(why, "incomplete: no manifest");
		goto out;
	}
	if (store_sums(entry, digests, &have) < 0) {
		strbuf_addf(why, "unreadable: %s", strerror(errno));
		goto out;
	}
	if (!digests)
		sums_sizes_only(want.buf, &sized);
	if (strcmp(digests ? want.buf : sized.buf, have.buf)) {
		sums_diff(digests ? want.buf : sized.buf, have.buf, why);
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&path);
	strbuf_release(&want);
	strbuf_release(&have);
	strbuf_release(&sized);
	return ret;
}

/* Sizes always; the digests when digests is set, unless no file of the entry
 * changed since they were last checked (the stat data of every file then,
 * kept beside the entry in KEY.checked, as git's index keeps it): hashing
 * every hit would double a hit's cost (see the commit that made this), and
 * any write to a stored file, even one that restores its mtime, changes its
 * ctime. 0 or -1 with why. */
/* A SUMS_STAT line's fields: from its first comma (the ctime's), its
 * second (the inode's) and its third (the link count's); NULL where it has
 * fewer. */
static void stat_fields(const char *line, const char *end, const char *c[3])
{
	const char *p = line;
	for (int k = 0; k < 3; k++) {
		c[k] = p ? memchr(p, ',', (size_t)(end - p)) : NULL;
		p = c[k] ? c[k] + 1 : NULL;
	}
}

/* store_sums(SUMS_STAT) text without the ctimes and link counts
 * ("MTIME,CTIME,INODE,NLINK" -> "MTIME,INODE"): what a hard link made to a
 * file, or removed, changes left out. */
static void without_ctimes(const char *text, struct strbuf *out)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n'), *c[3];
		stat_fields(line, end, c);
		if (c[2]) {
			strbuf_add(out, line, (size_t)(c[0] - line));
			strbuf_add(out, c[1], (size_t)(c[2] - c[1]));
		} else {
			strbuf_add(out, line, (size_t)(end - line));
		}
		strbuf_addch(out, '\n');
		line = *end ? end + 1 : end;
	}
}

/* 1 when now is seen but for files whose ctime moved with their link count
 * (a link made or removed: a cargo clean of what linked them), all else
 * equal; a write moves the mtime, and one that put it back shows as a ctime
 * moved alone. */
static int same_but_links(const char *seen, const char *now)
{
	const char *a = seen, *b = now;
	while (*a && *b) {
		const char *ea = strchrnul(a, '\n'), *eb = strchrnul(b, '\n'), *ca[3], *cb[3];
		size_t la = (size_t)(ea - a), lb = (size_t)(eb - b);
		if (la != lb || memcmp(a, b, la)) {
			stat_fields(a, ea, ca);
			stat_fields(b, eb, cb);
			if (!ca[2] || !cb[2] || ca[0] - a != cb[0] - b || memcmp(a, b, (size_t)(ca[0] - a)) ||
			    ca[2] - ca[1] != cb[2] - cb[1] || memcmp(ca[1], cb[1], (size_t)(ca[2] - ca[1])) ||
			    (ea - ca[2] == eb - cb[2] && !memcmp(ca[2], cb[2], (size_t)(ea - ca[2]))))
				return 0;
		}
		a = *ea ? ea + 1 : ea;
		b = *eb ? eb + 1 : eb;
	}
	return !*a && !*b;
}

static int entry_check_cached(const char *entry, int how, struct strbuf *why)
{
	struct strbuf memo = STRBUF_INIT, seen = STRBUF_INIT, now = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	int ret, same;
	if (how == STORE_SIZES)
		return store_entry_check(entry, 0, why);
	strbuf_addf(&memo, "%s.checked", entry);
	same = store_sums(entry, SUMS_STAT, &now) == 0 && strbuf_read_file(&seen, memo.buf) == 0 && !strcmp(seen.buf, now.buf);
	if (!same && how == STORE_HIT && seen.len && now.len)
		/* The unit's own hit: strict but for a link made or removed (a
		 * build script's kept out dir, linked by its last hit and gone
		 * with cargo clean), which else hashes its binary on every hit. */
		same = same_but_links(seen.buf, now.buf);
	if (!same && how == STORE_DEP && seen.len && now.len) {
		/* A dependent's read: the files as checked but for their ctimes,
		 * which every link made into a deps context moves (a write moves
		 * the mtime too): checked again, it would hash its whole closure. */
		without_ctimes(seen.buf, &a);
		without_ctimes(now.buf, &b);
		same = !strcmp(a.buf, b.buf);
	}
	if (same) {
		/* (its files as they were when they matched the manifest, their
		 * sizes included: no walk again for the sizes) */
		ret = 0;
		goto out;
	}
	ret = store_entry_check(entry, 1, why);
	if (ret == 0 && now.len)
		write_file_atomic(memo.buf, now.buf, now.len, 0644);
out:
	strbuf_release(&memo);
	strbuf_release(&seen);
	strbuf_release(&now);
	strbuf_release(&a);
	strbuf_release(&b);
	return ret;
}

void store_note_links(const char *entry)
{
	struct strbuf memo = STRBUF_INIT, seen = STRBUF_INIT, now = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	strbuf_addf(&memo, "%s.checked", entry);
	if (strbuf_read_file(&seen, memo.buf) == 0 && seen.len && store_sums(entry, SUMS_STAT, &now) == 0 &&
	    now.len && strcmp(seen.buf, now.buf)) {
		without_ctimes(seen.buf, &a);
		without_ctimes(now.buf, &b);
		if (!strcmp(a.buf, b.buf))
			write_file_atomic(memo.buf, now.buf, now.len, 0644);
	}
	strbuf_release(&memo);
	strbuf_release(&seen);
	strbuf_release(&now);
	strbuf_release(&a);
	strbuf_release(&b);
}

/* What killed saves left in entry's bucket (KEY.tmp.PID of a dead pid):
 * gone. A save sweeps it, and so does a hit: a key that another save
 * completed is not saved again, and its bucket would keep them. */
static void sweep_bucket(const char *entry)
{
	struct strbuf bucket = STRBUF_INIT;
	strbuf_add(&bucket, entry, (size_t)(strrchr(entry, '/') - entry));
	sweep_dead_temps(bucket.buf);
	strbuf_release(&bucket);
}

/* ---- pins: what keeps an entry from being evicted while a build reads it ---- */

/* A build that reads an entry (a hit landing from it, a dependent linking
 * it into its deps context, a build script's binary run from it) holds a
 * shared flock on the entry's directory until it exits; an eviction takes
 * it exclusively without waiting (an entry in use is skipped) and moves
 * the entry away by one rename before deleting it, so that a reader sees
 * it whole or not at all. A pin taken on a name that an eviction has just
 * renamed away is found out (its inode is no longer the name's) and is a
 * miss. The pins of a process are its open descriptors: at most MAX_PINS
 * (a dependent's closure beyond them is read unpinned: an eviction then
 * makes its deps context fail, and it renders its closure's stages). */
#define MAX_PINS 256
static int *pins;
static size_t pins_nr, pins_alloc, pins_optional;

/* fd: the entry's directory, locked LOCK_SH or LOCK_EX (how). 0 when it is
 * still the entry at that name, else -1 (fd closed). */
static int lock_entry(const char *entry, int how, int *fd)
{
	struct stat a, b;
	*fd = open(entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return -1;
	if (flock(*fd, how) < 0 || fstat(*fd, &a) < 0 || stat(entry, &b) < 0 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

/* Pin entry for the rest of this process (always with must, else while
 * fewer than MAX_PINS are). 1 pinned, 0 there but not pinned, -1 gone. */
static int pin(const char *entry, int must)
{
	int fd;
	if (!must && pins_optional >= MAX_PINS)
		return access(entry, F_OK) ? -1 : 0;
	if (lock_entry(entry, LOCK_SH, &fd) < 0)
		return -1;
	if (pins_nr == pins_alloc) {
		pins_alloc = pins_alloc ? 2 * pins_alloc : 16;
		pins = xrealloc(pins, pins_alloc * sizeof(*pins));
	}
	pins[pins_nr++] = fd;
	pins_optional += !must;
	return 1;
}

/* This process's own pins of entry, let go (so that it may remove it: its
 * exclusive lock would conflict with them). */
static void unpin(const char *entry)
{
	struct stat e, st;
	size_t n = 0;
	if (stat(entry, &e) < 0)
		return;
	for (size_t i = 0; i < pins_nr; i++) {
		if (fstat(pins[i], &st) == 0 && st.st_ino == e.st_ino && st.st_dev == e.st_dev) {
			close(pins[i]);
			continue;
		}
		pins[n++] = pins[i];
	}
	pins_nr = n;
	if (pins_optional > pins_nr)
		pins_optional = pins_nr;
}

void store_pins_release(void)
{
	for (size_t i = 0; i < pins_nr; i++)
		close(pins[i]);
	pins_nr = pins_optional = 0;
}

/* Entry's side files (KEY.meta, KEY.uses, KEY.checked), gone. */
static void remove_side_files(const char *entry)
{
	static const char *const sides[] = { ".meta", ".uses", ".checked" };
	struct strbuf p = STRBUF_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(sides); i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s%s", entry, sides[i]);
		unlink(p.buf);
	}
	strbuf_release(&p);
}

/* Entry, locked exclusively on fd: its side files, then (one rename) its
 * tree, gone; the store's total less size (-1: read from its meta). */
static void remove_locked(const char *key, const char *entry, int fd, long long size)
{
	struct strbuf gone = STRBUF_INIT;
	if (size < 0) {
		struct store_meta m;
		size = store_meta_read(key, &m) == 0 ? m.size : 0;
		store_meta_release(&m);
	}
	remove_side_files(entry);
	strbuf_addf(&gone, "%s.gone.%ld", entry, (long)getpid());
	if (rename(entry, gone.buf) == 0) {
		close(fd);
		rm_rf(gone.buf);
		store_meta_total_add(-size);
	} else {
		close(fd);
	}
	strbuf_release(&gone);
}

int store_evict(const char *key, long long size)
{
	struct strbuf entry = STRBUF_INIT;
	int fd, ret = 1;
	entry_path(key, &entry);
	if (access(entry.buf, F_OK))
		ret = -1;
	else if (unpin(entry.buf), lock_entry(entry.buf, LOCK_EX | LOCK_NB, &fd) < 0)
		ret = access(entry.buf, F_OK) ? -1 : 0; /* in use by a build, or gone meanwhile */
	else
		remove_locked(key, entry.buf, fd, size);
	strbuf_release(&entry);
	return ret;
}

int store_lookup(const char *key, int how, struct strbuf *entry)
{
	struct strbuf why = STRBUF_INIT;
	int fd;
	strbuf_reset(entry);
	entry_path(key, entry);
	if (access(entry->buf, F_OK) || pin(entry->buf, how == STORE_HIT) < 0)
		return 0;
	if (!entry_check_cached(entry->buf, how, &why)) {
		sweep_bucket(entry->buf);
		if (how == STORE_HIT)
			store_meta_hit(key);
		else
			store_meta_touch(key);
		return 1;
	}
	/* A corrupt entry is a miss: out of the way (by one rename, so that a
	 * reader never sees it half-removed), and the unit is built. Another
	 * build reading it keeps it until it is done; the next lookup that
	 * finds it alone removes it. */
	unpin(entry->buf);
	if (lock_entry(entry->buf, LOCK_EX | LOCK_NB, &fd) == 0) {
		LOG(LOG_WARN, "local store entry %s is %s: removed, a miss", entry->buf, why.buf);
		remove_locked(key, entry->buf, fd, -1);
	} else {
		LOG(LOG_WARN, "local store entry %s is %s: a miss (removed once no build reads it)", entry->buf, why.buf);
	}
	strbuf_release(&why);
	return 0;
}

void store_entry_path(const char *key, struct strbuf *entry, struct strbuf *dir)
{
	entry_path(key, entry);
	if (dir)
		strbuf_add(dir, entry->buf, (size_t)(strrchr(entry->buf, '/') - entry->buf));
}

/* The stat data of an entry's files, just hashed, as its first check's:
 * no hash again at its first hit. */
static void mark_checked(const char *entry)
{
	struct strbuf path = STRBUF_INIT, sums = STRBUF_INIT;
	strbuf_addf(&path, "%s.checked", entry);
	if (store_sums(entry, SUMS_STAT, &sums) == 0)
		write_file_atomic(path.buf, sums.buf, sums.len, 0644);
	strbuf_release(&path);
	strbuf_release(&sums);
}

int store_adopt(const char *key, const char *tmp, struct strbuf *err)
{
	struct strbuf entry = STRBUF_INIT, why = STRBUF_INIT;
	int ret = 0;
	entry_path(key, &entry);
	if (store_entry_check(tmp, 1, &why) < 0) {
		strbuf_addf(err, "its copy of %.12s is %s", key, why.buf);
		ret = -1;
	} else if (rename(tmp, entry.buf) == 0) {
		struct store_meta m;
		mark_checked(entry.buf); /* (hashed by that check; a rename keeps the files' stat data) */
		if (store_meta_read(key, &m) == 0) /* (described from its files) */
			store_meta_total_add(m.size);
		store_meta_release(&m);
	} else if (errno != ENOTEMPTY && errno != EEXIST) {
		strbuf_addf(err, "cannot save in the local store (%s): %s", entry.buf, strerror(errno));
		ret = -1;
	}
	rm_rf(tmp); /* (after a failure, or when another build saved it first) */
	strbuf_release(&entry);
	strbuf_release(&why);
	return ret;
}

static const char *sums_path(const char *dir, struct strbuf *path)
{
	strbuf_reset(path);
	strbuf_addf(path, "%s/%s", dir, STORE_SUMS);
	return path->buf;
}

int store_save(const char *key, const char *src, const struct store_meta *meta, struct strbuf *err)
{
	struct strbuf entry = STRBUF_INIT, tmp = STRBUF_INIT, sums = STRBUF_INIT, path = STRBUF_INIT;
	int ret = 0, renamed = 0;
	entry_path(key, &entry);
	strbuf_addf(&tmp, "%s.tmp.%ld", entry.buf, (long)getpid());
	mkdir_parent(tmp.buf, 0755);
	sweep_bucket(entry.buf);
	/* The manifest last: an entry without one is incomplete. */
	if (copy_tree(src, tmp.buf) < 0 || store_sums(tmp.buf, 1, &sums) < 0 ||
	    write_file_atomic(sums_path(tmp.buf, &path), sums.buf, sums.len, 0644) < 0 ||
	    (!(renamed = rename(tmp.buf, entry.buf) == 0) && errno != ENOTEMPTY && errno != EEXIST)) {
		strbuf_addf(err, "cannot save in the local store (%s): %s", entry.buf, strerror(errno));
		LOG(LOG_WARN, "%s", err->buf);
		ret = -1;
	}
	if (renamed) {
		/* Its side files after it: an eviction removes them before it. */
		struct store_meta m = STORE_META_INIT;
		if (meta)
			m = *meta;
		memcpy(m.key, key, STORE_KEY_HEX);
		m.size = store_tree_size(entry.buf);
		if (!m.saved)
			m.saved = (long long)time(NULL);
		store_meta_write(&m);
		store_meta_total_add(m.size);
		/* Its files were just hashed for its manifest. */
		mark_checked(entry.buf);
	}
	/* (left after a failure, or when another build saved the same key first: theirs stays) */
	rm_rf(tmp.buf);
	strbuf_release(&entry);
	strbuf_release(&tmp);
	strbuf_release(&sums);
	strbuf_release(&path);
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
