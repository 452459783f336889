/* storegc.h: the local store's size limit (CARGOGREEN_CACHE_SIZE), least
 * recently used entries evicted first (storemeta.h: a hit, or a dependent
 * linking an entry, is a use).
 *
 * Safe with builds running: an entry a build reads is pinned (store.c) and
 * skipped; an evicted entry goes by one rename, so no build ever reads it
 * half-removed. A target dir never needs an entry: a dependent whose
 * dependency's entry is gone renders that closure's stages instead (job.c),
 * and what landed in target/ are copies. */
#ifndef STOREGC_H
#define STOREGC_H

#include "strbuf.h"

struct store_gc_result {
	size_t entries;       /* entries before */
	size_t evicted;
	size_t in_use;        /* over the limit, but pinned by a running build: kept */
	long long before;     /* bytes before */
	long long after;      /* bytes after */
};

/* Evict least recently used entries until the store holds at most max
 * bytes; what killed saves and evictions left is swept too, and the running
 * total is recounted. Waits for another gc to finish first. 0, or -1 with
 * err when the store cannot be read. */
int store_gc(long long max, struct store_gc_result *r, struct strbuf *err);

/* At the end of a build: when the running total is over max (0: no limit),
 * a gc down to 90% of max (so that the next build's saves do not start
 * another at once); nothing when another gc is running. Logged. */
void store_gc_auto(long long max);

/* "5GiB", "500M", "1.5G", "0": K, M, G, T are powers of 1000, Ki, Mi, Gi,
 * Ti of 1024 (as ccache's), a trailing B optional. 0, or -1 with why. */
int store_size_parse(const char *text, long long *out, struct strbuf *why);
/* n bytes as "1.2 GiB", "512 B". */
void store_size_format(long long n, struct strbuf *out);

#endif
