/* config_fuzz_test.c: no value of any source breaks the settings' loading.
 * Random CARGOGREEN_* values, a random [package.metadata.green] and
 * [workspace.metadata.green] (written as cargo metadata's JSON, read by
 * json_parse), manifest paths with odd bytes, and random handoff texts are
 * loaded. Each load either succeeds or is refused with one line that holds
 * no raw control character (it names the value quoted); a loaded
 * configuration handed over to a wrapper (config_handoff_*) loads there to
 * the same values. Shared with the fuzz target (tests/fuzz/config_fuzz.c),
 * which feeds it bytes instead of a seed. */
#include "config.h"
#include "json.h"
#include "test.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pieces that break a naive parser or message, besides random bytes. */
static const char *const nasty[] = {
	"\n", "\r", "\t", "\x1b[31m", "\x7f", "\"", "'", "\\", ",", ",,", " ", "=", "$", "${X}", "$(id)", "`id`", "#",
	"docker-image://", "docker-image://rust:1", "docker-image://a/b:c@sha256:", "@", ":", "/", "//", ".", "..",
	"\xc3\xa9", "\xe2\x80\xa8", "\xf0\x9f\x92\xa9", "\xc0\x80", "\xff", "true", "false", "1", "0", "none", "docker",
	"podman", "host", "default", "info", "debug", "auto", "FOO", "FOO=bar", "A_TOKEN", "apt", "pkg-config", "-",
	"FROM x AS y\n", "FROM scratch", "RUN x", "\nRUN --network=default id\n",
};

/* A value: random bytes (never NUL) and nasty pieces. */
static void rnd_value(struct fuzz_rnd *r, struct strbuf *sb)
{
	unsigned n = fuzz_rnd_below(r, 10);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = fuzz_rnd_byte(r);
		if (k < 112)
			strbuf_addstr(sb, nasty[k % ARRAY_SIZE(nasty)]);
		else if (k < 192)
			strbuf_addch(sb, (char)('a' + k % 26));
		else
			strbuf_addch(sb, (char)(1 + fuzz_rnd_below(r, 255)));
	}
	if (fuzz_rnd_below(r, 16) == 0)
		for (unsigned i = 0, m = 50 + fuzz_rnd_byte(r) * 4; i < m; i++)
			strbuf_addch(sb, 'x'); /* long */
}

/* A JSON string of a random value: control characters and bytes past
 * ASCII that are not UTF-8 become \u escapes (a byte b as U+00b), so that
 * most strings parse; 1 time in 16 the bytes go raw. */
static void add_json_string(struct strbuf *out, const char *v, int raw)
{
	strbuf_addch(out, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addf(out, "\\%c", *p);
		else if (!raw && (*p < 0x20 || *p >= 0x7f))
			strbuf_addf(out, "\\u%04x", *p);
		else
			strbuf_addch(out, (char)*p);
	}
	strbuf_addch(out, '"');
}

static const char *rnd_key(struct fuzz_rnd *r, struct strbuf *scratch)
{
	unsigned k = fuzz_rnd_below(r, 8);
	const char *t = settings[fuzz_rnd_below(r, S__NR)].toml;
	strbuf_reset(scratch);
	if (k < 5)
		return t;
	if (k == 5) {
		rnd_value(r, scratch);
		return scratch->buf;
	}
	strbuf_addstr(scratch, k == 6 ? "add" : "add.");
	strbuf_addstr(scratch, t);
	return scratch->buf;
}

static void rnd_json(struct fuzz_rnd *r, struct strbuf *out, int depth);

static void rnd_json_object(struct fuzz_rnd *r, struct strbuf *out, int depth)
{
	struct strbuf key = STRBUF_INIT, v = STRBUF_INIT;
	unsigned n = fuzz_rnd_below(r, 6);
	strbuf_addch(out, '{');
	for (unsigned i = 0; i < n; i++) {
		const char *k = rnd_key(r, &key);
		const char *dot = strchr(k, '.');
		if (i)
			strbuf_addch(out, ',');
		if (dot && fuzz_rnd_below(r, 2)) {
			/* "add.apt" as cargo writes it: a table. */
			strbuf_add(&v, k, (size_t)(dot - k));
			add_json_string(out, v.buf, 0);
			strbuf_reset(&v);
			strbuf_addstr(out, ":{");
			add_json_string(out, dot + 1, 0);
			strbuf_addch(out, ':');
			rnd_json(r, out, depth + 1);
			strbuf_addch(out, '}');
		} else {
			add_json_string(out, k, 0);
			strbuf_addch(out, ':');
			rnd_json(r, out, depth + 1);
		}
	}
	strbuf_addch(out, '}');
	strbuf_release(&key);
	strbuf_release(&v);
}

static void rnd_json(struct fuzz_rnd *r, struct strbuf *out, int depth)
{
	struct strbuf v = STRBUF_INIT;
	unsigned k = fuzz_rnd_below(r, depth > 3 ? 6 : 10);
	switch (k) {
	case 0: case 1: case 2:
		rnd_value(r, &v);
		add_json_string(out, v.buf, fuzz_rnd_below(r, 16) == 0);
		break;
	case 3:
		strbuf_addstr(out, fuzz_rnd_below(r, 2) ? "true" : "false");
		break;
	case 4:
		strbuf_addstr(out, fuzz_rnd_below(r, 2) ? "null" : "-12.5e3");
		break;
	case 5:
		strbuf_addf(out, "%u", fuzz_rnd_byte(r));
		break;
	case 6: case 7: case 8: {
		unsigned n = fuzz_rnd_below(r, 5);
		strbuf_addch(out, '[');
		for (unsigned i = 0; i < n; i++) {
			if (i)
				strbuf_addch(out, ',');
			if (fuzz_rnd_below(r, 4)) {
				strbuf_reset(&v);
				rnd_value(r, &v);
				add_json_string(out, v.buf, 0);
			} else {
				rnd_json(r, out, depth + 1);
			}
		}
		strbuf_addch(out, ']');
		break;
	}
	default:
		rnd_json_object(r, out, depth);
	}
	strbuf_release(&v);
}

/* One line, something said, no raw control character. */
static int clean_line(const char *what, const struct strbuf *err, struct strbuf *why)
{
	if (!err->len) {
		strbuf_addf(why, "%s: refused without a message", what);
		return -1;
	}
	for (size_t i = 0; i < err->len; i++) {
		unsigned char c = (unsigned char)err->buf[i];
		if (c < 0x20 || c == 0x7f) {
			strbuf_addf(why, "%s: the message has a raw byte 0x%02x at %zu: %s", what, c, i, err->buf);
			return -1;
		}
	}
	return 0;
}

/* A green table, or (1 time in 8) not a table, or bytes that are no JSON. */
static int rnd_table(struct fuzz_rnd *r, struct json *j)
{
	struct strbuf text = STRBUF_INIT, e = STRBUF_INIT;
	unsigned k = fuzz_rnd_below(r, 8);
	int rc;
	if (k == 0)
		rnd_json(r, &text, 2);
	else if (k == 1)
		rnd_value(r, &text);
	else
		rnd_json_object(r, &text, 0);
	rc = json_parse(text.buf, text.len, j, &e);
	strbuf_release(&text);
	strbuf_release(&e);
	return rc;
}

static int same_values(const struct config *a, const struct config *b, struct strbuf *why)
{
	for (unsigned i = 0; i < S__NR; i++) {
		const char *x = a->v[i].text, *y = b->v[i].text;
		if ((!x) != (!y) || (x && strcmp(x, y)) || a->v[i].origin != b->v[i].origin ||
		    a->v[i].list.nr != b->v[i].list.nr) {
			strbuf_addf(why, "handed over, %s changed: '%s' (origin %d) became '%s' (origin %d)", settings[i].env,
				    x ? x : "(unset)", a->v[i].origin, y ? y : "(unset)", b->v[i].origin);
			return -1;
		}
	}
	return a->runner == b->runner && a->incremental == b->incremental ? 0 :
	       (strbuf_addstr(why, "handed over, a typed view changed"), -1);
}

int config_fuzz_one(struct fuzz_rnd *r, struct strbuf *why)
{
	struct json ws, pkg;
	struct config cfg, back;
	struct config_toml toml = { NULL, NULL, NULL, NULL };
	struct strbuf err = STRBUF_INIT, wpath = STRBUF_INIT, ppath = STRBUF_INIT, handoff = STRBUF_INIT,
		      v = STRBUF_INIT;
	int have_ws, have_pkg, ret = 0;

	for (unsigned i = 0; i < S__NR; i++)
		unsetenv(settings[i].env);
	for (unsigned n = fuzz_rnd_below(r, 4), i = 0; i < n; i++) {
		const struct setting *s = &settings[fuzz_rnd_below(r, S__NR)];
		strbuf_reset(&v);
		if (fuzz_rnd_below(r, 3) == 0)
			strbuf_addstr(&v, s->example);
		rnd_value(r, &v);
		setenv(s->env, v.buf, 1);
	}
	strbuf_addstr(&wpath, "/w/");
	rnd_value(r, &wpath);
	strbuf_addstr(&wpath, "/Cargo.toml");
	strbuf_addstr(&ppath, "/w/p ");
	rnd_value(r, &ppath);
	strbuf_addstr(&ppath, "/Cargo.toml");
	have_ws = fuzz_rnd_below(r, 2) && rnd_table(r, &ws) == 0;
	have_pkg = fuzz_rnd_below(r, 4) && rnd_table(r, &pkg) == 0;
	if (have_ws) {
		toml.workspace = &ws;
		toml.workspace_path = wpath.buf;
	}
	if (have_pkg) {
		toml.package = &pkg;
		toml.package_path = ppath.buf;
	}

	if (config_load(&cfg, &toml, &err) < 0) {
		ret = clean_line("config_load", &err, why);
		config_release(&cfg);
		goto handoff;
	}
	/* What the plugin hands its wrappers loads there to the same values. */
	config_handoff_dir(&handoff, 0, "/w/p");
	for (unsigned i = 0; i < S__NR; i++) {
		const struct config_value *cv = &cfg.v[i];
		if (cv->origin == ORIGIN_WORKSPACE || cv->origin == ORIGIN_PACKAGE)
			config_handoff_value(&handoff, cv->origin == ORIGIN_WORKSPACE ? -1 : 0, &settings[i], cv->where, cv->text);
	}
	strbuf_reset(&err);
	if (config_load_handoff(&back, handoff.buf, "/w/p", &err) < 0) {
		strbuf_addf(why, "a loaded configuration, handed over, is refused: %s", err.buf);
		ret = -1;
	} else {
		ret = same_values(&cfg, &back, why);
	}
	config_release(&back);
	config_release(&cfg);

handoff:
	/* Any handoff text: loaded or refused in one clean line. */
	if (!ret) {
		struct strbuf text = STRBUF_INIT;
		for (unsigned n = fuzz_rnd_below(r, 5), i = 0; i < n; i++) {
			const struct setting *s = &settings[fuzz_rnd_below(r, S__NR)];
			strbuf_reset(&v);
			rnd_value(r, &v);
			if (fuzz_rnd_below(r, 4) == 0)
				strbuf_addbuf(&text, &v);
			else if (fuzz_rnd_below(r, 3) == 0)
				config_handoff_dir(&text, (int)fuzz_rnd_below(r, 3), fuzz_rnd_below(r, 2) ? "/d" : v.buf);
			else
				config_handoff_value(&text, (int)fuzz_rnd_below(r, 3) - 1, s, fuzz_rnd_below(r, 2) ? v.buf : "",
						     fuzz_rnd_below(r, 3) ? v.buf : s->example);
		}
		strbuf_reset(&err);
		if (config_load_handoff(&back, text.buf, "/d", &err) < 0)
			ret = clean_line("config_load_handoff", &err, why);
		config_release(&back);
		strbuf_release(&text);
	}

	for (unsigned i = 0; i < S__NR; i++)
		unsetenv(settings[i].env);
	if (have_ws)
		json_release(&ws);
	if (have_pkg)
		json_release(&pkg);
	strbuf_release(&err);
	strbuf_release(&wpath);
	strbuf_release(&ppath);
	strbuf_release(&handoff);
	strbuf_release(&v);
	return ret;
}

/* The unit test: a fixed number of seeded rounds (make fuzz runs longer). */
void test_config_fuzz(void)
{
	char *saved[S__NR];
	for (unsigned i = 0; i < S__NR; i++)
		saved[i] = getenv(settings[i].env) ? xstrdup(getenv(settings[i].env)) : NULL;
	CHECK(fuzz_rounds("config", config_fuzz_one, 3000) == 0);
	for (unsigned i = 0; i < S__NR; i++)
		if (saved[i]) {
			setenv(settings[i].env, saved[i], 1);
			free(saved[i]);
		}
}
