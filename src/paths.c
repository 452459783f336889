#include "paths.h"
#include "util.h"
#include "banned.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void state_dir(struct strbuf *out)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (x && *x)
		strbuf_addf(out, "%s/cargo-green", x);
	else
		strbuf_addf(out, "%s/.cache/cargo-green", home && *home ? home : "/tmp");
}

void cargo_home(struct strbuf *out)
{
	const char *h = getenv("CARGO_HOME"), *home = getenv("HOME");
	if (h && *h)
		strbuf_addstr(out, h);
	else
		strbuf_addf(out, "%s/.cargo", home ? home : "");
}

char *path_normalize(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int abs = path[0] == '/';
	size_t floor = 0; /* a relative path's leading ".."s stay */
	const char *p = path;

	if (abs)
		strbuf_addch(&sb, '/');
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* "//" or "." */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (sb.len > floor + (size_t)abs) {
				char *slash = strrchr(sb.buf, '/');
				size_t keep = slash ? (size_t)(slash - sb.buf) : 0;
				strbuf_setlen(&sb, keep == 0 && abs ? 1 : keep);
			} else if (!abs) {
				strbuf_addstr(&sb, sb.len ? "/.." : "..");
				floor = sb.len;
			}
		} else {
			if (sb.len > (size_t)abs)
				strbuf_addch(&sb, '/');
			strbuf_add(&sb, p, n);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (!sb.len)
		strbuf_addch(&sb, '.');
	return strbuf_detach(&sb, NULL);
}

char *path_spelled_prefix(const char *path, const char *norm)
{
	for (size_t n = strlen(path); n > 0; n--) {
		if (n < strlen(path) && path[n] != '/')
			continue;
		char *prefix = xstrndup(path, n), *np = path_normalize(prefix);
		int same = !strcmp(np, norm);
		free(np);
		if (same)
			return prefix;
		free(prefix);
	}
	return NULL;
}

void pathmap_add(struct pathmap *pm, const char *host, const char *ct)
{
	size_t hl = strlen(host);
	while (hl > 1 && host[hl - 1] == '/')
		hl--;
	char *h = xstrndup(host, hl);
	strvec_push(&pm->host, h);
	strvec_push(&pm->ct, ct);
	free(h);
}

void pathmap_release(struct pathmap *pm)
{
	strvec_clear(&pm->host);
	strvec_clear(&pm->ct);
}

/* Index of the longest prefix of path among from[], at a path boundary. */
static int longest(const struct strvec *from, const char *path)
{
	int best = -1;
	size_t bestlen = 0;
	for (size_t i = 0; i < from->nr; i++) {
		size_t n = strlen(from->v[i]);
		if (path_under(path, from->v[i]) && n > bestlen) {
			best = (int)i;
			bestlen = n;
		}
	}
	return best;
}

static char *map(const struct strvec *from, const struct strvec *to, const char *path)
{
	int i = longest(from, path);
	struct strbuf sb = STRBUF_INIT;
	if (i < 0)
		return NULL;
	strbuf_addstr(&sb, to->v[i]);
	strbuf_addstr(&sb, path_under(path, from->v[i]));
	return strbuf_detach(&sb, NULL);
}

char *pathmap_to_ct(const struct pathmap *pm, const char *host)
{
	return map(&pm->host, &pm->ct, host);
}

char *pathmap_to_host(const struct pathmap *pm, const char *ct)
{
	return map(&pm->ct, &pm->host, ct);
}

static int is_path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '+' || c == '@';
}

/* May c continue a path's last component (so that a prefix ending before
 * it is not a whole component)? A byte of a UTF-8 sequence does too. */
static int continues_name(char c)
{
	return is_path_char(c) || (unsigned char)c >= 0x80;
}

/* Does an ANSI SGR sequence ("ESC [ 1;94 m") end just before text[i]? ESC is
 * the byte itself, or "\u001b" inside a JSON string: rustc's coloured
 * diagnostics put one right before a path (" --> \x1b[0m/green/..."), and
 * its 'm' must not count as a path character. */
static int after_sgr(const char *text, size_t i)
{
	size_t k = i;
	if (!k || text[--k] != 'm')
		return 0;
	while (k && ((text[k - 1] >= '0' && text[k - 1] <= '9') || text[k - 1] == ';'))
		k--;
	if (!k || text[--k] != '[')
		return 0;
	if (k >= 1 && text[k - 1] == '\x1b')
		return 1;
	return k >= 6 && !strncmp(text + k - 6, "\\u001b", 6);
}

/* How a replacement is escaped where it lands. */
enum escape_at {
	AT_PLAIN,   /* as it is */
	AT_JSON,    /* in a JSON string */
	AT_DEP,     /* a dependency of a dep-info line: a space as "\ " */
	AT_ENV_DEP, /* the value of a "# env-dep:" line: '\\', \n, \r */
};

static void add_escaped(struct strbuf *out, const char *s, enum escape_at at)
{
	for (; *s; s++) {
		if (at == AT_JSON && (*s == '"' || *s == '\\'))
			strbuf_addch(out, '\\');
		else if (at == AT_DEP && *s == ' ')
			strbuf_addch(out, '\\');
		else if (at == AT_ENV_DEP && (*s == '\\' || *s == '\n' || *s == '\r')) {
			strbuf_addstr(out, *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : "\\r");
			continue;
		}
		strbuf_addch(out, *s);
	}
}

/* In rustc's dep-info, where the text at i of the line starting at line
 * lands: a comment's value, the outputs of a rule (rustc writes them as
 * they are: "OUT OUT: DEP DEP"), or a dependency (after the first ": ",
 * or the whole of a "DEP:" line). */
static enum escape_at depinfo_at(const char *text, size_t len, size_t line, size_t i)
{
	const char *end = memchr(text + line, '\n', len - line), *sep;
	size_t n = end ? (size_t)(end - (text + line)) : len - line;
	if (text[line] == '#')
		return AT_ENV_DEP;
	for (sep = text + line; sep + 1 < text + line + n; sep++)
		if (sep[0] == ':' && sep[1] == ' ')
			return text + i < sep ? AT_PLAIN : AT_DEP;
	return AT_DEP;
}

void pathmap_rewrite(const struct pathmap *pm, int to_host, enum rewrite_escape esc,
		     const char *text, size_t len, struct strbuf *out)
{
	const struct strvec *from = to_host ? &pm->ct : &pm->host;
	const struct strvec *to = to_host ? &pm->host : &pm->ct;
	size_t i = 0, line = 0;

	strbuf_grow(out, len);
	while (i < len) {
		int best = -1;
		size_t bestlen = 0;
		if (i > 0 && text[i - 1] == '\n')
			line = i;
		if (text[i] == '/' && (i == 0 || !is_path_char(text[i - 1]) || after_sgr(text, i))) {
			for (size_t k = 0; k < from->nr; k++) {
				size_t n = strlen(from->v[k]);
				if (n <= bestlen || i + n > len || memcmp(text + i, from->v[k], n))
					continue;
				if (i + n < len && text[i + n] != '/' && continues_name(text[i + n]))
					continue;
				best = (int)k;
				bestlen = n;
			}
		}
		if (best >= 0) {
			enum escape_at at = esc == ESCAPE_JSON ? AT_JSON :
					    esc == ESCAPE_DEPINFO ? depinfo_at(text, len, line, i) : AT_PLAIN;
			add_escaped(out, to->v[best], at);
			i += bestlen;
		} else {
			strbuf_addch(out, text[i]);
			i++;
		}
	}
}

int path_dockerfile_safe(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/* Does dir hold cargo's mark of a target dir? */
static int target_marked(const char *dir)
{
	struct strbuf tag = STRBUF_INIT, info = STRBUF_INIT;
	int found;
	/* cargo marks its target dirs with CACHEDIR.TAG; cargo install's
	 * temporary one only has cargo's .rustc_info.json. */
	strbuf_addf(&tag, "%s/CACHEDIR.TAG", dir);
	strbuf_addf(&info, "%s/.rustc_info.json", dir);
	found = !access(tag.buf, F_OK) || !access(info.buf, F_OK);
	strbuf_release(&tag);
	strbuf_release(&info);
	return found;
}

char *find_target_dir(const char *path)
{
	char *p = xstrdup(path);
	for (;;) {
		char *slash;
		if (target_marked(p)) {
			/* With --target, cargo marks target/TRIPLE too: the target dir
			 * is the one above it, where the host's units (build scripts,
			 * proc-macros) are. A triple has a '-' (or is a spec's .json). */
			char *up = xstrdup(p), *s = strrchr(up, '/');
			if (s && s != up && (strchr(s + 1, '-') || ends_with(s + 1, ".json"))) {
				*s = '\0';
				if (target_marked(up)) {
					free(p);
					return up;
				}
			}
			free(up);
			return p;
		}
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = '\0';
	}
	free(p);
	return NULL;
}
