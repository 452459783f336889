#include "stats.h"
#include "config.h"
#include "fs.h"
#include "paths.h"
#include "log.h"
#include "util.h"
#include "wrap.h"
#include "banned.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* The names of the kinds in the file, in enum order. */
static const char *const kind_names[] = {
	[STATS_BUILT] = "miss",       [STATS_ENGINE_HIT] = "hit", [STATS_LOCAL_HIT] = "local",
	[STATS_FAILED] = "fail",      [STATS_PASS] = "pass",      [STATS_INCREMENTAL] = "incr",
	[STATS_SYSLIB] = "syslib",    [STATS_APT_ADDED] = "aptadd", [STATS_EXPLAIN] = "explain",
	[STATS_VERIFIED] = "verified", [STATS_VERIFY_BAD] = "differs", [STATS_INCR_FAILED] = "incrfail",
};

void stats_record(const struct config *cfg, enum stats_kind kind, const char *id, const char *detail,
		  long long total_ns, long long engine_ns)
{
	struct strbuf line = STRBUF_INIT;
	struct rusage ru;
	long long cpu_us = 0;
	int fd;
	if (!cfg->stats_path)
		return;
	/* This process's own CPU (children, the engine's client among them, excluded). */
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu_us = (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
			 (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
	strbuf_addf(&line, "%s\t%s\t%s\t%lld\t%lld\t%lld\n", kind_names[kind], id, detail ? detail : "",
		    total_ns / 1000, engine_ns / 1000, cpu_us);
	fd = open(cfg->stats_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		write_all(fd, line.buf, line.len);
		close(fd);
	}
	strbuf_release(&line);
}

void stats_warn_once(const struct config *cfg, const char *name, const char *msg)
{
	struct strbuf mark = STRBUF_INIT;
	int fd = -1;
	if (cfg->stats_path) {
		strbuf_addf(&mark, "%s.%s-warned", cfg->stats_path, name);
		fd = open(mark.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (fd >= 0) {
		warning("%s (the build goes on without it)", msg);
		close(fd);
	} else {
		LOG(LOG_WARN, "%s", msg);
	}
	strbuf_release(&mark);
}

static int kind_of(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
		if (!strcmp(name, kind_names[i]))
			return (int)i;
	return -1;
}

/* A note "PACKAGE=WHAT" into into, once per package. */
static void add_note(struct strvec *into, const char *note)
{
	const char *eq = strchr(note, '=');
	if (!eq)
		return;
	for (size_t i = 0; i < into->nr; i++)
		if (!strncmp(into->v[i], note, (size_t)(eq - note) + 1))
			return;
	strvec_push(into, note);
}

void stats_read(const char *path, struct stats *s)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *next;
	memset(s, 0, sizeof(*s));
	strvec_init(&s->reasons);
	strvec_init(&s->passes);
	strvec_init(&s->syslibs);
	strvec_init(&s->added);
	strvec_init(&s->explained);
	strvec_init(&s->mismatches);
	if (strbuf_read_file(&sb, path) < 0)
		goto out;
	for (line = sb.buf; *line; line = next) {
		char *f[6] = { 0 };
		char *nl = strchr(line, '\n');
		int n = 0, kind;
		next = nl ? nl + 1 : line + strlen(line);
		if (nl)
			*nl = '\0';
		for (char *p = line; n < 6; n++) {
			f[n] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (n < 4 || (kind = kind_of(f[0])) < 0)
			continue;
		switch ((enum stats_kind)kind) {
		case STATS_LOCAL_HIT:
			s->local++;
			s->saved_us += atoll(f[2]);
			break;
		case STATS_ENGINE_HIT: s->hit++; break;
		case STATS_BUILT: s->miss++; break;
		case STATS_FAILED: s->fail++; break;
		case STATS_INCR_FAILED:
			s->incr_fail++;
			/* fall through */
		case STATS_INCREMENTAL:
			s->incr++;
			/* (a compile at host paths records no times) */
			s->local_us += atoll(f[4]);
			s->local_wrapper_us += atoll(f[3]) > atoll(f[4]) ? atoll(f[3]) - atoll(f[4]) : 0;
			continue;
		case STATS_SYSLIB: add_note(&s->syslibs, f[2]); continue;
		case STATS_APT_ADDED: add_note(&s->added, f[2]); continue;
		case STATS_EXPLAIN: strvec_push(&s->explained, f[2]); continue;
		case STATS_VERIFY_BAD: strvec_push(&s->mismatches, f[2]); /* fall through */
		case STATS_VERIFIED: s->verified++; continue;
		case STATS_PASS:
			s->pass++;
			if (!strcmp(f[2], PASS_DEP_PLAIN) || !strcmp(f[2], PASS_SCRIPT_PLAIN))
				s->stale++;
			if (strvec_find(&s->reasons, f[2]) < 0)
				strvec_push(&s->reasons, f[2]);
			strvec_push(&s->passes, f[2]);
			continue;
		}
		{
			long long total = atoll(f[3]), engine = atoll(f[4]);
			s->engine_us += engine;
			s->wrapper_us += total - engine;
			s->cpu_us += f[5] ? atoll(f[5]) : 0;
		}
	}
out:
	strbuf_release(&sb);
}

void stats_release(struct stats *s)
{
	strvec_clear(&s->reasons);
	strvec_clear(&s->passes);
	strvec_clear(&s->syslibs);
	strvec_clear(&s->added);
	strvec_clear(&s->explained);
	strvec_clear(&s->mismatches);
}

void stats_print(const struct stats *s, int quiet)
{
	struct strbuf sb = STRBUF_INIT;
	int engine = s->local + s->hit + s->miss + s->fail;
	for (size_t i = 0; i < s->explained.nr; i++)
		fprintf(stderr, "cargo-green: explain: %s\n", s->explained.v[i]);
	for (size_t i = 0; i < s->mismatches.nr; i++)
		fprintf(stderr, "cargo-green: verify: %s differs from a fresh build (CARGOGREEN_VERIFY)\n", s->mismatches.v[i]);
	if (s->verified && !quiet)
		fprintf(stderr, "cargo-green: verified %d cache hit%s against a fresh build: %zu differ%s\n", s->verified,
			s->verified == 1 ? "" : "s", s->mismatches.nr, s->mismatches.nr == 1 ? "s" : "");
	if (!engine && !s->incr && !s->pass)
		return;
	if (s->stale)
		fprintf(stderr, "cargo-green: %d compile%s went to the local rustc because %s dependencies were built by plain cargo, not cargo green: run `cargo clean` once so that cargo green builds them all\n",
			s->stale, s->stale == 1 ? "" : "s", s->stale == 1 ? "its" : "their");
	if (quiet)
		return;
	strbuf_addf(&sb, "cargo-green: %d compile%s in BuildKit (%d cached: %d local, %d engine; %d built, %d failed), "
		    "%d compiled locally (incremental", engine, engine == 1 ? "" : "s", s->local + s->hit, s->local, s->hit,
		    s->miss, s->fail, s->incr);
	if (s->incr_fail)
		strbuf_addf(&sb, ", %d failed", s->incr_fail);
	strbuf_addf(&sb, "), %d passed to the local rustc", s->pass);
	if (s->reasons.nr) {
		strbuf_addstr(&sb, " (");
		for (size_t i = 0; i < s->reasons.nr; i++)
			strbuf_addf(&sb, "%s%s", i ? "; " : "", s->reasons.v[i]);
		strbuf_addch(&sb, ')');
	}
	if (engine)
		strbuf_addf(&sb, "; engine %lld ms, wrapper %lld ms (CPU %lld ms, %.1f ms a compile)", s->engine_us / 1000,
			    s->wrapper_us / 1000, s->cpu_us / 1000, (double)s->cpu_us / 1000 / engine);
	if (s->local_us)
		strbuf_addf(&sb, "; local rustc %lld ms, wrapper around it %lld ms", s->local_us / 1000,
			    s->local_wrapper_us / 1000);
	fprintf(stderr, "%s\n", sb.buf);
	strbuf_release(&sb);
}

void stats_totals(const struct stats *s, struct strbuf *out)
{
	strbuf_addf(out, "compiles %d\ncached %d\nlocal_hit %d\nengine_hit %d\nbuilt %d\nfailed %d\n"
		    "incremental %d\npassed %d\nstale %d\nverified %d\nverify_mismatch %zu\nincremental_failed %d\n",
		    s->local + s->hit + s->miss + s->fail, s->local + s->hit, s->local, s->hit, s->miss, s->fail,
		    s->incr, s->pass, s->stale, s->verified, s->mismatches.nr, s->incr_fail);
}

/* Is name (in the statistics' dir) one of a run's files: "cargo-green-stats.PID"
 * or a mark "cargo-green-stats.PID.NAME-warned"? Its PID into *pid. */
static int stats_file_name(const char *name, long *pid)
{
	const char *rest;
	char *end;
	if (!skip_prefix(name, "cargo-green-stats.", &rest))
		return 0;
	*pid = strtol(rest, &end, 10);
	/* And its cache images' notes and tokens (cache.c), a directory. */
	return *pid > 0 && end != rest &&
	       (!*end || !strcmp(end, ".cache") || (*end == '.' && ends_with(end, "-warned") && !strchr(end, '/')));
}

void stats_remove(const char *path)
{
	const char *slash = strrchr(path, '/');
	struct strbuf dir = STRBUF_INIT, p = STRBUF_INIT;
	DIR *d;
	struct dirent *e;
	unlink(path);
	if (!slash)
		return;
	strbuf_add(&dir, path, (size_t)(slash - path));
	if ((d = opendir(dir.len ? dir.buf : "/"))) {
		size_t n = strlen(slash + 1);
		while ((e = readdir(d))) {
			long pid;
			if (strncmp(e->d_name, slash + 1, n) || e->d_name[n] != '.' || !stats_file_name(e->d_name, &pid))
				continue;
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/%s", dir.buf, e->d_name);
			unlink(p.buf);
		}
		closedir(d);
	}
	strbuf_release(&dir);
	strbuf_release(&p);
}

void stats_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		long pid;
		struct strbuf p = STRBUF_INIT;
		if (!stats_file_name(e->d_name, &pid) || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		strbuf_addf(&p, "%s/%s", dir, e->d_name);
		rm_rf(p.buf);
		strbuf_release(&p);
	}
	closedir(d);
}

/* ---- cumulative ---- */

static const struct {
	const char *name;
	size_t off;
} cumul_fields[] = {
#define F(n, m) { n, offsetof(struct stats_cumul, m) }
	F("since", since),       F("runs", runs),          F("local_hit", local),   F("engine_hit", hit),
	F("built", miss),        F("incremental", incr),   F("failed", fail),       F("passed", pass),
	F("saved_us", saved_us), F("wrapper_us", wrapper_us), F("engine_us", engine_us), F("cpu_us", cpu_us),
	F("local_us", local_us), F("verified", verified), F("verify_mismatch", verify_mismatch),
#undef F
};

static long long *cumul_field(struct stats_cumul *c, size_t i)
{
	return (long long *)((char *)c + cumul_fields[i].off);
}

static void cumul_count(struct stats_cumul *c, const char *reason, long long n)
{
	int k = strvec_find(&c->reasons, reason);
	if (k < 0) {
		strvec_push(&c->reasons, reason);
		c->reason_nr = xrealloc(c->reason_nr, c->reasons.nr * sizeof(*c->reason_nr));
		k = (int)c->reasons.nr - 1;
		c->reason_nr[k] = 0;
	}
	c->reason_nr[k] += n;
}

static void cumul_parse(const char *text, struct stats_cumul *c)
{
	memset(c, 0, sizeof(*c));
	strvec_init(&c->reasons);
	for (const char *line = text; line && *line;) {
		const char *end = strchrnul(line, '\n'), *sp = memchr(line, ' ', (size_t)(end - line));
		if (sp && sp - line == 4 && !memcmp(line, "pass", 4)) {
			char *rest = xstrndup(sp + 1, (size_t)(end - sp - 1)), *r2 = strchr(rest, ' ');
			if (r2) {
				*r2 = '\0';
				cumul_count(c, r2 + 1, atoll(rest));
			}
			free(rest);
		} else if (sp) {
			for (size_t i = 0; i < ARRAY_SIZE(cumul_fields); i++)
				if ((size_t)(sp - line) == strlen(cumul_fields[i].name) &&
				    !memcmp(line, cumul_fields[i].name, (size_t)(sp - line)))
					*cumul_field(c, i) = atoll(sp + 1);
		}
		line = *end ? end + 1 : end;
	}
}

static void cumul_render(const struct stats_cumul *c, struct strbuf *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(cumul_fields); i++)
		strbuf_addf(out, "%s %lld\n", cumul_fields[i].name, *cumul_field((struct stats_cumul *)c, i));
	for (size_t i = 0; i < c->reasons.nr; i++)
		strbuf_addf(out, "pass %lld %s\n", c->reason_nr[i], c->reasons.v[i]);
}

static void cumul_path(struct strbuf *p)
{
	state_dir(p);
	strbuf_addstr(p, "/stats");
}

/* The file, locked (its lock file beside it, kept). -1 when it cannot be. */
static int cumul_lock(void)
{
	struct strbuf p = STRBUF_INIT;
	int fd;
	cumul_path(&p);
	strbuf_addstr(&p, ".lock");
	mkdir_parent(p.buf, 0755);
	fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		close(fd);
		fd = -1;
	}
	strbuf_release(&p);
	return fd;
}

void stats_cumul_read(struct stats_cumul *c)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	cumul_path(&p);
	strbuf_read_file(&text, p.buf);
	cumul_parse(text.buf, c);
	if (!c->since)
		c->since = (long long)time(NULL);
	strbuf_release(&p);
	strbuf_release(&text);
}

void stats_cumul_release(struct stats_cumul *c)
{
	strvec_clear(&c->reasons);
	free(c->reason_nr);
	c->reason_nr = NULL;
}

void stats_cumul_add(const struct stats *s)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	struct stats_cumul c;
	int fd = cumul_lock();
	if (fd < 0)
		return;
	stats_cumul_read(&c);
	c.runs++;
	c.local += s->local, c.hit += s->hit, c.miss += s->miss, c.incr += s->incr, c.fail += s->fail;
	c.pass += s->pass;
	c.saved_us += s->saved_us, c.wrapper_us += s->wrapper_us, c.engine_us += s->engine_us;
	c.cpu_us += s->cpu_us, c.local_us += s->local_us;
	c.verified += s->verified, c.verify_mismatch += (long long)s->mismatches.nr;
	for (size_t i = 0; i < s->passes.nr; i++)
		cumul_count(&c, s->passes.v[i], 1);
	cumul_render(&c, &text);
	cumul_path(&p);
	write_file_atomic(p.buf, text.buf, text.len, 0644);
	close(fd);
	stats_cumul_release(&c);
	strbuf_release(&p);
	strbuf_release(&text);
}

int stats_cumul_zero(void)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	struct stats_cumul c;
	int ret, fd = cumul_lock();
	cumul_parse("", &c);
	c.since = (long long)time(NULL);
	cumul_render(&c, &text);
	cumul_path(&p);
	ret = write_file_atomic(p.buf, text.buf, text.len, 0644);
	if (fd >= 0)
		close(fd);
	stats_cumul_release(&c);
	strbuf_release(&p);
	strbuf_release(&text);
	return ret;
}
