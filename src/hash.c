#include "hash.h"
#include "sha256.h"

#include <string.h>

void hash_hex(const char *s, char out[17])
{
	struct sha256 c;
	char hex[65];
	sha256_init(&c);
	sha256_update(&c, s, strlen(s));
	sha256_hex(&c, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
}
