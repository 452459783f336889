#include "cache.h"
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

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LAYER_TYPE "application/vnd.oci.image.layer.v1.tar+zstd"
#define MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
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

static int run_dir(const struct config *cfg, struct strbuf *out)
{
	if (!cfg->stats_path)
		return -1;
	strbuf_addf(out, "%s.cache", cfg->stats_path);
	mkdir(out->buf, 0700);
	return 0;
}

/* The run's bearer tokens (regtoken.h), in out; -1 without a run. */
static int tokens_path(const struct config *cfg, struct strbuf *out)
{
	if (!cfg || run_dir(cfg, out) < 0)
		return -1;
	strbuf_addstr(out, "/tokens");
	return 0;
}

static void note_line(const struct config *cfg, const char *line)
{
	struct strbuf p = STRBUF_INIT;
	if (run_dir(cfg, &p) == 0) {
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

static int marked(const struct config *cfg, const char *image, int write, const char *what)
{
	struct strbuf p = STRBUF_INIT;
	int ret = 0;
	if (run_dir(cfg, &p) == 0) {
		mark_path(image, write, what, &p);
		ret = !access(p.buf, F_OK);
	}
	strbuf_release(&p);
	return ret;
}

static void mark(const struct config *cfg, const char *image, int write, const char *what)
{
	struct strbuf p = STRBUF_INIT;
	if (run_dir(cfg, &p) == 0) {
		mark_path(image, write, what, &p);
		close(open(p.buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	}
	strbuf_release(&p);
}

static int skipped(const struct config *cfg, const char *image, int write)
{
	return marked(cfg, image, write, "skip");
}

/* Until image has answered a request of this run one way, one process at a
 * time asks it: a registry that is down or slow costs the run one deadline
 * each way, not one per compile going on. -1 when it answered already (or
 * there is no run), else the fd of the lock, held: contact_answered, or
 * close, releases it. */
static int contact_first(const struct config *cfg, const char *image, int write)
{
	struct strbuf p = STRBUF_INIT;
	int fd = -1;
	if (cfg && !marked(cfg, image, write, "ok") && run_dir(cfg, &p) == 0) {
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
static void contact_answered(const struct config *cfg, const char *image, int write, int *lock)
{
	if (*lock < 0)
		return;
	mark(cfg, image, write, "ok");
	close(*lock);
	*lock = -1;
}

/* A fault of image: noted (and logged); after a transport fault (down,
 * cut, no answer in time), a refusal or a failure of the registry's own
 * (5xx: its storage full or broken) the image is skipped for the rest of
 * the run, that way. */
static void fault(const struct config *cfg, const char *image, int write, int status, const char *what,
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
	note_line(cfg, line.buf);
	if (status == 0 || status == 401 || status == 403 || status >= 500)
		mark(cfg, image, write, "skip");
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

/* 1 landed, 0 not there, -1 fault (noted). lock: contact_first's. */
static int fetch_one(const struct config *cfg, const char *image, const char *key, int *lock)
{
	struct strbuf err = STRBUF_INIT, body = STRBUF_INIT, digest = STRBUF_INIT, entry = STRBUF_INIT,
		      bucket = STRBUF_INIT, blob = STRBUF_INIT, tmp = STRBUF_INIT, why = STRBUF_INIT;
	struct registry *r = registry_open(image, &err);
	long long size = 0, t0 = now_ns();
	int status = 0, ret = -1, rc;
	if (!r) {
		fault(cfg, image, 0, 0, "open", err.buf);
		goto out;
	}
	if (tokens_path(cfg, &tmp) == 0)
		registry_keep_tokens(r, tmp.buf);
	strbuf_reset(&tmp);
	rc = registry_manifest_get(r, key, &body, NULL, &status, &err);
	if (rc >= 0)
		contact_answered(cfg, image, 0, lock);
	if (rc <= 0) {
		if (rc < 0)
			fault(cfg, image, 0, status, "manifest", err.buf);
		ret = rc;
		goto out;
	}
	if (manifest_layer(&body, &digest, &size, &why) < 0) {
		strbuf_addf(&err, "%s: entry %.12s: %s", registry_name(r), key, why.buf);
		fault(cfg, image, 0, 200, "manifest", err.buf);
		goto out;
	}
	store_entry_path(key, &entry, &bucket);
	mkdir_p(bucket.buf, 0755);
	strbuf_addf(&blob, "%s/%s.blob.%ld", bucket.buf, key, (long)getpid());
	strbuf_addf(&tmp, "%s/%s.fetch.%ld", bucket.buf, key, (long)getpid());
	if (registry_blob_get(r, digest.buf, blob.buf, size, &status, &err) < 0) {
		fault(cfg, image, 0, status, status == 200 ? "damaged" : "blob", err.buf);
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
			fault(cfg, image, 0, 200, "unpack", err.buf);
			goto out;
		}
	}
	if (store_adopt(key, tmp.buf, &why) < 0) {
		strbuf_addf(&err, "%s: %s", registry_name(r), why.buf);
		fault(cfg, image, 0, 200, "entry", err.buf);
		goto out;
	}
	ret = 1;
	LOG(LOG_INFO, "cache: %.12s read from %s (%lld bytes, %.1f ms)", key, registry_name(r), size,
	    (now_ns() - t0) / 1e6);
	{
		struct strbuf line = STRBUF_INIT;
		strbuf_addf(&line, "read\t%s\t%s\n", image, key);
		note_line(cfg, line.buf);
		strbuf_release(&line);
	}
out:
	if (blob.len)
		unlink(blob.buf);
	if (tmp.len)
		rm_rf(tmp.buf);
	registry_close(r);
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

int cache_fetch(const struct config *cfg, const char *key)
{
	struct strvec images = STRVEC_INIT;
	int ret = 0;
	cache_images(cfg, 0, &images);
	for (size_t i = 0; i < images.nr && ret <= 0; i++) {
		int lock = contact_first(cfg, images.v[i], 0);
		if (!skipped(cfg, images.v[i], 0))
			ret = fetch_one(cfg, images.v[i], key, &lock);
		if (lock >= 0)
			close(lock);
	}
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

/* The entry of key as a blob in data (tar+zstd, the same bytes for the same
 * tree: sorted names, no times, no owners). 0, or -1 with err. */
static int make_blob(const char *key, const struct strvec *secrets, struct strbuf *data, struct strbuf *digest,
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
	 * only once unpacked and found to match the entry's manifest. */
	strvec_pushl(&c.args, "tar", "--zstd", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
		     "--format=gnu", "--warning=no-file-changed", "-cf", file.buf, "-C", entry.buf, ".", NULL);
	c.stdin_path = "";
	c.no_stdout = 1;
	c.stderr_path = "/dev/null";
	rc = run_command(&c, err);
	if (rc == 1 && !err->len && cache_archive_check(key, file.buf, bucket.buf, err) == 0)
		rc = 0;
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
	if (registry_manifest_put(r, key, MANIFEST_TYPE, man.buf, man.len, status, err) < 0)
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
		contact_answered(cfg, image, 1, lock);
	if (rc != 0) {
		ret = rc > 0 ? 0 : -1;
		goto out;
	}
	if (!digest->len && make_blob(key, secrets, blob, digest, err) < 0) {
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

/* The detached writer: every write image not skipped. */
static void publish_all(const struct config *cfg, const char *key, const struct strvec *secrets)
{
	struct strvec images = STRVEC_INIT;
	struct strbuf blob = STRBUF_INIT, digest = STRBUF_INIT, tokens = STRBUF_INIT;
	int have_tokens = tokens_path(cfg, &tokens) == 0;
	cache_images(cfg, 1, &images);
	for (size_t i = 0; i < images.nr; i++) {
		struct strbuf err = STRBUF_INIT, line = STRBUF_INIT;
		long long t0 = now_ns();
		int status = 0, rc, lock = contact_first(cfg, images.v[i], 1);
		if (skipped(cfg, images.v[i], 1)) {
			if (lock >= 0)
				close(lock);
			continue;
		}
		rc = publish_to(cfg, images.v[i], key, secrets, &blob, &digest, &lock, have_tokens ? tokens.buf : NULL,
				&status, &err);
		if (lock >= 0)
			close(lock);
		if (rc < 0) {
			fault(cfg, images.v[i], 1, status < 0 ? 200 : status, status < 0 ? "local" : "write", err.buf);
		} else {
			strbuf_addf(&line, "%s\t%s\t%s\n", rc ? "wrote" : "present", images.v[i], key);
			note_line(cfg, line.buf);
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
	if (run_dir(cfg, &p) == 0) {
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
		int null = open("/dev/null", O_RDWR);
		setsid();
		if (fork() != 0)
			_exit(0);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		for (int fd = 3; fd < 1024; fd++)
			if (fd != lock && fd != log_fd() && fd != null)
				close(fd);
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
	long counts[64][3];   /* read, wrote, present */
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

void cache_run_end(const char *stats_path)
{
	struct strbuf dir = STRBUF_INIT, p = STRBUF_INIT, notes = STRBUF_INIT;
	struct strvec said = STRVEC_INIT;
	struct tally t = { STRVEC_INIT, { { 0 } } };
	int lock;
	strbuf_addf(&dir, "%s.cache", stats_path);
	if (access(dir.buf, F_OK))
		goto out;
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
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/notes", dir.buf);
	strbuf_read_file(&notes, p.buf);
	for (char *line = notes.buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		struct strvec f = STRVEC_INIT;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		split_tabs(&f, line);
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
			int kind = !strcmp(f.v[0], "read") ? 0 : !strcmp(f.v[0], "wrote") ? 1 : 2;
			int i = tally_slot(&t, kind ? 'w' : 'r', f.v[1]);
			if (i >= 0)
				t.counts[i][kind]++;
		}
		strvec_clear(&f);
	}
	for (size_t i = 0; i < t.images.nr; i++) {
		const char *image = t.images.v[i] + 2;
		skip_prefix(image, "docker-image://", &image);
		if (t.images.v[i][0] == 'r')
			fprintf(stderr, "cargo-green: %ld compiles read from the cache image %s\n", t.counts[i][0], image);
		else
			fprintf(stderr, "cargo-green: %ld compiles written to the cache image %s (%ld there already)\n",
				t.counts[i][1], image, t.counts[i][2]);
	}
	rm_rf(dir.buf);
out:
	strvec_clear(&said);
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
