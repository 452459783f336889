/* strbuf.h: a growable string (after git's strbuf).
 * Never NULL, always NUL-terminated, len authoritative. The owner calls
 * strbuf_release(); strbuf_detach() hands the buffer out (caller frees). */
#ifndef STRBUF_H
#define STRBUF_H

#include <stddef.h>
#include <stdarg.h>

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen(sb, 0)

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append s as one POSIX shell word: 'it'\''s'. */
void strbuf_add_shquoted(struct strbuf *sb, const char *s);
/* Append s as one field of a CSV line (as buildx reads --output and
 * --secret): quoted, its quotes doubled, when it holds a quote, comma or
 * line break. */
void strbuf_add_csv_field(struct strbuf *sb, const char *s);
/* Control characters of sb from offset from on written as escapes (\n,
 * \t, \xNN): a message that echoes a value stays one clean line. */
void strbuf_escape_controls(struct strbuf *sb, size_t from);
void strbuf_rtrim(struct strbuf *sb);

/* Whole-file helpers: 0 on success, -1 with errno set. */
int strbuf_read_file(struct strbuf *sb, const char *path);
int strbuf_read_fd(struct strbuf *sb, int fd);
/* Write to path.tmp.PID then rename over path. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);
int write_all(int fd, const void *data, size_t len);

#endif
