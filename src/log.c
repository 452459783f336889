#include "log.h"
#include "config.h"
#include "strbuf.h"
#include "util.h"
#include "banned.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
	int level;
	int fd;
	char tag[96];
} the_log = { LOG_OFF, -1, "" };

static const char *names[] = { "off", "error", "warn", "info", "debug", "trace" };

int log_level_parse(const char *filter)
{
	size_t n = strcspn(filter, ",");
	if (!n)
		return LOG_OFF;
	for (int i = 0; i < (int)ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && !strncmp(filter, names[i], n))
			return i;
	if (n == 7 && !strncmp(filter, "warning", 7))
		return LOG_WARN;
	return -1;
}

void log_setup(const struct config *cfg, const char *tag)
{
	snprintf(the_log.tag, sizeof(the_log.tag), "%s", tag);
	if (!cfg->log_filter || cfg->log_level <= LOG_OFF)
		return;
	the_log.fd = open(cfg->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (the_log.fd >= 0)
		the_log.level = cfg->log_level;
}

int log_enabled(int level)
{
	return the_log.level >= level;
}

void log_write(int level, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct timespec ts;
	struct tm tm;
	char when[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	strbuf_addf(&sb, "[%s.%03ldZ %ld %s] %s ", when, ts.tv_nsec / 1000000, (long)getpid(),
		    the_log.tag, names[level]);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addch(&sb, '\n');
	/* One write(2) per line with O_APPEND: lines of parallel wrappers do not interleave. */
	if (write_all(the_log.fd, sb.buf, sb.len) < 0)
		the_log.level = LOG_OFF;
	strbuf_release(&sb);
}
