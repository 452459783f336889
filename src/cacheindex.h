/* cacheindex.h: a cache image's index of a build (cache.h): the keys of the
 * entries one kind of build used, so that another machine fetches them all
 * at once, before its compiles ask for them one after another.
 *
 * The index is one OCI artifact in the image's repository, a manifest with
 * the empty config and the empty blob as its one layer, its keys in an
 * annotation (one GET reads it all). Its tag is what every machine building
 * the same thing computes before cargo runs: a digest of the base's
 * identity (base.h: the same on every machine), of the workspace's
 * Cargo.lock and of the kind of build (cargo's command, its profile and
 * target: cargo_args_index_words), so that a test build's index and a
 * release build's do not replace each other. */
#ifndef CACHEINDEX_H
#define CACHEINDEX_H

#include "strbuf.h"
#include "strvec.h"

/* An index holds at most this many keys (the newest run's first). */
#define CACHE_INDEX_MAX 4096
#define CACHE_INDEX_ARTIFACT "application/vnd.cargo-green.index.v1"

/* The tag of the index ("index-" and 64 hex digits) of a build on base
 * (its identity, "sha256:HEX") of the workspace whose Cargo.lock holds lock
 * (len bytes; NULL: none), of the kind words (cargo_args_index_words). */
void cache_index_tag(const char *base, const char *lock, size_t len, const char *words, struct strbuf *tag);

/* The text of the Cargo.lock that cargo uses from dir (the nearest one in
 * dir or above), into out: 0, or -1 when there is none. */
int cache_index_lock_read(const char *dir, struct strbuf *out);

/* The index's manifest listing keys (64 hex digits each), into out. */
void cache_index_format(const struct strvec *keys, struct strbuf *out);

/* The keys an index's manifest (body, len bytes) lists, appended to keys
 * (without repeats): 0, or -1 with why (not JSON, not an index of ours, a
 * key that is not 64 lowercase hex digits, too many keys): nothing then. */
int cache_index_parse(const char *body, size_t len, struct strvec *keys, struct strbuf *why);

/* keys (this run's), then those of old not among them, up to
 * CACHE_INDEX_MAX in all. */
void cache_index_merge(struct strvec *keys, const struct strvec *old);

#endif
