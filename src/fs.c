#include "fs.h"
#include "util.h"
#include "banned.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

int mkdir_p(const char *path, int mode)
{
	const char *slash;
	char *parent;
	int ret;
	/* Most calls find the directory, or only it missing: one syscall. */
	if (mkdir(path, (mode_t)mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	slash = strrchr(path, '/');
	if (!slash || slash == path)
		return -1;
	parent = xstrndup(path, (size_t)(slash - path));
	ret = mkdir_p(parent, mode);
	free(parent);
	if (ret == 0 && mkdir(path, (mode_t)mode) < 0 && errno != EEXIST)
		ret = -1;
	return ret;
}

int mkdir_parent(const char *path, int mode)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int ret;
	if (!slash || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	ret = mkdir_p(dir, mode);
	free(dir);
	return ret;
}

int rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		struct strbuf sub = STRBUF_INIT;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		strbuf_addf(&sub, "%s/%s", path, e->d_name);
		if (rm_rf(sub.buf) < 0)
			ret = -1;
		strbuf_release(&sub);
	}
	closedir(d);
	if (rmdir(path) < 0)
		ret = -1;
	return ret;
}

int copy_file(const char *src, const char *dst, int mode)
{
	char buf[65536];
	struct stat st;
	int in, out, ret = -1;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)(mode & 07777));
	if (out < 0 || fstat(in, &st) < 0)
		goto out;
	/* In the kernel first (no copy through user space), by hand where it cannot. */
	for (off_t left = st.st_size; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n > 0) {
			left -= n;
			continue;
		}
		if (n == 0)
			break;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			goto out;
		for (;;) {
			ssize_t r = read(in, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				goto out;
			if (!r)
				break;
			if (write_all(out, buf, (size_t)r) < 0)
				goto out;
		}
		break;
	}
	ret = 0;
out:
	if (out >= 0 && close(out) < 0)
		ret = -1;
	close(in);
	return ret;
}

int clone_entry(const char *s, const char *t, const struct stat *st, int hard)
{
	if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t n = readlink(s, target, sizeof(target) - 1);
		if (n < 0)
			return -1;
		target[n] = '\0';
		return symlink(target, t);
	}
	if (!S_ISREG(st->st_mode))
		return 0;
	if (hard && link(s, t) == 0)
		return 0;
	if (hard && errno == EEXIST)
		return 0;
	return copy_file(s, t, (int)st->st_mode);
}

struct clone_tree {
	const char *dst;
	int hard;
	struct strbuf to;
};

static int clone_one(const char *rel, const char *full, char kind, void *data)
{
	struct clone_tree *ct = data;
	struct stat st;
	strbuf_reset(&ct->to);
	strbuf_addf(&ct->to, "%s/%s", ct->dst, rel);
	if (kind == 'd')
		return mkdir(ct->to.buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
	if (lstat(full, &st) < 0)
		return -1;
	return clone_entry(full, ct->to.buf, &st, ct->hard) < 0 ? -1 : 0;
}

/* dst made (fresh: it must not exist), or kept, then src's tree in it. */
static int clone_tree(const char *src, const char *dst, int hard, int fresh)
{
	struct clone_tree ct = { dst, hard, STRBUF_INIT };
	int ret = mkdir(dst, 0755) < 0 && (fresh || errno != EEXIST) ? -1 : tree_visit(src, clone_one, &ct);
	strbuf_release(&ct.to);
	return ret ? -1 : 0;
}

int link_tree(const char *src, const char *dst)
{
	return clone_tree(src, dst, 1, 1);
}

int copy_tree(const char *src, const char *dst)
{
	return clone_tree(src, dst, 0, 0);
}

struct mirror {
	const char *src, *dst;
	int packages;
	const struct strvec *skip_names, *skip_paths;
	struct strbuf to, *err;
};

/* A directory tagged as a cache (CACHEDIR.TAG, beginning with its
 * signature: https://bford.info/cachedir/), as every cargo target dir is:
 * another CARGO_TARGET_DIR inside the package is not its sources. */
static int cache_dir(const char *dir)
{
	static const char sig[] = "Signature: 8a477f597d28d172789f06886806bc55";
	char head[sizeof(sig) - 1];
	struct strbuf p = STRBUF_INIT;
	int fd, ret = 0;
	strbuf_addf(&p, "%s/CACHEDIR.TAG", dir);
	fd = open(p.buf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		ret = read(fd, head, sizeof(head)) == (ssize_t)sizeof(head) && !memcmp(head, sig, sizeof(head));
		close(fd);
	}
	strbuf_release(&p);
	return ret;
}

static int mirror_one(const char *rel, const char *full, char kind, void *data)
{
	struct mirror *m = data;
	const char *name = strrchr(rel, '/');
	struct stat st;
	name = name ? name + 1 : rel;
	if (strvec_find(m->skip_names, name) >= 0 || strvec_find(m->skip_paths, full) >= 0 || lstat(full, &st) < 0)
		return VISIT_SKIP;
	strbuf_reset(&m->to);
	strbuf_addf(&m->to, "%s/%s", m->dst, rel);
	if (kind == 'd') {
		struct strbuf manifest = STRBUF_INIT;
		int other_package;
		if (cache_dir(full))
			return VISIT_SKIP;
		if (mkdir(m->to.buf, 0755) < 0 && errno != EEXIST) {
			strbuf_addf(m->err, "cannot create '%s': %s", m->to.buf, strerror(errno));
			return -1;
		}
		if (access(full, R_OK | X_OK) < 0) {
			strbuf_addf(m->err, "cannot read '%s': %s", full, strerror(errno));
			return -1;
		}
		/* Below the top, a directory holding a Cargo.toml is another package. */
		strbuf_addf(&manifest, "%s/Cargo.toml", full);
		other_package = !m->packages && !access(manifest.buf, F_OK);
		strbuf_release(&manifest);
		return other_package ? VISIT_SKIP : 0;
	}
	if (clone_entry(full, m->to.buf, &st, 1) < 0) {
		strbuf_addf(m->err, "cannot copy '%s' to '%s': %s", full, m->to.buf, strerror(errno));
		return -1;
	}
	return 0;
}

/* src's tree into dst (made), as mirror_tree says. */
static int mirror(const char *src, const char *dst, int packages, const struct strvec *skip_names,
		  const struct strvec *skip_paths, struct strbuf *err)
{
	struct mirror m = { src, dst, packages, skip_names, skip_paths, STRBUF_INIT, err };
	int ret;
	if (mkdir(dst, 0755) < 0 && errno != EEXIST) {
		strbuf_addf(err, "cannot create '%s': %s", dst, strerror(errno));
		return -1;
	}
	ret = tree_visit(src, mirror_one, &m);
	if (ret && !err->len)
		strbuf_addf(err, "cannot read '%s': %s", src, strerror(errno));
	strbuf_release(&m.to);
	return ret ? -1 : 0;
}

int mirror_tree(const char *src, const char *dst, int packages, const struct strvec *skip_names,
		const struct strvec *skip_paths, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int ret;
	/* Build beside dst, then swap it in: a reader never sees half a tree. */
	strbuf_addf(&tmp, "%s.tmp.%ld", dst, (long)getpid());
	mkdir_parent(tmp.buf, 0755);
	rm_rf(tmp.buf);
	ret = mirror(src, tmp.buf, packages, skip_names, skip_paths, err);
	if (!ret) {
		struct strbuf old = STRBUF_INIT;
		strbuf_addf(&old, "%s.old.%ld", dst, (long)getpid());
		if (rename(dst, old.buf) == 0)
			rm_rf(old.buf);
		if (rename(tmp.buf, dst) < 0) {
			strbuf_addf(err, "cannot rename '%s': %s", tmp.buf, strerror(errno));
			ret = -1;
		}
		strbuf_release(&old);
	}
	if (ret)
		rm_rf(tmp.buf);
	strbuf_release(&tmp);
	return ret;
}

int dir_entries(const char *dir, struct strvec *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strvec_push(out, e->d_name);
	closedir(d);
	strvec_sort(out);
	return 0;
}

/* The kind of an entry: from readdir's d_type, else from lstat. */
static char entry_kind(const char *path, unsigned char d_type)
{
	struct stat st;
	switch (d_type) {
	case DT_DIR:
		return 'd';
	case DT_REG:
		return 'f';
	case DT_LNK:
		return 'l';
	case DT_UNKNOWN:
		break;
	default:
		return 'o';
	}
	if (lstat(path, &st) < 0)
		return 0;
	return S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : 'o';
}

static int visit(const char *root, struct strbuf *rel, struct strbuf *full, visit_fn fn, void *data)
{
	DIR *d = opendir(full->buf);
	struct dirent *e;
	int ret = 0;
	if (!d)
		return -1;
	while (!ret && (e = readdir(d))) {
		size_t keep = rel->len, fkeep = full->len;
		char kind;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (rel->len)
			strbuf_addch(rel, '/');
		strbuf_addstr(rel, e->d_name);
		strbuf_addf(full, "/%s", e->d_name);
		kind = entry_kind(full->buf, e->d_type);
		if (kind) {
			ret = fn(rel->buf, full->buf, kind, data);
			if (kind == 'd' && ret == VISIT_SKIP)
				ret = 0;
			else if (!ret && kind == 'd')
				ret = visit(root, rel, full, fn, data);
		}
		strbuf_setlen(rel, keep);
		strbuf_setlen(full, fkeep);
	}
	closedir(d);
	return ret;
}

int tree_visit(const char *root, visit_fn fn, void *data)
{
	struct strbuf rel = STRBUF_INIT, full = STRBUF_INIT;
	int ret;
	strbuf_addstr(&full, root);
	ret = visit(root, &rel, &full, fn, data);
	strbuf_release(&rel);
	strbuf_release(&full);
	return ret;
}

struct walk {
	const char *root;
	tree_fn fn;
	void *data;
};

static int walk_one(const char *rel, const char *full, char kind, void *data)
{
	struct walk *w = data;
	return kind == 'd' ? 0 : w->fn(w->root, rel, w->data);
}

int tree_walk(const char *root, tree_fn fn, void *data)
{
	struct walk w = { root, fn, data };
	return tree_visit(root, walk_one, &w);
}

int fs_nearly_full(const char *path)
{
	struct statvfs v;
	if (statvfs(path, &v) < 0)
		return 0;
	/* Less than 1 MiB or 16 inodes left for an unprivileged writer. */
	return (unsigned long long)v.f_bavail * v.f_frsize < (1ULL << 20) || (v.f_files && v.f_favail < 16);
}

long temp_name_pid(const char *name)
{
	const char *p = strchr(name, '.');
	while (p) {
		size_t n = strspn(p + 1, "0123456789");
		if (n && n < 10 && (p[1 + n] == '.' || !p[1 + n]) && p[1] != '0')
			return strtol(p + 1, NULL, 10);
		p = strchr(p + 1, '.');
	}
	return 0;
}

int sweep_dead_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int removed = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		long pid = temp_name_pid(e->d_name);
		struct strbuf p = STRBUF_INIT;
		if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		strbuf_addf(&p, "%s/%s", dir, e->d_name);
		if (rm_rf(p.buf) == 0)
			removed++;
		strbuf_release(&p);
	}
	closedir(d);
	return removed;
}
