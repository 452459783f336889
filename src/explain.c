#include "explain.h"
#include "fs.h"
#include "hash.h"
#include "log.h"
#include "paths.h"
#include "rustc_args.h"
#include "sha256.h"
#include "store.h"
#include "util.h"
#include "banned.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define INPUTS_HEADER "cargo-green inputs 1\n"
/* More source files than this: one line for all of them (a whole workspace, .git and all). */
#define SRC_FILES_MAX 4096

/* The kinds of inputs, in report order. */
static const char *const kinds[] = { "target", "base", "feature", "flag", "env", "secret", "src", "dep", "stage" };

static int kind_rank(const char *line)
{
	size_t n = strcspn(line, "\t");
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strlen(kinds[i]) == n && !strncmp(line, kinds[i], n))
			return (int)i;
	return (int)ARRAY_SIZE(kinds);
}

/* Lines by kind (report order), then by name; the value last. */
static int line_cmp_key(const char *a, const char *b)
{
	int ra = kind_rank(a), rb = kind_rank(b);
	const char *na, *nb, *ea, *eb;
	size_t la, lb;
	int c;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	na = strchrnul(a, '\t');
	nb = strchrnul(b, '\t');
	na += !!*na;
	nb += !!*nb;
	ea = strchrnul(na, '\t');
	eb = strchrnul(nb, '\t');
	la = (size_t)(ea - na);
	lb = (size_t)(eb - nb);
	c = memcmp(na, nb, la < lb ? la : lb);
	return c ? c : la < lb ? -1 : la > lb;
}

static int line_qsort(const void *a, const void *b)
{
	int c = line_cmp_key(*(const char *const *)a, *(const char *const *)b);
	return c ? c : strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* s with cargo's hashes (16 hex digits after '-' or '=', as in -C
 * metadata=..., libx-HASH.rlib, build/x-HASH/out) as "*", and no tab or
 * newline. */
static void add_normalized(struct strbuf *out, const char *s)
{
	for (size_t i = 0; s[i]; i++) {
		if ((s[i] == '-' || s[i] == '=') && s[i + 1]) {
			size_t n = 0;
			while (n < 17 && s[i + 1 + n] && strchr("0123456789abcdef", s[i + 1 + n]))
				n++;
			if (n == 16 && !isalnum((unsigned char)s[i + 17])) {
				strbuf_addch(out, s[i]);
				strbuf_addch(out, '*');
				i += 16;
				continue;
			}
		}
		strbuf_addch(out, s[i] == '\t' || s[i] == '\n' ? ' ' : s[i]);
	}
}

/* 16 hex digits of the SHA-256 of len bytes at s. */
static void short_digest(const void *s, size_t len, char out[17])
{
	struct sha256 md;
	char hex[65];
	sha256_init(&md);
	sha256_update(&md, s, len);
	sha256_hex(&md, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
}

static void push_digest(struct strvec *out, const char *kind, const char *name, const char *value)
{
	struct strbuf n = STRBUF_INIT, v = STRBUF_INIT;
	char d[17];
	add_normalized(&n, name);
	add_normalized(&v, value);
	short_digest(v.buf, v.len, d);
	strvec_pushf(out, "%s\t%s\t%s", kind, n.buf, d);
	strbuf_release(&n);
	strbuf_release(&v);
}

static void push_plain(struct strvec *out, const char *kind, const char *name, const char *value)
{
	struct strbuf l = STRBUF_INIT;
	strbuf_addf(&l, "%s\t", kind);
	add_normalized(&l, name);
	strbuf_addch(&l, '\t');
	add_normalized(&l, value);
	strvec_push(out, l.buf);
	strbuf_release(&l);
}

static const char *env_value(const struct strvec *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; env && i < env->nr; i++)
		if (!strncmp(env->v[i], name, n) && env->v[i][n] == '=')
			return env->v[i] + n + 1;
	return NULL;
}

static int is_run(const struct explain_unit *u)
{
	return starts_with(u->id, "run-");
}

struct src_walk {
	struct strvec *out;
	size_t files;
};

static int src_one(const char *rel, const char *full, char kind, void *data)
{
	struct src_walk *w = data;
	struct stat st;
	char d[17];
	if (kind == 'd')
		return 0;
	if (++w->files > SRC_FILES_MAX)
		return -2;
	if (kind == 'l') {
		char target[4096];
		ssize_t n = readlink(full, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		short_digest(target, strlen(target), d);
		strvec_pushf(w->out, "src\t%s\tl%s", rel, d);
	} else if (kind == 'f' && lstat(full, &st) == 0) {
		struct sha256 md;
		char hex[65], buf[65536];
		ssize_t n = 0;
		int fd = open(full, O_RDONLY | O_CLOEXEC);
		sha256_init(&md);
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			sha256_update(&md, buf, (size_t)n);
		if (fd >= 0)
			close(fd);
		sha256_hex(&md, hex);
		strvec_pushf(w->out, "src\t%s\t%.16s%s", rel, fd < 0 || n < 0 ? "unreadable" : hex,
			     st.st_mode & 0111 ? "x" : "");
	} else {
		strvec_pushf(w->out, "src\t%s\tother", rel);
	}
	return 0;
}

/* Its source files, one line each, or one line for all of them (a
 * registry crate, which never changes: its identity; too many files).
 * The lines of a dir are kept with its content digest (store_dir_digest,
 * memoized on stat data: the key's computation just made it), under
 * explain-src/: a miss whose sources did not change (a dependency's key
 * did) hashes nothing again. */
static void src_inputs(const char *dir, struct strvec *out)
{
	struct strvec files = STRVEC_INIT;
	struct src_walk w = { &files, 0 };
	char digest[STORE_KEY_HEX], name[17];
	struct strbuf err = STRBUF_INIT, memo = STRBUF_INIT, text = STRBUF_INIT;
	const char *rest;
	if (store_dir_digest(dir, digest, &err) < 0) {
		strvec_push(out, "src\t*\tunreadable");
		goto out;
	}
	if (strstr(dir, "/registry/src/")) {
		strvec_pushf(out, "src\t*\t%.16s", digest);
		goto out;
	}
	hash_hex(dir, name);
	state_dir(&memo);
	strbuf_addf(&memo, "/explain-src/%s", name);
	/* memo: "DIGEST\n" then the lines */
	if (strbuf_read_file(&text, memo.buf) == 0 && text.len > 65 && !strncmp(text.buf, digest, 64) &&
	    text.buf[64] == '\n') {
		for (rest = text.buf + 65; *rest;) {
			const char *nl = strchrnul(rest, '\n');
			if (nl > rest)
				strvec_pushf(out, "%.*s", (int)(nl - rest), rest);
			rest = *nl ? nl + 1 : nl;
		}
		goto out;
	}
	if (tree_visit(dir, src_one, &w) != 0) {
		strvec_pushf(out, "src\t*\t%.16s", digest);
		goto out;
	}
	strbuf_reset(&text);
	strbuf_addf(&text, "%s\n", digest);
	for (size_t i = 0; i < files.nr; i++) {
		strvec_push(out, files.v[i]);
		strbuf_addf(&text, "%s\n", files.v[i]);
	}
	mkdir_parent(memo.buf, 0755);
	write_file_atomic(memo.buf, text.buf, text.len, 0644);
out:
	strvec_clear(&files);
	strbuf_release(&err);
	strbuf_release(&memo);
	strbuf_release(&text);
}

/* A compile's command: the target, its features, its flags but cargo's hashes. */
static void compile_inputs(const struct explain_unit *u, struct strvec *out, const char **target)
{
	struct rustc_args ra;
	if (u->argv->nr < 1) /* (not reached: a unit has a command) */
		return;
	rustc_args_parse(&ra, (int)u->argv->nr - 1, u->argv->v + 1);
	for (size_t i = 0; i < ra.nr; i++) {
		const struct rustc_arg *a = &ra.a[i];
		const char *v = a->value ? a->value : "", *rest;
		struct strbuf f = STRBUF_INIT;
		if (a->flag && !strcmp(a->flag, "--target") && a->value)
			*target = a->value;
		if (a->flag && !strcmp(a->flag, "--cfg") && skip_prefix(v, "feature=\"", &rest) && ends_with(rest, "\"")) {
			strbuf_add(&f, rest, strlen(rest) - 1);
			push_plain(out, "feature", f.buf, "on");
		} else if (!(a->flag && !strcmp(a->flag, "-C") &&
			     (starts_with(v, "metadata=") || starts_with(v, "extra-filename=")))) {
			strbuf_addf(&f, "%s%s%s", a->flag ? a->flag : "", a->flag && a->value ? " " : "", v);
			push_plain(out, "flag", f.buf, "-");
		}
		strbuf_release(&f);
	}
	rustc_args_release(&ra);
}

void explain_inputs(const struct explain_unit *u, struct strvec *out)
{
	const char *target = NULL, *id;
	size_t from = out->nr;
	char d[17];
	struct strbuf s = STRBUF_INIT;
	if (is_run(u)) {
		for (size_t i = 0; i < u->argv->nr; i++)
			push_plain(out, "flag", u->argv->v[i], "-");
		target = env_value(u->env, "TARGET");
	} else {
		compile_inputs(u, out, &target);
	}
	push_plain(out, "target", "-", target ? target : "host");
	add_normalized(&s, u->head);
	short_digest(s.buf, s.len, d);
	strbuf_reset(&s);
	strbuf_addf(&s, "%.24s.%s", skip_prefix(u->base_id, "sha256:", &id) ? id : u->base_id, d);
	push_plain(out, "base", "-", s.buf);
	for (size_t i = 0; u->env && i < u->env->nr; i++) {
		const char *e = u->env->v[i], *eq = strchr(e, '='), *rest;
		struct strbuf name = STRBUF_INIT;
		if (!eq)
			continue;
		strbuf_add(&name, e, (size_t)(eq - e));
		if (is_run(u) && !strcmp(name.buf, "CARGO_ENCODED_RUSTFLAGS")) {
			/* RUSTFLAGS as the build script sees them: flags (0x1f between them). */
			for (const char *f = eq + 1; *f;) {
				size_t n = strcspn(f, "\x1f");
				struct strbuf one = STRBUF_INIT;
				strbuf_addf(&one, "RUSTFLAGS %.*s", (int)n, f);
				push_plain(out, "flag", one.buf, "-");
				strbuf_release(&one);
				f += n + !!f[n];
			}
		} else if (is_run(u) && skip_prefix(name.buf, "CARGO_FEATURE_", &rest)) {
			struct strbuf f = STRBUF_INIT;
			for (; *rest; rest++)
				strbuf_addch(&f, *rest == '_' ? '-' : tolower((unsigned char)*rest));
			push_plain(out, "feature", f.buf, "on");
			strbuf_release(&f);
		} else {
			push_digest(out, "env", name.buf, eq + 1);
		}
		strbuf_release(&name);
	}
	for (size_t i = 0; u->secrets && i < u->secrets->nr; i++) {
		const char *c = strchr(u->secrets->v[i], ':');
		struct strbuf name = STRBUF_INIT;
		strbuf_add(&name, u->secrets->v[i], c ? (size_t)(c - u->secrets->v[i]) : strlen(u->secrets->v[i]));
		push_plain(out, "secret", name.buf, c ? c + 1 : "-");
		strbuf_release(&name);
	}
	if (u->ctx_dir)
		src_inputs(u->ctx_dir, out);
	for (size_t i = 0; u->deps && i < u->deps->nr; i++) {
		const char *tab = strchr(u->deps->v[i], '\t');
		struct strbuf name = STRBUF_INIT;
		if (!tab)
			continue;
		strbuf_add(&name, u->deps->v[i], (size_t)(tab - u->deps->v[i]));
		strvec_pushf(out, "dep\t%s\t%.16s", name.buf, tab + 1);
		strbuf_release(&name);
	}
	strbuf_reset(&s);
	add_normalized(&s, u->stage);
	short_digest(s.buf, s.len, d);
	strvec_pushf(out, "stage\t-\t%s", d);
	qsort(out->v + from, out->nr - from, sizeof(*out->v), line_qsort);
	strbuf_release(&s);
}

/* s as a file name's part: letters, digits, '-' and '_'. */
static void add_file_safe(struct strbuf *out, const char *s)
{
	for (; *s; s++)
		strbuf_addch(out, isalnum((unsigned char)*s) || *s == '-' || *s == '_' ? *s : '_');
}

void explain_group(const struct explain_unit *u, struct strbuf *group, struct strbuf *shown)
{
	const char *pkg = env_value(u->env, "CARGO_PKG_NAME"), *kind = "run", *crate = "run";
	struct rustc_args ra = { 0 };
	int parsed = 0;
	if (!pkg)
		pkg = u->id;
	if (!is_run(u) && u->argv->nr >= 1) {
		rustc_args_parse(&ra, (int)u->argv->nr - 1, u->argv->v + 1);
		parsed = 1;
		crate = ra.crate_name ? ra.crate_name : "unknown";
		kind = ra.crate_types.nr ? ra.crate_types.v[0] : "lib";
		for (size_t i = 0; i < ra.nr; i++)
			if (ra.a[i].flag && !strcmp(ra.a[i].flag, "--test"))
				kind = "test";
		if (rustc_args_is_build_script(&ra))
			kind = "build-script";
	}
	add_file_safe(group, pkg);
	strbuf_addch(group, '.');
	add_file_safe(group, crate);
	strbuf_addch(group, '.');
	add_file_safe(group, kind);
	strbuf_addf(shown, "%s (%s)", pkg,
		    !strcmp(kind, "run") ? "build script run" : !strcmp(kind, "build-script") ? "build script" : kind);
	if (parsed)
		rustc_args_release(&ra);
}

/* ---- comparing ---- */

static void split(const char *line, struct strbuf *kind, struct strbuf *name, struct strbuf *value)
{
	const char *t1 = strchrnul(line, '\t'), *t2 = *t1 ? strchrnul(t1 + 1, '\t') : t1;
	strbuf_reset(kind);
	strbuf_reset(name);
	strbuf_reset(value);
	strbuf_add(kind, line, (size_t)(t1 - line));
	if (*t1)
		strbuf_add(name, t1 + 1, (size_t)(t2 - t1 - 1));
	if (*t2)
		strbuf_addstr(value, t2 + 1);
}

enum change { ADDED, REMOVED, CHANGED };

static void describe(const char *line, const char *then_value, enum change ch, struct strbuf *out)
{
	struct strbuf k = STRBUF_INIT, n = STRBUF_INIT, v = STRBUF_INIT;
	static const char *const state[] = { "added", "removed", "changed" };
	split(line, &k, &n, &v);
	if (!strcmp(k.buf, "target"))
		strbuf_addf(out, "the target (%s, was %s)", v.buf, then_value ? then_value : "?");
	else if (!strcmp(k.buf, "base"))
		strbuf_addstr(out, "the base image (another image, or another Dockerfile head)");
	else if (!strcmp(k.buf, "feature"))
		strbuf_addf(out, "feature %s (%s)", n.buf, ch == ADDED ? "on, was off" : "off, was on");
	else if (!strcmp(k.buf, "flag"))
		strbuf_addf(out, "rustc flag '%s' (%s)", n.buf, state[ch]);
	else if (!strcmp(k.buf, "env"))
		strbuf_addf(out, "env %s (%s)", n.buf,
			    ch == ADDED ? "set, was unset" : ch == REMOVED ? "unset, was set" : "another value");
	else if (!strcmp(k.buf, "secret"))
		strbuf_addf(out, "secret %s (%s)", n.buf, ch == CHANGED ? "another value" : state[ch]);
	else if (!strcmp(k.buf, "src") && !strcmp(n.buf, "*"))
		strbuf_addstr(out, "its sources (as a whole)");
	else if (!strcmp(k.buf, "src"))
		strbuf_addf(out, "source file %s (%s)", n.buf, state[ch]);
	else if (!strcmp(k.buf, "dep"))
		strbuf_addf(out, "dependency %s (%s)", n.buf, ch == CHANGED ? "its key changed" : state[ch]);
	else
		strbuf_addstr(out, "its stage text (a setting such as the network, a mount or the workdir)");
	strbuf_release(&k);
	strbuf_release(&n);
	strbuf_release(&v);
}

static const char *value_of(const char *line)
{
	const char *t = strchr(line, '\t');
	t = t ? strchr(t + 1, '\t') : NULL;
	return t ? t + 1 : "";
}

int explain_diff(const struct strvec *now, const struct strvec *then, struct strbuf *first)
{
	size_t i = 0, j = 0;
	int count = 0;
	while (i < now->nr || j < then->nr) {
		int c = i >= now->nr ? 1 : j >= then->nr ? -1 : line_cmp_key(now->v[i], then->v[j]);
		if (c == 0 && !strcmp(value_of(now->v[i]), value_of(then->v[j]))) {
			i++, j++;
			continue;
		}
		/* The stage text holds the environment and the command too: it
		 * counts only when nothing itemized differs. */
		if (count && kind_rank(c > 0 ? then->v[j] : now->v[i]) == (int)ARRAY_SIZE(kinds) - 1) {
			if (c <= 0)
				i++;
			if (c >= 0)
				j++;
			continue;
		}
		if (!count++)
			describe(c > 0 ? then->v[j] : now->v[i], c == 0 ? value_of(then->v[j]) : NULL,
				 c < 0 ? ADDED : c > 0 ? REMOVED : CHANGED, first);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return count;
}

/* ---- the notes ---- */

static void group_dir(const char *group, struct strbuf *out)
{
	state_dir(out);
	strbuf_addf(out, "/explain/%s", group);
}

static int is_key_name(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n == 64 && !s[n];
}

/* The input lines of a note file into out (cleared). 0, or -1. */
static int read_note(const char *path, struct strvec *out)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	strvec_clear(out);
	if (strbuf_read_file(&sb, path) < 0 || !skip_prefix(sb.buf, INPUTS_HEADER, &p)) {
		strbuf_release(&sb);
		return -1;
	}
	while (*p) {
		const char *nl = strchrnul(p, '\n');
		if (nl > p)
			strvec_pushf(out, "%.*s", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
	strbuf_release(&sb);
	return 0;
}

/* "N min" then suffix ("ago", "before"). */
static void add_span(struct strbuf *out, long long secs, const char *suffix)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		strbuf_addf(out, "%lld s %s", secs, suffix);
	else if (secs < 7200)
		strbuf_addf(out, "%lld min %s", secs / 60, suffix);
	else if (secs < 172800)
		strbuf_addf(out, "%lld h %s", secs / 3600, suffix);
	else
		strbuf_addf(out, "%lld days %s", secs / 86400, suffix);
}

static void add_ago(struct strbuf *out, long long secs)
{
	add_span(out, secs, "ago");
}

/* The time of an earlier build as the explanation says it: before the miss
 * (the line is shown later too, by supergreen explain). */
static void add_before(struct strbuf *out, long long secs)
{
	strbuf_addstr(out, "made ");
	add_span(out, secs, "before");
}

struct note {
	char *name;
	long long mtime;  /* seconds, as said */
	long long mtime_ns; /* to order builds made within the same second */
};

static int note_newest_first(const void *a, const void *b)
{
	const struct note *x = a, *y = b;
	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns > y->mtime_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

void explain_miss(const char *group, const char *shown, const char *key, const struct strvec *inputs,
		  struct strbuf *out)
{
	struct strbuf dir = STRBUF_INIT, p = STRBUF_INIT, first = STRBUF_INIT, best_first = STRBUF_INIT;
	struct strvec then = STRVEC_INIT;
	struct note *notes = NULL;
	size_t nr = 0, alloc = 0, best = 0;
	int best_count = -1, same = 0;
	DIR *d;
	struct dirent *e;
	long long now = (long long)time(NULL);

	group_dir(group, &dir);
	if ((d = opendir(dir.buf))) {
		while ((e = readdir(d))) {
			struct stat st;
			if (!is_key_name(e->d_name))
				continue;
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/%s", dir.buf, e->d_name);
			if (stat(p.buf, &st) < 0)
				continue;
			if (nr == alloc)
				notes = xrealloc(notes, (alloc = alloc ? 2 * alloc : 16) * sizeof(*notes));
			notes[nr].name = xstrdup(e->d_name);
			notes[nr].mtime = (long long)st.st_mtime;
			notes[nr++].mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		}
		closedir(d);
	}
	if (nr)
		qsort(notes, nr, sizeof(*notes), note_newest_first);
	for (size_t i = 0; i < nr; i++) {
		int count;
		if (!strcmp(notes[i].name, key)) {
			same = 1; /* its own inputs: the closest there is */
			best = i;
			break;
		}
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", dir.buf, notes[i].name);
		if (read_note(p.buf, &then) < 0)
			continue;
		strbuf_reset(&first);
		count = explain_diff(inputs, &then, &first);
		if (best_count < 0 || count < best_count) {
			best_count = count;
			best = i;
			strbuf_reset(&best_first);
			strbuf_addbuf(&best_first, &first);
		}
	}
	strbuf_addf(out, "%s: ", shown);
	if (!same && best_count < 0) {
		strbuf_addstr(out, "a first build (no earlier build of it noted)");
	} else if (same) {
		strbuf_addf(out, "its inputs are those of an earlier build (%.12s, ", key);
		add_before(out, now - notes[best].mtime);
		strbuf_addstr(out, "), whose entry is not in the local store (that build failed, or its entry was removed, evicted or damaged)");
	} else if (best_count == 0) {
		strbuf_addf(out, "only cargo's hash of the unit (-C metadata) differs from its closest earlier build (%.12s, ",
			    notes[best].name);
		add_before(out, now - notes[best].mtime);
		strbuf_addstr(out, "): something cargo hashes changed, such as the profile or a dependency's version");
	} else {
		strbuf_addf(out, "%s differs from its closest earlier build (%.12s, ", best_first.buf, notes[best].name);
		add_before(out, now - notes[best].mtime);
		if (best_count > 1)
			strbuf_addf(out, "; %d inputs differ", best_count);
		strbuf_addch(out, ')');
	}

	/* Its own note, the oldest beyond EXPLAIN_KEEP gone, the explanation kept. */
	strbuf_reset(&p);
	strbuf_addstr(&p, INPUTS_HEADER);
	for (size_t i = 0; i < inputs->nr; i++)
		strbuf_addf(&p, "%s\n", inputs->v[i]);
	{
		struct strbuf path = STRBUF_INIT, last = STRBUF_INIT;
		strbuf_addf(&path, "%s/%s", dir.buf, key);
		mkdir_p(dir.buf, 0755);
		if (write_file_atomic(path.buf, p.buf, p.len, 0644) < 0)
			LOG(LOG_WARN, "cannot write '%s': %s", path.buf, strerror(errno));
		for (size_t i = EXPLAIN_KEEP - 1; i < nr; i++) {
			if (!strcmp(notes[i].name, key))
				continue;
			strbuf_reset(&path);
			strbuf_addf(&path, "%s/%s", dir.buf, notes[i].name);
			unlink(path.buf);
		}
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/last", dir.buf);
		strbuf_addf(&last, "%lld\t%s\n", now, out->buf);
		write_file_atomic(path.buf, last.buf, last.len, 0644);
		strbuf_release(&path);
		strbuf_release(&last);
	}
	for (size_t i = 0; i < nr; i++)
		free(notes[i].name);
	free(notes);
	strvec_clear(&then);
	strbuf_release(&dir);
	strbuf_release(&p);
	strbuf_release(&first);
	strbuf_release(&best_first);
}

/* Does group (package.crate.kind) belong to crate? '-' and '_' alike. */
static int group_matches(const char *group, const char *crate)
{
	const char *dot = strchr(group, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
	const char *parts[2][2] = { { group, dot }, { dot ? dot + 1 : NULL, dot2 } };
	size_t n = strlen(crate);
	if (!dot || !dot2)
		return 0;
	for (int i = 0; i < 2; i++) {
		size_t len = (size_t)(parts[i][1] - parts[i][0]), k;
		if (len != n)
			continue;
		for (k = 0; k < n; k++) {
			char a = parts[i][0][k] == '-' ? '_' : parts[i][0][k], b = crate[k] == '-' ? '_' : crate[k];
			if (a != b)
				break;
		}
		if (k == n)
			return 1;
	}
	return 0;
}

int explain_show(const char *crate, struct strbuf *out)
{
	struct strbuf dir = STRBUF_INIT, p = STRBUF_INIT, text = STRBUF_INIT;
	struct strvec lines = STRVEC_INIT;
	long long now = (long long)time(NULL);
	int ret;
	DIR *d;
	struct dirent *e;
	state_dir(&dir);
	strbuf_addstr(&dir, "/explain");
	if ((d = opendir(dir.buf))) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.' || (crate && !group_matches(e->d_name, crate)))
				continue;
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/%s/last", dir.buf, e->d_name);
			strbuf_reset(&text);
			if (strbuf_read_file(&text, p.buf) == 0 && strchr(text.buf, '\t')) {
				strbuf_rtrim(&text);
				/* "TIME\tTEXT": sorted by time (same width for centuries to come) */
				strvec_pushf(&lines, "%020lld%s", atoll(text.buf), strchr(text.buf, '\t'));
			}
		}
		closedir(d);
	}
	strvec_sort(&lines);
	for (size_t i = 0; i < lines.nr; i++) {
		const char *tab = strchr(lines.v[i], '\t');
		strbuf_addf(out, "%s (", tab + 1);
		add_ago(out, now - atoll(lines.v[i]));
		strbuf_addstr(out, ")\n");
	}
	ret = lines.nr ? 0 : -1;
	strbuf_release(&dir);
	strbuf_release(&p);
	strbuf_release(&text);
	strvec_clear(&lines);
	return ret;
}
