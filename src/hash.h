/* hash.h: a short name for content (image tags, memo and store file names):
 * the first 64 bits of its SHA-256, so that two contents never share a name
 * by construction of the hash (not FNV's easy collisions). */
#ifndef HASH_H
#define HASH_H

/* 16 lowercase hex digits of SHA-256(s) into out[17]. */
void hash_hex(const char *s, char out[17]);

#endif
