#include "regtoken.h"
#include "strvec.h"
#include "util.h"
#include "banned.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Lifetime a token must have left to be used. */
#define MARGIN_S 15

int regtoken_covers(const char *have, const char *want)
{
	const char *hc = strrchr(have, ':'), *wc = strrchr(want, ':');
	struct strvec acts = STRVEC_INIT;
	int ret = 1;
	if (!strcmp(have, want))
		return 1;
	if (!hc || !wc || hc - have != wc - want || strncmp(have, want, (size_t)(hc - have)))
		return 0;
	for (const char *p = hc + 1; *p;) {
		size_t n = strcspn(p, ",");
		strvec_pushf(&acts, "%.*s", (int)n, p);
		p += n + (p[n] == ',');
	}
	for (const char *p = wc + 1; *p && ret;) {
		size_t n = strcspn(p, ",");
		struct strbuf a = STRBUF_INIT;
		strbuf_add(&a, p, n);
		ret = strvec_find(&acts, a.buf) >= 0 || strvec_find(&acts, "*") >= 0;
		strbuf_release(&a);
		p += n + (p[n] == ',');
	}
	strvec_clear(&acts);
	return ret;
}

/* Is the directory of file the user's own, and no one else's to read? */
static int dir_private(const char *file)
{
	const char *slash = strrchr(file, '/');
	struct strbuf d = STRBUF_INIT;
	struct stat st;
	int ok;
	strbuf_add(&d, file, slash ? (size_t)(slash - file) : 0);
	if (!d.len)
		strbuf_addch(&d, slash ? '/' : '.');
	ok = lstat(d.buf, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 077);
	strbuf_release(&d);
	return ok;
}

int regtoken_find(const char *file, const char *name, const char *want, long long now, struct strbuf *out)
{
	struct strbuf text = STRBUF_INIT;
	int fd, found = 0;
	if (!dir_private(file) || (fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	if (flock(fd, LOCK_SH) == 0)
		strbuf_read_fd(&text, fd);
	close(fd);
	/* "EXPIRES\tNAME\tSCOPE\tTOKEN": the newest last. */
	for (char *line = text.buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		struct strvec f = STRVEC_INIT;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		for (const char *p = line;;) {
			size_t n = strcspn(p, "\t");
			strvec_pushf(&f, "%.*s", (int)n, p);
			if (!p[n])
				break;
			p += n + 1;
		}
		if (f.nr == 4 && atoll(f.v[0]) > now + MARGIN_S && !strcmp(f.v[1], name) && regtoken_covers(f.v[2], want) &&
		    *f.v[3]) {
			strbuf_reset(out);
			strbuf_addstr(out, f.v[3]);
			found = 1;
		}
		strvec_clear(&f);
	}
	strbuf_release(&text);
	return found;
}

int regtoken_keep(const char *file, const char *name, const char *scope, const char *token, long long expires_in,
		  long long now)
{
	struct strbuf line = STRBUF_INIT;
	struct stat st;
	int fd, ret = -1;
	if (strpbrk(token, "\t\r\n") || strpbrk(name, "\t\r\n") || strpbrk(scope, "\t\r\n") || !dir_private(file))
		return -1;
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 077) &&
	    flock(fd, LOCK_EX) == 0) {
		strbuf_addf(&line, "%lld\t%s\t%s\t%s\n", now + expires_in, name, scope, token);
		ret = write_all(fd, line.buf, line.len);
	}
	close(fd);
	strbuf_release(&line);
	return ret < 0 ? -1 : 0;
}
