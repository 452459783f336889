/* recipe.c: `cargo green supergreen recipe`, see recipe.h. */
#include "recipe.h"
#include "config.h"
#include "exitcode.h"
#include "final.h"
#include "fs.h"
#include "run.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char recipe_usage[] =
	"Usage: cargo green supergreen recipe NAME[@VERSION] [-o FILE]\n"
	"  Prints the Dockerfile that builds and installs the binaries of crates.io's NAME (VERSION, else the\n"
	"  newest) as `cargo install --locked` does: each compile a stage, each crate ADDed from static.crates.io\n"
	"  by its checksum, the binaries in the last stage. It runs that install once (cargo-green's cache serves\n"
	"  what it built before). -o FILE: written there instead of stdout. Build it with plain docker:\n"
	"    docker buildx build -f FILE --output=DIR .\n";

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* MAJOR.MINOR.PATCH, then -PRE and +BUILD (letters, digits, '.', '-'). */
static int version_ok(const char *v)
{
	for (int part = 0; part < 3; part++) {
		if (!is_digit(*v) || (*v == '0' && is_digit(v[1])))
			return 0;
		while (is_digit(*v))
			v++;
		if (part < 2 && *v++ != '.')
			return 0;
	}
	if (*v == '-' || *v == '+') {
		if (!v[1])
			return 0;
		for (v++; *v; v++)
			if (!is_alpha(*v) && !is_digit(*v) && *v != '.' && *v != '-' && *v != '+')
				return 0;
	}
	return !*v;
}

int recipe_parse(const char *spec, struct strbuf *name, struct strbuf *version, struct strbuf *why)
{
	const char *at = strchr(spec, '@');
	size_t n = at ? (size_t)(at - spec) : strlen(spec);
	int ok = n > 0 && n <= 64 && is_alpha(spec[0]);
	for (size_t i = 0; ok && i < n; i++)
		ok = is_alpha(spec[i]) || is_digit(spec[i]) || spec[i] == '-' || spec[i] == '_';
	if (!ok) {
		strbuf_addf(why, "recipe: '%.*s' is not a crate name (letters, digits, '-' and '_', a letter first; e.g. ripgrep or ripgrep@14.1.1)",
			    (int)n, spec);
		return -1;
	}
	if (at && !version_ok(at + 1)) {
		strbuf_addf(why, "recipe: '%s' is not a version (MAJOR.MINOR.PATCH, e.g. %.*s@14.1.1; without @VERSION: the newest)",
			    at + 1, (int)n, spec);
		return -1;
	}
	strbuf_add(name, spec, n);
	if (at)
		strbuf_addstr(version, at + 1);
	return 0;
}

/* The offset of the line of out that starts with prefix (after spaces), or -1. */
static long find_line(const char *out, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < len;) {
		size_t s = i;
		while (s < len && out[s] == ' ')
			s++;
		if (len - s >= pl && !memcmp(out + s, prefix, pl))
			return (long)i;
		while (i < len && out[i] != '\n')
			i++;
		i++;
	}
	return -1;
}

long recipe_started(const char *out, size_t len)
{
	return find_line(out, len, "Installing ");
}

/* The rest of the line at out + off, after prefix. */
static void line_rest(const char *out, long off, const char *prefix, struct strbuf *sb)
{
	const char *p = out + off;
	while (*p == ' ')
		p++;
	p += strlen(prefix);
	strbuf_add(sb, p, strcspn(p, "\n"));
}

int recipe_early_failure(const char *out, const char *name, const char *version, int rc, struct strbuf *line)
{
	size_t len = strlen(out);
	long at;
	if ((at = find_line(out, len, "cargo-green: error: ")) >= 0) {
		/* cargo-green's own (no engine, a bad setting): its words, its code. */
		line_rest(out, at, "cargo-green: error: ", line);
		return rc;
	}
	if ((at = find_line(out, len, "error: could not find `")) >= 0) {
		if (*version)
			strbuf_addf(line, "recipe: crates.io has no crate '%s' with version %s (its versions: `cargo info %s`; without @VERSION: the newest)",
				    name, version, name);
		else
			strbuf_addf(line, "recipe: crates.io has no crate '%s' (check its name: `cargo search %s`)", name, name);
		return EXIT_USAGE;
	}
	if ((at = find_line(out, len, "error: there is nothing to install in `")) >= 0) {
		strbuf_addf(line, "recipe: '%s' has no binaries: a recipe is for what `cargo install` installs (a library is a dependency: `cargo add %s`)",
			    name, name);
		return EXIT_USAGE;
	}
	strbuf_addf(line, "recipe: cargo install %s%s%s failed (exit %d)", name, *version ? "@" : "", version, rc);
	if ((at = find_line(out, len, "error: ")) >= 0) {
		strbuf_addstr(line, ": ");
		line_rest(out, at, "error: ", line);
	}
	return rc ? rc : EXIT_USAGE;
}

/* The install's output, shown from its "Installing" line on, line by line,
 * without the lines that name the temporary directory (its root, its file). */
struct tee {
	struct strbuf *out;
	const char *tmp, *spec;
	long from; /* -1: not started */
	size_t shown;
};

static void tee_flush(struct tee *t, int all)
{
	if (t->from < 0 && (t->from = recipe_started(t->out->buf, t->out->len)) >= 0) {
		/* Said once cargo found the crate: a bad one stays one line. */
		fprintf(stderr, "cargo-green: recipe: cargo install --locked %s, once, to learn its build\n", t->spec);
		t->shown = (size_t)t->from;
	}
	if (t->from < 0)
		return;
	while (t->shown < t->out->len) {
		const char *p = t->out->buf + t->shown, *eol = memchr(p, '\n', t->out->len - t->shown);
		size_t n = eol ? (size_t)(eol - p + 1) : t->out->len - t->shown;
		if (!eol && !all)
			break;
		{
			char *l = xstrndup(p, n);
			if (!strstr(l, t->tmp))
				fputs(l, stderr);
			free(l);
		}
		t->shown += n;
	}
	fflush(stderr);
}

static int tee_watch(void *data)
{
	tee_flush(data, 0);
	return 0;
}

/* The option's value: "-o FILE", "-oFILE", "--output FILE", "--output=FILE". */
static int take_output(int argc, const char **argv, int *i, const char **val)
{
	const char *a = argv[*i];
	if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
		if (*i + 1 >= argc)
			return -1;
		*val = argv[++*i];
		return 1;
	}
	if (skip_prefix(a, "--output=", val) || (starts_with(a, "-o") && (*val = a + 2)))
		return 1;
	return 0;
}

int cmd_recipe(const struct config *cfg, int argc, const char **argv)
{
	struct strbuf name = STRBUF_INIT, version = STRBUF_INIT, why = STRBUF_INIT, file = STRBUF_INIT,
		      tmp = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT, text = STRBUF_INIT, fp = STRBUF_INIT;
	struct child c = CHILD_INIT;
	const char *spec = NULL, *dest = NULL, *t = getenv("TMPDIR");
	char *self = NULL;
	int ret = EXIT_USAGE, rc, stopped, made = 0;

	for (int i = 0; i < argc; i++) {
		int o = take_output(argc, argv, &i, &dest);
		if (o < 0) {
			error("recipe: -o needs a file (e.g. -o /tmp/ripgrep.Dockerfile)");
			goto out;
		}
		if (o)
			continue;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			ret = fputs(recipe_usage, stdout) < 0 ? EXIT_IO : 0;
			goto out;
		}
		if (argv[i][0] == '-' || spec) {
			error("recipe: unexpected '%s' (usage: cargo green supergreen recipe NAME[@VERSION] [-o FILE])", argv[i]);
			goto out;
		}
		spec = argv[i];
	}
	if (!spec) {
		error("recipe: which crate? (usage: cargo green supergreen recipe NAME[@VERSION] [-o FILE], e.g. ripgrep@14.1.1)");
		goto out;
	}
	if (recipe_parse(spec, &name, &version, &why) < 0) {
		error("%s", why.buf);
		goto out;
	}
	if (cfg->runner == RUNNER_NONE) {
		error("recipe: CARGOGREEN_RUNNER=none builds nothing in BuildKit, so there is no Dockerfile to learn (unset it)");
		goto out;
	}
	if (dest && strcmp(dest, "-")) {
		/* Checked before the install: its directory exists and can be written. */
		if (dest[0] != '/') {
			char cwd[4096];
			if (!getcwd(cwd, sizeof(cwd))) {
				error("recipe: -o %s: the current directory is gone (give an absolute path)", dest);
				goto out;
			}
			strbuf_addf(&file, "%s/", cwd);
		}
		strbuf_addstr(&file, dest);
		if (final_path_check(file.buf, &why) < 0) {
			error("recipe: -o %s: %s (e.g. -o /tmp/%s.Dockerfile)", dest, why.buf, name.buf);
			goto out;
		}
		{
			/* What access() does not see (root, a read-only or special file system). */
			int existed = !access(file.buf, F_OK), fd = open(file.buf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (fd < 0) {
				error("recipe: -o %s: it cannot be written: %s (e.g. -o /tmp/%s.Dockerfile)", dest, strerror(errno),
				      name.buf);
				goto out;
			}
			close(fd);
			if (!existed)
				unlink(file.buf);
		}
	}

	strbuf_addf(&tmp, "%s/cargo-green-recipe.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp.buf)) {
		error("recipe: cannot make a temporary directory %s: %s (set TMPDIR to a writable directory)", tmp.buf,
		      strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	made = 1;
	strbuf_addf(&fp, "%s/%s", tmp.buf, file.len ? path_basename(file.buf) : name.buf);
	if (!file.len)
		strbuf_addstr(&fp, ".Dockerfile");

	/* cargo green install --locked --root TMP/root NAME[@VERSION], from TMP:
	 * no project's settings but the environment's. */
	self = self_exe_path();
	strvec_pushl(&c.args, self, "green", "install", "--locked", "--root", NULL);
	strvec_pushf(&c.args, "%s/root", tmp.buf);
	strvec_push(&c.args, spec);
	strvec_pushf(&c.env, "CARGOGREEN_FINAL_PATH=%s", fp.buf);
	strvec_push(&c.env, "CARGOGREEN_FINAL_PATH_NONPRIMARY");
	if (isatty(2) && !getenv("CARGO_TERM_COLOR"))
		strvec_push(&c.env, "CARGO_TERM_COLOR=always");
	c.dir = tmp.buf;
	c.stdin_path = "";
	c.stderr_to_stdout = 1;
	{
		struct tee tee = { &out, tmp.buf, spec, -1, 0 };
		rc = run_capture_watch(&c, &out, tee_watch, &tee, &stopped, &err);
		if (rc < 0) {
			if (!run_signal_caught())
				error("recipe: %s", err.buf);
			ret = EXIT_USAGE;
			goto out;
		}
		tee_flush(&tee, 1);
		if (run_signal_caught())
			goto out;
		if (rc) {
			strbuf_reset(&why);
			if (tee.from < 0) {
				ret = recipe_early_failure(out.buf, name.buf, version.buf, rc, &why);
				error("%s", why.buf);
			} else {
				error("recipe: cargo install %s failed (exit %d): no Dockerfile written", spec, rc);
				ret = rc;
			}
			goto out;
		}
	}
	if (strbuf_read_file(&text, fp.buf) < 0 || !text.len) {
		error("recipe: cargo install %s built nothing through cargo-green: no Dockerfile (see the log: CARGOGREEN_LOG_PATH)", spec);
		ret = EXIT_ENGINE_FAILED;
		goto out;
	}
	if (file.len) {
		if (write_file_atomic(file.buf, text.buf, text.len, 0644) < 0) {
			error("recipe: cannot write '%s': %s (-o: name a writable file)", file.buf, strerror(errno));
			ret = EXIT_IO;
			goto out;
		}
		fprintf(stderr, "cargo-green: recipe: wrote %s (%zu bytes): docker buildx build -f %s --output=DIR .\n",
			file.buf, text.len, path_basename(file.buf));
	} else if (fwrite(text.buf, 1, text.len, stdout) != text.len || fflush(stdout)) {
		error("recipe: cannot write the Dockerfile to stdout: %s", strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	ret = 0;
out:
	if (made)
		rm_rf(tmp.buf);
	child_release(&c);
	free(self);
	strbuf_release(&name);
	strbuf_release(&version);
	strbuf_release(&why);
	strbuf_release(&file);
	strbuf_release(&tmp);
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&text);
	strbuf_release(&fp);
	run_exit_if_signaled();
	return ret;
}
