#include "cache.h"
#include "cacheindex.h"
#include "config.h"
#include "fs.h"
#include "hash.h"
#include "json.h"
#include "log.h"
#include "registry.h"
#include "run.h"
#include "sha256.h"
#include "store.h"
#include "unit.h"
#include "util.h"
#include "banned.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LAYER_TYPE "application/vnd.oci.image.layer.v1.tar+zstd"
/* A writer's zstd level, and its nice value (publish_all). */
#define PUBLISH_ZSTD_LEVEL "1"
#define PUBLISH_NICE 10
#define MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
/* The run's statistics file, under whose name its notes are (NULL: none). */
#define RUN(cfg) ((cfg) ? (cfg)->stats_path : NULL)
/* An entry larger than this is not one of ours. */
#define MAX_BLOB (4LL << 30)

void cache_images(const struct config *cfg, int write, struct strvec *out)
{
	const struct strvec *lists[] = { cfg_list(cfg, S_CACHE_IMAGES),
					 cfg_list(cfg, write ? S_CACHE_TO_IMAGES : S_CACHE_FROM_IMAGES) };
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
		for (size_t i = 0; i < lists[l]->nr; i++)
			if (strvec_find(out, lists[l]->v[i]) < 0)
				strvec_push(out, lists[l]->v[i]);
}

int cache_unit_public(const struct unit *u)
{
	const char *src = u->ctx_origin ? u->ctx_origin : u->ctx_dir;
	const char *at;
	struct strbuf ok = STRBUF_INIT;
	int ret = 0;
	if (!u->ctx_name || !src || !(at = strstr(src, "/registry/src/index.crates.io-")))
		return 0;
	/* cargo's mark of a crate it extracted whole. */
	strbuf_addf(&ok, "%s/.cargo-ok", src);
	ret = !access(ok.buf, F_OK);
	strbuf_release(&ok);
	return ret;
}

/* ---- the run's notes: beside the plugin's statistics file ---- */

static int run_dir(const char *run, struct strbuf *out)
{
	if (!run)
		return -1;
	strbuf_addf(out, "%s.cache", run);
	mkdir(out->buf, 0700);
	return 0;
}

/* The run's bearer tokens (regtoken.h), in out; -1 without a run. */
static int tokens_path(const char *run, struct strbuf *out)
{
	if (run_dir(run, out) < 0)
		return -1;
	strbuf_addstr(out, "/tokens");
	return 0;
}

static void note_line(const char *run, const char *line)
{
	struct strbuf p = STRBUF_INIT;
	if (run_dir(run, &p) == 0) {
		int fd;
		strbuf_addstr(&p, "/notes");
		fd = open(p.buf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			write_all(fd, line, strlen(line));
			close(fd);
		}
	}
	strbuf_release(&p);
}

/* The run's marks of image, one way: "skip-r-HEX" (not asked again in this
 * run), "ok-r-HEX" (it answered), "first-r-HEX" (the lock of the first
 * contact); "-w-" for writing. */
static void mark_path(const char *image, int write, const char *what, struct strbuf *out)
{
	char hex[17];
	hash_hex(image, hex);
	strbuf_addf(out, "/%s-%c-%s", what, write ? 'w' : 'r', hex);
}

static int marked(const char *run, const char *image, int write, const char *what)
{
	struct strbuf p = STRBUF_INIT;
	int ret = 0;
	if (run_dir(run, &p) == 0) {
		mark_path(image, write, what, &p);
		ret = !access(p.buf, F_OK);
	}
	strbuf_release(&p);
	return ret;
}

static void mark(const char *run, const char *image, int write, const char *what)
{
	struct strbuf p = STRBUF_INIT;
	if (run_dir(run, &p) == 0) {
		mark_path(image, write, what, &p);
		close(open(p.buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	}
	strbuf_release(&p);
}

static int skipped(const char *run, const char *image, int write)
{
	return marked(run, image, write, "skip");
}

/* Until image has answered a request of this run one way, one process at a
 * time asks it: a registry that is down or slow costs the run one deadline
 * each way, not one per compile going on. -1 when it answered already (or
 * there is no run), else the fd of the lock, held: contact_answered, or
 * close, releases it. */
static int contact_first(const char *run, const char *image, int write)
{
	struct strbuf p = STRBUF_INIT;
	int fd = -1;
	if (!marked(run, image, write, "ok") && run_dir(run, &p) == 0) {
		mark_path(image, write, "first", &p);
		fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
			close(fd);
			fd = -1;
		}
	}
	strbuf_release(&p);
	return fd;
}

/* image answered: the others may ask it at once. */
static void contact_answered(const char *run, const char *image, int write, int *lock)
{
	if (*lock < 0)
		return;
	mark(run, image, write, "ok");
	close(*lock);
	*lock = -1;
}

/* A fault of image: noted (and logged); after a transport fault (down,
 * cut, no answer in time), a refusal or a failure of the registry's own
 * (5xx: its storage full or broken) the image is skipped for the rest of
 * the run, that way. */
static void fault(const char *run, const char *image, int write, int status, const char *what,
		  const char *msg)
{
	struct strbuf line = STRBUF_INIT;
	/* One line per image, direction and kind of problem. */
	const char *kind = status == 0 ? "down" : status == 401 || status == 403 ? "auth" : status >= 500 ? "server" : what;
	LOG(LOG_WARN, "cache %s %s: %s", write ? "write to" : "read from", image, msg);
	strbuf_addf(&line, "fault\t%c\t%s\t%s\t", write ? 'w' : 'r', image, kind);
	for (const char *m = msg; *m; m++)
		strbuf_addch(&line, *m == '\n' || *m == '\t' ? ' ' : *m);
	strbuf_addch(&line, '\n');
	note_line(run, line.buf);
	if (status == 0 || status == 401 || status == 403 || status >= 500)
		mark(run, image, write, "skip");
	strbuf_release(&line);
}

/* ---- reading ---- */

/* The layer of an entry's manifest: its digest and size. 0, or -1 with why. */
static int manifest_layer(const struct strbuf *body, struct strbuf *digest, long long *size, struct strbuf *why)
{
	struct json j;
	const struct json *layers, *l;
	struct strbuf e = STRBUF_INIT;
	int ret = -1;
	if (json_parse(body->buf, body->len, &j, &e) < 0) {
		strbuf_addf(why, "its manifest is not JSON: %s", e.buf);
		strbuf_release(&e);
		return -1;
	}
	layers = json_get(&j, "layers");
	if (!layers || layers->type != JV_ARRAY || layers->nr != 1 || !(l = &layers->items[0]) ||
	    !json_str(json_get(l, "digest")) || !json_get(l, "size") || json_get(l, "size")->type != JV_NUMBER ||
	    !json_str(json_get(l, "mediaType")) || strcmp(json_str(json_get(l, "mediaType")), LAYER_TYPE)) {
		strbuf_addstr(why, "its manifest is not one of cargo-green's (one " LAYER_TYPE " layer)");
	} else {
		strbuf_addstr(digest, json_str(json_get(l, "digest")));
		*size = atoll(json_get(l, "size")->str);
		ret = 0;
		for (const char *p = digest->buf; *p; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || *p == ':' || (*p >= 'g' && *p <= 'z')))
				ret = -1;
		if (ret || !starts_with(digest->buf, "sha256:") || *size < 0 || *size > MAX_BLOB) {
			strbuf_addstr(why, "its manifest names no sha256 layer of a sensible size");
			ret = -1;
		}
	}
	json_release(&j);
	strbuf_release(&e);
	return ret;
}

/* key's entry from r (image's session): 1 landed, 0 not there, -1 fault
 * (noted). lock: contact_first's, or NULL. Its scratch files are named
 * KEY.blob.PID and KEY.fetch.PID beside the entry (fetch_scratch_remove). */
static int fetch_in(const char *run, struct registry *r, const char *image, const char *key, int *lock)
{
	struct strbuf err = STRBUF_INIT, body = STRBUF_INIT, digest = STRBUF_INIT, entry = STRBUF_INIT,
		      bucket = STRBUF_INIT, blob = STRBUF_INIT, tmp = STRBUF_INIT, why = STRBUF_INIT;
	long long size = 0, t0 = now_ns();
	int status = 0, ret = -1, rc;
	rc = registry_manifest_get(r, key, &body, NULL, &status, &err);
	if (rc >= 0 && lock)
		contact_answered(run, image, 0, lock);
	if (rc <= 0) {
		if (rc < 0)
			fault(run, image, 0, status, "manifest", err.buf);
		ret = rc;
		goto out;
	}
	if (manifest_layer(&body, &digest, &size, &why) < 0) {
		strbuf_addf(&err, "%s: entry %.12s: %s", registry_name(r), key, why.buf);
		fault(run, image, 0, 200, "manifest", err.buf);
		goto out;
	}
	store_entry_path(key, &entry, &bucket);
	mkdir_p(bucket.buf, 0755);
	strbuf_addf(&blob, "%s/%s.blob.%ld", bucket.buf, key, (long)getpid());
	strbuf_addf(&tmp, "%s/%s.fetch.%ld", bucket.buf, key, (long)getpid());
	if (registry_blob_get(r, digest.buf, blob.buf, size, &status, &err) < 0) {
		fault(run, image, 0, status, status == 200 ? "damaged" : "blob", err.buf);
		goto out;
	}
	{
		struct child c = CHILD_INIT;
		rm_rf(tmp.buf);
		mkdir_p(tmp.buf, 0755);
		strvec_pushl(&c.args, "tar", "--zstd", "-xf", blob.buf, "-C", tmp.buf, "--no-same-owner", NULL);
		c.stdin_path = "";
		c.no_stdout = 1;
		c.stderr_path = "/dev/null";
		rc = run_command(&c, &err);
		child_release(&c);
		if (rc) {
			strbuf_reset(&err);
			strbuf_addf(&err, "%s: entry %.12s: its blob does not unpack (tar --zstd exit %d)", registry_name(r),
				    key, rc);
			fault(run, image, 0, 200, "unpack", err.buf);
			goto out;
		}
	}
	if (store_adopt(key, tmp.buf, &why) < 0) {
		strbuf_addf(&err, "%s: %s", registry_name(r), why.buf);
		fault(run, image, 0, 200, "entry", err.buf);
		goto out;
	}
	ret = 1;
	LOG(LOG_INFO, "cache: %.12s read from %s (%lld bytes, %.1f ms)", key, registry_name(r), size,
	    (now_ns() - t0) / 1e6);
out:
	if (blob.len)
		unlink(blob.buf);
	if (tmp.len)
		rm_rf(tmp.buf);
	strbuf_release(&err);
	strbuf_release(&body);
	strbuf_release(&digest);
	strbuf_release(&entry);
	strbuf_release(&bucket);
	strbuf_release(&blob);
	strbuf_release(&tmp);
	strbuf_release(&why);
	return ret;
}

/* A session with image, the run's tokens kept: NULL after a fault (noted). */
static struct registry *reader_open(const char *run, const char *image)
{
	struct strbuf err = STRBUF_INIT, tokens = STRBUF_INIT;
	struct registry *r = registry_open(image, &err);
	if (!r)
		fault(run, image, 0, 0, "open", err.buf);
	else if (tokens_path(run, &tokens) == 0)
		registry_keep_tokens(r, tokens.buf);
	strbuf_release(&err);
	strbuf_release(&tokens);
	return r;
}

/* A wrapper's read of key from image: fetch_in, noted as read. */
static int fetch_one(const char *run, const char *image, const char *key, int *lock)
{
	struct registry *r = reader_open(run, image);
	int ret = r ? fetch_in(run, r, image, key, lock) : -1;
	if (ret > 0) {
		struct strbuf line = STRBUF_INIT;
		strbuf_addf(&line, "read\t%s\t%s\n", image, key);
		note_line(run, line.buf);
		strbuf_release(&line);
	}
	registry_close(r);
	return ret;
}

/* ---- the prefetch: what the index of the build lists, before cargo asks ---- */

/* At most this many entries fetched at once (each a process of its own). */
#define PREFETCH_WORKERS 4
/* How long a wrapper waits for the index to be read, and for an entry the
 * prefetch is fetching, before it reads the images itself. */
#define PREFETCH_INDEX_WAIT_MS 9000
#define PREFETCH_ENTRY_WAIT_MS 60000
/* How long a wrapper whose lookup hit an entry a worker has just adopted
 * waits for the worker to note it as fetched (a few system calls). */
#define PREFETCH_SAY_WAIT_MS 2000

/* The run's prefetch files, in out: "pf-index" (held by the prefetch until
 * pf-list is written), "pf-list" (the keys it fetches, one a line), "pf/KEY"
 * (the claim of whoever fetches KEY, held while it does: its pid),
 * "pf/KEY.got" (the prefetch landed it: the image's name), "pf-stop". */
static int pf_path(const char *run, const char *name, struct strbuf *out)
{
	if (run_dir(run, out) < 0)
		return -1;
	strbuf_addf(out, "/%s", name);
	return 0;
}

static int in_store(const char *key)
{
	struct strbuf entry = STRBUF_INIT, bucket = STRBUF_INIT;
	int ret;
	store_entry_path(key, &entry, &bucket);
	strbuf_addstr(&entry, "/" STORE_SUMS);
	ret = !access(entry.buf, F_OK);
	strbuf_release(&entry);
	strbuf_release(&bucket);
	return ret;
}

/* Take fd's lock (how: LOCK_SH, LOCK_EX), waiting ms at most: 0, or -1. */
static int lock_within(int fd, int how, long ms)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	for (long waited = 0;; waited += 2) {
		if (flock(fd, how | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (waited >= ms)
			return -1;
		nanosleep(&nap, NULL);
	}
}

/* Claim the fetch of key for this process: the fd of its claim, locked, or
 * -1 when another has it. The claim appears locked (made aside, then
 * linked), so that whoever finds it waits for its end. */
static int claim(const char *run, const char *key)
{
	struct strbuf p = STRBUF_INIT, tmp = STRBUF_INIT, pid = STRBUF_INIT;
	int fd = -1;
	if (pf_path(run, "pf/", &p) < 0)
		goto out;
	strbuf_addstr(&p, key);
	strbuf_addf(&tmp, "%s.%ld", p.buf, (long)getpid());
	fd = open(tmp.buf, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	strbuf_addf(&pid, "%ld\n", (long)getpid());
	if (flock(fd, LOCK_EX) < 0 || write_all(fd, pid.buf, pid.len) < 0 || link(tmp.buf, p.buf) < 0) {
		close(fd);
		fd = -1;
	}
	unlink(tmp.buf);
out:
	strbuf_release(&p);
	strbuf_release(&tmp);
	strbuf_release(&pid);
	return fd;
}

/* The image the prefetch landed key from, into image: 1, or 0 (not landed by it). */
static int prefetch_got(const char *run, const char *key, struct strbuf *image)
{
	struct strbuf p = STRBUF_INIT;
	int ret = 0;
	if (pf_path(run, "pf/", &p) == 0) {
		strbuf_addf(&p, "%s.got", key);
		ret = strbuf_read_file(image, p.buf) == 0 && image->len;
	}
	strbuf_release(&p);
	return ret;
}

static void note_read(const char *run, const char *image, const char *key)
{
	struct strbuf line = STRBUF_INIT;
	strbuf_addf(&line, "read\t%s\t%s\n", image, key);
	note_line(run, line.buf);
	strbuf_release(&line);
}

int cache_prefetched(const struct config *cfg, const char *key)
{
	struct strbuf image = STRBUF_INIT, p = STRBUF_INIT;
	int ret = 0, fd;
	if (!cfg->stats_path || (!cfg_list(cfg, S_CACHE_IMAGES)->nr && !cfg_list(cfg, S_CACHE_FROM_IMAGES)->nr))
		goto out;
	ret = prefetch_got(cfg->stats_path, key, &image);
	/* A worker between adopting the entry (our lookup's hit) and saying
	 * so: its claim is held until it has. */
	if (!ret && pf_path(cfg->stats_path, "pf/", &p) == 0) {
		strbuf_addstr(&p, key);
		if ((fd = open(p.buf, O_RDONLY | O_CLOEXEC)) >= 0) {
			lock_within(fd, LOCK_SH, PREFETCH_SAY_WAIT_MS);
			close(fd);
			ret = prefetch_got(cfg->stats_path, key, &image);
		}
	}
	if (ret)
		note_read(cfg->stats_path, image.buf, key);
out:
	strbuf_release(&image);
	strbuf_release(&p);
	return ret;
}

/* A wrapper's miss of key during the run's prefetch: 1 when the prefetch
 * landed it (noted as read), else 0, *own then the claim of its own fetch
 * when the prefetch had not begun it (-1: none). */
static int prefetch_wait(const char *run, const char *key, int *own)
{
	struct strbuf p = STRBUF_INIT, list = STRBUF_INIT, image = STRBUF_INIT;
	int fd, ret = 0;
	*own = -1;
	if (pf_path(run, "pf-index", &p) < 0 || (fd = open(p.buf, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	/* The index read (its own deadlines), the list written. */
	lock_within(fd, LOCK_SH, PREFETCH_INDEX_WAIT_MS);
	close(fd);
	strbuf_reset(&p);
	pf_path(run, "pf-list", &p);
	if (strbuf_read_file(&list, p.buf) < 0 || !memmem(list.buf, list.len, key, strlen(key)))
		goto out;
	if ((*own = claim(run, key)) >= 0)
		goto out; /* not begun: this wrapper fetches it, the prefetch will not */
	strbuf_reset(&p);
	pf_path(run, "pf/", &p);
	strbuf_addstr(&p, key);
	if ((fd = open(p.buf, O_RDONLY | O_CLOEXEC)) >= 0) {
		long long t0 = now_ns();
		lock_within(fd, LOCK_SH, PREFETCH_ENTRY_WAIT_MS);
		close(fd);
		LOG(LOG_DEBUG, "cache: %.12s: waited %.1f ms for the prefetch", key, (now_ns() - t0) / 1e6);
	}
	if (prefetch_got(run, key, &image) && in_store(key)) {
		note_read(run, image.buf, key);
		ret = 1;
	}
out:
	strbuf_release(&p);
	strbuf_release(&list);
	strbuf_release(&image);
	return ret;
}

/* The keys the index tag of image lists, appended to keys and (for each
 * new one) image to from. Faults noted. */
static void index_read(const char *run, const char *image, const char *tag, struct strvec *keys,
		       struct strvec *from)
{
	struct strbuf err = STRBUF_INIT, body = STRBUF_INIT, line = STRBUF_INIT;
	struct strvec listed = STRVEC_INIT;
	int status = 0, rc, lock = contact_first(run, image, 0);
	struct registry *r = skipped(run, image, 0) ? NULL : reader_open(run, image);
	if (!r)
		goto out;
	rc = registry_manifest_get(r, tag, &body, NULL, &status, &err);
	if (rc >= 0)
		contact_answered(run, image, 0, &lock);
	if (rc < 0) {
		fault(run, image, 0, status, "manifest", err.buf); /* (as a wrapper's GET would be said) */
	} else if (rc == 0) {
		LOG(LOG_INFO, "cache: %s has no index %.18s", registry_name(r), tag);
	} else if (cache_index_parse(body.buf, body.len, &listed, &err) < 0) {
		strbuf_addf(&line, "%s: %.18s: %s", registry_name(r), tag, err.buf);
		fault(run, image, 0, 200, "index", line.buf);
	} else {
		size_t had = 0;
		for (size_t i = 0; i < listed.nr; i++)
			if (strvec_find(keys, listed.v[i]) >= 0)
				continue;
			else if (in_store(listed.v[i]))
				had++;
			else {
				strvec_push(keys, listed.v[i]);
				strvec_push(from, image);
			}
		strbuf_addf(&line, "listed\t%s\t%zu %zu\n", image, listed.nr, had);
		note_line(run, line.buf);
		LOG(LOG_INFO, "cache: the index of %s lists %zu entries, %zu in the local store", registry_name(r),
		    listed.nr, had);
	}
out:
	if (lock >= 0)
		close(lock);
	registry_close(r);
	strbuf_release(&err);
	strbuf_release(&body);
	strbuf_release(&line);
	strvec_clear(&listed);
}

/* One worker of the prefetch: every key of keys not claimed yet, from its
 * image (from), until the run says stop. */
static void prefetch_work(const char *run, const struct strvec *keys, const struct strvec *from,
			  const struct strvec *images)
{
	struct registry *rs[16] = { NULL };
	struct strbuf stop = STRBUF_INIT, got = STRBUF_INIT;
	pf_path(run, "pf-stop", &stop);
	for (size_t i = 0; i < keys->nr && access(stop.buf, F_OK); i++) {
		int fd, at = strvec_find(images, from->v[i]);
		if (at < 0 || at >= 16 || (fd = claim(run, keys->v[i])) < 0)
			continue;
		if (!in_store(keys->v[i]) && !skipped(run, from->v[i], 0) &&
		    (rs[at] || (rs[at] = reader_open(run, from->v[i]))) &&
		    fetch_in(run, rs[at], from->v[i], keys->v[i], NULL) > 0) {
			struct strbuf line = STRBUF_INIT;
			strbuf_reset(&got);
			pf_path(run, "pf/", &got);
			strbuf_addf(&got, "%s.got", keys->v[i]);
			write_file_atomic(got.buf, from->v[i], strlen(from->v[i]), 0600);
			strbuf_addf(&line, "prefetched\t%s\t%s\n", from->v[i], keys->v[i]);
			note_line(run, line.buf);
			strbuf_release(&line);
		}
		close(fd);
	}
	for (size_t i = 0; i < 16; i++)
		registry_close(rs[i]);
	strbuf_release(&stop);
	strbuf_release(&got);
}

/* The prefetch itself (its process): the indexes, the list, the workers. */
static void prefetch_run(const char *run, const struct strvec *images, const char *tag, int index_lock)
{
	struct strvec keys = STRVEC_INIT, from = STRVEC_INIT;
	struct strbuf p = STRBUF_INIT, list = STRBUF_INIT;
	long long t0 = now_ns();
	pid_t pids[PREFETCH_WORKERS];
	size_t n = 0;
	for (size_t i = 0; i < images->nr; i++)
		index_read(run, images->v[i], tag, &keys, &from);
	for (size_t i = 0; i < keys.nr; i++)
		strbuf_addf(&list, "%s\n", keys.v[i]);
	pf_path(run, "pf-list", &p);
	write_file_atomic(p.buf, list.buf, list.len, 0600);
	close(index_lock); /* the wrappers waiting for the list go on */
	for (; n < PREFETCH_WORKERS && n < keys.nr; n++) {
		pids[n] = fork();
		if (pids[n] == 0) {
			prefetch_work(run, &keys, &from, images);
			_exit(0);
		}
		if (pids[n] < 0)
			break;
	}
	for (size_t i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	LOG(LOG_INFO, "cache: the prefetch of %zu entries took %.1f ms", keys.nr, (now_ns() - t0) / 1e6);
	strvec_clear(&keys);
	strvec_clear(&from);
	strbuf_release(&p);
	strbuf_release(&list);
}

/* In a child of ours that outlives its call: /dev/null as 0-2, every
 * other fd closed but keep's and the log's (cargo's pipes, its jobserver,
 * the terminal). */
static void child_quiet_fds(int keep)
{
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	for (int fd = 3; fd < 1024; fd++)
		if (fd != keep && fd != log_fd())
			close(fd);
}


int cache_prefetch_start(const struct config *cfg, const char *stats_path, const char *tag)
{
	struct strvec images = STRVEC_INIT;
	struct strbuf p = STRBUF_INIT;
	int lock = -1, pid = -1;
	cache_images(cfg, 0, &images);
	if (!images.nr || !tag || images.nr > 16 || pf_path(stats_path, "pf", &p) < 0)
		goto out;
	mkdir(p.buf, 0700);
	strbuf_addstr(&p, "-index");
	/* Held from before cargo starts: no wrapper reads the list before it is written. */
	lock = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		goto out;
	pid = fork();
	if (pid == 0) {
		/* A process group of its own (the end stops it whole), no fd
		 * of the terminal's or cargo's. */
		setpgid(0, 0);
		child_quiet_fds(lock);
		prefetch_run(stats_path, &images, tag, lock);
		_exit(0);
	}
	if (pid > 0)
		setpgid(pid, pid);
out:
	if (lock >= 0)
		close(lock);
	strvec_clear(&images);
	strbuf_release(&p);
	return pid;
}

/* The end of the prefetch (pid): told to stop, waited for a while, then
 * killed, what its fetches had begun removed from the local store's dir. */
static void prefetch_end(const char *run, int pid)
{
	struct strbuf p = STRBUF_INIT;
	struct timespec nap = { 0, 5 * 1000 * 1000 };
	int done = 0;
	if (pf_path(run, "pf-stop", &p) == 0)
		close(open(p.buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	for (int waited = 0; waited < 3000 && !done; waited += 5) {
		done = waitpid(pid, NULL, WNOHANG) == pid;
		if (!done)
			nanosleep(&nap, NULL);
	}
	if (!done) {
		DIR *d;
		struct dirent *de;
		LOG(LOG_INFO, "cache: the prefetch did not end in 3 s: stopped");
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		strbuf_reset(&p);
		pf_path(run, "pf", &p);
		/* A claim without its .got: a fetch cut short, its scratch files left. */
		for (d = opendir(p.buf); d && (de = readdir(d));) {
			struct strbuf c = STRBUF_INIT, who = STRBUF_INIT, entry = STRBUF_INIT, bucket = STRBUF_INIT,
				      scratch = STRBUF_INIT;
			strbuf_addf(&c, "%s/%s", p.buf, de->d_name);
			strbuf_addf(&scratch, "%s.got", c.buf);
			if (strlen(de->d_name) == 64 && access(scratch.buf, F_OK) && strbuf_read_file(&who, c.buf) == 0 &&
			    atol(who.buf) > 0) {
				store_entry_path(de->d_name, &entry, &bucket);
				strbuf_reset(&scratch);
				strbuf_addf(&scratch, "%s/%s.blob.%ld", bucket.buf, de->d_name, atol(who.buf));
				unlink(scratch.buf);
				strbuf_reset(&scratch);
				strbuf_addf(&scratch, "%s/%s.fetch.%ld", bucket.buf, de->d_name, atol(who.buf));
				rm_rf(scratch.buf);
			}
			strbuf_release(&who);
			strbuf_release(&c);
			strbuf_release(&entry);
			strbuf_release(&bucket);
			strbuf_release(&scratch);
		}
		if (d)
			closedir(d);
	}
	strbuf_release(&p);
}

int cache_fetch(const struct config *cfg, const char *key)
{
	struct strvec images = STRVEC_INIT;
	int ret = 0, own = -1;
	cache_images(cfg, 0, &images);
	/* The run's prefetch may have it, or be fetching it. */
	if (images.nr && prefetch_wait(RUN(cfg), key, &own))
		ret = 1;
	for (size_t i = 0; i < images.nr && ret <= 0; i++) {
		int lock = contact_first(RUN(cfg), images.v[i], 0);
		if (!skipped(RUN(cfg), images.v[i], 0))
			ret = fetch_one(RUN(cfg), images.v[i], key, &lock);
		if (lock >= 0)
			close(lock);
	}
	if (own >= 0)
		close(own);
	strvec_clear(&images);
	return ret > 0;
}

/* ---- writing ---- */

struct scan {
	const struct strvec *secrets;
	const char *found;
};

static int scan_one(const char *rel, const char *full, char kind, void *data)
{
	struct scan *s = data;
	struct strbuf body = STRBUF_INIT;
	if (kind != 'f' || s->found)
		return 0;
	if (strbuf_read_file(&body, full) == 0)
		for (size_t i = 0; i < s->secrets->nr && !s->found; i++)
			if (*s->secrets->v[i] && memmem(body.buf, body.len, s->secrets->v[i], strlen(s->secrets->v[i])))
				s->found = rel;
	if (s->found)
		s->found = xstrdup(rel);
	strbuf_release(&body);
	return 0;
}

int cache_archive_check(const char *key, const char *file, const char *bucket, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT, why = STRBUF_INIT;
	struct child c = CHILD_INIT;
	int rc, ret = -1;
	strbuf_addf(&tmp, "%s/%s.pushcheck.%ld", bucket, key, (long)getpid());
	rm_rf(tmp.buf);
	if (mkdir_p(tmp.buf, 0755) < 0) {
		strbuf_addf(err, "cannot pack entry %.12s: %s: %s", key, tmp.buf, strerror(errno));
		goto out;
	}
	strvec_pushl(&c.args, "tar", "--zstd", "-xf", file, "-C", tmp.buf, "--no-same-owner", NULL);
	c.stdin_path = "";
	c.no_stdout = 1;
	c.stderr_path = "/dev/null";
	rc = run_command(&c, err);
	if (rc) {
		if (!err->len)
			strbuf_addf(err, "cannot pack entry %.12s: its archive does not unpack (tar --zstd exit %d)", key, rc);
		goto out;
	}
	if (store_entry_check(tmp.buf, 1, &why) < 0) {
		strbuf_addf(err, "cannot pack entry %.12s: its archive %s", key, why.buf);
		goto out;
	}
	ret = 0;
out:
	rm_rf(tmp.buf);
	child_release(&c);
	strbuf_release(&tmp);
	strbuf_release(&why);
	return ret;
}

int cache_entry_blob(const char *key, const struct strvec *secrets, struct strbuf *data, struct strbuf *digest,
		     struct strbuf *err)
{
	struct strbuf entry = STRBUF_INIT, bucket = STRBUF_INIT, file = STRBUF_INIT;
	struct child c = CHILD_INIT;
	struct sha256 md;
	char hex[65];
	int rc, ret = -1;
	store_entry_path(key, &entry, &bucket);
	/* (pinned: no eviction removes it while tar reads it) */
	if (!store_lookup(key, STORE_SIZES, &entry)) {
		strbuf_addf(err, "entry %.12s is not in the local store", key);
		goto out;
	}
	if (secrets && secrets->nr) {
		struct scan s = { secrets, NULL };
		tree_visit(entry.buf, scan_one, &s);
		if (s.found) {
			strbuf_addf(err, "entry %.12s holds the value of one of its secrets (in %s): never written", key, s.found);
			free((char *)s.found);
			goto out;
		}
	}
	strbuf_addf(&file, "%s/%s.push.%ld.tar.zst", bucket.buf, key, (long)getpid());
	/* Exit 1 is tar's "file changed as we read it": its ctime moved, which
	 * a build hard-linking a stored file does (a dependent's deps context,
	 * a landing) while the bytes stay as saved. Such an archive is kept
	 * when the entry's files are still as last checked but for their
	 * ctimes (the store's rule for a dependent's read: no write happened),
	 * else only once unpacked and found to match the entry's manifest. */
	strvec_pushl(&c.args, "tar", "--zstd", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
		     "--format=gnu", "--warning=no-file-changed", "-cf", file.buf, "-C", entry.buf, ".", NULL);
	/* zstd's level 1, not its default 3: half the CPU (33 ms against 67
	 * for a 9.7 MB entry) for a blob 6% larger, on a machine that is
	 * building meanwhile. */
	strvec_push(&c.env, "ZSTD_CLEVEL=" PUBLISH_ZSTD_LEVEL);
	c.stdin_path = "";
	c.no_stdout = 1;
	c.stderr_path = "/dev/null";
	rc = run_command(&c, err);
	if (rc == 1 && !err->len) {
		struct strbuf again = STRBUF_INIT;
		if (store_lookup(key, STORE_DEP, &again) || cache_archive_check(key, file.buf, bucket.buf, err) == 0)
			rc = 0;
		strbuf_release(&again);
	}
	if (rc || strbuf_read_file(data, file.buf) < 0) {
		if (!err->len)
			strbuf_addf(err, "cannot pack entry %.12s (tar --zstd exit %d)", key, rc);
		goto out;
	}
	sha256_init(&md);
	sha256_update(&md, data->buf, data->len);
	sha256_hex(&md, hex);
	strbuf_addf(digest, "sha256:%s", hex);
	ret = 0;
out:
	if (file.len)
		unlink(file.buf);
	child_release(&c);
	strbuf_release(&entry);
	strbuf_release(&bucket);
	strbuf_release(&file);
	return ret;
}

/* Write the blob (data, digest) as key's entry to r. */
static int push_blob(struct registry *r, const char *key, const struct strbuf *data, const char *digest, int *status,
		     struct strbuf *err)
{
	struct strbuf man = STRBUF_INIT;
	int rc, ret = -1;
	rc = registry_blob_exists(r, digest, status, err);
	if (rc < 0 || (!rc && registry_blob_put(r, digest, data->buf, data->len, status, err) < 0))
		goto out;
	rc = registry_blob_exists(r, EMPTY_DIGEST, status, err);
	if (rc < 0 || (!rc && registry_blob_put(r, EMPTY_DIGEST, "{}", 2, status, err) < 0))
		goto out;
	/* The manifest last: until it is there, the entry is not. */
	strbuf_addf(&man,
		    "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_TYPE "\","
		    "\"config\":{\"mediaType\":\"" EMPTY_TYPE "\",\"digest\":\"" EMPTY_DIGEST "\",\"size\":2},"
		    "\"layers\":[{\"mediaType\":\"" LAYER_TYPE "\",\"digest\":\"%s\",\"size\":%zu}],"
		    "\"annotations\":{\"org.cargo-green.key\":\"%s\"}}",
		    digest, data->len, key);
	rc = registry_manifest_put(r, key, MANIFEST_TYPE, man.buf, man.len, status, err);
	if (rc < 0 && *status == 400 && strstr(err->buf, "DIGEST_INVALID")) {
		/* Distribution 2.8 checks the layers while another writer may
		 * be committing the same blob (the empty config, by the first
		 * writers of a repository): once more, the blob now whole. */
		struct timespec nap = { 0, 100 * 1000 * 1000 };
		nanosleep(&nap, NULL);
		strbuf_reset(err);
		rc = registry_manifest_put(r, key, MANIFEST_TYPE, man.buf, man.len, status, err);
	}
	if (rc < 0)
		goto out;
	ret = 0;
out:
	strbuf_release(&man);
	return ret;
}

/* One image: 1 written, 0 there already, -1 with err and *status. blob and
 * digest are made on first need (and kept for the next image). cfg and
 * lock (contact_first's) may be NULL; tokens: the file of bearer tokens to
 * keep and use (regtoken.h), or NULL. */
static int publish_to(const struct config *cfg, const char *image, const char *key, const struct strvec *secrets,
		      struct strbuf *blob, struct strbuf *digest, int *lock, const char *tokens, int *status,
		      struct strbuf *err)
{
	struct registry *r = registry_open(image, err);
	int rc, ret = -1;
	*status = 0;
	if (!r)
		return -1;
	if (tokens)
		registry_keep_tokens(r, tokens);
	rc = registry_manifest_exists(r, key, status, err);
	if (rc >= 0 && lock)
		contact_answered(RUN(cfg), image, 1, lock);
	if (rc != 0) {
		ret = rc > 0 ? 0 : -1;
		goto out;
	}
	if (!digest->len && cache_entry_blob(key, secrets, blob, digest, err) < 0) {
		*status = -1; /* ours, not the registry's */
		goto out;
	}
	if (push_blob(r, key, blob, digest->buf, status, err) == 0)
		ret = 1;
out:
	registry_close(r);
	return ret;
}

int cache_publish(const char *image, const char *key, const struct strvec *secrets, const char *tokens,
		  struct strbuf *err)
{
	struct strbuf blob = STRBUF_INIT, digest = STRBUF_INIT;
	int status, ret = publish_to(NULL, image, key, secrets, &blob, &digest, NULL, tokens, &status, err);
	strbuf_release(&blob);
	strbuf_release(&digest);
	return ret;
}

/* The detached writer: every write image not skipped. A process of its
 * own, at a lower priority (its tar and zstd too): the build it comes
 * from goes first on a busy machine, the writes take what CPU is idle,
 * and the run's end waits for what is left of them. */
static void publish_all(const struct config *cfg, const char *key, const struct strvec *secrets)
{
	struct strvec images = STRVEC_INIT;
	struct strbuf blob = STRBUF_INIT, digest = STRBUF_INIT, tokens = STRBUF_INIT;
	int have_tokens = tokens_path(RUN(cfg), &tokens) == 0;
	if (setpriority(PRIO_PROCESS, 0, PUBLISH_NICE) < 0)
		LOG(LOG_DEBUG, "cache: cannot lower the writer's priority: %s", strerror(errno));
	cache_images(cfg, 1, &images);
	for (size_t i = 0; i < images.nr; i++) {
		struct strbuf err = STRBUF_INIT, line = STRBUF_INIT;
		long long t0 = now_ns();
		int status = 0, rc, lock = contact_first(RUN(cfg), images.v[i], 1);
		if (skipped(RUN(cfg), images.v[i], 1)) {
			if (lock >= 0)
				close(lock);
			continue;
		}
		rc = publish_to(cfg, images.v[i], key, secrets, &blob, &digest, &lock, have_tokens ? tokens.buf : NULL,
				&status, &err);
		if (lock >= 0)
			close(lock);
		if (rc < 0) {
			fault(RUN(cfg), images.v[i], 1, status < 0 ? 200 : status, status < 0 ? "local" : "write", err.buf);
		} else {
			strbuf_addf(&line, "%s\t%s\t%s\n", rc ? "wrote" : "present", images.v[i], key);
			note_line(RUN(cfg), line.buf);
			LOG(LOG_INFO, "cache: %.12s %s %s (%.1f ms)", key, rc ? "written to" : "already in", images.v[i],
			    (now_ns() - t0) / 1e6);
		}
		strbuf_release(&err);
		strbuf_release(&line);
	}
	{
		/* What writing cost this machine, for the measurements: ours and tar's. */
		struct rusage self, kids;
		getrusage(RUSAGE_SELF, &self);
		getrusage(RUSAGE_CHILDREN, &kids);
		LOG(LOG_INFO, "cache: writing %.12s took %ld ms of CPU", key,
		    (long)((self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1000 +
			   (self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1000));
	}
	strvec_clear(&images);
	strbuf_release(&blob);
	strbuf_release(&digest);
	strbuf_release(&tokens);
}

int cache_publish_hold(const struct config *cfg)
{
	struct strbuf p = STRBUF_INIT;
	int lock = -1;
	if (run_dir(RUN(cfg), &p) == 0) {
		/* Held (shared) by the writer until it ends: the plugin's
		 * exclusive lock at the end waits for every writer. */
		strbuf_addstr(&p, "/lock");
		lock = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lock >= 0 && flock(lock, LOCK_SH) < 0) {
			close(lock);
			lock = -1;
		}
	}
	strbuf_release(&p);
	return lock;
}

void cache_publish_held(const struct config *cfg, const char *key, const struct strvec *secrets, int lock)
{
	publish_all(cfg, key, secrets);
	if (lock >= 0)
		close(lock);
}

void cache_publish_background(const struct config *cfg, const char *key, const struct strvec *secrets)
{
	/* Taken here, before the wrapper returns to cargo, so that none is missed. */
	int lock = cache_publish_hold(cfg);
	pid_t pid = fork();
	if (pid == 0) {
		/* Detached: its own session, no fd of cargo's (its pipes, its
		 * jobserver), so that cargo does not wait for it. */
		setsid();
		if (fork() != 0)
			_exit(0);
		child_quiet_fds(lock);
		cache_publish_held(cfg, key, secrets, lock);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (lock >= 0)
		close(lock);
}

/* ---- the end of a run ---- */

static void split_tabs(struct strvec *out, const char *line)
{
	for (const char *p = line;;) {
		size_t n = strcspn(p, "\t");
		strvec_pushf(out, "%.*s", (int)n, p);
		if (!p[n])
			break;
		p += n + 1;
	}
}

struct tally {
	struct strvec images; /* "w IMAGE" / "r IMAGE" */
	long counts[64][6];   /* read, wrote, present, prefetched, listed, listed and in the store */
};

static int tally_slot(struct tally *t, char dir, const char *image)
{
	struct strbuf k = STRBUF_INIT;
	int i;
	strbuf_addf(&k, "%c %s", dir, image);
	i = strvec_find(&t->images, k.buf);
	if (i < 0 && t->images.nr < 64) {
		strvec_push(&t->images, k.buf);
		i = (int)t->images.nr - 1;
	}
	strbuf_release(&k);
	return i;
}

/* The run's notes, one a line, each split at its tabs. */
static void notes_read(const char *dir, struct strbuf *text, struct strvec *lines)
{
	struct strbuf p = STRBUF_INIT;
	strbuf_addf(&p, "%s/notes", dir);
	strbuf_read_file(text, p.buf);
	for (char *line = text->buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		strvec_pushf(lines, "%.*s", (int)(nl ? (size_t)(nl - line) : strlen(line)), line);
	}
	strbuf_release(&p);
}

/* Write image's index tag: keys (this run's), with what it listed already
 * (cache_index_merge). Faults noted. */
static void index_write(const char *run, const char *image, const char *tag, struct strvec *keys)
{
	struct strbuf err = STRBUF_INIT, body = STRBUF_INIT, why = STRBUF_INIT;
	struct strvec old = STRVEC_INIT;
	struct registry *r = registry_open(image, &err);
	long long t0 = now_ns();
	int status = 0, rc;
	size_t fresh = 0;
	if (!r)
		goto fail;
	strbuf_reset(&why);
	if (tokens_path(run, &why) == 0)
		registry_keep_tokens(r, why.buf);
	strbuf_reset(&why);
	if ((rc = registry_manifest_get(r, tag, &body, NULL, &status, &err)) < 0)
		goto fail;
	if (rc > 0 && cache_index_parse(body.buf, body.len, &old, &why) < 0)
		LOG(LOG_WARN, "cache: %s: %s: replaced", registry_name(r), why.buf);
	for (size_t i = 0; i < keys->nr; i++)
		fresh += strvec_find(&old, keys->v[i]) < 0;
	if (rc > 0 && !fresh) {
		LOG(LOG_INFO, "cache: the index of %s lists every entry of the run already", registry_name(r));
		goto out;
	}
	cache_index_merge(keys, &old);
	strbuf_reset(&body);
	cache_index_format(keys, &body);
	rc = registry_blob_exists(r, EMPTY_DIGEST, &status, &err);
	if (rc < 0 || (!rc && registry_blob_put(r, EMPTY_DIGEST, "{}", 2, &status, &err) < 0) ||
	    registry_manifest_put(r, tag, MANIFEST_TYPE, body.buf, body.len, &status, &err) < 0)
		goto fail;
	LOG(LOG_INFO, "cache: the index of %s written: %zu entries (%zu of this run's new) in %.1f ms", registry_name(r),
	    keys->nr, fresh, (now_ns() - t0) / 1e6);
	goto out;
fail:
	fault(run, image, 1, status, "write", err.buf);
out:
	registry_close(r);
	strbuf_release(&err);
	strbuf_release(&body);
	strbuf_release(&why);
	strvec_clear(&old);
}

/* The index of each image this run wrote to (not skipped): the keys of its
 * entries there, written or found there, or read from it. */
static void indexes_write(const char *run, const char *dir, const char *tag)
{
	struct strbuf text = STRBUF_INIT;
	struct strvec lines = STRVEC_INIT, images = STRVEC_INIT, reusable = STRVEC_INIT, keys[16];
	notes_read(dir, &text, &lines);
	for (size_t i = 0; i < 16; i++)
		strvec_init(&keys[i]);
	for (int pass = 0; pass < 2; pass++)
		for (size_t l = 0; l < lines.nr; l++) {
			struct strvec f = STRVEC_INIT;
			int at;
			split_tabs(&f, lines.v[l]);
			if (!pass && f.nr == 2 && !strcmp(f.v[0], "reusable"))
				strvec_push(&reusable, f.v[1]);
			if (f.nr == 3 && (pass ? !strcmp(f.v[0], "read") && strvec_find(&reusable, f.v[2]) >= 0
					       : !strcmp(f.v[0], "wrote") || !strcmp(f.v[0], "present"))) {
				at = strvec_find(&images, f.v[1]);
				if (at < 0 && !pass && images.nr < 16) {
					strvec_push(&images, f.v[1]);
					at = (int)images.nr - 1;
				}
				if (at >= 0 && strlen(f.v[2]) == 64 && strvec_find(&keys[at], f.v[2]) < 0 &&
				    keys[at].nr < CACHE_INDEX_MAX)
					strvec_push(&keys[at], f.v[2]);
			}
			strvec_clear(&f);
		}
	for (size_t i = 0; i < images.nr; i++)
		if (!skipped(run, images.v[i], 1))
			index_write(run, images.v[i], tag, &keys[i]);
	for (size_t i = 0; i < 16; i++)
		strvec_clear(&keys[i]);
	strvec_clear(&lines);
	strvec_clear(&images);
	strvec_clear(&reusable);
	strbuf_release(&text);
}

void cache_run_end(const char *stats_path, const char *tag, int prefetch)
{
	struct strbuf dir = STRBUF_INIT, p = STRBUF_INIT, notes = STRBUF_INIT;
	struct strvec said = STRVEC_INIT, lines = STRVEC_INIT;
	struct tally t = { STRVEC_INIT, { { 0 } } };
	int lock;
	strbuf_addf(&dir, "%s.cache", stats_path);
	if (access(dir.buf, F_OK))
		goto out;
	if (prefetch > 0)
		prefetch_end(stats_path, prefetch);
	strbuf_addf(&p, "%s/lock", dir.buf);
	lock = open(p.buf, O_RDWR | O_CLOEXEC);
	if (lock >= 0) {
		if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
			long long t0 = now_ns();
			fprintf(stderr, "cargo-green: waiting for the cache images' writes to end\n");
			flock(lock, LOCK_EX);
			LOG(LOG_INFO, "cache: waited %.0f ms for the writes", (now_ns() - t0) / 1e6);
		}
		close(lock);
	}
	if (tag)
		indexes_write(stats_path, dir.buf, tag);
	notes_read(dir.buf, &notes, &lines);
	for (size_t l = 0; l < lines.nr; l++) {
		struct strvec f = STRVEC_INIT;
		split_tabs(&f, lines.v[l]);
		if (f.nr == 5 && !strcmp(f.v[0], "fault")) {
			/* Once per image, direction and kind. */
			struct strbuf k = STRBUF_INIT;
			strbuf_addf(&k, "%s %s %s", f.v[1], f.v[2], f.v[3]);
			if (strvec_find(&said, k.buf) < 0) {
				strvec_push(&said, k.buf);
				fprintf(stderr, "cargo-green: warning: cache image %s: %s %s (the build goes on without it)\n",
					f.v[2] + (starts_with(f.v[2], "docker-image://") ? 15 : 0),
					f.v[1][0] == 'w' ? "not written:" : "not read:", f.v[4]);
			}
			strbuf_release(&k);
		} else if (f.nr == 3) {
			static const char *const kinds[] = { "read", "wrote", "present", "prefetched", "listed" };
			int kind = 0, i;
			while (kind < 5 && strcmp(f.v[0], kinds[kind]))
				kind++;
			i = kind < 5 ? tally_slot(&t, kind == 1 || kind == 2 ? 'w' : 'r', f.v[1]) : -1;
			if (i >= 0 && kind == 4) {
				char *end;
				t.counts[i][4] += strtol(f.v[2], &end, 10);
				t.counts[i][5] += strtol(end, NULL, 10);
			} else if (i >= 0) {
				t.counts[i][kind]++;
			}
		}
		strvec_clear(&f);
	}
	for (size_t i = 0; i < t.images.nr; i++) {
		const char *image = t.images.v[i] + 2;
		skip_prefix(image, "docker-image://", &image);
		if (t.images.v[i][0] == 'w') {
			fprintf(stderr, "cargo-green: %ld compiles written to the cache image %s (%ld there already)\n",
				t.counts[i][1], image, t.counts[i][2]);
			continue;
		}
		fprintf(stderr, "cargo-green: %ld compiles read from the cache image %s\n", t.counts[i][0], image);
		if (t.counts[i][4])
			fprintf(stderr, "cargo-green: %ld entries prefetched from the cache image %s (its index listed %ld, %ld in the local store already)\n",
				t.counts[i][3], image, t.counts[i][4], t.counts[i][5]);
	}
	rm_rf(dir.buf);
out:
	strvec_clear(&said);
	strvec_clear(&lines);
	strvec_clear(&t.images);
	strbuf_release(&dir);
	strbuf_release(&p);
	strbuf_release(&notes);
}

/* ---- what the last build used ---- */

static void used_path(const char *target, struct strbuf *out)
{
	strbuf_addf(out, "%s/cargo-green/used-keys", target);
}

void cache_note_used(const char *target, const struct config *cfg, const char *key, int public)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT, line = STRBUF_INIT;
	const char *run = cfg->stats_path ? strrchr(cfg->stats_path, '/') : NULL;
	int fd;
	used_path(target, &p);
	fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		goto out;
	/* "RUN KEY public|private": a file of another run is replaced. */
	strbuf_addf(&line, "%s %s %s\n", run ? run + 1 : "-", key, public ? "public" : "private");
	{
		/* Its first line's run is enough (no read of the whole file per compile). */
		char first[256];
		ssize_t n = pread(fd, first, sizeof(first), 0);
		size_t runlen = strcspn(line.buf, " ") + 1;
		if (n > 0 && ((size_t)n < runlen || strncmp(first, line.buf, runlen)) && ftruncate(fd, 0) < 0)
			goto out;
	}
	lseek(fd, 0, SEEK_END);
	write_all(fd, line.buf, line.len);
out:
	if (fd >= 0)
		close(fd);
	strbuf_release(&p);
	strbuf_release(&text);
	strbuf_release(&line);
}

void cache_note_reusable(const struct config *cfg, const char *key)
{
	struct strbuf line = STRBUF_INIT;
	strbuf_addf(&line, "reusable\t%s\n", key);
	note_line(RUN(cfg), line.buf);
	strbuf_release(&line);
}

int cache_push_last(const struct config *cfg, const char *target)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT, tokens = STRBUF_INIT;
	struct strvec images = STRVEC_INIT, keys = STRVEC_INIT;
	const char *tmp = getenv("TMPDIR");
	size_t private = 0;
	int ret = 0;
	cache_images(cfg, 1, &images);
	/* The push's bearer tokens, in a directory of its own (0700), removed at its end. */
	strbuf_addf(&tokens, "%s/cargo-green-push.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tokens.buf))
		strbuf_reset(&tokens);
	else
		strbuf_addstr(&tokens, "/tokens");
	used_path(target, &p);
	if (strbuf_read_file(&text, p.buf) < 0 || !text.len) {
		error("supergreen push: no build to push here (%s: none; run cargo green build first)", p.buf);
		ret = 1;
		goto out;
	}
	for (char *line = text.buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		char *sp;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!(sp = strchr(line, ' ')) || strlen(sp + 1) < 65)
			continue;
		sp++;
		sp[64] = '\0';
		if (strcmp(sp + 65, "public") && !cfg->cache_private) {
			private++;
			continue;
		}
		if (strvec_find(&keys, sp) < 0)
			strvec_push(&keys, sp);
	}
	for (size_t i = 0; i < images.nr; i++) {
		size_t wrote = 0, there = 0, failed = 0;
		const char *name = images.v[i];
		skip_prefix(name, "docker-image://", &name);
		for (size_t k = 0; k < keys.nr; k++) {
			struct strbuf err = STRBUF_INIT;
			int rc = cache_publish(images.v[i], keys.v[k], NULL, tokens.len ? tokens.buf : NULL, &err);
			if (rc > 0)
				wrote++;
			else if (rc == 0)
				there++;
			else {
				if (!failed)
					fprintf(stderr, "\ncargo-green: supergreen push: %s\n", err.buf);
				failed++;
			}
			fprintf(stderr, "\rcargo-green: push %s: %zu/%zu (%zu written, %zu there already, %zu failed)", name,
				k + 1, keys.nr, wrote, there, failed);
			strbuf_release(&err);
		}
		fprintf(stderr, "\n");
		if (failed)
			ret = 1;
	}
	if (private)
		fprintf(stderr, "cargo-green: push: %zu compiles of workspace, path or git crates not written (cache-private = true writes them)\n", private);
out:
	if (tokens.len) {
		*strrchr(tokens.buf, '/') = '\0';
		rm_rf(tokens.buf);
	}
	strbuf_release(&p);
	strbuf_release(&text);
	strbuf_release(&tokens);
	strvec_clear(&images);
	strvec_clear(&keys);
	return ret;
}
