#include "stage.h"
#include "paths.h"
#include "util.h"
#include "banned.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void stage_git_standin(const char *id, struct strbuf *out)
{
	strbuf_addf(out, "#!/bin/sh\n: >" CT_OUT "/" STAGE_RESULT_DIR "/%s.git\n"
		    "echo 'fatal: not a git repository (or any of the parent directories): .git' >&2\nexit 128\n", id);
}

void stage_result_read(const char *root, const char *id, struct stage_result *r)
{
	struct strbuf p = STRBUF_INIT, code = STRBUF_INIT;
	strbuf_reset(&r->out);
	strbuf_reset(&r->err);
	strbuf_addf(&p, "%s/" STAGE_RESULT_DIR "/%s.code", root, id);
	r->finished = strbuf_read_file(&code, p.buf) == 0 && code.len && code.buf[0] >= '0' && code.buf[0] <= '9';
	r->code = r->finished ? atoi(code.buf) : 0;
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/" STAGE_RESULT_DIR "/%s.stdout", root, id);
	if (strbuf_read_file(&r->out, p.buf) < 0)
		strbuf_reset(&r->out);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/" STAGE_RESULT_DIR "/%s.stderr", root, id);
	if (strbuf_read_file(&r->err, p.buf) < 0)
		strbuf_reset(&r->err);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/" STAGE_RESULT_DIR "/%s.git", root, id);
	r->ran_git = !access(p.buf, F_OK);
	strbuf_release(&p);
	strbuf_release(&code);
}

void stage_result_release(struct stage_result *r)
{
	strbuf_release(&r->out);
	strbuf_release(&r->err);
}

void stage_spec_release(struct stage_spec *s)
{
	free(s->workdir);
	free(s->collect_dir);
	s->workdir = s->collect_dir = NULL;
	strvec_clear(&s->deps);
	strvec_clear(&s->dep_mounts);
	strvec_clear(&s->env);
	strvec_clear(&s->argv);
	strvec_clear(&s->secrets);
	free(s->incr_dir);
	free(s->incr_prefix);
	s->incr_dir = s->incr_prefix = NULL;
}

int stage_id_valid(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* s for a Dockerfile word that goes through BuildKit's variable expansion
 * (WORKDIR, a --mount value): '\\', '$' and quotes escaped. */
static void add_word_escaped(struct strbuf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\$'\"", s[i]))
			strbuf_addch(out, '\\');
		strbuf_addch(out, s[i]);
	}
}

/* The target=PATH field of a RUN --mount flag. BuildKit reads the flag in
 * three layers, undone here from the inside: the value is expanded as a
 * word, the field is one of a CSV line, and the flag is a word of the RUN
 * line (whitespace, quotes and '\\' escaped). A path of letters, digits
 * and "/._-+@~" comes out as it is. */
static void add_mount_target(struct strbuf *out, const char *path, size_t n)
{
	struct strbuf word = STRBUF_INIT, field = STRBUF_INIT;
	strbuf_addstr(&word, "target=");
	add_word_escaped(&word, path, n);
	strbuf_add_csv_field(&field, word.buf);
	for (size_t i = 0; i < field.len; i++) {
		if (strchr("\\'\" \t", field.buf[i]))
			strbuf_addch(out, '\\');
		strbuf_addch(out, field.buf[i]);
	}
	strbuf_release(&word);
	strbuf_release(&field);
}

/* Can path be a WORKDIR or mount target (escaped above)? Printable ASCII
 * (path_dockerfile_safe); for WORKDIR, which ends its line, no backslash
 * last (before trailing blanks): the parser would read the next line as
 * its continuation. */
static int path_ok(const char *path, int ends_line)
{
	size_t n = path ? strlen(path) : 0;
	if (!n || !path_dockerfile_safe(path))
		return 0;
	while (ends_line && n && (path[n - 1] == ' ' || path[n - 1] == '\t'))
		n--;
	return !ends_line || !n || path[n - 1] != '\\';
}

int stage_word_safe(const char *s)
{
	/* No space (flags and words split there), no ',' '"' (the CSV of
	 * --mount), no '$' '\\' (variable expansion, escapes), no quote, no
	 * control character: nothing that an instruction's parser reads. */
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+@~:";
	return s && *s && strspn(s, safe) == strlen(s);
}

/* Are the n bytes at s, at least one, all in set? */
static int only(const char *s, size_t n, const char *set)
{
	return n && strspn(s, set) >= n;
}

/* v for a message: quoted, its control characters escaped, cut at 200 bytes. */
static void add_shown(struct strbuf *out, const char *v)
{
	strbuf_addch(out, '\'');
	for (size_t i = 0; v[i] && i < 200; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '\n')
			strbuf_addstr(out, "\\n");
		else if (c < 0x20 || c == 0x7f || c == '\\' || c == '\'')
			strbuf_addf(out, "\\x%02x", c);
		else
			strbuf_addch(out, (char)c);
	}
	strbuf_addstr(out, strlen(v) > 200 ? "'..." : "'");
}

/* Why s cannot be rendered (one line in err), or 0. The values that become
 * words of instructions (names, paths of mounts, WORKDIR) must be safe
 * words; values of the RUN's script are quoted and need no check. */
static int spec_check(const struct stage_spec *s, struct strbuf *err)
{
	const char *bad = NULL, *what = NULL;
	if (!s->id || !stage_id_valid(s->id))
		bad = s->id ? s->id : "", what = "a stage id";
	for (size_t i = 0; !bad && i < s->deps.nr; i++)
		if (!stage_id_valid(s->deps.v[i]))
			bad = s->deps.v[i], what = "a dependency's stage id";
	if (!bad && !path_ok(s->workdir, 1))
		bad = s->workdir ? s->workdir : "", what = "the working directory";
	if (!bad && s->ctx_name && (!stage_id_valid(s->ctx_name) || !path_ok(s->ctx_target, 0)))
		bad = stage_id_valid(s->ctx_name) ? (s->ctx_target ? s->ctx_target : "") : s->ctx_name,
		what = "the sources' context or mount";
	if (!bad && s->deps_ctx && !stage_id_valid(s->deps_ctx))
		bad = s->deps_ctx, what = "the dependencies' context";
	for (size_t i = 0; !bad && i < s->dep_mounts.nr; i++) {
		const char *m = s->dep_mounts.v[i], *eq = strchr(m, '=');
		char *name = eq ? xstrndup(m, (size_t)(eq - m)) : NULL;
		if (!eq || !stage_id_valid(name) || !path_ok(eq + 1, 0))
			bad = m, what = "a dependency's source mount";
		free(name);
	}
	if (!bad && s->network && !only(s->network, strlen(s->network), "abcdefghijklmnopqrstuvwxyz"))
		bad = s->network, what = "the network";
	for (size_t i = 0; !bad && i < s->secrets.nr; i++) {
		const char *v = s->secrets.v[i], *colon = strchr(v, ':');
		if (!colon || (*v >= '0' && *v <= '9') ||
		    !only(v, (size_t)(colon - v), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ||
		    !only(colon + 1, strlen(colon + 1), "0123456789abcdef"))
			bad = v, what = "a secret";
	}
	if (!bad && (!s->collect_dir || !*s->collect_dir))
		bad = "", what = "the output dir";
	if (!bad && !s->argv.nr)
		bad = "", what = "the command";
	if (!bad)
		return 0;
	strbuf_addf(err, "cannot write %s into a Dockerfile: ", what);
	add_shown(err, bad);
	return -1;
}

/* A value in the RUN's script: one shell word, and no line break, so that
 * no value starts a line of the Dockerfile (where the heredoc's terminator
 * or an instruction would be read). Plain values stay as they are; a
 * newline becomes "$nl" (set at the script's start when *nl says so), other
 * control characters $(printf '\ooo'). */
static void add_value(struct strbuf *out, const char *s, int *nl)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%";
	int open = 0;
	if (*s && strspn(s, plain) == strlen(s)) {
		strbuf_addstr(out, s);
		return;
	}
	if (!*s)
		strbuf_addstr(out, "''");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f) {
			if (open)
				strbuf_addch(out, '\'');
			open = 0;
			if (c == '\n') {
				strbuf_addstr(out, "\"$nl\"");
				*nl = 1;
			} else {
				strbuf_addf(out, "\"$(printf '\\%03o')\"", c);
			}
			continue;
		}
		if (!open)
			strbuf_addch(out, '\'');
		open = 1;
		if (c == '\'')
			strbuf_addstr(out, "'\\''");
		else
			strbuf_addch(out, (char)c);
	}
	if (open)
		strbuf_addch(out, '\'');
}

void stage_add_value(struct strbuf *out, const char *s, int *nl)
{
	add_value(out, s, nl);
}

int stage_render(const struct stage_spec *s, struct strbuf *out, struct strbuf *err)
{
	const char *logs = CT_OUT "/" STAGE_RESULT_DIR;
	struct strbuf body = STRBUF_INIT;
	int nl = 0;

	if (spec_check(s, err) < 0)
		return -1;
	strbuf_addf(out, "FROM rust-base AS u-%s\n", s->id);
	for (size_t i = 0; !s->deps_ctx && i < s->deps.nr; i++)
		strbuf_addf(out, "COPY --link --from=e-%s / /\n", s->deps.v[i]);
	strbuf_addstr(out, "WORKDIR ");
	add_word_escaped(out, s->workdir, strlen(s->workdir));
	strbuf_addch(out, '\n');
	strbuf_addf(out, "RUN --network=%s", s->network ? s->network : "none");
	for (size_t i = 0; i < s->secrets.nr; i++)
		strbuf_addf(out, " \\\n  --mount=type=secret,id=%.*s,required=true", (int)strcspn(s->secrets.v[i], ":"),
			    s->secrets.v[i]);
	{
		/* Outer directories first: a workspace root holds its members
		 * ('\t' sorts before '/', so "/w" comes before "/w/app"). */
		struct strvec m = STRVEC_INIT;
		if (s->ctx_name)
			strvec_pushf(&m, "%s\t%s", s->ctx_target, s->ctx_name);
		/* The dependencies' outputs: the context mounted read-only, its
		 * files linked into CT_TARGET by the script. BuildKit syncs a named
		 * context by difference only from the snapshot its last sync left,
		 * which a writable mount of the context consumes (it finalizes it:
		 * every call sent its whole closure again); and a stage copying it
		 * (COPY --from=deps, which kept it) cost a copy of the closure on
		 * every call: 10 s for 716 MB, 3.7 s with --link, 0.3 s linked. */
		if (s->deps_ctx)
			strvec_pushf(&m, "%s\t%s", CT_DEPS, s->deps_ctx);
		for (size_t i = 0; i < s->dep_mounts.nr; i++) {
			const char *eq = strchr(s->dep_mounts.v[i], '=');
			strvec_pushf(&m, "%s\t%.*s", eq + 1, (int)(eq - s->dep_mounts.v[i]), s->dep_mounts.v[i]);
		}
		strvec_sort(&m);
		for (size_t i = 0; i < m.nr; i++) {
			const char *eq = strrchr(m.v[i], '\t');
			int own = s->ctx_name && !strcmp(eq + 1, s->ctx_name);
			strbuf_addf(out, " \\\n  --mount=type=bind,from=%s,", eq + 1);
			add_mount_target(out, m.v[i], (size_t)(eq - m.v[i]));
			strbuf_addstr(out, own && s->ctx_rw ? ",rw" : "");
		}
		strvec_clear(&m);
	}
	strbuf_addstr(out, " <<'" STAGE_HEREDOC "'\n");

	/* The script: every line starts with this text, never with a value. */
	for (size_t i = 0; i < s->secrets.nr; i++) {
		/* Not the value: a digest keyed on this machine, so that a new value misses the cache. */
		const char *colon = strchr(s->secrets.v[i], ':');
		strbuf_addf(&body, "# secret %.*s: keyed digest %s\n", (int)(colon - s->secrets.v[i]), s->secrets.v[i], colon + 1);
	}
	if (s->deps_ctx)
		strbuf_addstr(&body, "mkdir -p " CT_TARGET " && cp -rs " CT_DEPS "/. " CT_TARGET "/ || exit 3\n");
	strbuf_addstr(&body, "o=");
	add_value(&body, s->collect_dir, &nl);
	strbuf_addf(&body, "\nmkdir -p \"$o\" %s\n", logs);
	if (s->collect_new_only)
		strbuf_addstr(&body, "ls -A \"$o\" >/tmp/green-before\n");
	if (s->incr_dir && s->ctx_name) {
		strbuf_addstr(&body, "i=");
		add_value(&body, s->incr_dir, &nl);
		strbuf_addstr(&body, "\nmkdir -p \"$i\"\nif [ -d ");
		add_value(&body, s->ctx_target, &nl);
		strbuf_addstr(&body, "/" INCR_SUBDIR " ]; then cp -a ");
		add_value(&body, s->ctx_target, &nl);
		strbuf_addstr(&body, "/" INCR_SUBDIR "/. \"$i/\"; fi\n");
	}
	if (s->git_probe) {
		strbuf_addstr(&body, "mkdir -p " STAGE_GIT_DIR "\ncat >" STAGE_GIT_DIR "/git <<'GREEN_GIT'\n");
		stage_git_standin(s->id, &body);
		strbuf_addstr(&body, "GREEN_GIT\nchmod +x " STAGE_GIT_DIR "/git\n");
	}
	if (s->git_trust)
		strbuf_addstr(&body, "git config --system --add safe.directory '*' 2>/dev/null || true\n");
	strbuf_addstr(&body, s->git_probe ? "env -i PATH=\"" STAGE_GIT_DIR ":$PATH\"" : "env -i PATH=\"$PATH\"");
	for (size_t i = 0; i < s->env.nr; i++) {
		strbuf_addstr(&body, " \\\n  ");
		add_value(&body, s->env.v[i], &nl);
	}
	for (size_t i = 0; i < s->secrets.nr; i++) {
		int n = (int)strcspn(s->secrets.v[i], ":");
		strbuf_addf(&body, " \\\n  %.*s=\"$(cat /run/secrets/%.*s)\"", n, s->secrets.v[i], n, s->secrets.v[i]);
	}
	strbuf_addstr(&body, " \\\n ");
	for (size_t i = 0; i < s->argv.nr; i++) {
		strbuf_addch(&body, ' ');
		add_value(&body, s->argv.v[i], &nl);
	}
	strbuf_addf(&body, " \\\n  >%s/%s.stdout 2>%s/%s.stderr\n", logs, s->id, logs, s->id);
	strbuf_addf(&body, "c=$?\necho $c >%s/%s.code\n", logs, s->id);
	strbuf_addstr(&body, "mkdir -p \"" CT_OUT "$o\"\n");
	if (s->collect_new_only)
		strbuf_addstr(&body, "ls -A \"$o\" | grep -vxF -f /tmp/green-before | while IFS= read -r f; do mv \"$o/$f\" \"" CT_OUT "$o/\"; done\n");
	else
		strbuf_addstr(&body, "cp -a \"$o/.\" \"" CT_OUT "$o/\"\n");
	if (s->incr_dir && s->ctx_name) {
		strbuf_addstr(&body, "for d in \"$i\"/");
		add_value(&body, s->incr_prefix ? s->incr_prefix : "", &nl);
		strbuf_addstr(&body, "*; do [ -e \"$d\" ] || continue; mkdir -p \"" CT_OUT "$i\"; cp -a \"$d\" \"" CT_OUT "$i/\"; done\n");
	}
	strbuf_addstr(&body, "[ $c -lt 128 ] || exit $c\n");
	if (nl)
		strbuf_addstr(out, STAGE_NL_DEF "\n");
	strbuf_addbuf(out, &body);
	strbuf_addstr(out, STAGE_HEREDOC "\n");
	strbuf_release(&body);

	strbuf_addf(out, "FROM scratch AS o-%s\n", s->id);
	strbuf_addf(out, "COPY --link --from=u-%s " CT_OUT "/ /\n", s->id);
	if (s->deps_ctx)
		return 0;
	strbuf_addf(out, "FROM scratch AS e-%s\n", s->id);
	strbuf_addf(out, "COPY --link --from=o-%s / /\n", s->id);
	for (size_t i = 0; i < s->deps.nr; i++)
		strbuf_addf(out, "COPY --link --from=e-%s / /\n", s->deps.v[i]);
	return 0;
}

char *dockerfile_last_stage(const char *text)
{
	char *name = NULL;
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n'), *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncasecmp(p, "FROM ", 5)) {
			const char *as = NULL;
			for (const char *q = p; q + 4 <= end; q++)
				if ((q[0] == ' ' || q[0] == '\t') && !strncasecmp(q + 1, "AS", 2) && (q[3] == ' ' || q[3] == '\t'))
					as = q + 4;
			free(name);
			name = NULL;
			if (as) {
				while (as < end && (*as == ' ' || *as == '\t'))
					as++;
				const char *e = as;
				while (e < end && *e != ' ' && *e != '\t' && *e != '\r')
					e++;
				if (e > as)
					name = xstrndup(as, (size_t)(e - as));
			}
		}
		line = *end ? end + 1 : end;
	}
	return name;
}
