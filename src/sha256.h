/* sha256.h: SHA-256, for the local store's keys and content names: nettle's
 * (linked statically: no library to load at start-up; it uses the CPU's SHA
 * instructions where there are some). */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>

/* Room for nettle's struct sha256_ctx (checked at compile time in sha256.c:
 * nettle's header renames sha256_* with macros, so it stays out of here). */
struct sha256 {
	_Alignas(8) unsigned char ctx[128];
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, unsigned char out[32]);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(struct sha256 *c, char out[65]);

#endif
