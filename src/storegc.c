#include "storegc.h"
#include "fs.h"
#include "log.h"
#include "paths.h"
#include "store.h"
#include "storemeta.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int store_size_parse(const char *text, long long *out, struct strbuf *why)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
		{ "", 1 },          { "B", 1 },
		{ "K", 1e3 },       { "KB", 1e3 },     { "Ki", 1024.0 },    { "KiB", 1024.0 },
		{ "M", 1e6 },       { "MB", 1e6 },     { "Mi", 1048576.0 }, { "MiB", 1048576.0 },
		{ "G", 1e9 },       { "GB", 1e9 },     { "Gi", 1073741824.0 }, { "GiB", 1073741824.0 },
		{ "T", 1e12 },      { "TB", 1e12 },    { "Ti", 1099511627776.0 }, { "TiB", 1099511627776.0 },
	};
	const char *p = text;
	double v = 0, frac = 0.1;
	int digits = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0'), digits++;
	if (*p == '.' && digits)
		for (p++; *p >= '0' && *p <= '9'; p++)
			v += (*p - '0') * frac, frac /= 10;
	if (digits && *p == ' ')
		p++;
	for (size_t i = 0; digits && i < ARRAY_SIZE(units); i++) {
		const char *s = units[i].suffix;
		/* (k for K, as ccache accepts) */
		if (!strcmp(p, s) || (*s == 'K' && *p == 'k' && !strcmp(p + 1, s + 1))) {
			if (v * units[i].mult > 9.2e18)
				break;
			*out = (long long)(v * units[i].mult);
			return 0;
		}
	}
	strbuf_addstr(why, "not a size (a number and a unit, e.g. 5GiB, 500MB, 0 for no limit)");
	return -1;
}

void store_size_format(long long n, struct strbuf *out)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;
	while (v >= 1024 && u < 3)
		v /= 1024, u++;
	if (u < 0)
		strbuf_addf(out, "%lld B", n);
	else
		strbuf_addf(out, "%.1f %s", v, units[u]);
}

static int by_use(const void *a, const void *b)
{
	const struct store_meta *x = a, *y = b;
	return x->used_ns < y->used_ns ? -1 : x->used_ns > y->used_ns ? 1 : strcmp(x->key, y->key);
}

/* Side files whose entry is gone (what an eviction racing a save, or a
 * kill, left), older than a minute; dead processes' temporaries. */
static void sweep_orphans(const char *root)
{
	struct strvec buckets = STRVEC_INIT, names = STRVEC_INIT;
	struct strbuf dir = STRBUF_INIT, p = STRBUF_INIT;
	time_t now = time(NULL);
	if (dir_entries(root, &buckets) < 0)
		return;
	for (size_t b = 0; b < buckets.nr; b++) {
		if (strlen(buckets.v[b]) != 2)
			continue;
		strbuf_reset(&dir);
		strbuf_addf(&dir, "%s/%s", root, buckets.v[b]);
		sweep_dead_temps(dir.buf);
		strvec_clear(&names);
		if (dir_entries(dir.buf, &names) < 0)
			continue;
		for (size_t i = 0; i < names.nr; i++) {
			const char *dot = strchr(names.v[i], '.');
			struct stat st;
			if (!dot || (strcmp(dot, ".meta") && strcmp(dot, ".uses") && strcmp(dot, ".checked")))
				continue;
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/%.*s", dir.buf, (int)(dot - names.v[i]), names.v[i]);
			if (!access(p.buf, F_OK))
				continue;
			strbuf_addstr(&p, dot);
			if (lstat(p.buf, &st) == 0 && st.st_mtime < now - 60)
				unlink(p.buf);
		}
	}
	strvec_clear(&buckets);
	strvec_clear(&names);
	strbuf_release(&dir);
	strbuf_release(&p);
}

/* The gc lock (store/gc.lock): fd, or -1 (with wait unset: another holds it). */
static int gc_lock(const char *root, int wait)
{
	struct strbuf p = STRBUF_INIT;
	int fd;
	strbuf_addf(&p, "%s/gc.lock", root);
	mkdir_parent(p.buf, 0755);
	fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	strbuf_release(&p);
	if (fd >= 0 && flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int gc_locked(const char *root, long long max, struct store_gc_result *r)
{
	struct store_meta *list;
	size_t nr;
	long long total = 0;
	memset(r, 0, sizeof(*r));
	sweep_orphans(root);
	store_meta_list(&list, &nr);
	for (size_t i = 0; i < nr; i++)
		total += list[i].size;
	store_meta_total_set(total);
	r->entries = nr;
	r->before = r->after = total;
	if (nr)
		qsort(list, nr, sizeof(*list), by_use);
	for (size_t i = 0; i < nr && r->after > max; i++) {
		int rc = store_evict(list[i].key, list[i].size);
		if (rc > 0) {
			r->evicted++;
			r->after -= list[i].size;
			LOG(LOG_INFO, "gc: evicted %.16s (%s %s %s, %lld bytes, %lld hits)", list[i].key, list[i].crate,
			    list[i].version, list[i].kind, list[i].size, list[i].hits);
		} else if (rc == 0) {
			r->in_use++;
		} else {
			r->after -= list[i].size; /* (gone meanwhile: another rm or a damaged entry's removal) */
		}
	}
	store_meta_list_free(list, nr);
	return 0;
}

int store_gc(long long max, struct store_gc_result *r, struct strbuf *err)
{
	struct strbuf root = STRBUF_INIT;
	int fd, ret;
	state_dir(&root);
	strbuf_addstr(&root, "/store");
	fd = gc_lock(root.buf, 1);
	if (fd < 0) {
		strbuf_addf(err, "cannot lock the local store (%s/gc.lock): %s", root.buf, strerror(errno));
		strbuf_release(&root);
		return -1;
	}
	ret = gc_locked(root.buf, max, r);
	close(fd);
	strbuf_release(&root);
	return ret;
}

void store_gc_auto(long long max)
{
	struct strbuf root = STRBUF_INIT;
	struct store_gc_result r;
	long long total;
	int fd;
	/* (never counted: a store older than the count, counted now) */
	if (max <= 0 || ((total = store_meta_total()) >= 0 && total <= max))
		return;
	state_dir(&root);
	strbuf_addstr(&root, "/store");
	if ((fd = gc_lock(root.buf, 0)) >= 0) {
		long long t0 = now_ns();
		gc_locked(root.buf, max - max / 10, &r);
		close(fd);
		LOG(LOG_INFO, "gc: the local store held %lld bytes, over its limit of %lld: %zu of %zu entries evicted, "
			      "%lld bytes now (%zu in use kept), %.1f ms",
		    r.before, max, r.evicted, r.entries, r.after, r.in_use, (now_ns() - t0) / 1e6);
	}
	strbuf_release(&root);
}
