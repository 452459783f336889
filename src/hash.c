#include "hash.h"
#include <stdio.h>
#include <string.h>

uint64_t hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL ^ seed; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void hash_hex(const char *s, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)hash64(s, strlen(s), 0));
}
