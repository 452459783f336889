#include "depsdir.h"
#include "fs.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SLOTS 64

/* Of trees, how many the slot at dir did not hold last (dir.trees): what a
 * sync would add, and the engine be sent; in *lost, how many it held that
 * trees lack: what the engine's copy of it would no longer have. */
static size_t slot_misses(const char *dir, const struct strvec *trees, size_t *lost)
{
	struct strbuf p = STRBUF_INIT, last = STRBUF_INIT;
	size_t miss = 0, held = 0, kept = 0;
	strbuf_addf(&p, "%s.trees", dir);
	if (strbuf_read_file(&last, p.buf) < 0)
		strbuf_reset(&last);
	for (size_t i = 0; i < last.len; i++)
		held += last.buf[i] == '\n';
	for (size_t i = 0; trees && i < trees->nr; i++) {
		const char *hit = last.buf;
		size_t n = strlen(trees->v[i]);
		while ((hit = strstr(hit, trees->v[i])) && ((hit != last.buf && hit[-1] != '\n') || hit[n] != '\n'))
			hit += n;
		miss += !hit;
		kept += !!hit;
	}
	*lost = held > kept ? held - kept : 0;
	strbuf_release(&p);
	strbuf_release(&last);
	return miss;
}

/* Slots made only so as not to overwrite another closure (each is one more
 * snapshot kept by the engine). */
#define SPARE_SLOTS 4

int deps_slot_acquire(const char *parent, struct deps_slot *s, const struct strvec *trees, struct strbuf *err)
{
	struct strbuf lock = STRBUF_INIT, dir = STRBUF_INIT;
	size_t best_miss = 0, best_lost = 0, want = trees ? trees->nr : 0;
	int best = -1, best_fd = -1;
	if (mkdir_p(parent, 0755) < 0) {
		strbuf_addf(err, "cannot create '%s': %s", parent, strerror(errno));
		return -1;
	}
	/* Of the free slots that exist, the one that held most of trees last
	 * (then the one that loses least); a new one when none is free, or
	 * when the best has nothing of trees and holds another closure (a few
	 * at most). */
	for (int n = 0; n < MAX_SLOTS; n++) {
		int fd, saved, exists;
		strbuf_reset(&lock);
		strbuf_addf(&lock, "%s/%d.lock", parent, n);
		exists = !access(lock.buf, F_OK);
		if (!exists && best >= 0 && !(want && best_miss == want && best_lost && n < SPARE_SLOTS))
			break;
		fd = open(lock.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			break;
		/* The last slot waits for its holder rather than failing. */
		if (flock(fd, n == MAX_SLOTS - 1 && best < 0 ? LOCK_EX : LOCK_EX | LOCK_NB) == 0) {
			size_t miss, lost;
			strbuf_reset(&dir);
			strbuf_addf(&dir, "%s/%d", parent, n);
			miss = slot_misses(dir.buf, trees, &lost);
			if (best < 0 || miss < best_miss || (miss == best_miss && lost < best_lost)) {
				if (best_fd >= 0)
					close(best_fd);
				best = n, best_fd = fd, best_miss = miss, best_lost = lost;
			} else {
				close(fd);
			}
			if (!exists || (!miss && !lost))
				break;
			continue;
		}
		saved = errno;
		close(fd);
		errno = saved;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
	}
	if (best >= 0) {
		s->lock_fd = best_fd;
		strbuf_reset(&s->dir);
		strbuf_addf(&s->dir, "%s/%d", parent, best);
		strbuf_release(&lock);
		strbuf_release(&dir);
		return 0;
	}
	strbuf_addf(err, "cannot lock '%s': %s", lock.buf, strerror(errno));
	strbuf_release(&lock);
	strbuf_release(&dir);
	return -1;
}

void deps_slot_release(struct deps_slot *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
	strbuf_release(&s->dir);
}

/* One entry the slot must hold: its path below the slot, where it comes
 * from, its kind ('d', 'f' or 'l'), the order of its tree (the first tree
 * wins a name), and whether the slot already holds it. */
struct want {
	char *rel;
	char *src;
	char kind;
	char seen;
	size_t order;
	size_t tree;
};

/* tree: the index of the tree being collected; unlinked: a file the prune
 * removed (a link less to some tree's file). */
struct wants {
	struct want *v;
	size_t nr, alloc;
	size_t tree;
	int unlinked;
};

static void wants_push(struct wants *w, const char *rel, const char *src, char kind)
{
	if (w->nr == w->alloc) {
		w->alloc = w->alloc ? 2 * w->alloc : 64;
		w->v = xrealloc(w->v, w->alloc * sizeof(*w->v));
	}
	w->v[w->nr] = (struct want){ xstrdup(rel), xstrdup(src), kind, 0, w->nr, w->tree };
	w->nr++;
}

static void wants_release(struct wants *w)
{
	for (size_t i = 0; i < w->nr; i++) {
		free(w->v[i].rel);
		free(w->v[i].src);
	}
	free(w->v);
	w->v = NULL;
	w->nr = w->alloc = 0;
}

static int by_rel_then_order(const void *a, const void *b)
{
	const struct want *x = a, *y = b;
	int c = strcmp(x->rel, y->rel);
	return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

static int by_rel(const void *key, const void *elem)
{
	return strcmp(key, ((const struct want *)elem)->rel);
}

/* tree_visit: every entry of a tree into the wants. */
static int collect(const char *rel, const char *full, char kind, void *data)
{
	if (kind != 'o')
		wants_push(data, rel, full, kind);
	return 0;
}

static int same_file(const char *a, const char *b)
{
	struct stat x, y;
	return lstat(a, &x) == 0 && lstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* tree_visit of the slot: remove what the wants do not want there (a file
 * linked to another file than its source included); mark what they find. */
static int prune(const char *rel, const char *full, char kind, void *data)
{
	struct wants *w = data;
	struct want *x = w->nr ? bsearch(rel, w->v, w->nr, sizeof(*w->v), by_rel) : NULL;
	if (x && x->kind == kind && (kind == 'd' || (kind == 'f' && same_file(x->src, full)))) {
		x->seen = 1;
		return 0;
	}
	if (kind != 'd')
		w->unlinked = 1;
	if (rm_rf(full) < 0)
		return -1;
	return kind == 'd' ? VISIT_SKIP : 0;
}

/* 0, or -1 with errno; *linked set when it made a hard link to x's file. */
static int create(const char *slot, const struct want *x, int *linked)
{
	struct strbuf dst = STRBUF_INIT;
	struct stat st;
	int ret = 0;
	strbuf_addf(&dst, "%s/%s", slot, x->rel);
	if (x->kind == 'd')
		ret = mkdir(dst.buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
	else if (x->kind == 'f' && link(x->src, dst.buf) == 0)
		ret = 0, *linked = 1;
	else if (lstat(x->src, &st) < 0)
		ret = -1;
	else
		ret = clone_entry(x->src, dst.buf, &st, 0);
	strbuf_release(&dst);
	return ret;
}

int deps_slot_sync(struct deps_slot *s, const struct strvec *trees, struct strvec *touched, struct strbuf *err)
{
	struct wants w = { NULL, 0, 0, 0, 0 };
	struct strbuf held = STRBUF_INIT;
	char *linked = xcalloc(trees->nr ? trees->nr : 1, 1);
	size_t n = 0;
	int ret = 0;

	if (touched) {
		/* What it held: a file pruned is a link less to one of those. */
		struct strbuf p = STRBUF_INIT;
		strbuf_addf(&p, "%s.trees", s->dir.buf);
		if (strbuf_read_file(&held, p.buf) < 0)
			strbuf_reset(&held);
		strbuf_release(&p);
	}
	for (size_t i = 0; !ret && i < trees->nr; i++) {
		w.tree = i;
		if (tree_visit(trees->v[i], collect, &w) < 0) {
			strbuf_addf(err, "cannot read '%s': %s", trees->v[i], strerror(errno));
			ret = -1;
		}
	}
	if (!ret) {
		/* Sorted by path, the first tree's entry first among equals: keep it alone. */
		if (w.nr)
			qsort(w.v, w.nr, sizeof(*w.v), by_rel_then_order);
		for (size_t i = 0; i < w.nr; i++) {
			if (n && !strcmp(w.v[n - 1].rel, w.v[i].rel)) {
				free(w.v[i].rel);
				free(w.v[i].src);
				continue;
			}
			w.v[n++] = w.v[i];
		}
		w.nr = n;
		if ((tree_visit(s->dir.buf, prune, &w) < 0 && errno != ENOENT) ||
		    (mkdir(s->dir.buf, 0755) < 0 && errno != EEXIST)) {
			strbuf_addf(err, "cannot clear '%s': %s", s->dir.buf, strerror(errno));
			ret = -1;
		}
	}
	/* A directory sorts before what it holds. */
	for (size_t i = 0; !ret && i < w.nr; i++) {
		int made = 0;
		if (!w.v[i].seen && create(s->dir.buf, &w.v[i], &made) < 0) {
			strbuf_addf(err, "cannot link '%s' into '%s': %s", w.v[i].src, s->dir.buf, strerror(errno));
			ret = -1;
		}
		if (made)
			linked[w.v[i].tree] = 1;
	}
	if (touched) {
		for (size_t i = 0; i < trees->nr; i++)
			if (linked[i])
				strvec_push(touched, trees->v[i]);
		for (char *line = held.buf; w.unlinked && line && *line;) {
			char *end = strchr(line, '\n');
			if (end)
				*end = '\0';
			if (*line && strvec_find(touched, line) < 0)
				strvec_push(touched, line);
			line = end ? end + 1 : NULL;
		}
	}
	free(linked);
	strbuf_release(&held);
	wants_release(&w);
	if (!ret) {
		/* What it holds now, for the next choice of a slot. */
		struct strbuf p = STRBUF_INIT, list = STRBUF_INIT;
		strbuf_addf(&p, "%s.trees", s->dir.buf);
		for (size_t i = 0; i < trees->nr; i++)
			strbuf_addf(&list, "%s\n", trees->v[i]);
		if (write_file_atomic(p.buf, list.buf, list.len, 0644) < 0)
			unlink(p.buf); /* (then it is chosen as if empty) */
		strbuf_release(&p);
		strbuf_release(&list);
	}
	return ret;
}
