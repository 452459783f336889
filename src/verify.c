#include "verify.h"
#include "sha256.h"
#include "util.h"
#include "banned.h"

#include <stdlib.h>
#include <string.h>

int verify_parse(const char *v, double *share, int *strict, struct strbuf *why)
{
	const char *comma = strchr(v, ',');
	size_t n = comma ? (size_t)(comma - v) : strlen(v);
	*share = 0;
	*strict = 0;
	if (comma && strcmp(comma, ",strict"))
		goto bad;
	*strict = comma != NULL;
	if ((n == 3 && !strncmp(v, "off", 3)) || (n == 1 && v[0] == '0')) {
		if (comma)
			goto bad;
		return 0;
	}
	if ((n == 3 && !strncmp(v, "all", 3)) || (n == 6 && !strncmp(v, "strict", 6) && !comma)) {
		*share = 1;
		*strict |= v[0] == 's';
		return 0;
	}
	{
		/* A plain decimal: digits, one dot at most. */
		char *num = xstrndup(v, n), *end;
		size_t digits = strspn(num, "0123456789.");
		double x = strtod(num, &end);
		int ok = n && digits == n && end == num + n && strchr(num, '.') == strrchr(num, '.') && x > 0 && x <= 1;
		free(num);
		if (ok) {
			*share = x;
			return 0;
		}
	}
bad:
	*share = 0;
	*strict = 0;
	strbuf_addstr(why, "not a share of hits to verify: expected off, a number in (0, 1] such as 0.1, all or strict, a share or all optionally followed by ,strict");
	return -1;
}

int verify_check(const char *v, struct strbuf *why)
{
	double share;
	int strict;
	return verify_parse(v, &share, &strict, why);
}

int verify_sampled(double share, const char *key)
{
	struct sha256 md;
	unsigned char d[32];
	long long t = now_ns();
	unsigned long long x = 0;
	if (share >= 1)
		return 1;
	if (share <= 0)
		return 0;
	sha256_init(&md);
	sha256_update(&md, key, strlen(key));
	sha256_update(&md, &t, sizeof(t));
	sha256_final(&md, d);
	for (int i = 0; i < 8; i++)
		x = x << 8 | d[i];
	return (double)(x >> 11) / (double)(1ULL << 53) < share;
}

/* The next line of a manifest at *p, its path's length in *plen; NULL at the end. */
static const char *next_line(const char **p, size_t *len, size_t *plen)
{
	const char *l = *p, *end;
	if (!*l)
		return NULL;
	end = strchrnul(l, '\n');
	*len = (size_t)(end - l);
	*plen = strcspn(l, "\t\n");
	*p = *end ? end + 1 : end;
	return l;
}

int verify_compare(const char *want, const char *have, struct strbuf *diff)
{
	const char *w = want, *h = have, *a, *b;
	size_t alen = 0, aplen = 0, blen = 0, bplen = 0;
	a = next_line(&w, &alen, &aplen);
	b = next_line(&h, &blen, &bplen);
	while (a || b) {
		int c;
		if (a && b) {
			size_t m = aplen < bplen ? aplen : bplen;
			c = memcmp(a, b, m);
			if (!c)
				c = aplen < bplen ? -1 : aplen > bplen;
		} else {
			c = a ? -1 : 1;
		}
		if (c == 0 && alen == blen && !memcmp(a, b, alen)) {
			a = next_line(&w, &alen, &aplen);
			b = next_line(&h, &blen, &bplen);
			continue;
		}
		if (c < 0)
			strbuf_addf(diff, "%.*s (missing from the fresh build)", (int)aplen, a);
		else if (c > 0)
			strbuf_addf(diff, "%.*s (only in the fresh build)", (int)bplen, b);
		else
			strbuf_addf(diff, "%.*s (other bytes)", (int)aplen, a);
		return 1;
	}
	return 0;
}
