#include "env.h"
#include "util.h"
#include "banned.h"

#include <stdlib.h>
#include <string.h>

enum env_value {
	VALUE_MAP,  /* host paths in the value become container paths */
	VALUE_HOST, /* kept as is: used at run time on the host (tests find binaries there) */
	VALUE_DROP,
};

struct env_rule {
	const char *name;   /* exact name, or a prefix when it ends with '*' */
	unsigned uses;      /* ENV_COMPILE | ENV_BUILD_SCRIPT */
	enum env_value value;
	/* The value is a host path a compile may keep (env!): mapped, but the
	 * host's own value with ENV_HOST_PATHS (see env_is_path_valued). */
	int path;
};

static const struct env_rule rules[] = {
	/* Never: cargo's jobserver, and host tools that do not exist in the container. */
	{ "CARGO_MAKEFLAGS", 0, VALUE_DROP, 0 },
	{ "MAKEFLAGS", 0, VALUE_DROP, 0 },
	{ "MFLAGS", 0, VALUE_DROP, 0 },
	{ "RUSTC_WRAPPER", 0, VALUE_DROP, 0 },
	{ "RUSTC_WORKSPACE_WRAPPER", 0, VALUE_DROP, 0 },
	{ "RUSTC", 0, VALUE_DROP, 0 },    /* set to the container's rustc below */
	{ "RUSTDOC", 0, VALUE_DROP, 0 },
	{ "CARGO", 0, VALUE_DROP, 0 },
	{ "CARGO_HOME", 0, VALUE_DROP, 0 },
	{ "CARGO_TARGET_DIR", 0, VALUE_DROP, 0 },
	/* What cargo sets for every unit. */
	{ "CARGO_PKG_*", ENV_COMPILE | ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "CARGO_MANIFEST_DIR", ENV_COMPILE | ENV_BUILD_SCRIPT, VALUE_MAP, 1 },
	{ "CARGO_MANIFEST_PATH", ENV_COMPILE | ENV_BUILD_SCRIPT, VALUE_MAP, 1 },
	{ "CARGO_MANIFEST_LINKS", ENV_COMPILE | ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "CARGO_PRIMARY_PACKAGE", ENV_COMPILE | ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "CARGO_RUSTC_CURRENT_DIR", ENV_COMPILE | ENV_BUILD_SCRIPT, VALUE_MAP, 1 },
	{ "RUSTC_BOOTSTRAP", ENV_COMPILE | ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "OUT_DIR", ENV_COMPILE | ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	/* Compiles only. */
	{ "CARGO_CRATE_NAME", ENV_COMPILE, VALUE_MAP, 0 },
	{ "CARGO_BIN_NAME", ENV_COMPILE, VALUE_MAP, 0 },
	/* Integration tests use these at run time on the host: a test that
	 * reads one (env!) is compiled again with the host's value. */
	{ "CARGO_BIN_EXE_*", ENV_COMPILE, VALUE_MAP, 1 },
	{ "CARGO_TARGET_TMPDIR", ENV_COMPILE, VALUE_MAP, 1 },
	/* Build script runs only. */
	{ "CARGO_CFG_*", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "CARGO_FEATURE_*", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "CARGO_ENCODED_RUSTFLAGS", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "DEP_*", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "TARGET", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "HOST", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "NUM_JOBS", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "OPT_LEVEL", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "DEBUG", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "PROFILE", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
	{ "RUSTC_LINKER", ENV_BUILD_SCRIPT, VALUE_MAP, 0 },
};

static const struct env_rule *rule_for(const char *entry, size_t namelen)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const char *n = rules[i].name;
		size_t l = strlen(n);
		if (n[l - 1] == '*') {
			if (namelen >= l - 1 && !strncmp(entry, n, l - 1))
				return &rules[i];
		} else if (namelen == l && !strncmp(entry, n, l)) {
			return &rules[i];
		}
	}
	return NULL;
}

void env_from_build_output(const char *output, struct strvec *names)
{
	const char *line = output;
	while (*line) {
		const char *end = strchr(line, '\n'), *rest;
		if (!end)
			end = line + strlen(line);
		if (skip_prefix(line, "cargo::rustc-env=", &rest) || skip_prefix(line, "cargo:rustc-env=", &rest)) {
			const char *eq = memchr(rest, '=', (size_t)(end - rest));
			if (eq && eq > rest) {
				char *name = xstrndup(rest, (size_t)(eq - rest));
				if (strvec_find(names, name) < 0)
					strvec_push(names, name);
				free(name);
			}
		}
		line = *end ? end + 1 : end;
	}
}

int env_is_path_valued(const char *name)
{
	const struct env_rule *r = rule_for(name, strlen(name));
	return r && r->path;
}

int env_is_ruled(const char *name)
{
	return rule_for(name, strlen(name)) != NULL || !strcmp(name, "PATH");
}

static void push_unique(struct strvec *out, const char *entry, size_t namelen)
{
	for (size_t i = 0; i < out->nr; i++)
		if (!strncmp(out->v[i], entry, namelen) && (out->v[i][namelen] == '=' || !out->v[i][namelen]))
			return;
	strvec_push(out, entry);
}

void env_read_by(const char *text, struct strvec *out)
{
	const char *line = text;
	while (*line) {
		const char *end = strchrnul(line, '\n'), *rest;
		if (skip_prefix(line, "# env-dep:", &rest)) {
			struct strbuf e = STRBUF_INIT;
			size_t n = strcspn(rest, "=\n");
			/* rustc escapes '\\', newlines and carriage returns in the value. */
			for (const char *p = rest; p < end; p++) {
				if (*p == '\\' && p + 1 < end && (p[1] == 'n' || p[1] == 'r' || p[1] == '\\')) {
					strbuf_addch(&e, p[1] == 'n' ? '\n' : p[1] == 'r' ? '\r' : '\\');
					p++;
				} else {
					strbuf_addch(&e, *p);
				}
			}
			if (n)
				push_unique(out, e.buf, n);
			strbuf_release(&e);
		} else if (skip_prefix(line, "cargo:rerun-if-env-changed=", &rest) ||
			   skip_prefix(line, "cargo::rerun-if-env-changed=", &rest)) {
			char *name = xstrndup(rest, (size_t)(end - rest));
			if (*name)
				push_unique(out, name, strlen(name));
			free(name);
		}
		line = *end ? end + 1 : end;
	}
}

void env_filter(const char **environ_, enum env_use use, const struct strvec *extra,
		const struct pathmap *pm, struct strvec *out)
{
	static const struct env_rule extra_rule = { "", ENV_COMPILE | ENV_BUILD_SCRIPT, VALUE_MAP, 0 };
	for (const char **e = environ_; *e; e++) {
		const char *eq = strchr(*e, '=');
		const struct env_rule *r;
		struct strbuf v = STRBUF_INIT;
		if (!eq)
			continue;
		r = rule_for(*e, (size_t)(eq - *e));
		/* What a build script set with cargo:rustc-env is for this compile,
		 * whatever the table says of the name (TARGET, say). */
		if (extra && (!r || r->value != VALUE_DROP)) {
			char *name = xstrndup(*e, (size_t)(eq - *e));
			if (strvec_find(extra, name) >= 0)
				r = &extra_rule;
			free(name);
		}
		if (!r || !(r->uses & use) || r->value == VALUE_DROP)
			continue;
		strbuf_add(&v, *e, (size_t)(eq - *e) + 1);
		if (r->value == VALUE_MAP && !(r->path && (use & ENV_HOST_PATHS)))
			pathmap_rewrite(pm, 0, ESCAPE_NONE, eq + 1, strlen(eq + 1), &v);
		else
			strbuf_addstr(&v, eq + 1);
		strvec_push(out, v.buf);
		strbuf_release(&v);
	}
	if (use & ENV_BUILD_SCRIPT) {
		strvec_push(out, "RUSTC=rustc");
		strvec_push(out, "RUSTDOC=rustdoc");
	}
	strvec_sort(out);
}

int env_name_is_secret(const char *name)
{
	static const char *words[] = { "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE", "AUTH", "KEY" };
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcasestr(name, words[i]))
			return 1;
	return 0;
}
