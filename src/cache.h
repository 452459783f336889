/* cache.h: the local store shared through OCI registries (cache-images,
 * cache-from-images, cache-to-images).
 *
 * An entry of the local store (a unit's outputs with their manifest
 * .green-sums, under the unit's key) is one OCI artifact in the image's
 * repository: tag = the key (64 hex digits, the same on every machine: see
 * base.h's identity), an OCI image manifest with an empty config and one
 * layer, the entry as tar+zstd. The manifest is written last, so an entry
 * is there whole or not at all.
 *
 * A local miss asks the read images in order (GET manifest, GET blob: its
 * digest checked, unpacked beside the entry, checked against its own
 * manifest, then one rename): a hit is a local hit. What a build saves is
 * written in the background by a detached process, the run's plugin
 * waiting for those at its end. By default only units whose sources are
 * public (crates from crates.io, over nothing but such crates) are written;
 * cache-private writes the others too. An entry holding the value of one of
 * its unit's secrets is never written.
 *
 * Faults (a registry down, slow or cut, a refusal, a full disk, a damaged
 * blob...) never fail the build: every request has a deadline (registry.h),
 * and after a transport fault, a refusal (401, 403) or a failure of the
 * registry's own (5xx) the image is skipped, that way, for the rest of the
 * run; until an image has answered once in a run, one process at a time asks
 * it, so that a registry down or slow costs one deadline, not one per compile
 * going on. The plugin says each fault once at the end. */
#ifndef CACHE_H
#define CACHE_H

#include "strbuf.h"
#include "strvec.h"

struct config;
struct unit;

/* The images read (cache-images then cache-from-images) or written
 * (cache-images then cache-to-images), without repeats, into out. */
void cache_images(const struct config *cfg, int write, struct strvec *out);

/* May a unit whose source is u's go to the cache images by default? Its
 * sources are a crate of crates.io's (as cargo extracted it). */
int cache_unit_public(const struct unit *u);

/* A miss of the local store for key: 1 when a read image had it and it is
 * now in the local store, 0 otherwise (faults noted for the plugin). */
int cache_fetch(const struct config *cfg, const char *key);

/* Write key's entry to the write images, in a detached process (secrets:
 * values that must not be in what is written). */
void cache_publish_background(const struct config *cfg, const char *key, const struct strvec *secrets);
/* The same for an entry saved later (a local unit's, once its call is
 * done): cache_publish_hold, before the wrapper returns to cargo, takes the
 * run's writers' lock (shared), so that the run's end waits for the write
 * (-1: none to take); cache_publish_held, where the entry is saved, writes
 * it to the write images and lets the lock go. */
int cache_publish_hold(const struct config *cfg);
void cache_publish_held(const struct config *cfg, const char *key, const struct strvec *secrets, int lock);

/* Write key's entry to image now: 1 written, 0 already there, -1 with err.
 * tokens: a file for the bearer tokens of several calls (regtoken.h), or NULL. */
int cache_publish(const char *image, const char *key, const struct strvec *secrets, const char *tokens,
		  struct strbuf *err);

/* Before cargo (the plugin; stats_path: the run's statistics file; tag:
 * the index of the build, cacheindex.h): a child of a process group of its
 * own reads the index from each read image, then fetches what it lists
 * and the local store lacks into the store, a few at a time, each checked
 * as cache_fetch checks one; a wrapper missing one of those waits for it
 * (or fetches it itself when it is not begun). Its pid, or -1 (no read
 * image, nothing started). */
int cache_prefetch_start(const struct config *cfg, const char *stats_path, const char *tag);

/* Did this run's prefetch land key (a local hit that came from a cache
 * image)? 1, noted as read then; else 0. */
int cache_prefetched(const struct config *cfg, const char *key);

/* At the end of a run (the plugin, stats_path its statistics file): the
 * prefetch (its pid, or -1) stopped, the background writes waited for, the
 * index tag (NULL: none) of each image written to updated with the keys of
 * this run's entries there (written, found there, or read from it and
 * allowed to be written: cache_note_reusable), each fault said once, one
 * line of what was read, prefetched and written, and the run's notes
 * removed. */
void cache_run_end(const char *stats_path, const char *tag, int prefetch);

/* key's entry came from the read images, and this run may write it (public,
 * or cache-private): the index of a write image it was read from may list it. */
void cache_note_reusable(const struct config *cfg, const char *key);

/* Note, for the end of the run, that key was used by this build (public: it
 * may be written by default): `supergreen push` writes those of the last
 * build. target: the host's target dir. */
void cache_note_used(const char *target, const struct config *cfg, const char *key, int public);

/* `supergreen push`: every entry the last build in target used, written to
 * the write images, with a progress line. 0, or an exit code. */
int cache_push_last(const struct config *cfg, const char *target);

/* The local store's entry of key as a blob in data (tar+zstd, the same
 * bytes for the same tree: sorted names, no times, no owners), its digest
 * ("sha256:HEX"); refused when it holds one of secrets' values. 0, or -1
 * with err. Exposed for tests. */
int cache_entry_blob(const char *key, const struct strvec *secrets, struct strbuf *data, struct strbuf *digest,
		     struct strbuf *err);
/* 0 when the archive file (tar+zstd, made from key's entry) unpacks, in
 * a scratch dir under dir, to a tree that matches the manifest it holds:
 * every file's size and SHA-256; else -1 with err. */
int cache_archive_check(const char *key, const char *file, const char *dir, struct strbuf *err);

#endif
