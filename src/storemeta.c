#include "storemeta.h"
#include "fs.h"
#include "paths.h"
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

void store_meta_release(struct store_meta *m)
{
	free(m->crate);
	free(m->version);
	free(m->kind);
	m->crate = m->version = m->kind = NULL;
}

/* KEY + suffix, beside the entry. */
static void side_path(const char *key, const char *suffix, struct strbuf *out)
{
	strbuf_reset(out);
	store_entry_path(key, out, NULL);
	strbuf_addstr(out, suffix);
}

/* A value of the meta text: no spaces or newlines in it. */
static void add_field(struct strbuf *out, const char *name, const char *v)
{
	strbuf_addf(out, "%s ", name);
	for (const char *p = v && *v ? v : "?"; *p; p++)
		strbuf_addch(out, *p == ' ' || *p == '\n' || *p == '\t' ? '_' : *p);
	strbuf_addch(out, '\n');
}

int store_meta_write(const struct store_meta *m)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	int ret;
	add_field(&text, "crate", m->crate);
	add_field(&text, "version", m->version);
	add_field(&text, "kind", m->kind);
	strbuf_addf(&text, "size %lld\nbuild_us %lld\nsaved %lld\n", m->size, m->build_us, m->saved);
	side_path(m->key, ".meta", &p);
	ret = write_file_atomic(p.buf, text.buf, text.len, 0644);
	strbuf_release(&p);
	strbuf_release(&text);
	return ret;
}

static int size_one(const char *rel, const char *full, char kind, void *data)
{
	struct stat st;
	if (kind != 'd' && lstat(full, &st) == 0)
		*(long long *)data += (long long)st.st_blocks * 512;
	return 0;
}

long long store_tree_size(const char *dir)
{
	long long n = 0;
	tree_visit(dir, size_one, &n);
	return n;
}

/* An entry without KEY.meta: crate and kind from the name of its exit code
 * file (green/ID.code: "memchr-0123abcd", "build_script_build-…", "run-…"). */
static void describe(const char *entry, struct store_meta *m)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec names = STRVEC_INIT;
	struct stat st;
	strbuf_addf(&dir, "%s/green", entry);
	if (dir_entries(dir.buf, &names) == 0)
		for (size_t i = 0; i < names.nr && !m->crate; i++) {
			const char *n = names.v[i], *dash;
			if (!ends_with(n, ".code"))
				continue;
			if (starts_with(n, "run-")) {
				m->kind = xstrdup("build-script-run");
				n += 4;
			} else if (starts_with(n, "build_script_")) {
				m->kind = xstrdup("build-script");
			}
			dash = strrchr(n, '-');
			m->crate = dash && dash > n ? xstrndup(n, (size_t)(dash - n)) : xstrndup(n, strlen(n) - 5);
		}
	if (!m->crate)
		m->crate = xstrdup("?");
	if (!m->kind)
		m->kind = xstrdup("?");
	m->version = xstrdup("?");
	m->size = store_tree_size(entry);
	m->saved = lstat(entry, &st) == 0 ? (long long)st.st_mtim.tv_sec : (long long)time(NULL);
	strvec_clear(&names);
	strbuf_release(&dir);
}

static void parse(const char *text, struct store_meta *m)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n'), *sp = memchr(line, ' ', (size_t)(end - line));
		if (sp) {
			size_t n = (size_t)(sp - line);
			char *v = xstrndup(sp + 1, (size_t)(end - sp - 1));
			char **slot = n == 5 && !memcmp(line, "crate", 5)     ? &m->crate
				      : n == 7 && !memcmp(line, "version", 7) ? &m->version
				      : n == 4 && !memcmp(line, "kind", 4)    ? &m->kind
									      : NULL;
			if (slot) {
				free(*slot);
				*slot = v;
				v = NULL;
			} else if (n == 4 && !memcmp(line, "size", 4)) {
				m->size = atoll(v);
			} else if (n == 8 && !memcmp(line, "build_us", 8)) {
				m->build_us = atoll(v);
			} else if (n == 5 && !memcmp(line, "saved", 5)) {
				m->saved = atoll(v);
			}
			free(v);
		}
		line = *end ? end + 1 : end;
	}
	if (!m->crate)
		m->crate = xstrdup("?");
	if (!m->version)
		m->version = xstrdup("?");
	if (!m->kind)
		m->kind = xstrdup("?");
}

int store_meta_read(const char *key, struct store_meta *m)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	struct stat st;
	int ret = 0;
	memset(m, 0, sizeof(*m));
	snprintf(m->key, sizeof(m->key), "%s", key);
	store_entry_path(key, &p, NULL);
	if (lstat(p.buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
		ret = -1;
		goto out;
	}
	side_path(key, ".meta", &p);
	if (strbuf_read_file(&text, p.buf) == 0) {
		parse(text.buf, m);
	} else {
		strbuf_reset(&p);
		store_entry_path(key, &p, NULL);
		describe(p.buf, m);
		store_meta_write(m);
	}
	m->used_ns = m->saved * 1000000000LL;
	side_path(key, ".uses", &p);
	if (lstat(p.buf, &st) == 0) {
		m->hits = (long long)st.st_size;
		m->used_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	}
out:
	strbuf_release(&p);
	strbuf_release(&text);
	return ret;
}

void store_meta_hit(const char *key)
{
	struct strbuf p = STRBUF_INIT;
	int fd;
	side_path(key, ".uses", &p);
	fd = open(p.buf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		write_all(fd, "h", 1);
		close(fd);
	}
	strbuf_release(&p);
}

void store_meta_touch(const char *key)
{
	struct strbuf p = STRBUF_INIT;
	side_path(key, ".uses", &p);
	if (utimensat(AT_FDCWD, p.buf, NULL, 0) < 0 && errno == ENOENT) {
		int fd = open(p.buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	strbuf_release(&p);
}

static int is_key(const char *name)
{
	size_t n = 0;
	for (; name[n]; n++)
		if (!((name[n] >= '0' && name[n] <= '9') || (name[n] >= 'a' && name[n] <= 'f')))
			return 0;
	return n == STORE_KEY_HEX - 1;
}

void store_meta_list(struct store_meta **list, size_t *nr)
{
	struct strbuf root = STRBUF_INIT, dir = STRBUF_INIT;
	struct strvec buckets = STRVEC_INIT, names = STRVEC_INIT;
	size_t alloc = 0;
	*list = NULL;
	*nr = 0;
	state_dir(&root);
	strbuf_addstr(&root, "/store");
	if (dir_entries(root.buf, &buckets) < 0)
		goto out;
	for (size_t b = 0; b < buckets.nr; b++) {
		if (strlen(buckets.v[b]) != 2)
			continue;
		strbuf_reset(&dir);
		strbuf_addf(&dir, "%s/%s", root.buf, buckets.v[b]);
		strvec_clear(&names);
		if (dir_entries(dir.buf, &names) < 0)
			continue;
		for (size_t i = 0; i < names.nr; i++) {
			if (!is_key(names.v[i]))
				continue;
			if (*nr == alloc) {
				alloc = alloc ? 2 * alloc : 64;
				*list = xrealloc(*list, alloc * sizeof(**list));
			}
			if (store_meta_read(names.v[i], &(*list)[*nr]) == 0)
				(*nr)++;
			else
				store_meta_release(&(*list)[*nr]);
		}
	}
out:
	strvec_clear(&buckets);
	strvec_clear(&names);
	strbuf_release(&root);
	strbuf_release(&dir);
}

void store_meta_list_free(struct store_meta *list, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		store_meta_release(&list[i]);
	free(list);
}

/* ---- the running total (store/size), under its own lock ---- */

static int total_open(void)
{
	struct strbuf p = STRBUF_INIT;
	int fd;
	state_dir(&p);
	strbuf_addstr(&p, "/store/size");
	mkdir_parent(p.buf, 0755);
	fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	strbuf_release(&p);
	if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static long long total_read_fd(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return atoll(buf);
}

static void total_write_fd(int fd, long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", v < 0 ? 0 : v);
	if (pwrite(fd, buf, (size_t)n, 0) == n)
		(void)!ftruncate(fd, n);
}

long long store_meta_total(void)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	long long v = -1;
	state_dir(&p);
	strbuf_addstr(&p, "/store/size");
	if (strbuf_read_file(&text, p.buf) == 0 && text.len)
		v = atoll(text.buf);
	strbuf_release(&p);
	strbuf_release(&text);
	return v;
}

void store_meta_total_add(long long delta)
{
	int fd = total_open();
	if (fd < 0)
		return;
	total_write_fd(fd, total_read_fd(fd) + delta);
	close(fd);
}

void store_meta_total_set(long long total)
{
	int fd = total_open();
	if (fd < 0)
		return;
	total_write_fd(fd, total);
	close(fd);
}
