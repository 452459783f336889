/* stage_fuzz_test.c: no value of a spec changes the structure of its
 * Dockerfile text. Random and adversarial specs are rendered, and the text
 * is parsed as BuildKit reads it (instructions at line starts, backslash
 * continuations, the RUN's heredoc up to its terminator): it must hold
 * exactly the instructions the spec's shape calls for. Shared with the
 * fuzz target (tests/fuzz/stage_fuzz.c), which feeds it bytes instead of a
 * seed. */
#include "run.h"
#include "stage.h"
#include "test.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int fuzz_rounds(const char *name, int (*one)(struct fuzz_rnd *r, struct strbuf *why), unsigned rounds)
{
	struct strbuf why = STRBUF_INIT;
	int bad = 0;
	for (uint64_t seed = 1; seed <= rounds && bad < 3; seed++) {
		struct fuzz_rnd r = { NULL, 0, 0, seed * 0x9e3779b97f4a7c15ull };
		strbuf_reset(&why);
		if (one(&r, &why) < 0) {
			bad++;
			fprintf(stderr, "%s fuzz, seed %llu: %s\n", name, (unsigned long long)seed, why.buf);
		}
	}
	strbuf_release(&why);
	return bad;
}

unsigned fuzz_rnd_byte(struct fuzz_rnd *r)
{
	if (r->data)
		return r->pos < r->len ? r->data[r->pos++] : 0;
	r->state ^= r->state << 13;
	r->state ^= r->state >> 7;
	r->state ^= r->state << 17;
	return (unsigned)(r->state >> 24) & 0xff;
}

unsigned fuzz_rnd_below(struct fuzz_rnd *r, unsigned n)
{
	return n ? fuzz_rnd_byte(r) % n : 0;
}

/* Pieces that break a naive renderer, besides random bytes. */
static const char *const nasty[] = {
	"\n", "\n" STAGE_HEREDOC "\n", STAGE_HEREDOC, "\nRUN --network=default touch /pwned\n", "'", "\"", "\\",
	"\\\n", "$", "${PATH}", "$(id)", "`id`", " ", ",", "\r", "\r\n", "<<EOF", "<<'" STAGE_HEREDOC "'", "#", "\t",
	"=", "/", "--mount=type=bind,from=x,target=/", "\nFROM scratch AS o-x\n", "\x7f", "\xe2\x80\xa8", "\xc2\x85",
};

/* A value: random bytes (never NUL) and nasty pieces, up to ~40 of them. */
static char *rnd_value(struct fuzz_rnd *r)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned n = fuzz_rnd_below(r, 12);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = fuzz_rnd_byte(r);
		if (k < 96)
			strbuf_addstr(&sb, nasty[k % ARRAY_SIZE(nasty)]);
		else if (k < 176)
			strbuf_addch(&sb, (char)('a' + k % 26));
		else
			strbuf_addch(&sb, (char)(1 + fuzz_rnd_below(r, 255)));
	}
	return strbuf_detach(&sb, NULL);
}

/* A word of the given alphabet, or (1 time in 8) any value. */
static char *rnd_word(struct fuzz_rnd *r, const char *prefix, const char *alphabet)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned n;
	if (fuzz_rnd_below(r, 8) == 0) {
		char *v = rnd_value(r);
		strbuf_addstr(&sb, prefix);
		strbuf_addstr(&sb, v);
		free(v);
		return strbuf_detach(&sb, NULL);
	}
	strbuf_addstr(&sb, prefix);
	n = 1 + fuzz_rnd_below(r, 10);
	for (unsigned i = 0; i < n; i++)
		strbuf_addch(&sb, alphabet[fuzz_rnd_below(r, (unsigned)strlen(alphabet))]);
	return strbuf_detach(&sb, NULL);
}

#define ID_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-_."
#define PATH_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+@~: ,$'\"#\\="

static void push_free(struct strvec *v, char *p)
{
	strvec_push(v, p);
	free(p);
}

/* Keep p alive in owned; return it. */
static const char *own(struct strvec *owned, char *p)
{
	strvec_push(owned, p);
	free(p);
	return owned->v[owned->nr - 1];
}

void stage_spec_fuzz(struct stage_spec *s, struct fuzz_rnd *r, struct strvec *owned)
{
	unsigned n;
	s->id = own(owned, rnd_word(r, "", ID_CHARS));
	for (n = fuzz_rnd_below(r, 4); n; n--)
		push_free(&s->deps, rnd_word(r, "", ID_CHARS));
	s->workdir = rnd_word(r, "/green/ws", PATH_CHARS);
	if (fuzz_rnd_below(r, 4)) {
		s->ctx_name = own(owned, rnd_word(r, "src-", ID_CHARS));
		s->ctx_target = own(owned, rnd_word(r, "/green/", PATH_CHARS));
	}
	s->ctx_rw = (int)fuzz_rnd_below(r, 2);
	for (n = fuzz_rnd_below(r, 4); n; n--) {
		char *name = rnd_word(r, "src-", ID_CHARS), *target = rnd_word(r, "/green/", PATH_CHARS);
		strvec_pushf(&s->dep_mounts, "%s=%s", name, target);
		free(name);
		free(target);
	}
	for (n = fuzz_rnd_below(r, 7); n; n--) {
		char *k = rnd_word(r, "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"), *v = rnd_value(r);
		strvec_pushf(&s->env, "%s=%s", k, v);
		free(k);
		free(v);
	}
	for (n = 1 + fuzz_rnd_below(r, 6); n; n--)
		push_free(&s->argv, rnd_value(r));
	s->collect_dir = fuzz_rnd_below(r, 4) ? rnd_word(r, "/green/target/", PATH_CHARS) : rnd_value(r);
	s->collect_new_only = (int)fuzz_rnd_below(r, 2);
	switch (fuzz_rnd_below(r, 5)) {
	case 0: s->network = NULL; break;
	case 1: s->network = "default"; break;
	case 2: s->network = "host"; break;
	case 3: s->network = "none"; break;
	default: s->network = own(owned, rnd_value(r)); break;
	}
	for (n = fuzz_rnd_below(r, 3); n; n--) {
		char *k = rnd_word(r, "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"), *d = rnd_word(r, "", "0123456789abcdef");
		strvec_pushf(&s->secrets, "%s:%s", k, d);
		free(k);
		free(d);
	}
	if (fuzz_rnd_below(r, 3) == 0) {
		s->incr_dir = rnd_value(r);
		s->incr_prefix = rnd_value(r);
	}
	s->deps_ctx = fuzz_rnd_below(r, 2) ? "deps" : NULL;
	s->git_probe = (int)fuzz_rnd_below(r, 2);
	s->git_trust = (int)fuzz_rnd_below(r, 2);
}

/* Independently of stage.c: may this be a word of an instruction? */
static int plain(const char *s, const char *set)
{
	return s && *s && strspn(s, set) == strlen(s);
}

/* A WORKDIR or mount target: printable ASCII (escaped by stage.c); a
 * WORKDIR, which ends its line, not with a backslash before blanks. */
static int path_plain(const char *p, int ends_line)
{
	size_t n = p ? strlen(p) : 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f)
			return 0;
	while (ends_line && n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return p && *p && !(ends_line && n && p[n - 1] == '\\');
}

static int spec_renderable(const struct stage_spec *s)
{
	int ok = plain(s->id, ID_CHARS) && path_plain(s->workdir, 1) && s->argv.nr && s->collect_dir &&
		 *s->collect_dir;
	for (size_t i = 0; i < s->deps.nr; i++)
		ok = ok && plain(s->deps.v[i], ID_CHARS);
	if (s->ctx_name)
		ok = ok && plain(s->ctx_name, ID_CHARS) && path_plain(s->ctx_target, 0);
	for (size_t i = 0; i < s->dep_mounts.nr; i++) {
		const char *eq = strchr(s->dep_mounts.v[i], '=');
		char *name = eq ? xstrndup(s->dep_mounts.v[i], (size_t)(eq - s->dep_mounts.v[i])) : NULL;
		ok = ok && eq && plain(name, ID_CHARS) && path_plain(eq + 1, 0);
		free(name);
	}
	if (s->network)
		ok = ok && plain(s->network, "abcdefghijklmnopqrstuvwxyz");
	for (size_t i = 0; i < s->secrets.nr; i++) {
		const char *c = strchr(s->secrets.v[i], ':');
		char *name = c ? xstrndup(s->secrets.v[i], (size_t)(c - s->secrets.v[i])) : NULL;
		ok = ok && c && plain(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") &&
		     !(*name >= '0' && *name <= '9') && plain(c + 1, "0123456789abcdef");
		free(name);
	}
	return ok;
}

/* The next logical line of a Dockerfile outside a heredoc, as BuildKit's
 * parser joins it: physical lines ending in '\' continue (the backslash
 * and newline dropped); empty lines and comments between are skipped. */
static int next_instruction(const char **p, struct strbuf *out)
{
	strbuf_reset(out);
	for (;;) {
		const char *nl = strchr(*p, '\n');
		size_t n = nl ? (size_t)(nl - *p) : strlen(*p);
		if (!n && !nl)
			return out->len ? 0 : -1;
		if (!out->len && (n == 0 || **p == '#')) {
			*p += n + !!nl;
			continue;
		}
		if (n && (*p)[n - 1] == '\\') {
			strbuf_add(out, *p, n - 1);
			*p += n + !!nl;
			continue;
		}
		strbuf_add(out, *p, n);
		*p += n + !!nl;
		return 0;
	}
}

static int expect_line(const char **p, struct strbuf *line, const char *want, struct strbuf *why)
{
	if (next_instruction(p, line) < 0 || strcmp(line->buf, want)) {
		strbuf_addf(why, "instruction '%s' expected, got '%s'", want, line->buf);
		return -1;
	}
	return 0;
}

int stage_structure_check(const struct stage_spec *s, const char *df, struct strbuf *why)
{
	struct strbuf line = STRBUF_INIT, want = STRBUF_INIT;
	struct strvec words = STRVEC_INIT;
	const char *p = df, *q;
	size_t mounts = (s->ctx_name ? 1 : 0) + (s->deps_ctx ? 1 : 0) + s->dep_mounts.nr, terminators = 0;
	int ret = -1;

#define EXPECT(...) \
	do { \
		strbuf_reset(&want); \
		strbuf_addf(&want, __VA_ARGS__); \
		if (expect_line(&p, &line, want.buf, why) < 0) \
			goto out; \
	} while (0)

	EXPECT("FROM rust-base AS u-%s", s->id);
	for (size_t i = 0; !s->deps_ctx && i < s->deps.nr; i++)
		EXPECT("COPY --link --from=e-%s / /", s->deps.v[i]);
	{
		/* One physical line; its escapes undone, the path. */
		const char *start = p, *nl;
		struct strbuf path = STRBUF_INIT;
		if (next_instruction(&p, &line) < 0 || !starts_with(line.buf, "WORKDIR ") || !(nl = strchr(start, '\n')) ||
		    p != nl + 1) {
			strbuf_addf(why, "WORKDIR expected on one line, got '%s'", line.buf);
			goto out;
		}
		for (const char *c = line.buf + strlen("WORKDIR "); *c; c++)
			strbuf_addch(&path, *c == '\\' && c[1] ? *++c : *c);
		if (strcmp(path.buf, s->workdir)) {
			strbuf_addf(why, "WORKDIR reads '%s', not '%s'", path.buf, s->workdir);
			strbuf_release(&path);
			goto out;
		}
		strbuf_release(&path);
	}
	if (next_instruction(&p, &line) < 0) {
		strbuf_addstr(why, "no RUN");
		goto out;
	}
	/* RUN, its flags (one network, a mount per secret and source), the heredoc. */
	/* Words as the parser splits a RUN line's flags: at blanks, a
	 * backslash escaping the next character; no quote left unescaped. */
	{
		struct strbuf word = STRBUF_INIT;
		for (const char *c = line.buf;; c++) {
			if (!*c || *c == ' ' || *c == '\t') {
				if (word.len)
					strvec_push(&words, word.buf);
				strbuf_reset(&word);
				if (!*c)
					break;
				continue;
			}
			if (*c == '\\' && c[1]) {
				strbuf_addch(&word, *c);
				c++;
			} else if (*c == '"' || (*c == '\'' && !starts_with(c, "'" STAGE_HEREDOC "'"))) {
				strbuf_addf(why, "an unescaped quote in the RUN line: '%s'", c);
				strbuf_release(&word);
				goto out;
			} else if (*c == '\'') {
				strbuf_addstr(&word, "'" STAGE_HEREDOC "'");
				c += strlen(STAGE_HEREDOC) + 1;
				continue;
			}
			strbuf_addch(&word, *c);
		}
		strbuf_release(&word);
	}
	if (words.nr != 3 + s->secrets.nr + mounts || strcmp(words.v[0], "RUN") ||
	    !starts_with(words.v[1], "--network=") || strcmp(words.v[words.nr - 1], "<<'" STAGE_HEREDOC "'")) {
		strbuf_addf(why, "RUN line has %zu words, not %zu: '%s'", words.nr, 3 + s->secrets.nr + mounts,
			    words.nr ? words.v[words.nr - 1] : "");
		goto out;
	}
	for (size_t i = 2; i + 1 < words.nr; i++)
		if (!starts_with(words.v[i], i - 2 < s->secrets.nr ? "--mount=type=secret,id=" : "--mount=type=bind,from=") ||
		    /* BuildKit takes a word of the line for a heredoc when it starts with [digits]<< */
		    starts_with(words.v[i] + strspn(words.v[i], "0123456789"), "<<")) {
			strbuf_addf(why, "RUN flag %zu is '%s'", i, words.v[i]);
			goto out;
		}
	/* The heredoc: up to the first line that is its terminator. */
	for (;;) {
		const char *nl = strchr(p, '\n');
		if (!nl) {
			strbuf_addstr(why, "the heredoc has no end");
			goto out;
		}
		if ((size_t)(nl - p) == strlen(STAGE_HEREDOC) && !strncmp(p, STAGE_HEREDOC, strlen(STAGE_HEREDOC))) {
			p = nl + 1;
			break;
		}
		p = nl + 1;
	}
	EXPECT("FROM scratch AS o-%s", s->id);
	EXPECT("COPY --link --from=u-%s /green/out/ /", s->id);
	if (!s->deps_ctx) {
		EXPECT("FROM scratch AS e-%s", s->id);
		EXPECT("COPY --link --from=o-%s / /", s->id);
		for (size_t i = 0; i < s->deps.nr; i++)
			EXPECT("COPY --link --from=e-%s / /", s->deps.v[i]);
	}
	if (next_instruction(&p, &line) == 0) {
		strbuf_addf(why, "an instruction too many: '%s'", line.buf);
		goto out;
	}
	/* The terminator once in the whole text, on a line of its own. */
	for (q = df; (q = strstr(q, STAGE_HEREDOC)); q += strlen(STAGE_HEREDOC))
		if ((q == df || q[-1] == '\n') && q[strlen(STAGE_HEREDOC)] == '\n')
			terminators++;
	if (terminators != 1) {
		strbuf_addf(why, "%zu lines end the heredoc", terminators);
		goto out;
	}
	ret = 0;
#undef EXPECT
out:
	strbuf_release(&line);
	strbuf_release(&want);
	strvec_clear(&words);
	return ret;
}

int stage_fuzz_one(struct fuzz_rnd *r, struct strbuf *df, struct strbuf *why)
{
	struct stage_spec s = STAGE_SPEC_INIT;
	struct strvec owned = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	int ret = 0, rendered, renderable;

	stage_spec_fuzz(&s, r, &owned);
	strbuf_reset(df);
	strbuf_addstr(df, "# head\n");
	rendered = stage_render(&s, df, &err) == 0;
	renderable = spec_renderable(&s);
	if (rendered != renderable) {
		strbuf_addf(why, "rendered %d, but the spec is %s (%s)", rendered, renderable ? "renderable" : "not", err.buf);
		ret = -1;
	} else if (!rendered && (strcmp(df->buf, "# head\n") || !err.len || strchr(err.buf, '\n'))) {
		strbuf_addstr(why, "a refused spec appended text, or said nothing, or more than one line");
		ret = -1;
	} else if (rendered && stage_structure_check(&s, df->buf + strlen("# head\n"), why) < 0) {
		ret = -1;
	}
	stage_spec_release(&s);
	strvec_clear(&owned);
	strbuf_release(&err);
	return ret;
}

/* The value sh reads back from a stage_add_value word equals the value. */
static int roundtrip(const char *v, struct strbuf *why)
{
	struct child c = CHILD_INIT;
	struct strbuf script = STRBUF_INIT, got = STRBUF_INIT, err = STRBUF_INIT;
	int nl = 0, ret;
	strbuf_addstr(&script, "printf '%s' ");
	stage_add_value(&script, v, &nl);
	if (strchr(script.buf, '\n'))
		strbuf_addstr(why, "a line break in the word; ");
	strvec_pushl(&c.args, "sh", "-c", NULL);
	strvec_pushf(&c.args, "%s\n%s", STAGE_NL_DEF, script.buf);
	c.stdin_path = "";
	ret = run_capture(&c, &got, &err);
	if (ret || got.len != strlen(v) || memcmp(got.buf, v, got.len) || why->len) {
		strbuf_addf(why, "sh read back %zu bytes for %zu (exit %d): %s", got.len, strlen(v), ret, script.buf);
		ret = -1;
	}
	child_release(&c);
	strbuf_release(&script);
	strbuf_release(&got);
	strbuf_release(&err);
	return ret ? -1 : 0;
}

void test_stage_fuzz(void)
{
	struct strbuf df = STRBUF_INIT, why = STRBUF_INIT;
	struct fuzz_rnd r = { NULL, 0, 0, 0x9e3779b97f4a7c15ull };
	int bad = 0, refused = 0;

	/* Many random specs: each is rendered with exactly its instructions, or refused. */
	for (int i = 0; i < 20000; i++) {
		struct fuzz_rnd before = r;
		strbuf_reset(&why);
		if (stage_fuzz_one(&r, &df, &why) < 0) {
			if (bad++ < 3)
				fprintf(stderr, "stage fuzz case %d (state %llx): %s\n%s\n", i,
					(unsigned long long)before.state, why.buf, df.buf);
		}
		refused += !strcmp(df.buf, "# head\n");
	}
	CHECK(bad == 0);
	/* The generator exercises both sides. */
	CHECK(refused > 1000 && refused < 19000);

	/* The injection seen: a rustc argument that closes the heredoc. */
	{
		struct stage_spec s = STAGE_SPEC_INIT;
		struct strbuf err = STRBUF_INIT;
		s.id = "app-1";
		s.workdir = xstrdup("/green/ws");
		s.collect_dir = xstrdup("/green/target/debug/deps");
		strvec_pushl(&s.argv, "rustc", "--cfg",
			     "x=\"\n" STAGE_HEREDOC "\nRUN --network=default touch /pwned\nRUN <<'" STAGE_HEREDOC "'\n\"", NULL);
		strvec_push(&s.env, "CARGO_PKG_DESCRIPTION=two\nlines\r\n");
		strbuf_reset(&df);
		CHECK(stage_render(&s, &df, &err) == 0);
		strbuf_reset(&why);
		CHECK(stage_structure_check(&s, df.buf, &why) == 0);
		CHECK(strstr(df.buf, "\nRUN --network=default") == NULL);
		CHECK(strstr(df.buf, STAGE_NL_DEF "\n") != NULL);
		/* Plain values stay readable. */
		CHECK(strstr(df.buf, " rustc --cfg 'x=\"'\"$nl\"'" STAGE_HEREDOC "'\"$nl\"'RUN --network=default touch /pwned'") != NULL);
		CHECK(strstr(df.buf, "'CARGO_PKG_DESCRIPTION=two'\"$nl\"'lines'\"$(printf '\\015')\"\"$nl\"") != NULL);
		/* An instruction word that is not safe: refused, nothing written. */
		free(s.workdir);
		s.workdir = xstrdup("/green/ws/my\tapp");
		strbuf_reset(&df);
		strbuf_reset(&err);
		CHECK(stage_render(&s, &df, &err) < 0 && df.len == 0);
		CHECK(strstr(err.buf, "the working directory") != NULL);
		stage_spec_release(&s);
		strbuf_release(&err);
	}

	/* What sh reads back is the value, byte for byte. */
	{
		struct fuzz_rnd v = { NULL, 0, 0, 12345 };
		int rt_bad = 0;
		for (int i = 0; i < 150; i++) {
			char *val = rnd_value(&v);
			strbuf_reset(&why);
			if (roundtrip(val, &why) < 0 && rt_bad++ < 3)
				fprintf(stderr, "stage value roundtrip: %s\n", why.buf);
			free(val);
		}
		strbuf_reset(&why);
		CHECK(roundtrip("", &why) == 0 && roundtrip("\n\n", &why) == 0 && roundtrip("a'b\\c$d\"e`f\x01\x7f\n", &why) == 0);
		CHECK(rt_bad == 0);
	}
	strbuf_release(&df);
	strbuf_release(&why);
}
