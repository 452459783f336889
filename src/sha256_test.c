#include "hash.h"
#include "sha256.h"
#include "test.h"

#include <string.h>

static const char *digest(const char *s, size_t repeat)
{
	static char out[65];
	struct sha256 c;
	sha256_init(&c);
	for (size_t i = 0; i < repeat; i++)
		sha256_update(&c, s, strlen(s));
	sha256_hex(&c, out);
	return out;
}

void test_sha256(void)
{
	/* FIPS 180-4 examples, and lengths around the padding boundary. */
	CHECK_STR(digest("", 1), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_STR(digest("abc", 1), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_STR(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK_STR(digest("a", 1000000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	CHECK_STR(digest("0123456701234567012345670123456701234567012345670123456", 1),
		  "6c8b1d86d0460e5cf48cacad0b844dc52b91967791d15fc7a90bb1cc3bc20879");
	CHECK_STR(digest("0000000000000000000000000000000000000000000000000000000000000000", 1),
		  "60e05bd1b195af2f94112fa7197a5c88289058840ce7c6df9693756bc6250f55");
	{
		/* Content names: SHA-256's first 64 bits. */
		char h[17];
		hash_hex("abc", h);
		CHECK_STR(h, "ba7816bf8f01cfea");
	}
}
