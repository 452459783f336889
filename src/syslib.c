#include "syslib.h"
#include "config.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "banned.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- pure: what a unit's output says ---- */

void syslib_envify(const char *name, struct strbuf *out)
{
	for (const char *p = name; *p; p++)
		strbuf_addch(out, *p == '-' ? '_' : (*p >= 'a' && *p <= 'z') ? *p - 'a' + 'A' : *p);
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_.+-", c);
}

static void push_once(struct strvec *sv, const char *s)
{
	if (strvec_find(sv, s) < 0)
		strvec_push(sv, s);
}

/* Every NAME that follows pattern in text (NAME: name characters, up to
 * end when end is not NULL), as KIND:NAME. */
static void after(const char *text, const char *pattern, const char *kind, const char *end, struct strvec *wants)
{
	size_t pl = strlen(pattern);
	for (const char *p = strstr(text, pattern); p; p = strstr(p + 1, pattern)) {
		const char *n = p + pl, *e = n;
		while (*e && name_char(*e) && !(end && !strncmp(e, end, strlen(end))))
			e++;
		if (e == n || (end && strncmp(e, end, strlen(end))))
			continue;
		{
			struct strbuf w = STRBUF_INIT;
			strbuf_addf(&w, "%s:%.*s", kind, (int)(e - n), n);
			push_once(wants, w.buf);
			strbuf_release(&w);
		}
	}
}

void syslib_failures(const char *text, struct strvec *wants)
{
	after(text, "Package ", "pc", " was not found in the pkg-config search path", wants);
	after(text, "Package '", "pc", "', required by ", wants);
	after(text, "The system library `", "pc", "` required by crate", wants);
	if (strstr(text, "Could not find directory of OpenSSL installation"))
		push_once(wants, "pc:openssl");
	after(text, "unable to find library -l", "lib", NULL, wants);
	after(text, "cannot find -l", "lib", NULL, wants);
	if (strstr(text, "Unable to find libclang"))
		push_once(wants, "clang:");
}

void syslib_probes(const char *out, struct strvec *names)
{
	for (const char *line = out; *line;) {
		const char *end = strchrnul(line, '\n'), *v;
		size_t n = (size_t)(end - line);
		if (n && line[n - 1] == '\r')
			n--;
		if ((skip_prefix(line, "cargo:rerun-if-env-changed=", &v) ||
		     skip_prefix(line, "cargo::rerun-if-env-changed=", &v)) &&
		    (size_t)(v - line) < n) {
			size_t vl = n - (size_t)(v - line), sl = strlen("_NO_PKG_CONFIG");
			if (vl > sl && !strncmp(v + vl - sl, "_NO_PKG_CONFIG", sl)) {
				char *name = xstrndup(v, vl - sl);
				push_once(names, name);
				free(name);
			}
		}
		line = *end ? end + 1 : end;
	}
}

/* Call fn with each line's first word of `pkg-config --list-all` output. */
static int each_pc(const char *list_all, int (*fn)(const char *name, size_t n, const void *data), const void *data)
{
	for (const char *line = list_all; *line;) {
		const char *end = strchrnul(line, '\n');
		size_t n = strcspn(line, " \t\n");
		if (n && fn(line, n, data))
			return 1;
		line = *end ? end + 1 : end;
	}
	return 0;
}

struct pc_match {
	const char *envname;
	struct strvec *names;
};

static int pc_match_one(const char *name, size_t n, const void *data)
{
	const struct pc_match *m = data;
	struct strbuf env = STRBUF_INIT;
	char *s = xstrndup(name, n);
	syslib_envify(s, &env);
	if (!strcmp(env.buf, m->envname))
		push_once(m->names, s);
	free(s);
	strbuf_release(&env);
	return 0;
}

void syslib_pc_matching(const char *list_all, const char *envname, struct strvec *names)
{
	struct pc_match m = { envname, names };
	each_pc(list_all, pc_match_one, &m);
}

static int pc_is(const char *name, size_t n, const void *data)
{
	return strlen(data) == n && !strncmp(name, data, n);
}

int syslib_pc_listed(const char *list_all, const char *name)
{
	return each_pc(list_all, pc_is, name);
}

/* One line of dpkg -S: "PKG[:ARCH][, PKG[:ARCH]...]: PATH". The first
 * package into pkg; 0, or -1 for another kind of line (diversions). */
static int dpkg_line(const char *line, size_t n, struct strbuf *pkg)
{
	const char *sep = NULL;
	size_t k;
	for (size_t i = 0; i + 1 < n; i++)
		if (line[i] == ':' && line[i + 1] == ' ') {
			sep = line + i;
			break;
		}
	/* The path is absolute: not "dpkg-query: no path found matching ..." */
	if (!sep || sep + 2 >= line + n || sep[2] != '/' || !strncmp(line, "diversion by ", 13) || !strncmp(line, "local diversion", 15))
		return -1;
	k = strcspn(line, ":, ");
	if (!k || line + k > sep)
		return -1;
	for (size_t i = 0; i < k; i++)
		if (!name_char(line[i]))
			return -1;
	strbuf_reset(pkg);
	strbuf_add(pkg, line, k);
	return 0;
}

int syslib_dpkg_parse(const char *out, struct strbuf *pkg)
{
	for (const char *line = out; *line;) {
		const char *end = strchrnul(line, '\n');
		if (dpkg_line(line, (size_t)(end - line), pkg) == 0)
			return 0;
		line = *end ? end + 1 : end;
	}
	return -1;
}

void syslib_hint(const struct strvec *found, const struct strvec *apt, struct strbuf *out)
{
	struct strvec pkgs = STRVEC_INIT;
	strvec_pushv(&pkgs, apt->v);
	strbuf_addstr(out, "cargo-green: warning: the build image lacks ");
	for (size_t i = 0; i < found->nr; i++) {
		const char *eq = strchr(found->v[i], '=');
		strbuf_addf(out, "%s%s", i ? ", " : "", eq + 1);
	}
	strbuf_addf(out, ", which this host has (Debian package%s ", found->nr > 1 ? "s" : "");
	for (size_t i = 0; i < found->nr; i++) {
		const char *eq = strchr(found->v[i], '=');
		char *p = xstrndup(found->v[i], (size_t)(eq - found->v[i]));
		strbuf_addf(out, "%s%s", i ? ", " : "", p);
		push_once(&pkgs, p);
		free(p);
	}
	strbuf_addstr(out, "): set CARGOGREEN_ADD_APT=");
	for (size_t i = 0; i < pkgs.nr; i++)
		strbuf_addf(out, "%s%s", i ? "," : "", pkgs.v[i]);
	strbuf_addstr(out, " or add.apt = [ ");
	for (size_t i = 0; i < pkgs.nr; i++)
		strbuf_addf(out, "%s\"%s\"", i ? ", " : "", pkgs.v[i]);
	strbuf_addstr(out, " ] in [package.metadata.green], then cargo clean");
	strvec_clear(&pkgs);
}

/* ---- the host ---- */

/* Stdout of argv, stdin and stderr /dev/null. 0 when it exits 0. */
static int host_capture(const char **argv, struct strbuf *out)
{
	struct child c = CHILD_INIT;
	struct strbuf err = STRBUF_INIT;
	int rc;
	strvec_pushv(&c.args, argv);
	c.stdin_path = "";
	c.stderr_path = "/dev/null";
	rc = run_capture(&c, out, &err);
	child_release(&c);
	strbuf_release(&err);
	return rc;
}

/* The package owning path, trying the path as given, with its directory
 * resolved (not the file: a -dev package owns the symlink libz.so, the
 * runtime one what it points to) and, for merged /usr, with and without /usr. */
static int dpkg_owner(const char *path, struct strbuf *pkg)
{
	struct strvec tries = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT;
	const char *slash = strrchr(path, '/'), *rest;
	char resolved[PATH_MAX];
	int ret = -1;
	strvec_push(&tries, path);
	if (slash && slash > path) {
		char *dir = xstrndup(path, (size_t)(slash - path));
		if (realpath(dir, resolved)) {
			strvec_pushf(&tries, "%s%s", resolved, slash);
			if (skip_prefix(resolved, "/usr", &rest) && *rest == '/')
				strvec_pushf(&tries, "%s%s", rest, slash);
			else
				strvec_pushf(&tries, "/usr%s%s", resolved, slash);
		}
		free(dir);
	}
	for (size_t i = 0; ret && i < tries.nr; i++) {
		strbuf_reset(&out);
		if (i && strvec_find(&tries, tries.v[i]) < (int)i)
			continue;
		if (host_capture((const char *[]){ "dpkg", "-S", tries.v[i], NULL }, &out) == 0)
			ret = syslib_dpkg_parse(out.buf, pkg);
	}
	strvec_clear(&tries);
	strbuf_release(&out);
	return ret;
}

int syslib_host_package(const char *want, struct strbuf *pkg, struct strbuf *what)
{
	struct strbuf out = STRBUF_INIT, path = STRBUF_INIT;
	const char *name;
	int ret = -1;
	strbuf_reset(pkg);
	strbuf_reset(what);
	if (skip_prefix(want, "pc:", &name)) {
		if (host_capture((const char *[]){ "pkg-config", "--variable=pcfiledir", name, NULL }, &out) == 0) {
			strbuf_rtrim(&out);
			strbuf_addf(&path, "%s/%s.pc", out.buf, name);
			if (out.len && !access(path.buf, F_OK) && dpkg_owner(path.buf, pkg) == 0) {
				strbuf_addstr(what, name);
				ret = 0;
			}
		}
	} else if (skip_prefix(want, "lib:", &name)) {
		/* Where the host's linker finds -lNAME: the shared library, else the static one. */
		for (const char **ext = (const char *[]){ ".so", ".a", NULL }; ret && *ext; ext++) {
			struct strbuf arg = STRBUF_INIT;
			strbuf_reset(&out);
			strbuf_addf(&arg, "-print-file-name=lib%s%s", name, *ext);
			if (host_capture((const char *[]){ "cc", arg.buf, NULL }, &out) == 0) {
				strbuf_rtrim(&out);
				if (strchr(out.buf, '/') && !access(out.buf, F_OK) && dpkg_owner(out.buf, pkg) == 0) {
					strbuf_addf(what, "lib%s", name);
					ret = 0;
				}
			}
			strbuf_release(&arg);
		}
	} else if (!strcmp(want, "clang:")) {
		/* bindgen loads any libclang*.so*: the -dev package if the host has one. */
		if (host_capture((const char *[]){ "dpkg", "-S", "*/libclang*.so*", NULL }, &out) == 0) {
			struct strbuf one = STRBUF_INIT;
			for (const char *line = out.buf; *line;) {
				const char *end = strchrnul(line, '\n');
				if (dpkg_line(line, (size_t)(end - line), &one) == 0 &&
				    (!pkg->len || (ends_with(one.buf, "-dev") && !ends_with(pkg->buf, "-dev")))) {
					strbuf_reset(pkg);
					strbuf_addbuf(pkg, &one);
				}
				line = *end ? end + 1 : end;
			}
			strbuf_release(&one);
			if (pkg->len) {
				strbuf_addstr(what, "libclang");
				ret = 0;
			}
		}
	}
	strbuf_release(&out);
	strbuf_release(&path);
	return ret;
}

void syslib_scan(const struct config *cfg, const char *out, const char *errs, const char *engine_pcs,
		 struct strvec *found)
{
	struct strvec wants = STRVEC_INIT, probes = STRVEC_INIT;
	struct strbuf pkg = STRBUF_INIT, what = STRBUF_INIT, host_pcs = STRBUF_INIT;
	if (errs)
		syslib_failures(errs, &wants);
	if (out)
		syslib_failures(out, &wants);
	if (out && engine_pcs)
		syslib_probes(out, &probes);
	if (probes.nr && host_capture((const char *[]){ "pkg-config", "--list-all", NULL }, &host_pcs) == 0) {
		/* A probe the host's pkg-config answers and the engine's cannot. */
		for (size_t i = 0; i < probes.nr; i++) {
			struct strvec names = STRVEC_INIT;
			syslib_pc_matching(host_pcs.buf, probes.v[i], &names);
			for (size_t k = 0; k < names.nr; k++)
				if (!syslib_pc_listed(engine_pcs, names.v[k])) {
					struct strbuf w = STRBUF_INIT;
					strbuf_addf(&w, "pc:%s", names.v[k]);
					push_once(&wants, w.buf);
					strbuf_release(&w);
				}
			strvec_clear(&names);
		}
	}
	for (size_t i = 0; i < wants.nr; i++) {
		int known = 0;
		if (syslib_host_package(wants.v[i], &pkg, &what) < 0) {
			LOG(LOG_DEBUG, "%s: the host has none either, or no package owns it", wants.v[i]);
			continue;
		}
		if (strvec_find(cfg_list(cfg, S_ADD_APT), pkg.buf) >= 0 ||
		    strvec_find(cfg_list(cfg, S_ADD_APT_GET), pkg.buf) >= 0)
			continue; /* in the base already: something else is wrong */
		for (size_t k = 0; k < found->nr && !known; k++)
			known = starts_with(found->v[k], pkg.buf) && found->v[k][pkg.len] == '=';
		if (!known)
			strvec_pushf(found, "%s=%s", pkg.buf, what.buf);
	}
	strvec_clear(&wants);
	strvec_clear(&probes);
	strbuf_release(&pkg);
	strbuf_release(&what);
	strbuf_release(&host_pcs);
}
