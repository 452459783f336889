/* storemeta.h: what the local store knows of each entry beside its files,
 * for `supergreen cache` (ls, gc, stats) and for anything else that wants
 * to read it. Owned here end to end: the rest of the code reads and writes
 * it only through these functions.
 *
 * Beside the entry KEY (a directory, store.h), in its bucket:
 *   KEY.meta   written once, when the entry is saved (or first described):
 *              "NAME VALUE" lines: crate, version, kind, size, build_us, saved.
 *   KEY.uses   one byte appended per hit: its size is the hit count, its
 *              mtime the last use (a hit, or a dependent's build linking the
 *              entry into its deps context). A hit costs one open, one
 *              write, one close (O_APPEND: concurrent hits add up).
 * Neither is part of the entry's tree or manifest: an entry sent to or read
 * from the cache images is the same without them. */
#ifndef STOREMETA_H
#define STOREMETA_H

#include "store.h"
#include "strbuf.h"

struct store_meta {
	char key[STORE_KEY_HEX];
	char *crate;        /* cargo's package name ("serde"); "?" when unknown */
	char *version;      /* "1.0.210"; "?" when unknown */
	char *kind;         /* lib, proc-macro, bin, test, build-script, build-script-run, ... ("?") */
	long long size;     /* bytes on disk of its files (st_blocks) */
	long long build_us; /* what making it took (the engine's or the local rustc's time), 0 unknown */
	long long saved;    /* when it was saved, unix seconds */
	long long used_ns;  /* its last use, unix ns: KEY.uses' mtime, else saved */
	long long hits;     /* local hits since it was saved */
};
#define STORE_META_INIT { { 0 }, NULL, NULL, NULL, 0, 0, 0, 0, 0 }

void store_meta_release(struct store_meta *m);

/* KEY.meta of m (atomically). 0, or -1 with errno. */
int store_meta_write(const struct store_meta *m);

/* What is known of key's entry. Without a KEY.meta (an entry saved before
 * there was one, or from the cache images), it is worked out from the
 * entry's files (its size; crate and kind from the names of its result
 * files) and written. 0, or -1 when there is no such entry. */
int store_meta_read(const char *key, struct store_meta *m);

/* A local hit of key: one more hit, its last use now. */
void store_meta_hit(const char *key);
/* A use that is not a hit (its tree linked into a dependent's context):
 * its last use now. */
void store_meta_touch(const char *key);

/* Every entry of the local store, unsorted, into *list (*nr of them). Caller
 * frees with store_meta_list_free. */
void store_meta_list(struct store_meta **list, size_t *nr);
void store_meta_list_free(struct store_meta *list, size_t nr);

/* The bytes on disk of the tree dir (st_blocks of its files). */
long long store_tree_size(const char *dir);

/* The local store's running total of bytes (store/size), kept by saves and
 * evictions, -1 when never counted; store_meta_total_set replaces it (after
 * a full count). */
long long store_meta_total(void);
void store_meta_total_add(long long delta);
void store_meta_total_set(long long total);

#endif
