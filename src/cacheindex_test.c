/* The index of a build in the cache images: its tag, its format. */
#include "cacheindex.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <unistd.h>

#define K1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define K2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define BASE "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static void tag_of(const char *base, const char *lock, const char *words, struct strbuf *tag)
{
	strbuf_reset(tag);
	cache_index_tag(base, lock, lock ? strlen(lock) : 0, words, tag);
}

static void test_tag(void)
{
	struct strbuf t = STRBUF_INIT, u = STRBUF_INIT;
	tag_of(BASE, "lock v1", "build\n", &t);
	CHECK(t.len == 70 && starts_with(t.buf, "index-"));
	for (size_t i = 6; i < t.len; i++)
		CHECK((t.buf[i] >= '0' && t.buf[i] <= '9') || (t.buf[i] >= 'a' && t.buf[i] <= 'f'));
	tag_of(BASE, "lock v1", "build\n", &u);
	CHECK_STR(u.buf, t.buf); /* the same on every machine */
	tag_of(BASE, "lock v2", "build\n", &u);
	CHECK(strcmp(u.buf, t.buf));
	tag_of(BASE, "lock v1", "test\n", &u);
	CHECK(strcmp(u.buf, t.buf));
	tag_of(BASE, "lock v1", "build\nprofile=release\n", &u);
	CHECK(strcmp(u.buf, t.buf));
	tag_of("sha256:2222222222222222222222222222222222222222222222222222222222222222", "lock v1", "build\n", &u);
	CHECK(strcmp(u.buf, t.buf));
	tag_of(BASE, NULL, "build\n", &u);
	CHECK(strcmp(u.buf, t.buf));
	strbuf_release(&t);
	strbuf_release(&u);
}

static void test_format_parse(void)
{
	struct strvec keys = STRVEC_INIT, got = STRVEC_INIT;
	struct strbuf m = STRBUF_INIT, why = STRBUF_INIT;
	strvec_push(&keys, K1);
	strvec_push(&keys, K2);
	cache_index_format(&keys, &m);
	CHECK(cache_index_parse(m.buf, m.len, &got, &why) == 0);
	CHECK(got.nr == 2 && !strcmp(got.v[0], K1) && !strcmp(got.v[1], K2));
	/* Appended without repeats. */
	CHECK(cache_index_parse(m.buf, m.len, &got, &why) == 0 && got.nr == 2);
	strvec_clear(&got);
	strvec_clear(&keys);
	strbuf_reset(&m);
	cache_index_format(&keys, &m);
	CHECK(cache_index_parse(m.buf, m.len, &got, &why) == 0 && got.nr == 0);
	strbuf_release(&m);
	{
		static const char *const bad[] = {
			"not json",
			"{\"schemaVersion\":2,\"layers\":[]}", /* an entry's manifest, not an index */
			"{\"artifactType\":\"application/vnd.cargo-green.index.v1\"}",
			"{\"artifactType\":\"application/vnd.other\",\"annotations\":{\"org.cargo-green.keys\":\"" K1 "\"}}",
			"{\"artifactType\":\"application/vnd.cargo-green.index.v1\",\"annotations\":{\"org.cargo-green.keys\":\"" K1 " ../etc\"}}",
			"{\"artifactType\":\"application/vnd.cargo-green.index.v1\",\"annotations\":{\"org.cargo-green.keys\":\"" K1 "  " K2 "\"}}",
			"{\"artifactType\":\"application/vnd.cargo-green.index.v1\",\"annotations\":{\"org.cargo-green.keys\":\"" K1 " \"}}",
			"{\"artifactType\":\"application/vnd.cargo-green.index.v1\",\"annotations\":{\"org.cargo-green.keys\":\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"}}",
			"{\"artifactType\":\"application/vnd.cargo-green.index.v1\",\"annotations\":{\"org.cargo-green.keys\":\"" K1 "0\"}}",
			"{\"artifactType\":\"application/vnd.cargo-green.index.v1\",\"annotations\":{\"org.cargo-green.keys\":7}}",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			strvec_clear(&got);
			strbuf_reset(&why);
			CHECK(cache_index_parse(bad[i], strlen(bad[i]), &got, &why) == -1 && why.len && got.nr == 0);
		}
	}
	{
		/* Too many keys: refused whole. */
		struct strvec many = STRVEC_INIT;
		struct strbuf big = STRBUF_INIT;
		for (int i = 0; i <= CACHE_INDEX_MAX; i++)
			strvec_pushf(&many, "%064x", i);
		cache_index_format(&many, &big);
		strvec_clear(&got);
		strbuf_reset(&why);
		CHECK(cache_index_parse(big.buf, big.len, &got, &why) == -1 && got.nr == 0 && strstr(why.buf, "more than"));
		/* A merge keeps the newest first, up to the limit. */
		strvec_clear(&keys);
		strvec_push(&keys, K1);
		cache_index_merge(&keys, &many);
		CHECK(keys.nr == CACHE_INDEX_MAX && !strcmp(keys.v[0], K1) && !strcmp(keys.v[1], many.v[0]));
		strvec_clear(&many);
		strbuf_release(&big);
	}
	strvec_clear(&keys);
	strvec_clear(&got);
	strbuf_release(&why);
}

static void test_lock_read(void)
{
	char tmpl[] = "/tmp/cargo-green-index-test.XXXXXX";
	struct strbuf p = STRBUF_INIT, out = STRBUF_INIT;
	CHECK(mkdtemp(tmpl) != NULL);
	test_put(tmpl, "ws/Cargo.lock", "version = 4\n", 0644);
	test_put(tmpl, "ws/member/src/lib.rs", "", 0644);
	strbuf_addf(&p, "%s/ws/member/src", tmpl);
	CHECK(cache_index_lock_read(p.buf, &out) == 0);
	CHECK_STR(out.buf, "version = 4\n");
	strbuf_reset(&p);
	strbuf_reset(&out);
	strbuf_addf(&p, "%s", tmpl);
	CHECK(cache_index_lock_read(p.buf, &out) == -1);
	strbuf_reset(&p);
	strbuf_addf(&p, "rm -rf %s", tmpl);
	CHECK(system(p.buf) == 0);
	strbuf_release(&p);
	strbuf_release(&out);
}

void test_cache_index(void)
{
	test_tag();
	test_format_parse();
	test_lock_read();
}
