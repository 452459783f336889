/* hash.h: a short non-cryptographic digest for names (never for cache keys:
 * BuildKit computes those from content). */
#ifndef HASH_H
#define HASH_H

#include <stdint.h>
#include <stddef.h>

uint64_t hash64(const void *data, size_t len, uint64_t seed);
/* 16 lowercase hex digits of hash64(s) into out[17]. */
void hash_hex(const char *s, char out[17]);

#endif
