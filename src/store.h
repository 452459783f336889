/* store.h: a local index from the exact inputs of a unit to its outputs, so
 * that a hit needs no engine round trip.
 *
 * The key is a SHA-256 of everything BuildKit's own key depends on, and more:
 * the whole Dockerfile text (the unit's stage and those of its closure), the
 * base image's ID, the target stage, and the content digest of every source
 * context (file names, types, exec bits, link targets, contents). So it misses
 * whenever BuildKit's would. The value is the tree the engine exported for
 * that unit, stored under $XDG_CACHE_HOME/cargo-green/store. */
#ifndef STORE_H
#define STORE_H

#include "strbuf.h"
#include "strvec.h"

#define STORE_KEY_HEX 65
/* Internal: set to skip the local store (tests of the engine's own cache). */
#define NO_STORE_ENV "__CARGOGREEN_NO_STORE"

/* Content digest of a directory tree, hex. Memoized per directory on a stat
 * fingerprint of every entry (size, mtime, ctime, inode), like git's index. */
int store_dir_digest(const char *dir, char out[STORE_KEY_HEX], struct strbuf *err);

/* The key of a unit. contexts are "NAME=DIR". */
int store_key(const char *dockerfile, const char *base_id, const char *target, const struct strvec *contexts,
	      char key[STORE_KEY_HEX], struct strbuf *err);

/* 1 and dest filled with a copy of the stored tree on a hit, 0 on a miss. */
int store_lookup(const char *key, const char *dest);
/* Save a copy of the tree src under key (atomically; a failure only costs a future hit). */
void store_save(const char *key, const char *src);

#endif
