/* log.h: cargo-green's own log, never on rustc's stdout/stderr.
 *
 * Lines go to CARGOGREEN_LOG_PATH (default $TMPDIR/cargo-green.log) when
 * CARGOGREEN_LOG names a level; each is "[time pid tag] LEVEL message".
 * LOG() evaluates nothing when its level is off. The log's state is set once
 * by log_setup() from the parsed config and only read afterwards. */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_OFF = 0, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

struct config;

/* Parse "info" or "trace,module=info" into its overall level; -1 if unknown. */
int log_level_parse(const char *filter);
void log_setup(const struct config *cfg, const char *tag);
int log_enabled(int level);
void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG(level, ...) \
	do { \
		if (log_enabled(level)) \
			log_write(level, __VA_ARGS__); \
	} while (0)

#endif
