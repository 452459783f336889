/* util.h: allocation that dies on OOM, error reporting, small string helpers. */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdarg.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Print "cargo-green: error: ..." on stderr once; returns -1. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "cargo-green: warning: ..." on stderr. */
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Fatal, for out-of-memory and broken invariants only: exits EXIT_INTERNAL. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* A broken invariant: says where (file and line) and exits EXIT_INTERNAL. */
void bug_at(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4), noreturn));
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)

int starts_with(const char *s, const char *prefix);
int ends_with(const char *s, const char *suffix);
/* If s starts with prefix, point *out past it and return 1. */
int skip_prefix(const char *s, const char *prefix, const char **out);
/* If path == dir or path is below dir, return the rest ("" or "/x/y"), else NULL. */
const char *path_under(const char *path, const char *dir);
/* Last component of a path. Points into path. */
const char *path_basename(const char *path);

/* Wall clock in nanoseconds. */
long long now_ns(void);

#endif
