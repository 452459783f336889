#include "final.h"
#include "config.h"
#include "exitcode.h"
#include "internal.h"
#include "paths.h"
#include "sha256.h"
#include "stage.h"
#include "strvec.h"
#include "unit.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int wanted(const struct config *cfg)
{
	return cfg_get(cfg, S_FINAL_PATH) && getenv(FINAL_LIST_ENV) && *getenv(FINAL_LIST_ENV) &&
	       (cfg->cargo.primary_package || cfg->final_path_nonprimary);
}

/* One line, appended in one write (O_APPEND): concurrent wrappers do not interleave. */
static void append_line(const char *line, size_t len)
{
	int fd = open(getenv(FINAL_LIST_ENV), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, len) < 0) {
		/* the file then lacks this unit: nothing else to do from a wrapper */
	}
	close(fd);
}

/* Where the stash dir keeps the copy of the record at path: DIR/SHA256(path).green. */
static void stash_name(const char *dir, const char *path, struct strbuf *out)
{
	struct sha256 h;
	char hex[65];
	sha256_init(&h);
	sha256_update(&h, path, strlen(path));
	sha256_hex(&h, hex);
	strbuf_addf(out, "%s/%s.green", dir, hex);
}

/* Copy the record at path and those of its closure into the stash dir
 * (cargo install removes its target dir before the plugin renders). */
static void stash_closure(const char *dir, const char *path, struct strvec *seen, int depth)
{
	struct strbuf name = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT;
	struct unit u = UNIT_INIT;
	if (strvec_find(seen, path) >= 0 || depth > 10000)
		return;
	strvec_push(seen, path);
	stash_name(dir, path, &name);
	if (strbuf_read_file(&text, path) == 0 && unit_read(&u, path, &err) == 0) {
		if (access(name.buf, F_OK))
			write_file_atomic(name.buf, text.buf, text.len, 0644);
		for (size_t i = 0; i < u.deps.nr; i++)
			stash_closure(dir, u.deps.v[i], seen, depth + 1);
	}
	unit_release(&u);
	strbuf_release(&name);
	strbuf_release(&text);
	strbuf_release(&err);
}

void final_note(const struct config *cfg, const struct unit *u, const char *record, int code, const char *bin_ct,
		const char *bin_name)
{
	struct strbuf sb = STRBUF_INIT, failed = STRBUF_INIT, err = STRBUF_INIT;
	if (!wanted(cfg) || !record || strchr(record, '\t') || strchr(record, '\n'))
		return;
	if (code) {
		if (!u->id || !u->stage)
			return; /* it stopped before its stage was made */
		strbuf_addf(&failed, "%s.failed", record);
		if (unit_write(u, failed.buf, &err) < 0) {
			strbuf_release(&failed);
			strbuf_release(&err);
			return;
		}
		record = failed.buf;
		bin_ct = NULL;
	}
	strbuf_addf(&sb, "unit\t%s\t%s\t%s\n", record, bin_ct ? bin_ct : "", bin_ct && bin_name ? bin_name : "");
	{
		struct strbuf dir = STRBUF_INIT;
		struct strvec seen = STRVEC_INIT;
		strbuf_addf(&dir, "%s.d", getenv(FINAL_LIST_ENV));
		mkdir(dir.buf, 0755);
		stash_closure(dir.buf, record, &seen, 0);
		strvec_clear(&seen);
		strbuf_release(&dir);
	}
	strbuf_release(&failed);
	strbuf_release(&err);
	append_line(sb.buf, sb.len);
	strbuf_release(&sb);
}

void final_note_local(const struct config *cfg, const char *id)
{
	struct strbuf sb = STRBUF_INIT;
	if (!wanted(cfg))
		return;
	strbuf_addf(&sb, "local\t%s\n", id);
	append_line(sb.buf, sb.len);
	strbuf_release(&sb);
}

int final_path_check(const char *v, struct strbuf *why)
{
	struct stat st;
	char *dir;
	const char *slash;
	int ret = 0;
	if (!strcmp(v, "-")) {
		strbuf_addstr(why, "'-' (stdout) is not supported: give a file's absolute path");
		return -1;
	}
	if (v[0] != '/' || strchr(v, '\n')) {
		strbuf_addstr(why, v[0] != '/' ? "the path must be absolute" : "a path cannot hold a newline");
		return -1;
	}
	if (!stat(v, &st) && S_ISDIR(st.st_mode)) {
		strbuf_addstr(why, "it is a directory: name a file in it");
		return -1;
	}
	slash = strrchr(v, '/');
	dir = slash == v ? xstrdup("/") : xstrndup(v, (size_t)(slash - v));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		strbuf_addf(why, "its directory %s does not exist", dir);
		ret = -1;
	} else if (access(dir, W_OK) < 0 || (!access(v, F_OK) && access(v, W_OK) < 0)) {
		strbuf_addstr(why, "it cannot be written (permissions)");
		ret = -1;
	}
	free(dir);
	return ret;
}

/* path relative to dir, both absolute and normalized: "." when equal. */
static void relative_to(const char *dir, const char *path, struct strbuf *out)
{
	const char *rest = path_under(path, dir);
	size_t common = 0;
	if (rest) {
		strbuf_addstr(out, *rest ? rest + 1 : ".");
		return;
	}
	/* The longest common prefix ending at a component boundary. */
	for (size_t i = 0; dir[i] && dir[i] == path[i]; i++)
		if (dir[i] == '/')
			common = i;
	for (const char *p = dir + common; *p; p++)
		if (*p == '/' && p[1])
			strbuf_addstr(out, "../");
	strbuf_addstr(out, path + common + 1);
}

/* The checksum of crates.io's NAME-VERSION (dirname) in a Cargo.lock, into sum,
 * with its name and version. 0 if found. */
static int lock_find(const char *lock, const char *dirname, struct strbuf *name, struct strbuf *version,
		     struct strbuf *sum)
{
	struct strbuf n = STRBUF_INIT, v = STRBUF_INIT, src = STRBUF_INIT, ck = STRBUF_INIT, key = STRBUF_INIT;
	const char *p = lock;
	int found = -1;
	for (;;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		int end = !eol || *p == '[';
		if (end && n.len) {
			strbuf_reset(&key);
			strbuf_addf(&key, "%s-%s", n.buf, v.buf);
			if (!strcmp(key.buf, dirname) && ck.len &&
			    (!strcmp(src.buf, "registry+https://github.com/rust-lang/crates.io-index") ||
			     !strcmp(src.buf, "sparse+https://index.crates.io/"))) {
				strbuf_addbuf(name, &n);
				strbuf_addbuf(version, &v);
				strbuf_addbuf(sum, &ck);
				found = 0;
				break;
			}
			strbuf_reset(&n);
			strbuf_reset(&v);
			strbuf_reset(&src);
			strbuf_reset(&ck);
		}
		if (!eol)
			break;
		{
			struct { const char *k; struct strbuf *sb; } fields[] = {
				{ "name = \"", &n }, { "version = \"", &v }, { "source = \"", &src }, { "checksum = \"", &ck } };
			for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
				size_t kl = strlen(fields[i].k);
				if (len > kl && !strncmp(p, fields[i].k, kl) && p[len - 1] == '"') {
					strbuf_reset(fields[i].sb);
					strbuf_add(fields[i].sb, p + kl, len - kl - 1);
				}
			}
		}
		p = eol + 1;
	}
	strbuf_release(&n);
	strbuf_release(&v);
	strbuf_release(&src);
	strbuf_release(&ck);
	strbuf_release(&key);
	return found;
}

/* A crates.io crate not in the lock file (the package cargo install builds):
 * its name and version from its extracted Cargo.toml, its checksum the
 * SHA-256 of the .crate cargo downloaded (and checked against the index)
 * into CARGO_HOME/registry/cache. rest: INDEX-DIR/NAME-VERSION under
 * registry/src. 0 if found. */
static int cache_find(const char *cargo_home, const char *rest, struct strbuf *name, struct strbuf *version,
		      struct strbuf *sum)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT, key = STRBUF_INIT;
	const char *pkg, *dirname = path_basename(rest);
	struct sha256 h;
	char hex[65];
	int ret = -1;
	if (!starts_with(rest, "index.crates.io-") && !starts_with(rest, "github.com-1ecc6299db9ec823/"))
		return -1;
	strbuf_addf(&p, "%s/registry/src/%s/Cargo.toml", cargo_home, rest);
	strbuf_addch(&text, '\n'); /* [package] may open the file */
	if (strbuf_read_file(&text, p.buf) < 0 || !(pkg = strstr(text.buf, "\n[package]\n")))
		goto out;
	for (const char *l = pkg + strlen("\n[package]\n"); *l && *l != '[';) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		if (len > 8 && starts_with(l, "name = \"") && l[len - 1] == '"' && !name->len)
			strbuf_add(name, l + 8, len - 9);
		else if (len > 11 && starts_with(l, "version = \"") && l[len - 1] == '"' && !version->len)
			strbuf_add(version, l + 11, len - 12);
		if (!eol)
			break;
		l = eol + 1;
	}
	strbuf_addf(&key, "%s-%s", name->buf, version->buf);
	if (strcmp(key.buf, dirname))
		goto out;
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/registry/cache/%.*s/%s.crate", cargo_home, (int)(dirname - 1 - rest), rest, dirname);
	strbuf_reset(&text);
	if (strbuf_read_file(&text, p.buf) < 0)
		goto out;
	sha256_init(&h);
	sha256_update(&h, text.buf, text.len);
	sha256_hex(&h, hex);
	strbuf_addstr(sum, hex);
	ret = 0;
out:
	if (ret) {
		strbuf_reset(name);
		strbuf_reset(version);
	}
	strbuf_release(&p);
	strbuf_release(&text);
	strbuf_release(&key);
	return ret;
}

static int hex64(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

/* closure_collect, each record read from the stash when there is one. */
static int visit(struct closure *c, const char *stash, const char *path, int depth, struct strbuf *err)
{
	struct unit u = UNIT_INIT;
	struct strbuf name = STRBUF_INIT;
	int ret;
	if (strvec_find(&c->paths, path) >= 0)
		return 0;
	if (depth > 10000) {
		strbuf_addf(err, "dependency cycle through '%s'", path);
		return -1;
	}
	if (stash)
		stash_name(stash, path, &name);
	ret = unit_read(&u, stash && !access(name.buf, F_OK) ? name.buf : path, err);
	strbuf_release(&name);
	if (ret < 0)
		return -1;
	for (size_t i = 0; i < u.deps.nr; i++)
		if (visit(c, stash, u.deps.v[i], depth + 1, err) < 0) {
			unit_release(&u);
			return -1;
		}
	c->units = xrealloc(c->units, (c->nr + 1) * sizeof(*c->units));
	c->units[c->nr++] = u;
	strvec_push(&c->paths, path);
	return 0;
}

static int collect(struct closure *c, const char *stash, const struct strvec *roots, struct strbuf *err)
{
	for (size_t i = 0; i < roots->nr; i++)
		if (visit(c, stash, roots->v[i], 0, err) < 0)
			return -1;
	return 0;
}

/* A crate's NAME-VERSION as a stage name's end: lowercase (crates.io's
 * names are unique without case), a version's build metadata '+' as '_'
 * (which no version holds): toml-1.1.8+spec-1.1.0 -> toml-1.1.8_spec-1.1.0. */
static void stage_suffix(const char *dirname, struct strbuf *out)
{
	for (const char *p = dirname; *p; p++)
		strbuf_addch(out, *p == '+' ? '_' : (*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
}

/* The sources of the closure's units, each once: a crates.io crate as two
 * stages (crate-NAME-VERSION fetches the .crate by its checksum and unpacks
 * it, src-NAME-VERSION is its tree), any other as one named context (the
 * first unit's name, given in the closing comment) for all the units whose
 * sources come from the same directory. renames gets "CTX-NAME\tSHARED" for
 * each unit's context (a crate's lib, build script and its run have three). */
static void render_sources(const struct final_in *in, const struct closure *cl, const char *lock, const char *ws,
			   struct strbuf *srcs, struct strbuf *contexts, struct strvec *renames)
{
	struct strvec origins = STRVEC_INIT, shared = STRVEC_INIT, crates = STRVEC_INIT;
	struct strbuf reg = STRBUF_INIT;
	strbuf_addf(&reg, "%s/registry/src/", CT_CARGO_HOME);
	for (size_t i = 0; i < cl->nr; i++) {
		const struct unit *u = &cl->units[i];
		struct strbuf name = STRBUF_INIT, version = STRBUF_INIT, sum = STRBUF_INIT, stage = STRBUF_INIT,
			      origin = STRBUF_INIT, suffix = STRBUF_INIT;
		const char *dirname;
		int k;
		if (!u->ctx_name || !u->ctx_origin || !u->ctx_mount)
			continue;
		dirname = path_basename(u->ctx_mount);
		if (starts_with(u->ctx_mount, reg.buf) &&
		    ((lock && !lock_find(lock, dirname, &name, &version, &sum)) ||
		     !cache_find(in->cargo_home, u->ctx_mount + reg.len, &name, &version, &sum)) && hex64(sum.buf) &&
		    stage_word_safe(name.buf) && stage_word_safe(version.buf) &&
		    (stage_suffix(dirname, &suffix), strbuf_addf(&stage, "crate-%s", suffix.buf), stage_id_valid(stage.buf))) {
			if (strvec_find(&crates, stage.buf) < 0) {
				strvec_push(&crates, stage.buf);
				strbuf_addf(srcs,
					    "FROM rust-base AS %s\n"
					    "ADD --checksum=sha256:%s https://static.crates.io/crates/%s/%s-%s.crate /green-crate.tar.gz\n"
					    "RUN mkdir /green-src && tar -xzf /green-crate.tar.gz -C /green-src\n"
					    "FROM scratch AS src-%s\n"
					    "COPY --link --from=%s /green-src/%s/ /\n",
					    stage.buf, sum.buf, name.buf, name.buf, version.buf, suffix.buf, stage.buf, dirname);
			}
			strvec_pushf(renames, "%s\tsrc-%s", u->ctx_name, suffix.buf);
		} else if (strbuf_addf(&origin, "%s\t%d", u->ctx_origin, u->ctx_full),
			   (k = strvec_find(&origins, origin.buf)) >= 0) {
			strvec_pushf(renames, "%s\t%s", u->ctx_name, shared.v[k]);
		} else {
			struct strbuf rel = STRBUF_INIT;
			const char *home_rest = path_under(u->ctx_origin, in->cargo_home);
			strvec_push(&origins, origin.buf);
			strvec_push(&shared, u->ctx_name);
			if (home_rest) {
				strbuf_addstr(&rel, "${CARGO_HOME:-$HOME/.cargo}");
				strbuf_add_shquoted(&rel, home_rest);
			} else if (ws) {
				struct strbuf r = STRBUF_INIT;
				relative_to(ws, u->ctx_origin, &r);
				strbuf_add_shquoted(&rel, r.buf);
				strbuf_release(&r);
			} else {
				strbuf_add_shquoted(&rel, u->ctx_origin);
			}
			strbuf_addf(contexts, "#     --build-context %s=%s \\\n", u->ctx_name, rel.buf);
			strvec_pushf(renames, "%s\t%s", u->ctx_name, u->ctx_name);
			strbuf_release(&rel);
		}
		strbuf_release(&name);
		strbuf_release(&version);
		strbuf_release(&sum);
		strbuf_release(&stage);
		strbuf_release(&origin);
		strbuf_release(&suffix);
	}
	strvec_clear(&origins);
	strvec_clear(&shared);
	strvec_clear(&crates);
	strbuf_release(&reg);
}

static int ends_with_n(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* A unit's stage text into out, its RUN's source mounts naming the shared
 * stages (renames: "CTX-NAME\tSHARED"). Only the RUN's option lines are
 * read, never its script: stage_render puts each mount on a line of its own
 * between "RUN " and the heredoc's opener, and no script line starts with a value. */
static void rename_mounts(const char *stage, const struct strvec *renames, struct strbuf *out)
{
	static const char mount[] = "  --mount=type=bind,from=", opener[] = " <<'" STAGE_HEREDOC "'";
	int in_run = 0;
	for (const char *p = stage; *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p + 1) : strlen(p);
		const char *name = p + strlen(mount), *comma;
		if (starts_with(p, "RUN "))
			in_run = 1;
		if (in_run && starts_with(p, mount) && (comma = memchr(name, ',', len - strlen(mount)))) {
			const char *to = NULL;
			for (size_t i = 0; i < renames->nr && !to; i++) {
				const char *tab = strchr(renames->v[i], '\t');
				if ((size_t)(tab - renames->v[i]) == (size_t)(comma - name) &&
				    !strncmp(renames->v[i], name, (size_t)(comma - name)))
					to = tab + 1;
			}
			strbuf_add(out, p, (size_t)(name - p));
			if (to)
				strbuf_addstr(out, to);
			else
				strbuf_add(out, name, (size_t)(comma - name));
			strbuf_add(out, comma, len - (size_t)(comma - p));
		} else {
			strbuf_add(out, p, len);
		}
		if (in_run && ends_with_n(p, len - (eol ? 1 : 0), opener))
			in_run = 0;
		p += len;
	}
}

struct listed {
	char *record, *bin_ct, *bin_name;
};

static int cmp_listed(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	return strcmp(x->record, y->record);
}

/* The stage a line's "--from=NAME" or "from=NAME," names (NAME into name), else 0. */
static int next_ref(const char **p, const char *end, struct strbuf *name)
{
	const char *f;
	while (*p < end && (f = memmem(*p, (size_t)(end - *p), "from=", 5))) {
		const char *v = f + 5, *e = v;
		int word = f == *p || f[-1] == ' ' || f[-1] == ',' || f[-1] == '-';
		while (e < end && *e != ' ' && *e != ',' && *e != '\\')
			e++;
		*p = e;
		if (word && e > v) {
			strbuf_reset(name);
			strbuf_add(name, v, (size_t)(e - v));
			return 1;
		}
	}
	return 0;
}

/* What the file says (and the plugin once on stderr) when its graph is that large. */
#define FINAL_BIG_GRAPH                                                                                              \
	"its stages reach each other by so many paths that BuildKit before 0.14 (Docker before 27) does not get past " \
	"its Dockerfile frontend (it searches them without memory, once for each stage): build it with Docker >= 27; "   \
	"on an older engine a first line `# syntax=docker/dockerfile:1.8` "                                               \
	"(CARGOGREEN_SYNTAX_IMAGE=docker-image://docker.io/docker/dockerfile:1.8) gets past that search, but BuildKit "   \
	"0.13 takes at most 4 MiB of build graph from a frontend image, about a 1 MB Dockerfile"

/* A Dockerfile's stages and their references: refs[i] holds stage i's,
 * as indexes of earlier stages (a stage can only name those). */
struct graph {
	struct strvec names;
	struct strvec *refs;
	size_t nr;
};

static void graph_ref(struct graph *g, const char *name)
{
	for (size_t i = 0; i + 1 < g->nr; i++)
		if (!strcmp(g->names.v[i], name)) {
			struct strbuf n = STRBUF_INIT;
			strbuf_addf(&n, "%zu", i);
			if (strvec_find(&g->refs[g->nr - 1], n.buf) < 0)
				strvec_push(&g->refs[g->nr - 1], n.buf);
			strbuf_release(&n);
			return;
		}
}

/* FROM BASE AS NAME: a new stage, referencing BASE when that is one. */
static void graph_stage(struct graph *g, const char *line, const char *end)
{
	const char *as = NULL;
	struct strbuf name = STRBUF_INIT;
	for (const char *q = line; q + 4 <= end; q++)
		if (!memcmp(q, " AS ", 4))
			as = q + 4;
	if (as)
		strbuf_add(&name, as, (size_t)(end - as));
	strvec_push(&g->names, name.buf);
	g->refs = xrealloc(g->refs, (g->nr + 1) * sizeof(*g->refs));
	strvec_init(&g->refs[g->nr++]);
	strbuf_reset(&name);
	strbuf_add(&name, line + 5, strcspn(line + 5, " \n"));
	graph_ref(g, name.buf);
	strbuf_release(&name);
}

static void graph_parse(struct graph *g, const char *text)
{
	struct strbuf name = STRBUF_INIT, heredoc = STRBUF_INIT;
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n'), *p = line, *h;
		if (heredoc.len) {
			if ((size_t)(end - line) == heredoc.len && !memcmp(line, heredoc.buf, heredoc.len))
				strbuf_reset(&heredoc);
		} else if (!strncmp(line, "FROM ", 5)) {
			graph_stage(g, line, end);
		} else if (g->nr) {
			while (next_ref(&p, end, &name))
				graph_ref(g, name.buf);
			if ((h = memmem(line, (size_t)(end - line), "<<'", 3)) && (p = memchr(h + 3, '\'', (size_t)(end - h - 3))))
				strbuf_add(&heredoc, h + 3, (size_t)(p - h - 3));
		}
		line = *end ? end + 1 : end;
	}
	strbuf_release(&name);
	strbuf_release(&heredoc);
}

unsigned long long final_graph_cost(const char *text, size_t *stages)
{
	const unsigned long long cap = 1ULL << 62;
	struct graph g = { STRVEC_INIT, NULL, 0 };
	unsigned long long *unfold, cost = 0;

	graph_parse(&g, text);
	/* Each stage: 1 + the unfolded sizes of the stages it references. */
	unfold = xcalloc(g.nr ? g.nr : 1, sizeof(*unfold));
	for (size_t i = 0; i < g.nr; i++) {
		unfold[i] = 1;
		for (size_t k = 0; k < g.refs[i].nr; k++)
			if ((unfold[i] += unfold[strtoul(g.refs[i].v[k], NULL, 10)]) > cap)
				unfold[i] = cap;
	}
	if (g.nr)
		cost = unfold[g.nr - 1] > cap / g.nr ? cap : unfold[g.nr - 1] * g.nr;
	*stages = g.nr;
	for (size_t i = 0; i < g.nr; i++)
		strvec_clear(&g.refs[i]);
	free(g.refs);
	free(unfold);
	strvec_clear(&g.names);
	return cost;
}

int final_render(const struct final_in *in, struct strbuf *out, size_t *units, struct strbuf *locals,
		 struct strbuf *err)
{
	struct listed *l = NULL;
	size_t nr = 0;
	struct strvec paths = STRVEC_INIT, renames = STRVEC_INIT, depset = STRVEC_INIT, bases = STRVEC_INIT;
	struct strbuf lock = STRBUF_INIT, contexts = STRBUF_INIT, srcs = STRBUF_INIT, fin = STRBUF_INIT;
	struct closure cl = CLOSURE_INIT;
	const char *ws = NULL;
	int ret = -1, apt = 0, bins = 0;

	*units = 0;
	/* The list: units sorted by record, once each (a unit may land twice). */
	for (const char *p = in->list; *p;) {
		const char *eol = strchr(p, '\n');
		char *line = eol ? xstrndup(p, (size_t)(eol - p)) : xstrdup(p);
		char *f[4] = { NULL, NULL, NULL, NULL };
		size_t k = 0;
		for (char *s = line; k < 4;) {
			f[k++] = s;
			if (!(s = strchr(s, '\t')))
				break;
			*s++ = '\0';
		}
		if (k == 4 && !strcmp(f[0], "unit") && strvec_find(&paths, f[1]) < 0) {
			strvec_push(&paths, f[1]);
			l = xrealloc(l, (nr + 1) * sizeof(*l));
			l[nr].record = xstrdup(f[1]);
			l[nr].bin_ct = *f[2] ? xstrdup(f[2]) : NULL;
			l[nr].bin_name = *f[3] ? xstrdup(f[3]) : NULL;
			nr++;
		} else if (k == 2 && !strcmp(f[0], "local")) {
			strbuf_addf(locals, "%s\n", f[1]);
		}
		free(line);
		p = eol ? eol + 1 : p + strlen(p);
	}
	if (!nr) {
		ret = 0;
		goto out;
	}
	qsort(l, nr, sizeof(*l), cmp_listed);
	strvec_clear(&paths);
	for (size_t i = 0; i < nr; i++)
		strvec_push(&paths, l[i].record);
	if (collect(&cl, in->stash, &paths, err) < 0)
		goto out;
	/* Its order from the units nothing listed depends on alone: the same
	 * text whichever of the others cargo compiled in this run. */
	for (size_t i = 0; i < cl.nr; i++)
		for (size_t k = 0; k < cl.units[i].deps.nr; k++)
			if (strvec_find(&depset, cl.units[i].deps.v[k]) < 0)
				strvec_push(&depset, cl.units[i].deps.v[k]);
	strvec_clear(&paths);
	for (size_t i = 0; i < nr; i++)
		if (strvec_find(&depset, l[i].record) < 0)
			strvec_push(&paths, l[i].record);
	closure_release(&cl);
	if (collect(&cl, in->stash, &paths, err) < 0)
		goto out;
	*units = cl.nr;

	/* The workspace root and its Cargo.lock (else a listed crate's own: cargo install). */
	for (size_t i = 0; i < cl.nr && !ws; i++)
		ws = cl.units[i].ws_root;
	if (ws) {
		struct strbuf p = STRBUF_INIT;
		strbuf_addf(&p, "%s/Cargo.lock", ws);
		strbuf_read_file(&lock, p.buf);
		strbuf_release(&p);
	}
	for (size_t i = 0; i < nr && !lock.len; i++) {
		int k = strvec_find(&cl.paths, l[i].record);
		struct strbuf p = STRBUF_INIT;
		if (k >= 0 && cl.units[k].ctx_origin) {
			strbuf_addf(&p, "%s/Cargo.lock", cl.units[k].ctx_origin);
			strbuf_read_file(&lock, p.buf);
		}
		strbuf_release(&p);
	}

	/* Every source, once, in closure order; each unit's context named by its source's stage. */
	render_sources(in, &cl, lock.len ? lock.buf : NULL, ws, &srcs, &contexts, &renames);
	/* Each unit on the base it was built on (its package's settings, the
	 * host packages it needed): rust-base, or rust-base-N of bases. A
	 * record without one (an older one) is on rust-base, said if it had
	 * packages added. */
	for (size_t i = 0; i < cl.nr; i++) {
		const char *b = cl.units[i].base;
		apt |= !b && cl.units[i].apt.nr > 0;
		if (b && strcmp(b, in->base) && strvec_find(&bases, b) < 0)
			strvec_push(&bases, b);
	}
	strvec_sort(&bases);

	/* The last stage: the binaries, else the outputs of the units nothing listed depends on. */
	strbuf_addstr(&fin, "FROM scratch AS final\n");
	for (size_t i = 0; i < nr; i++)
		if (l[i].bin_ct && l[i].bin_name) {
			int k = strvec_find(&cl.paths, l[i].record);
			strbuf_addf(&fin, "COPY --link --from=o-%s %s /%s\n", cl.units[k].id, l[i].bin_ct, l[i].bin_name);
			bins++;
		}
	for (size_t i = 0; i < nr && !bins; i++)
		if (strvec_find(&depset, l[i].record) < 0) {
			int k = strvec_find(&cl.paths, l[i].record);
			strbuf_addf(&fin, "COPY --link --from=o-%s / /\n", cl.units[k].id);
		}

	if (in->syntax)
		strbuf_addf(out, "# syntax=%s\n", in->syntax);
	strbuf_addf(out, "# cargo-green: a standalone Dockerfile of %zu units (CARGOGREEN_FINAL_PATH); how to build it: at the end\n",
		    cl.nr);
	strbuf_addf(out, "FROM %s AS rust-base\n", in->base);
	for (size_t i = 0; i < bases.nr; i++)
		strbuf_addf(out, "FROM %s AS rust-base-%zu\n", bases.v[i], i + 1);
	strbuf_addbuf(out, &srcs);
	for (size_t i = 0; i < cl.nr; i++) {
		int b = cl.units[i].base ? strvec_find(&bases, cl.units[i].base) : -1;
		static const char from[] = "FROM rust-base AS u-";
		const char *stage = cl.units[i].stage;
		struct strbuf st = STRBUF_INIT;
		/* (its u- stage's FROM, the stage's first line) */
		if (b >= 0 && starts_with(stage, from))
			strbuf_addf(&st, "FROM rust-base-%d AS u-%s", b + 1, stage + strlen(from));
		else
			strbuf_addstr(&st, stage);
		rename_mounts(st.buf, &renames, out);
		strbuf_release(&st);
	}
	strbuf_addbuf(out, &fin);
	strbuf_addf(out, "# Build it with plain docker (BuildKit >= 0.12, buildx >= 0.11), from %s%s:\n",
		    contexts.len ? "the workspace root" : "any directory", ws && path_under(in->file, ws) ? "" : " (-f: where this file is)");
	strbuf_addstr(out, "#   docker buildx build -f ");
	if (ws && path_under(in->file, ws)) {
		struct strbuf r = STRBUF_INIT;
		relative_to(ws, in->file, &r);
		strbuf_add_shquoted(out, r.buf);
		strbuf_release(&r);
	} else {
		strbuf_add_shquoted(out, path_basename(in->file));
	}
	strbuf_addstr(out, " \\\n");
	strbuf_addbuf(out, &contexts);
	strbuf_addstr(out, "#     --output=DIR .\n");
	strbuf_addf(out, "# DIR then holds %s.\n", bins ? "the binaries" : "the outputs of the last units");
	if (srcs.len)
		strbuf_addstr(out, "# crates.io crates are downloaded from static.crates.io, checked against Cargo.lock's checksums\n"
			       "# (a crate not in it: the SHA-256 of the .crate cargo downloaded).\n");
	strbuf_addf(out, "# The base image %s must be in the engine (cargo-green's derived base is made by any `cargo green` run).\n",
		    in->base);
	for (size_t i = 0; i < bases.nr; i++)
		strbuf_addf(out, "# So must %s (rust-base-%zu: units of packages whose settings give another base, or that needed host packages).\n",
			    bases.v[i], i + 1);
	if (apt)
		strbuf_addstr(out, "# Some units were built with host packages added to their base (CARGOGREEN_ADD_APT_FROM_HOST): this base lacks them.\n");
	{
		size_t stages;
		if (final_graph_cost(out->buf, &stages) > FINAL_GRAPH_COST_MAX)
			strbuf_addf(out, "# %s\n", FINAL_BIG_GRAPH);
	}
	ret = 0;
out:
	for (size_t i = 0; i < nr; i++) {
		free(l[i].record);
		free(l[i].bin_ct);
		free(l[i].bin_name);
	}
	free(l);
	closure_release(&cl);
	strvec_clear(&paths);
	strvec_clear(&renames);
	strvec_clear(&depset);
	strvec_clear(&bases);
	strbuf_release(&lock);
	strbuf_release(&contexts);
	strbuf_release(&srcs);
	strbuf_release(&fin);
	return ret;
}

int final_write(const struct config *cfg, const char *list_path, const char *base, int failed, struct strbuf *err)
{
	const char *path = cfg_get(cfg, S_FINAL_PATH);
	struct strbuf list = STRBUF_INIT, text = STRBUF_INIT, locals = STRBUF_INIT, home = STRBUF_INIT;
	struct final_in in = { NULL, base, NULL, path, NULL, NULL };
	struct strbuf stash = STRBUF_INIT;
	size_t units = 0;
	int ret = 0;

	if (cfg_get(cfg, S_SYNTAX_IMAGE))
		in.syntax = cfg_get(cfg, S_SYNTAX_IMAGE) + strlen("docker-image://");
	cargo_home(&home);
	in.cargo_home = home.buf;
	strbuf_read_file(&list, list_path); /* absent: no unit was listed */
	in.list = list.buf;
	strbuf_addf(&stash, "%s.d", list_path);
	in.stash = stash.buf;
	if (final_render(&in, &text, &units, &locals, err) < 0) {
		ret = EXIT_IO;
		goto out;
	}
	if (locals.len) {
		strbuf_setlen(&locals, locals.len - 1);
		for (size_t i = 0; i < locals.len; i++)
			if (locals.buf[i] == '\n')
				locals.buf[i] = ' ';
		fprintf(stderr,
			"cargo-green: warning: CARGOGREEN_FINAL_PATH: %s does not hold %s, compiled by the local rustc without a sandbox: build with --release, CARGO_INCREMENTAL=0 or CARGOGREEN_INCREMENTAL=1\n",
			path, locals.buf);
	}
	if (!units) {
		if (!locals.len)
			fprintf(stderr, "cargo-green: CARGOGREEN_FINAL_PATH: no %sunit was compiled in this run: %s left as it was\n",
				cfg->final_path_nonprimary ? "" : "primary ", path);
		goto out;
	}
	if (write_file_atomic(path, text.buf, text.len, 0644) < 0) {
		strbuf_addf(err, "CARGOGREEN_FINAL_PATH: cannot write '%s': %s", path, strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	fprintf(stderr, "cargo-green: wrote %s (%zu units, %zu bytes%s)\n", path, units, text.len,
		failed ? "; the build failed: it holds the units that ran, failed ones included, as they ran" : "");
	if (final_graph_cost(text.buf, &units) > FINAL_GRAPH_COST_MAX)
		fprintf(stderr, "cargo-green: warning: CARGOGREEN_FINAL_PATH: %s: %s\n", path, FINAL_BIG_GRAPH);
out:
	strbuf_release(&stash);
	strbuf_release(&list);
	strbuf_release(&text);
	strbuf_release(&locals);
	strbuf_release(&home);
	return ret;
}
