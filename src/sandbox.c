#include "sandbox.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "banned.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BWRAP "bwrap"
/* What bubblewrap prints before anything when it cannot make the sandbox. */
#define BWRAP_SAYS "bwrap: "

void sandbox_release(struct sandbox *sb)
{
	strvec_clear(&sb->binds);
	strvec_clear(&sb->env);
	strvec_clear(&sb->argv);
}

/* Does bind (an entry of binds) show host at mount already, as a parent
 * seen read-only would: mount is its mount's path plus what host adds to
 * its host path? */
static int bind_covers(const char *bind, const char *host, const char *mount)
{
	const char *h = strchr(bind, '\t') + 1, *m = strchr(h, '\t') + 1, *rest;
	size_t hl = (size_t)(m - 1 - h), ml = strlen(m);
	if (strncmp(host, h, hl) || (host[hl] != '/' && host[hl]))
		return 0;
	rest = host + hl;
	return !strncmp(mount, m, ml) && !strcmp(mount + ml, rest);
}

void sandbox_bind(struct sandbox *sb, int rw, const char *host, const char *mount)
{
	/* A read-only bind that a read-only parent bind already shows, none
	 * after it over that path, is left out: each costs the sandbox's
	 * start ~0.15 ms, and a unit's dependencies' sources under CARGO_HOME
	 * are hundreds. */
	for (size_t i = sb->binds.nr; !rw && i-- > 0;) {
		const char *b = sb->binds.v[i], *bm = strchr(strchr(b, '\t') + 1, '\t') + 1;
		if (!strncmp(b, "ro\t", 3) && bind_covers(b, host, mount))
			return;
		if (path_under(mount, bm) || path_under(bm, mount))
			break; /* (a later bind over it, or under it: kept as given) */
	}
	strvec_pushf(&sb->binds, "%s\t%s\t%s", rw ? "rw" : "ro", host, mount);
}

void sandbox_setenv(struct sandbox *sb, const char *name, const char *value)
{
	size_t n = strlen(name);
	struct strbuf entry = STRBUF_INIT;
	strbuf_addf(&entry, "%s=%s", name, value);
	for (size_t i = 0; i < sb->env.nr; i++) {
		if (!strncmp(sb->env.v[i], name, n) && sb->env.v[i][n] == '=') {
			free((char *)sb->env.v[i]);
			sb->env.v[i] = strbuf_detach(&entry, NULL);
			return;
		}
	}
	strvec_push(&sb->env, entry.buf);
	strbuf_release(&entry);
}

/* The host's top-level directories, read-only, but those made anew and
 * /green (the fixed paths, made by the binds). */
static void host_root(struct strvec *args)
{
	static const char *const fresh[] = { "proc", "dev", "tmp", "green", "run", "sys", NULL };
	DIR *d = opendir("/");
	struct dirent *e;
	struct strbuf p = STRBUF_INIT;
	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		int skip = e->d_name[0] == '.';
		for (size_t i = 0; fresh[i] && !skip; i++)
			skip = !strcmp(e->d_name, fresh[i]);
		if (skip)
			continue;
		strbuf_reset(&p);
		strbuf_addf(&p, "/%s", e->d_name);
		if (lstat(p.buf, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(p.buf, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			strvec_pushv(args, (const char *[]){ "--symlink", target, p.buf, NULL });
		} else if (S_ISDIR(st.st_mode)) {
			strvec_pushv(args, (const char *[]){ "--ro-bind", p.buf, p.buf, NULL });
		}
	}
	closedir(d);
	strbuf_release(&p);
}

int sandbox_run(const struct sandbox *sb, int *code, struct strbuf *err)
{
	struct child c = CHILD_INIT;
	struct strbuf said = STRBUF_INIT;
	int status, ret = 0;

	strvec_push(&c.args, BWRAP);
	host_root(&c.args);
	strvec_pushv(&c.args, (const char *[]){ "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--ro-bind-try",
						"/sys", "/sys", "--dir", "/green", "--die-with-parent", NULL });
	if (!sb->network)
		strvec_push(&c.args, "--unshare-net");
	for (size_t i = 0; i < sb->binds.nr; i++) {
		const char *b = sb->binds.v[i], *t1 = strchr(b, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		char *host;
		if (!t2)
			BUG("a sandbox bind is not \"ro|rw\\tHOST\\tMOUNT\": %s", b);
		host = xstrndup(t1 + 1, (size_t)(t2 - t1 - 1));
		strvec_pushv(&c.args, (const char *[]){ starts_with(b, "rw") ? "--bind" : "--ro-bind", host, t2 + 1, NULL });
		free(host);
	}
	if (sb->workdir)
		strvec_pushv(&c.args, (const char *[]){ "--chdir", sb->workdir, NULL });
	strvec_push(&c.args, "--");
	strvec_pushv(&c.args, sb->argv.v);
	/* Its environment through bwrap's own, never its argv (ps shows that). */
	c.clear_env = 1;
	strvec_pushv(&c.env, sb->env.v);
	c.stdin_path = "";
	c.stdout_path = sb->stdout_path;
	c.stderr_path = sb->stderr_path;
	status = run_command(&c, err);
	if (status < 0) {
		ret = -1;
	} else if (status == 1 && strbuf_read_file(&said, sb->stderr_path) == 0 && starts_with(said.buf, BWRAP_SAYS)) {
		/* bwrap's own failure: the command never ran. */
		strbuf_rtrim(&said);
		strbuf_addf(err, "%.*s", (int)strcspn(said.buf, "\n"), said.buf);
		ret = -1;
	} else {
		*code = status;
	}
	strbuf_release(&said);
	child_release(&c);
	return ret;
}
