#include "cacheindex.h"
#include "json.h"
#include "sha256.h"
#include "util.h"
#include "banned.h"

#include <string.h>
#include <unistd.h>

#define EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define KEYS_ANNOTATION "org.cargo-green.keys"

void cache_index_tag(const char *base, const char *lock, size_t len, const char *words, struct strbuf *tag)
{
	struct sha256 md;
	char lockhex[65] = "-", hex[65];
	if (lock) {
		sha256_init(&md);
		sha256_update(&md, lock, len);
		sha256_hex(&md, lockhex);
	}
	sha256_init(&md);
	sha256_update(&md, "cargo-green index 1\nbase ", 25);
	sha256_update(&md, base, strlen(base));
	sha256_update(&md, "\nlock ", 6);
	sha256_update(&md, lockhex, strlen(lockhex));
	sha256_update(&md, "\n", 1);
	sha256_update(&md, words, strlen(words));
	sha256_hex(&md, hex);
	strbuf_addf(tag, "index-%s", hex);
}

int cache_index_lock_read(const char *dir, struct strbuf *out)
{
	struct strbuf p = STRBUF_INIT;
	int ret = -1;
	strbuf_addstr(&p, dir);
	while (p.len > 1 && p.buf[p.len - 1] == '/')
		strbuf_setlen(&p, p.len - 1);
	for (;;) {
		size_t len = p.len;
		strbuf_addstr(&p, "/Cargo.lock");
		if (strbuf_read_file(out, p.buf) == 0) {
			ret = 0;
			break;
		}
		strbuf_setlen(&p, len);
		{
			char *slash = strrchr(p.buf, '/');
			if (!slash || slash == p.buf)
				break;
			strbuf_setlen(&p, (size_t)(slash - p.buf));
		}
	}
	strbuf_release(&p);
	return ret;
}

static int key_ok(const char *k, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= '0' && k[i] <= '9') || (k[i] >= 'a' && k[i] <= 'f')))
			return 0;
	return 1;
}

void cache_index_format(const struct strvec *keys, struct strbuf *out)
{
	strbuf_addstr(out, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			   "\"artifactType\":\"" CACHE_INDEX_ARTIFACT "\","
			   "\"config\":{\"mediaType\":\"" EMPTY_TYPE "\",\"digest\":\"" EMPTY_DIGEST "\",\"size\":2},"
			   "\"layers\":[{\"mediaType\":\"" EMPTY_TYPE "\",\"digest\":\"" EMPTY_DIGEST "\",\"size\":2}],"
			   "\"annotations\":{\"" KEYS_ANNOTATION "\":\"");
	for (size_t i = 0; i < keys->nr; i++)
		strbuf_addf(out, "%s%s", i ? " " : "", keys->v[i]);
	strbuf_addstr(out, "\"}}");
}

int cache_index_parse(const char *body, size_t len, struct strvec *keys, struct strbuf *why)
{
	struct json j;
	struct strbuf e = STRBUF_INIT;
	struct strvec got = STRVEC_INIT;
	const char *type, *list;
	int ret = -1;
	if (json_parse(body, len, &j, &e) < 0) {
		strbuf_addf(why, "the index is not JSON: %s", e.buf);
		strbuf_release(&e);
		return -1;
	}
	type = json_str(json_get(&j, "artifactType"));
	list = json_str(json_get(json_get(&j, "annotations"), KEYS_ANNOTATION));
	if (!type || strcmp(type, CACHE_INDEX_ARTIFACT) || !list) {
		strbuf_addstr(why, "the index is not one of cargo-green's (" CACHE_INDEX_ARTIFACT ", its keys annotated)");
		goto out;
	}
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ");
		if (!key_ok(p, n)) {
			strbuf_addf(why, "the index lists '%.*s', not a key", (int)(n > 70 ? 70 : n), p);
			goto out;
		}
		if (got.nr >= CACHE_INDEX_MAX) {
			strbuf_addf(why, "the index lists more than %d keys", CACHE_INDEX_MAX);
			goto out;
		}
		strvec_pushf(&got, "%.*s", (int)n, p);
		p += n;
		if (*p == ' ' && !*++p) {
			strbuf_addstr(why, "the index's list ends with a space");
			goto out;
		}
	}
	for (size_t i = 0; i < got.nr; i++)
		if (strvec_find(keys, got.v[i]) < 0)
			strvec_push(keys, got.v[i]);
	ret = 0;
out:
	json_release(&j);
	strbuf_release(&e);
	strvec_clear(&got);
	return ret;
}

void cache_index_merge(struct strvec *keys, const struct strvec *old)
{
	for (size_t i = 0; i < old->nr && keys->nr < CACHE_INDEX_MAX; i++)
		if (strvec_find(keys, old->v[i]) < 0)
			strvec_push(keys, old->v[i]);
}
