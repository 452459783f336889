#include "log.h"
#include "strbuf.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MODULES 24

/* Set once by log_setup(): the level of each module named by the filter, and
 * the level of all others. */
static struct {
	int level;                 /* the most verbose level of any module: a fast "off" */
	int def;
	struct { char name[32]; int level; } mod[MAX_MODULES];
	int nr;
	int fd;
	int color;
	char tag[96];
} the_log = { LOG_OFF, LOG_OFF, { { "", 0 } }, 0, -1, 0, "" };

static const char *names[] = { "off", "error", "warn", "info", "debug", "trace" };

static int level_of(const char *s, size_t n)
{
	for (int i = 0; i < (int)ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && !strncmp(s, names[i], n))
			return i;
	if (n == 7 && !strncmp(s, "warning", 7))
		return LOG_WARN;
	return -1;
}

/* Walk "a,b=c,...": fn(module, mlen, level) per directive; -1 on a bad one. */
static int filter_walk(const char *filter, struct strbuf *why,
		       void (*fn)(const char *m, size_t mlen, int level, void *data), void *data)
{
	const char *p = filter;
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		const char *mod = p;
		size_t mlen = eq ? (size_t)(eq - p) : 0;
		int level;
		if (!n) {
			if (why)
				strbuf_addstr(why, "a directive is empty");
			return -1;
		}
		if (eq) {
			level = level_of(eq + 1, n - mlen - 1);
		} else {
			level = level_of(p, n);
			if (level < 0) { /* "module" alone: everything for it */
				mlen = n;
				level = LOG_TRACE;
			}
		}
		if (level < 0 || (eq && !mlen)) {
			if (why)
				strbuf_addf(why, "'%.*s' is not a directive (LEVEL or MODULE=LEVEL, LEVEL one of off, error, warn, info, debug, trace)",
					    (int)n, p);
			return -1;
		}
		for (size_t i = 0; i < mlen; i++)
			if (!((mod[i] >= 'a' && mod[i] <= 'z') || (mod[i] >= 'A' && mod[i] <= 'Z') ||
			      (mod[i] >= '0' && mod[i] <= '9') || mod[i] == '_' || mod[i] == ':' || mod[i] == '-')) {
				if (why)
					strbuf_addf(why, "'%.*s' is not a module name", (int)mlen, mod);
				return -1;
			}
		{
			const char *rest;
			if (mlen > 13 && skip_prefix(mod, "cargo_green::", &rest)) {
				mlen -= (size_t)(rest - mod);
				mod = rest;
			}
		}
		fn(mod, mlen, level, data);
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static void nothing(const char *m, size_t mlen, int level, void *data)
{
}

int log_filter_check(const char *filter, struct strbuf *why)
{
	return filter_walk(filter, why, nothing, NULL);
}

struct lookup {
	const char *module;
	int level, specific;
};

static void lookup_one(const char *m, size_t mlen, int level, void *data)
{
	struct lookup *l = data;
	if (!mlen) {
		if (!l->specific)
			l->level = level;
	} else if (strlen(l->module) == mlen && !strncmp(l->module, m, mlen)) {
		l->level = level;
		l->specific = 1;
	}
}

int log_filter_level(const char *filter, const char *module)
{
	struct lookup l = { module, LOG_OFF, 0 };
	if (!filter || filter_walk(filter, NULL, lookup_one, &l) < 0)
		return LOG_OFF;
	return l.level;
}

static void setup_one(const char *m, size_t mlen, int level, void *data)
{
	if (!mlen) {
		the_log.def = level;
	} else if (the_log.nr < MAX_MODULES && mlen < sizeof(the_log.mod[0].name)) {
		memcpy(the_log.mod[the_log.nr].name, m, mlen);
		the_log.mod[the_log.nr].name[mlen] = '\0';
		the_log.mod[the_log.nr++].level = level;
	}
	if (level > the_log.level)
		the_log.level = level;
}

void log_setup(const char *filter, const char *style, const char *path, const char *tag)
{
	snprintf(the_log.tag, sizeof(the_log.tag), "%s", tag);
	if (!filter || filter_walk(filter, NULL, setup_one, NULL) < 0 || the_log.level <= LOG_OFF) {
		the_log.level = LOG_OFF;
		return;
	}
	the_log.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (the_log.fd < 0)
		the_log.level = LOG_OFF;
	the_log.color = style && !strcmp(style, "always");
}

static void max_one(const char *m, size_t mlen, int level, void *data)
{
	int *max = data;
	if (level > *max)
		*max = level;
}

int log_check(const char *filter, const char *path, const char *origin, struct strbuf *err)
{
	int fd, level = LOG_OFF;
	if (!filter || filter_walk(filter, NULL, max_one, &level) < 0 || level <= LOG_OFF)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	strbuf_addf(err, "CARGOGREEN_LOG_PATH=\"%s\" (%s): cannot open it to append the logs CARGOGREEN_LOG asks for: %s (set CARGOGREEN_LOG_PATH to a file in a writable directory, e.g. CARGOGREEN_LOG_PATH=/tmp/my-logs.txt)",
		    path, origin, strerror(errno));
	return -1;
}

/* "src/engine.c" -> "engine" (length in *n). */
static const char *module_of(const char *file, size_t *n)
{
	const char *b = strrchr(file, '/'), *dot;
	b = b ? b + 1 : file;
	dot = strrchr(b, '.');
	*n = dot ? (size_t)(dot - b) : strlen(b);
	return b;
}

int log_enabled(int level, const char *file)
{
	size_t n;
	const char *m;
	if (the_log.level < level)
		return 0;
	m = module_of(file, &n);
	for (int i = 0; i < the_log.nr; i++)
		if (strlen(the_log.mod[i].name) == n && !strncmp(the_log.mod[i].name, m, n))
			return the_log.mod[i].level >= level;
	return the_log.def >= level;
}

void log_write(int level, const char *file, const char *fmt, ...)
{
	static const char *colors[] = { "", "\033[31m", "\033[33m", "\033[32m", "\033[34m", "\033[35m" };
	struct strbuf sb = STRBUF_INIT;
	struct timespec ts;
	struct tm tm;
	char when[32];
	size_t n;
	const char *m = module_of(file, &n);
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	strbuf_addf(&sb, "[%s.%03ldZ %ld %s] %s%s%s %.*s: ", when, ts.tv_nsec / 1000000, (long)getpid(), the_log.tag,
		    the_log.color ? colors[level] : "", names[level], the_log.color ? "\033[0m" : "", (int)n, m);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addch(&sb, '\n');
	/* One write(2) per line with O_APPEND: lines of parallel wrappers do not interleave. */
	if (write_all(the_log.fd, sb.buf, sb.len) < 0)
		the_log.level = LOG_OFF;
	strbuf_release(&sb);
}

int log_fd(void)
{
	return the_log.fd;
}
