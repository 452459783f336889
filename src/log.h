/* log.h: cargo-green's own log, never on rustc's stdout/stderr.
 *
 * Lines go to CARGOGREEN_LOG_PATH (default $TMPDIR/cargo-green.log) when
 * CARGOGREEN_LOG enables them; each is "[time pid tag] LEVEL module: message",
 * tag being the crate a wrapper compiles. The filter has $RUST_LOG's syntax:
 * "LEVEL,MODULE=LEVEL,...", a module being a source file's name (engine,
 * job...). LOG() evaluates nothing when its level is off for its module. The
 * log's state is set once by log_setup() and only read afterwards. */
#ifndef LOG_H
#define LOG_H

#include "strbuf.h"

enum log_level { LOG_OFF = 0, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

/* 0 if filter is valid, else -1 with what is wrong in why. */
int log_filter_check(const char *filter, struct strbuf *why);
/* The level a filter gives a module ("engine"); LOG_OFF if filter is NULL. */
int log_filter_level(const char *filter, const char *module);

/* The log of this process: filter (CARGOGREEN_LOG, NULL for none), style
 * (CARGOGREEN_LOG_STYLE), the file it appends to, the tag of its lines.
 * config_log_setup() gives it a config's values. */
void log_setup(const char *filter, const char *style, const char *path, const char *tag);
/* 0 if the logs filter asks for can be appended to path (or none are asked
 * for), else -1 with one line in err naming path and origin (where its value
 * came from: "from the environment", ...): the plugin's check, once before
 * anything is built (a wrapper only turns its logs off). */
int log_check(const char *filter, const char *path, const char *origin, struct strbuf *err);
/* The log file's descriptor, or -1 (a detached child keeps it). */
int log_fd(void);
int log_enabled(int level, const char *file);
void log_write(int level, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define LOG(level, ...) \
	do { \
		if (log_enabled(level, __FILE__)) \
			log_write(level, __FILE__, __VA_ARGS__); \
	} while (0)

#endif
