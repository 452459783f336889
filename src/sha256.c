#include <nettle/sha2.h>

/* nettle's macros would rename ours: its functions by their own names. */
#undef sha256_init
#undef sha256_update
#undef sha256_digest

#include "sha256.h"

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(((struct sha256 *)0)->ctx), "struct sha256 too small");

void sha256_init(struct sha256 *c)
{
	nettle_sha256_init((struct sha256_ctx *)c->ctx);
}

void sha256_update(struct sha256 *c, const void *data, size_t len)
{
	nettle_sha256_update((struct sha256_ctx *)c->ctx, len, data);
}

void sha256_final(struct sha256 *c, unsigned char out[32])
{
	nettle_sha256_digest((struct sha256_ctx *)c->ctx, SHA256_DIGEST_SIZE, out);
}

void sha256_hex(struct sha256 *c, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[32];
	sha256_final(c, d);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}
