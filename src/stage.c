#include "stage.h"
#include "paths.h"
#include "util.h"
#include "banned.h"

#include <stdlib.h>
#include <string.h>

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

void stage_render(const struct stage_spec *s, struct strbuf *out)
{
	const char *logs = CT_OUT "/green";

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
		if (s->deps_ctx)
			strvec_pushf(&m, "%s\t%s", CT_TARGET, s->deps_ctx);
		for (size_t i = 0; i < s->dep_mounts.nr; i++) {
			const char *eq = strchr(s->dep_mounts.v[i], '=');
			strvec_pushf(&m, "%s\t%.*s", eq + 1, (int)(eq - s->dep_mounts.v[i]), s->dep_mounts.v[i]);
		}
		strvec_sort(&m);
		for (size_t i = 0; i < m.nr; i++) {
			const char *eq = strrchr(m.v[i], '\t');
			int own = s->ctx_name && !strcmp(eq + 1, s->ctx_name);
			int deps = s->deps_ctx && !strcmp(eq + 1, s->deps_ctx);
			strbuf_addf(out, " \\\n  --mount=type=bind,from=%s,", eq + 1);
			add_mount_target(out, m.v[i], (size_t)(eq - m.v[i]));
			strbuf_addstr(out, (own && s->ctx_rw) || deps ? ",rw" : "");
		}
		strvec_clear(&m);
	}
	strbuf_addstr(out, " <<'" STAGE_HEREDOC "'\n");

	for (size_t i = 0; i < s->secrets.nr; i++) {
		/* Not the value: a digest keyed on this machine, so that a new value misses the cache. */
		const char *colon = strchr(s->secrets.v[i], ':');
		strbuf_addf(out, "# secret %.*s: keyed digest %s\n", (int)(colon - s->secrets.v[i]), s->secrets.v[i], colon + 1);
	}
	strbuf_addstr(out, "o=");
	strbuf_add_shquoted(out, s->collect_dir);
	strbuf_addf(out, "\nmkdir -p \"$o\" %s\n", logs);
	if (s->collect_new_only)
		strbuf_addstr(out, "ls -A \"$o\" >/tmp/green-before\n");
	if (s->incr_dir && s->ctx_name) {
		strbuf_addstr(out, "i=");
		strbuf_add_shquoted(out, s->incr_dir);
		strbuf_addstr(out, "\nmkdir -p \"$i\"\nif [ -d ");
		strbuf_add_shquoted(out, s->ctx_target);
		strbuf_addstr(out, "/" INCR_SUBDIR " ]; then cp -a ");
		strbuf_add_shquoted(out, s->ctx_target);
		strbuf_addstr(out, "/" INCR_SUBDIR "/. \"$i/\"; fi\n");
	}
	if (s->git_probe)
		strbuf_addf(out, "mkdir -p /tmp/green-git\ncat >/tmp/green-git/git <<'GREEN_GIT'\n#!/bin/sh\n: >%s/%s.git\n"
			    "echo 'fatal: not a git repository (or any of the parent directories): .git' >&2\nexit 128\n"
			    "GREEN_GIT\nchmod +x /tmp/green-git/git\n", logs, s->id);
	if (s->git_trust)
		strbuf_addstr(out, "git config --system --add safe.directory '*' 2>/dev/null || true\n");
	strbuf_addstr(out, s->git_probe ? "env -i PATH=\"/tmp/green-git:$PATH\"" : "env -i PATH=\"$PATH\"");
	for (size_t i = 0; i < s->env.nr; i++) {
		strbuf_addstr(out, " \\\n  ");
		strbuf_add_shquoted(out, s->env.v[i]);
	}
	for (size_t i = 0; i < s->secrets.nr; i++) {
		int n = (int)strcspn(s->secrets.v[i], ":");
		strbuf_addf(out, " \\\n  %.*s=\"$(cat /run/secrets/%.*s)\"", n, s->secrets.v[i], n, s->secrets.v[i]);
	}
	strbuf_addstr(out, " \\\n ");
	for (size_t i = 0; i < s->argv.nr; i++) {
		strbuf_addch(out, ' ');
		strbuf_add_shquoted(out, s->argv.v[i]);
	}
	strbuf_addf(out, " \\\n  >%s/%s.stdout 2>%s/%s.stderr\n", logs, s->id, logs, s->id);
	strbuf_addf(out, "c=$?\necho $c >%s/%s.code\n", logs, s->id);
	strbuf_addstr(out, "mkdir -p \"" CT_OUT "$o\"\n");
	if (s->collect_new_only)
		strbuf_addstr(out, "ls -A \"$o\" | grep -vxF -f /tmp/green-before | while IFS= read -r f; do mv \"$o/$f\" \"" CT_OUT "$o/\"; done\n");
	else
		strbuf_addstr(out, "cp -a \"$o/.\" \"" CT_OUT "$o/\"\n");
	if (s->incr_dir && s->ctx_name) {
		strbuf_addstr(out, "for d in \"$i\"/");
		strbuf_add_shquoted(out, s->incr_prefix);
		strbuf_addstr(out, "*; do [ -e \"$d\" ] || continue; mkdir -p \"" CT_OUT "$i\"; cp -a \"$d\" \"" CT_OUT "$i/\"; done\n");
	}
	strbuf_addstr(out, "[ $c -lt 128 ] || exit $c\n" STAGE_HEREDOC "\n");

	strbuf_addf(out, "FROM scratch AS o-%s\n", s->id);
	strbuf_addf(out, "COPY --link --from=u-%s " CT_OUT "/ /\n", s->id);
	if (s->deps_ctx)
		return;
	strbuf_addf(out, "FROM scratch AS e-%s\n", s->id);
	strbuf_addf(out, "COPY --link --from=o-%s / /\n", s->id);
	for (size_t i = 0; i < s->deps.nr; i++)
		strbuf_addf(out, "COPY --link --from=e-%s / /\n", s->deps.v[i]);
}
