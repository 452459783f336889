#include "base.h"
#include "paths.h"
#include "config.h"
#include "stage.h"
#include "dockerapi.h"
#include "dockerctx.h"
#include "engine.h"
#include "exitcode.h"
#include "fs.h"
#include "hash.h"
#include "log.h"
#include "remote.h"
#include "run.h"
#include "sha256.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OS_IMAGE_VERSION "2"
#define OS_PACKAGES "gcc,g++,libc6-dev,make,pkg-config,git"


/* What a base image is made of, for its identity (base_identity_compute)
 * and its check (check_rustc): its rustc -vV, pkg-config's list, its OS
 * release and package set, as files of /green-check. Run by the check's
 * build, and once when the derived image is made (rust_image_text), so
 * that a new state dir reads them instead of building (read_baked_check). */
#define CHECK_DIR_NAME "green-check"
#define CHECK_SH                                                                                                     \
	"mkdir -p /green-check && rustc -vV >/green-check/vV && { pkg-config --list-all 2>/dev/null || true; } >/green-check/pc" \
	" && { cat /etc/os-release 2>/dev/null || true; } >/green-check/os"                                           \
	" && { dpkg-query -W -f '${Package} ${Version} ${Architecture}\\n' 2>/dev/null || apk info -v 2>/dev/null || true; } >/green-check/pkgs"

/* The file a command name runs: itself if it has a '/', else the first
 * executable of that name on PATH. 0, or -1. */
static int which(const char *cmd, struct strbuf *out)
{
	const char *p = getenv("PATH");
	if (strchr(cmd, '/')) {
		strbuf_addstr(out, cmd);
		return 0;
	}
	while (p && *p) {
		size_t n = strcspn(p, ":");
		strbuf_reset(out);
		strbuf_addf(out, "%.*s/%s", (int)n, n ? p : ".", cmd);
		if (!access(out->buf, X_OK))
			return 0;
		p += n + !!p[n];
	}
	strbuf_reset(out);
	return -1;
}

static void add_stat(struct strbuf *key, const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0)
		strbuf_addf(key, ":%s=%lu.%lld.%09ld", path, (unsigned long)st.st_ino, (long long)st.st_mtim.tv_sec,
			    st.st_mtim.tv_nsec);
}

/* When rustc is a rustup proxy (rustup beside it), what decides its
 * toolchain: rustup's settings (default, directory overrides), the installed
 * toolchains, the current directory and the nearest rust-toolchain file. */
static void rustup_choice(const char *rustc, struct strbuf *key)
{
	struct strbuf p = STRBUF_INIT, home = STRBUF_INIT;
	const char *rh = getenv("RUSTUP_HOME"), *h = getenv("HOME");
	char cwd[4096];
	strbuf_addstr(&p, rustc);
	strbuf_setlen(&p, (size_t)(strrchr(p.buf, '/') - p.buf));
	strbuf_addstr(&p, "/rustup");
	if (access(p.buf, X_OK))
		goto out;
	if (rh && *rh)
		strbuf_addstr(&home, rh);
	else
		strbuf_addf(&home, "%s/.rustup", h && *h ? h : "/root");
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/settings.toml", home.buf);
	add_stat(key, p.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/toolchains", home.buf);
	add_stat(key, p.buf);
	if (!getcwd(cwd, sizeof(cwd)))
		goto out;
	strbuf_addf(key, ":cwd=%s", cwd);
	for (char *slash = cwd + strlen(cwd); slash; slash = strrchr(cwd, '/')) {
		*slash = '\0';
		for (const char **f = (const char *[]){ "rust-toolchain.toml", "rust-toolchain", NULL }; *f; f++) {
			struct strbuf t = STRBUF_INIT;
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/%s", *cwd ? cwd : "", *f);
			if (strbuf_read_file(&t, p.buf) == 0) {
				strbuf_addf(key, ":%s=%s", p.buf, t.buf);
				strbuf_release(&t);
				goto out;
			}
			strbuf_release(&t);
		}
		if (!*cwd)
			break;
	}
out:
	strbuf_release(&p);
	strbuf_release(&home);
}

int rustc_version_verbose(const char *rustc, struct strbuf *out, struct strbuf *err)
{
	struct child c = CHILD_INIT;
	struct strbuf cache = STRBUF_INIT, key = STRBUF_INIT, path = STRBUF_INIT;
	struct stat st;
	char hex[17];
	int rc, ret = -1;

	/* Keyed on the binary's identity; a rustup proxy also on what picks its
	 * toolchain. (A stale answer for a proxy costs only the local store of
	 * one run: wrappers get the toolchain's own rustc from cargo.) */
	if (which(rustc, &path) == 0 && stat(path.buf, &st) == 0) {
		const char *tc = getenv("RUSTUP_TOOLCHAIN");
		strbuf_addf(&key, "%s:%lld:%lld:%s", path.buf, (long long)st.st_mtime, (long long)st.st_size, tc ? tc : "");
		rustup_choice(path.buf, &key);
		hash_hex(key.buf, hex);
		state_dir(&cache);
		strbuf_addf(&cache, "/rustc/%s", hex);
		if (strbuf_read_file(out, cache.buf) == 0 && starts_with(out->buf, "rustc ")) {
			ret = 0;
			goto done;
		}
		strbuf_reset(out);
	}
	strvec_push(&c.args, rustc);
	strvec_push(&c.args, "-vV");
	rc = run_capture(&c, out, err);
	if (rc != 0 || !starts_with(out->buf, "rustc ")) {
		if (rc > 0)
			strbuf_addf(err, "'%s -vV' failed with exit code %d", rustc, rc);
		goto done;
	}
	if (cache.len) {
		mkdir_parent(cache.buf, 0755);
		write_file_atomic(cache.buf, out->buf, out->len, 0644);
	}
	ret = 0;
done:
	child_release(&c);
	strbuf_release(&cache);
	strbuf_release(&key);
	strbuf_release(&path);
	return ret;
}

/* Value of "key: value" in rustc -vV output. */
static void vv_field(const char *vv, const char *key, struct strbuf *out)
{
	struct strbuf k = STRBUF_INIT;
	const char *p;
	strbuf_addf(&k, "\n%s: ", key);
	p = strstr(vv, k.buf);
	if (p) {
		p += k.len;
		strbuf_add(out, p, strcspn(p, "\n"));
	}
	strbuf_release(&k);
}

/* Is image known to the engine? *known 1 (its ID appended to id, if not
 * NULL) or 0: 0, or an exit code with err. */
static int image_id(const struct config *cfg, const char *image, int *known, struct strbuf *id, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	int rc;
	*known = 0;
	if ((rc = remote_ensure(err)))
		return rc;
	/* The engine's API answers in a millisecond; the CLI takes ~50. */
	if (cfg->runner == RUNNER_DOCKER && (rc = dockerapi_image_id(image, id, ENGINE_PING_MS)) >= 0) {
		*known = rc;
		return 0;
	}
	if (rc == -2) {
		strbuf_addf(err, "the engine at %s did not answer whether it has the image %s (GET /images/NAME/json) within %d s: it is stuck; restart it (scripts/engine.sh), or set CARGOGREEN_RUNNER=none to build with the local rustc",
			    engine_where(), image, ENGINE_PING_MS / 1000);
		return EXIT_ENGINE_UNREACHABLE;
	}
	rc = engine_cli(cfg, (const char *[]){ "image", "inspect", "--format={{.Id}}", image, NULL }, &out, err);
	if (rc == ENGINE_STUCK) {
		rc = EXIT_ENGINE_UNREACHABLE;
	} else if (rc < 0) {
		strbuf_addstr(err, " (install the docker client: scripts/engine.sh, or set CARGOGREEN_RUNNER=none)");
		rc = EXIT_ENGINE_UNREACHABLE;
	} else if (rc == 0) {
		*known = 1;
		strbuf_rtrim(&out);
		if (id)
			strbuf_addbuf(id, &out);
	} else if (strstr(out.buf, "No such image") || strstr(out.buf, "no such image")) {
		rc = 0;
	} else {
		rc = engine_explain_failure("inspecting the base image", out.buf, "(docker image inspect)", err);
	}
	strbuf_release(&out);
	return rc;
}

static void os_codename(struct strbuf *out)
{
	struct strbuf osr = STRBUF_INIT;
	if (strbuf_read_file(&osr, "/etc/os-release") == 0) {
		const char *p = strstr(osr.buf, "\nVERSION_CODENAME=");
		if (p && strstr(osr.buf, "ID=debian")) {
			p += strlen("\nVERSION_CODENAME=");
			strbuf_add(out, p, strcspn(p, "\n\""));
		}
	}
	if (!out->len)
		strbuf_addstr(out, "bookworm");
	strbuf_release(&osr);
}

/* The same recipe on the host of a remote engine (DOCKER_HOST=ssh://, over
 * the run's connection): its own mmdebstrap, from its own apt mirror, and
 * its own docker import, so that the OS tarball (~400 MB) is not sent from
 * here. 0 made there; 1 it cannot be (no mmdebstrap there, or it failed:
 * said in the log, made here instead); -1 with err: the connection failed. */
static int make_os_remotely(const char *image, const char *codename, int verbose, struct strbuf *err)
{
	struct strbuf cmd = STRBUF_INIT, cause = STRBUF_INIT;
	int rc;
	if (!remote_active() || strspn(codename, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(codename) ||
	    strspn(image, "abcdefghijklmnopqrstuvwxyz0123456789:.-_") != strlen(image))
		return 1;
	strbuf_addf(&cmd,
		    "command -v mmdebstrap >/dev/null || { echo 'no mmdebstrap' >&2; exit 127; }; "
		    "t=$(mktemp -d) || exit 1; "
		    "mmdebstrap --quiet --variant=minbase --include=" OS_PACKAGES " %s \"$t/os.tar\" >\"$t/log\" 2>&1 "
		    "&& docker import \"$t/os.tar\" %s >/dev/null 2>>\"$t/log\"; rc=$?; "
		    "[ $rc -eq 0 ] || tail -n 1 \"$t/log\" >&2; rm -rf \"$t\"; exit $rc",
		    codename, image);
	if (verbose)
		fprintf(stderr, "cargo-green: making the base OS image %s on the remote host (Debian %s, once per engine)\n", image, codename);
	LOG(LOG_INFO, "making the base OS image %s on the remote host", image);
	rc = remote_run(cmd.buf, &cause, err);
	if (rc > 0)
		LOG(LOG_WARN, "the remote host could not make the OS image (exit %d: %s): making it here and sending it", rc,
		    cause.len ? cause.buf : "no message");
	strbuf_release(&cmd);
	strbuf_release(&cause);
	return rc < 0 ? -1 : rc ? 1 : 0;
}

/* Make the OS image with mmdebstrap and docker import (on the remote host
 * when there is one and it can). */
static int make_os_image(const struct config *cfg, const char *image, const char *codename, const char *state, int verbose, struct strbuf *err)
{
	struct child c = CHILD_INIT;
	struct strbuf tar = STRBUF_INIT, log = STRBUF_INIT, out = STRBUF_INIT;
	int rc, ret = 0;

	if ((rc = make_os_remotely(image, codename, verbose, err)) <= 0)
		return rc < 0 ? EXIT_ENGINE_UNREACHABLE : 0;

	/* A name of this process's: removed on every path, swept if it is killed. */
	strbuf_addf(&tar, "%s/os-%s.%ld.tar", state, codename, (long)getpid());
	strbuf_addf(&log, "%s/os-%s.log", state, codename);
	if (verbose)
		fprintf(stderr, "cargo-green: making the base OS image %s (Debian %s, once per engine)\n", image, codename);
	LOG(LOG_INFO, "making the base OS image %s", image);
	strvec_pushv(&c.args, (const char *[]){ "mmdebstrap", "--quiet", "--variant=minbase",
						"--include=" OS_PACKAGES, codename, tar.buf, NULL });
	c.stdin_path = "";
	c.stdout_path = log.buf;
	c.stderr_to_stdout = 1;
	rc = run_command(&c, err);
	child_release(&c);
	if (rc < 0) {
		strbuf_reset(err);
		strbuf_addf(err, "cannot make the base image: the engine has no '%s' and mmdebstrap is not installed (apt-get install mmdebstrap, or set CARGOGREEN_BASE_IMAGE=docker-image://AN-IMAGE-WITH-THE-SAME-RUSTC)", image);
		ret = EXIT_BASE_IMAGE;
		goto out;
	}
	if (rc) {
		strbuf_addf(err, "cannot make the base image: mmdebstrap failed with exit code %d (log: %s)", rc, log.buf);
		ret = EXIT_BASE_IMAGE;
		goto out;
	}
	rc = engine_cli_long(cfg, (const char *[]){ "import", tar.buf, image, NULL }, &out, err);
	if (rc) {
		if (rc > 0)
			ret = engine_explain_failure("importing the base OS image", out.buf, "(docker import)", err);
		else
			ret = EXIT_ENGINE_UNREACHABLE;
	}
out:
	unlink(tar.buf);
	strbuf_release(&tar);
	strbuf_release(&log);
	strbuf_release(&out);
	return ret;
}

/* Write df to STATE/NAME.Dockerfile and point b at it, with STATE/NAME.log
 * as its log and an empty main context. The strbufs keep the paths alive. */
static int prepare_build(struct engine_build *b, const char *state, const char *name, const struct strbuf *df,
			 struct strbuf *path, struct strbuf *log, struct strbuf *empty, struct strbuf *err)
{
	strbuf_addf(path, "%s/%s.Dockerfile", state, name);
	strbuf_addf(log, "%s/%s.log", state, name);
	strbuf_addf(empty, "%s/empty", state);
	mkdir_p(empty->buf, 0755);
	if (write_file_atomic(path->buf, df->buf, df->len, 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path->buf, strerror(errno));
		return EXIT_IO;
	}
	b->dockerfile = path->buf;
	b->main_ctx = empty->buf;
	b->log_path = log->buf;
	return 0;
}

/* The Dockerfile of the base image: the OS image and the toolchain's files
 * (bin/rustc, the .so files of lib, lib/rustlib/TRIPLE) from the context
 * from names ("--from=sysroot ", or "" for the main one), rustc's check
 * run with run_flags ("--network=none ", or "" for a builder without). */
static void rust_image_text(const char *os_image, const char *triple, const char *from, const char *run_flags,
			    struct strbuf *df)
{
	strbuf_addf(df,
		    "FROM %s\n"
		    "COPY %sbin/rustc /usr/local/rust/bin/rustc\n"
		    "COPY %slib/*.so* /usr/local/rust/lib/\n"
		    "COPY %slib/rustlib/%s /usr/local/rust/lib/rustlib/%s\n"
		    "ENV PATH=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
		    "RUN %s" CHECK_SH "\n",
		    os_image, from, from, from, triple, triple, run_flags);
}

static int build_rust_image(const struct config *cfg, const char *tag, const char *os_image, const char *sysroot, const char *triple,
			    const char *state, int verbose, struct strbuf *err)
{
	struct engine_build b = ENGINE_BUILD_INIT;
	struct strbuf df = STRBUF_INIT, path = STRBUF_INIT, log = STRBUF_INIT, empty = STRBUF_INIT;
	int ret;

	rust_image_text(os_image, triple, "--from=sysroot ", "--network=none ", &df);
	if ((ret = prepare_build(&b, state, "base", &df, &path, &log, &empty, err)))
		goto out;
	if (verbose)
		fprintf(stderr, "cargo-green: making the base image %s from the local toolchain %s\n", tag, sysroot);
	LOG(LOG_INFO, "making the base image %s from %s", tag, sysroot);
	strvec_pushf(&b.contexts, "sysroot=%s", sysroot);
	b.cfg = cfg;
	b.tag = tag;
	ret = engine_build(&b, NULL, err);
out:
	engine_build_release(&b);
	strbuf_release(&df);
	strbuf_release(&path);
	strbuf_release(&log);
	strbuf_release(&empty);
	return ret;
}

/* The files of the toolchain the base image holds (bin/rustc, the .so files of lib,
 * lib/rustlib/TRIPLE: build_rust_image's COPYs), each by its SHA-256, as
 * one digest: a shell text run in the sysroot, here and on a remote host. */
#define TOOLCHAIN_DIGEST_SH                                                                          \
	"{ echo bin/rustc; ls lib | grep '\\.so' | sed 's|^|lib/|'; find lib/rustlib/%s \\( -type f -o -type l \\); } " \
	"| LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1"

/* The base image made on the host of a remote engine from the same
 * toolchain, downloaded there from static.rust-lang.org (a stable release:
 * its channel manifest names each component's file and SHA-256), instead of
 * the local one's ~540 MB sent from here: only when the files it unpacks to
 * are the local toolchain's, byte for byte (TOOLCHAIN_DIGEST_SH on both
 * sides; a toolchain of another origin, Debian's say, differs). 0 made
 * there; 1 it cannot be (said in the log: made here instead); -1 with err:
 * the connection failed. */
static int make_rust_remotely(const char *tag, const char *os_image, const char *sysroot, const char *triple,
			      const char *release, int verbose, struct strbuf *err)
{
	struct child c = CHILD_INIT;
	struct strbuf digest = STRBUF_INIT, sh = STRBUF_INIT, cmd = STRBUF_INIT, cause = STRBUF_INIT, df = STRBUF_INIT,
		      text = STRBUF_INIT;
	const char *safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-/";
	int rc = 1;

	if (!remote_active() || !*release || strspn(release, "0123456789.") != strlen(release) ||
	    strspn(triple, safe) != strlen(triple) || strspn(tag, safe) != strlen(tag) ||
	    strspn(os_image, safe) != strlen(os_image))
		return 1;
	strbuf_addf(&sh, TOOLCHAIN_DIGEST_SH, triple);
	/* (the remote's own docker build: the main context; its builder may be the classic one) */
	rust_image_text(os_image, triple, "", "", &text);
	strbuf_add_shquoted(&df, text.buf); /* (a word of the remote shell's) */
	strvec_pushv(&c.args, (const char *[]){ "sh", "-c", sh.buf, NULL });
	c.dir = sysroot;
	c.stdin_path = "";
	if (run_capture(&c, &digest, err) != 0 || (strbuf_rtrim(&digest), digest.len != 64)) {
		LOG(LOG_WARN, "cannot digest the local toolchain %s: the base image is made here and sent", sysroot);
		strbuf_reset(err);
		goto out;
	}
	strbuf_addf(&cmd,
		    "t=$(mktemp -d) || exit 1; trap 'rm -rf \"$t\"' EXIT; cd \"$t\" || exit 1; "
		    "get() { curl -fsSL --retry 2 -o \"$2\" \"$1\" 2>>log || wget -q -O \"$2\" \"$1\" 2>>log; }; "
		    "k=url; h=hash; z=z; if command -v xz >/dev/null; then k=xz_url; h=xz_hash; z=J; fi; "
		    "get https://static.rust-lang.org/dist/channel-rust-%s.toml ch.toml "
		    "|| { echo 'cannot download https://static.rust-lang.org/dist/channel-rust-%s.toml' >&2; exit 3; }; "
		    "mkdir s; for c in rustc rust-std; do "
		    "f() { awk -v s=\"[pkg.$c.target.%s]\" -v k=\"$1\" '$0==s{f=1;next} /^\\[/{f=0} f&&$1==k{gsub(/\"/,\"\",$3);print $3}' ch.toml; }; "
		    "u=$(f $k); d=$(f $h); [ -n \"$u\" ] && [ -n \"$d\" ] || { echo \"no $c for %s in the channel\" >&2; exit 3; }; "
		    "get \"$u\" c.tar || { echo \"cannot download $u\" >&2; exit 3; }; "
		    "echo \"$d  c.tar\" | sha256sum -c --quiet >/dev/null 2>&1 || { echo \"$u: not its SHA-256\" >&2; exit 3; }; "
		    "tar -x${z}f c.tar || exit 3; p=$c; [ $c = rust-std ] && p=rust-std-%s; "
		    "cp -a \"$c-%s-%s/$p/.\" s/ && rm -rf \"$c-%s-%s\" c.tar || exit 3; done; "
		    "cd s || exit 1; g=$(" TOOLCHAIN_DIGEST_SH "); "
		    "[ \"$g\" = %s ] || { echo \"its files are not the local toolchain's (digest $g)\" >&2; exit 4; }; "
		    "printf '%%s' %s >../Dockerfile; "
		    "docker build -q -f ../Dockerfile -t %s . >/dev/null 2>../log || { tail -n 1 ../log >&2; exit 5; }",
		    release, release, triple, triple, triple, release, triple, release, triple, triple, digest.buf, df.buf,
		    tag);
	if (verbose)
		fprintf(stderr, "cargo-green: making the base image %s on the remote host, its toolchain (rustc %s) from static.rust-lang.org\n",
			tag, release);
	LOG(LOG_INFO, "making the base image %s on the remote host from static.rust-lang.org's rustc %s", tag, release);
	rc = remote_run(cmd.buf, &cause, err);
	if (rc > 0)
		LOG(LOG_WARN, "the remote host could not make the base image from static.rust-lang.org (exit %d: %s): made here and sent",
		    rc, cause.len ? cause.buf : "no message");
	rc = rc < 0 ? -1 : rc ? 1 : 0;
out:
	child_release(&c);
	strbuf_release(&digest);
	strbuf_release(&sh);
	strbuf_release(&cmd);
	strbuf_release(&cause);
	strbuf_release(&df);
	strbuf_release(&text);
	return rc;
}

static void stamp_path(const struct config *cfg, const char *ref, const char *vv, const char *ext, struct strbuf *out);

/* The value of NAME="..." (or NAME=...) in an os-release text. */
static void osr_field(const char *osr, const char *name, struct strbuf *out)
{
	struct strbuf k = STRBUF_INIT;
	const char *p;
	strbuf_addf(&k, "\n%s=", name);
	if (starts_with(osr, k.buf + 1))
		p = osr + k.len - 1;
	else if ((p = strstr(osr, k.buf)))
		p += k.len;
	if (p) {
		if (*p == '"')
			p++;
		strbuf_add(out, p, strcspn(p, "\"\n"));
	}
	strbuf_release(&k);
}

int base_identity_compute(const char *vv, const char *os_release, const char *pkgs, struct strbuf *ident,
			  struct strbuf *summary)
{
	struct strvec lines = STRVEC_INIT;
	struct strbuf line = STRBUF_INIT, name = STRBUF_INIT;
	struct sha256 md;
	char hex[65];
	for (const char *l = pkgs; *l;) {
		const char *end = strchrnul(l, '\n');
		if (end > l)
			strvec_pushf(&lines, "%.*s", (int)(end - l), l);
		l = *end ? end + 1 : end;
	}
	strvec_sort(&lines);
	sha256_init(&md);
	strbuf_addstr(&line, "cargo-green base identity 1\n");
	sha256_update(&md, line.buf, line.len);
	sha256_update(&md, vv, strlen(vv) + 1);
	sha256_update(&md, os_release, strlen(os_release) + 1);
	for (size_t i = 0; i < lines.nr; i++)
		sha256_update(&md, lines.v[i], strlen(lines.v[i]) + 1);
	sha256_hex(&md, hex);
	strbuf_addf(ident, "sha256:%s", hex);
	osr_field(os_release, "PRETTY_NAME", &name);
	strbuf_reset(&line);
	strbuf_add(&line, vv, strcspn(vv, "\n"));
	strbuf_addf(summary, "%s, %s, %zu packages", line.buf, name.len ? name.buf : "unknown OS", lines.nr);
	strvec_clear(&lines);
	strbuf_release(&line);
	strbuf_release(&name);
	return 0;
}

/* Keep image's identity (what check_rustc's dir out holds) beside its
 * stamp: "IDENTITY\tENGINE-ID\tSUMMARY". The engine's ID tells when the
 * name was given to another image since (then it is checked again). */
static int write_identity(const struct config *cfg, const char *image, const char *vv, const char *out,
			  struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT, osr = STRBUF_INIT, pkgs = STRBUF_INIT, ident = STRBUF_INIT, sum = STRBUF_INIT,
		      eid = STRBUF_INIT, text = STRBUF_INIT;
	int ret = 0, known;
	strbuf_addf(&p, "%s/os", out);
	strbuf_read_file(&osr, p.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/pkgs", out);
	strbuf_read_file(&pkgs, p.buf);
	base_identity_compute(vv, osr.buf, pkgs.buf, &ident, &sum);
	if (image_id(cfg, image, &known, &eid, err))
		strbuf_reset(err); /* checked again next time */
	strbuf_addf(&text, "%s\t%s\t%s\n", ident.buf, eid.buf, sum.buf);
	strbuf_reset(&p);
	stamp_path(cfg, image, vv, "ident", &p);
	if (write_file_atomic(p.buf, text.buf, text.len, 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", p.buf, strerror(errno));
		ret = EXIT_IO;
	}
	strbuf_release(&p);
	strbuf_release(&osr);
	strbuf_release(&pkgs);
	strbuf_release(&ident);
	strbuf_release(&sum);
	strbuf_release(&eid);
	strbuf_release(&text);
	return ret;
}

/* The identity kept for ref: field 0 identity, 1 engine ID, 2 summary. 0 or -1. */
static int read_identity(const struct config *cfg, const char *ref, const char *vv, int field, struct strbuf *out)
{
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	const char *f;
	int ret = -1;
	stamp_path(cfg, ref, vv, "ident", &p);
	if (strbuf_read_file(&text, p.buf) == 0) {
		f = text.buf;
		for (int i = 0; i < field && f; i++)
			f = strchr(f, '\t') ? strchr(f, '\t') + 1 : NULL;
		if (f) {
			strbuf_add(out, f, strcspn(f, "\t\n"));
			ret = 0;
		}
	}
	strbuf_release(&p);
	strbuf_release(&text);
	return ret;
}

static const char *const check_files[] = { "vV", "pc", "os", "pkgs" };

int base_check_untar(const struct strbuf *tar, const char *out)
{
	struct strbuf path = STRBUF_INIT;
	unsigned got = 0;
	size_t at = 0;
	int ret = -1;
	if (mkdir_p(out, 0755) < 0)
		goto done;
	while (at + 512 <= tar->len) {
		const char *h = tar->buf + at, *base;
		char name[101], size_s[13];
		unsigned long long size;
		char *end;
		if (!h[0])
			break; /* the end blocks */
		memcpy(name, h, 100);
		name[100] = '\0';
		memcpy(size_s, h + 124, 12);
		size_s[12] = '\0';
		size = strtoull(size_s, &end, 8);
		if (end == size_s || size > tar->len || at + 512 + size > tar->len)
			goto done;
		base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
		if ((h[156] == '0' || h[156] == '\0') && starts_with(name, CHECK_DIR_NAME "/")) {
			for (unsigned i = 0; i < ARRAY_SIZE(check_files); i++) {
				if (strcmp(base, check_files[i]) || strchr(name + strlen(CHECK_DIR_NAME "/"), '/'))
					continue;
				strbuf_reset(&path);
				strbuf_addf(&path, "%s/%s", out, base);
				if (write_file_atomic(path.buf, h + 512, (size_t)size, 0644) < 0)
					goto done;
				got |= 1u << i;
			}
		}
		at += 512 + (size + 511) / 512 * 512;
	}
	if (got == (1u << ARRAY_SIZE(check_files)) - 1)
		ret = 0;
done:
	strbuf_release(&path);
	return ret;
}

/* The check's files as the derived image holds them (CHECK_SH baked in
 * when it was made: rust_image_text), read without a build: a container
 * created, its CHECK_DIR read, removed. 0 with them in out; -1 when the
 * image has none (made by an older cargo-green) or they cannot be read. */
static int read_baked_check(const char *image, const char *out)
{
	struct strbuf tar = STRBUF_INIT;
	long long t0 = now_ns();
	int ret = -1;
	if (dockerapi_image_dir(image, "/" CHECK_DIR_NAME, &tar, ENGINE_PING_MS) == 0 && base_check_untar(&tar, out) == 0)
		ret = 0;
	LOG(LOG_INFO, "base: %s: %s (%.1f ms)", image, ret ? "no check files to read in it" : "its check files read, no build",
	    (now_ns() - t0) / 1e6);
	strbuf_release(&tar);
	return ret;
}

/* Check that `rustc -vV` in image equals the host's, and keep the image's
 * `pkg-config --list-all` at pc_path (what its pkg-config can find).
 * how: by a build, or (the image derived from the host, whose check files
 * were made with it) from those files (read_baked_check), a build only
 * when it has none, or they were read into check_out_dir already. */
/* Where this process's check of a base puts its files (STATE/check.PID). */
static void check_out_dir(const char *state, struct strbuf *out)
{
	strbuf_addf(out, "%s/check.%ld", state, (long)getpid());
}

enum check_how {
	CHECK_BUILD, /* by a build */
	CHECK_BAKED, /* from the image's check files, else by a build */
	CHECK_READ,  /* read already (read_baked_check into check_out_dir) */
};

static int check_rustc(const struct config *cfg, const char *image, const char *host_vv, const char *state,
		       const char *pc_path, enum check_how how, struct strbuf *err)
{
	struct engine_build b = ENGINE_BUILD_INIT;
	struct strbuf df = STRBUF_INIT, path = STRBUF_INIT, log = STRBUF_INIT, out = STRBUF_INIT,
		      vv = STRBUF_INIT, empty = STRBUF_INIT, host_rel = STRBUF_INIT, img_rel = STRBUF_INIT,
		      name = STRBUF_INIT;
	int ret;

	/* What the image is made of, for its identity (base_identity): its
	 * OS release and its package set, besides rustc -vV. */
	strbuf_addf(&df, "FROM %s AS check\nRUN --network=none " CHECK_SH "\n"
		    "FROM scratch AS out\nCOPY --from=check /" CHECK_DIR_NAME "/ /\n", image);
	check_out_dir(state, &out);
	strbuf_addf(&name, "check.%ld", (long)getpid());
	if ((ret = prepare_build(&b, state, name.buf, &df, &path, &log, &empty, err)))
		goto out;
	if (how == CHECK_BUILD || (how == CHECK_BAKED && read_baked_check(image, out.buf) < 0)) {
		LOG(LOG_INFO, "base: %s: checked by a build", image);
		rm_rf(out.buf);
		b.cfg = cfg;
		b.target = "out";
		b.out_dir = out.buf;
		ret = engine_build(&b, NULL, err);
		if (ret)
			goto out;
	}
	strbuf_addf(&vv, "%s/vV", out.buf);
	{
		struct strbuf got = STRBUF_INIT;
		strbuf_read_file(&got, vv.buf);
		if (strcmp(got.buf, host_vv)) {
			strbuf_add(&host_rel, host_vv, strcspn(host_vv, "\n"));
			strbuf_add(&img_rel, got.buf, strcspn(got.buf, "\n"));
			strbuf_addf(err, "the base image %s has '%s' but the host has '%s' (use an image with the same rustc, or unset CARGOGREEN_BASE_IMAGE)",
				    image, img_rel.len ? img_rel.buf : "no rustc", host_rel.buf);
			ret = EXIT_BASE_IMAGE;
		}
		strbuf_release(&got);
	}
	if (!ret) {
		struct strbuf pc = STRBUF_INIT;
		strbuf_reset(&vv);
		strbuf_addf(&vv, "%s/pc", out.buf);
		strbuf_read_file(&pc, vv.buf);
		if (write_file_atomic(pc_path, pc.buf, pc.len, 0644) < 0) {
			strbuf_addf(err, "cannot write '%s': %s", pc_path, strerror(errno));
			ret = EXIT_IO;
		}
		strbuf_release(&pc);
	}
	if (!ret)
		ret = write_identity(cfg, image, host_vv, out.buf, err);
out:
	unlink(path.buf);
	if (!ret || run_signal_caught()) /* kept only to explain a failure */
		unlink(log.buf);
	rm_rf(out.buf);
	engine_build_release(&b);
	strbuf_release(&df);
	strbuf_release(&path);
	strbuf_release(&log);
	strbuf_release(&out);
	strbuf_release(&vv);
	strbuf_release(&empty);
	strbuf_release(&host_rel);
	strbuf_release(&img_rel);
	strbuf_release(&name);
	return ret;
}

/* The network package installs run with. They need one whatever compiles
 * get; "default" would mean the build's default, i.e. WITH_NETWORK itself. */
static const char *install_network(const struct config *cfg)
{
	return !strcmp(cfg_get(cfg, S_WITH_NETWORK), "default") ? "default" : "host";
}

/* One RUN installing the packages of setting id, and for ADD_APT the extra
 * ones (the host's, CARGOGREEN_ADD_APT_FROM_HOST) after them. */
static void add_install(struct strbuf *out, const struct config *cfg, const char *stage_from, int *n,
			enum setting_id id, const struct strvec *extra, const char *cmd)
{
	struct strvec all = STRVEC_INIT;
	const struct strvec *pkgs = &all;
	strvec_pushv(&all, cfg_list(cfg, id)->v);
	for (size_t i = 0; extra && id == S_ADD_APT && i < extra->nr; i++)
		if (strvec_find(&all, extra->v[i]) < 0)
			strvec_push(&all, extra->v[i]);
	if (!pkgs->nr) {
		strvec_clear(&all);
		return;
	}
	if (!(*n)++)
		strbuf_addf(out, "FROM %s AS rust-base\n", stage_from);
	strbuf_addf(out, "RUN --network=%s set -eux; %s", install_network(cfg), cmd);
	for (size_t i = 0; i < pkgs->nr; i++)
		strbuf_addf(out, " %s", pkgs->v[i]);
	if (id != S_ADD_APK)
		strbuf_addstr(out, "; rm -rf /var/lib/apt/lists/*");
	strbuf_addch(out, '\n');
	strvec_clear(&all);
}

static void compose_inline(const struct config *cfg, const char *base_ref, const struct strvec *extra,
			   struct strbuf *out)
{
	const char *user = cfg_get(cfg, S_BASE_IMAGE_INLINE);
	char *last = NULL;
	int n = 0;
	if (user) {
		strbuf_addf(out, "ARG CARGOGREEN_BASE=%s\n%s", base_ref, user);
		if (out->len && out->buf[out->len - 1] != '\n')
			strbuf_addch(out, '\n');
		last = dockerfile_last_stage(user);
	}
	add_install(out, cfg, last ? last : base_ref, &n, S_ADD_APT, extra,
		    "apt update; DEBIAN_FRONTEND=noninteractive apt install -y --no-install-recommends");
	add_install(out, cfg, last ? last : base_ref, &n, S_ADD_APT_GET, NULL,
		    "apt-get update; DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends");
	add_install(out, cfg, last ? last : base_ref, &n, S_ADD_APK, NULL, "apk add --no-cache");
	free(last);
}

/* The image compiles start from before any inline stages: BASE_IMAGE or the
 * one derived from the local toolchain. */
static void base_image_ref(const struct config *cfg, const char *vv, struct strbuf *ref)
{
	if (cfg_get(cfg, S_BASE_IMAGE)) {
		strbuf_addstr(ref, cfg_get(cfg, S_BASE_IMAGE) + strlen("docker-image://"));
	} else {
		struct strbuf release = STRBUF_INIT, commit = STRBUF_INIT;
		vv_field(vv, "release", &release);
		vv_field(vv, "commit-hash", &commit);
		strbuf_addf(ref, "cargo-green-rust:%s-os" OS_IMAGE_VERSION "-%.12s", release.buf, commit.len ? commit.buf : "unknown");
		strbuf_release(&release);
		strbuf_release(&commit);
	}
}

static int base_has_inline(const struct config *cfg)
{
	return cfg_get(cfg, S_BASE_IMAGE_INLINE) || cfg_list(cfg, S_ADD_APT)->nr || cfg_list(cfg, S_ADD_APT_GET)->nr ||
	       cfg_list(cfg, S_ADD_APK)->nr;
}

int base_is_derived(const struct config *cfg)
{
	return !cfg_get(cfg, S_BASE_IMAGE) && !base_has_inline(cfg);
}

int base_inline_text(const struct config *cfg, const char *rustc, struct strbuf *out, struct strbuf *err)
{
	struct strbuf vv = STRBUF_INIT, ref = STRBUF_INIT;
	if (!base_has_inline(cfg))
		return 0;
	if (rustc_version_verbose(rustc, &vv, err) < 0) {
		strbuf_release(&vv);
		return EXIT_BASE_IMAGE;
	}
	base_image_ref(cfg, vv.buf, &ref);
	compose_inline(cfg, ref.buf, NULL, out);
	strbuf_release(&vv);
	strbuf_release(&ref);
	return 0;
}

/* Build the inline stages into image tag. */
static int build_inline_image(const struct config *cfg, const char *tag, const char *text, const char *state,
			      int verbose, struct strbuf *err)
{
	struct engine_build b = ENGINE_BUILD_INIT;
	struct strbuf path = STRBUF_INIT, log = STRBUF_INIT, empty = STRBUF_INIT, df = STRBUF_INIT;
	char *last = dockerfile_last_stage(text);
	int ret;

	strbuf_addstr(&df, text);
	if ((ret = prepare_build(&b, state, "inline", &df, &path, &log, &empty, err)))
		goto out;
	if (verbose)
		fprintf(stderr, "cargo-green: making the base image %s from base-image-inline/add settings\n", tag);
	LOG(LOG_INFO, "making the base image %s from:\n%s", tag, text);
	b.cfg = cfg;
	b.tag = tag;
	b.target = last;
	b.network = cfg_get(cfg, S_WITH_NETWORK);
	b.allow_host = strstr(text, "--network=host") != NULL;
	ret = engine_build(&b, NULL, err);
out:
	free(last);
	engine_build_release(&b);
	strbuf_release(&df);
	strbuf_release(&path);
	strbuf_release(&log);
	strbuf_release(&empty);
	return ret;
}

/* STATE/base/HEX.EXT: what is kept of image ref for this engine, rustc and runner. */
static void stamp_path(const struct config *cfg, const char *ref, const char *vv, const char *ext, struct strbuf *out)
{
	struct strbuf key = STRBUF_INIT;
	char hex[17];
	state_dir(out);
	strbuf_addf(&key, "%s\n%s\n%s\n%s", ref, engine_host(), vv, cfg_get(cfg, S_RUNNER));
	hash_hex(key.buf, hex);
	strbuf_addf(out, "/base/%s.%s", hex, ext);
	strbuf_release(&key);
}

int base_pkgconfig_list(const struct config *cfg, const char *rustc, const char *ref, struct strbuf *out)
{
	struct strbuf vv = STRBUF_INIT, path = STRBUF_INIT, err = STRBUF_INIT;
	int ret = -1;
	if (rustc_version_verbose(rustc, &vv, &err) == 0) {
		stamp_path(cfg, ref, vv.buf, "pc", &path);
		ret = strbuf_read_file(out, path.buf);
	}
	strbuf_release(&vv);
	strbuf_release(&path);
	strbuf_release(&err);
	return ret;
}

/* The engine's probe (engine_probe), in a child of its own while this
 * process goes on (an image there already is checked meanwhile: two engine
 * round trips at once, not one after the other, on a machine whose state
 * dir is new). A pid and the reading end of its pipe, or -1: then it ran
 * here, its outcome in *ret and err. */
static pid_t probe_start(const struct config *cfg, const char *state, int *fd, int *ret, struct strbuf *err)
{
	int fds[2];
	pid_t pid;
	*fd = -1;
	/* (an ssh:// engine: its one connection is this process's to open) */
	if (remote_active() || pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		*ret = engine_probe(cfg, state, err);
		return -1;
	}
	if (pid == 0) {
		struct strbuf e = STRBUF_INIT, out = STRBUF_INIT;
		int r;
		close(fds[0]);
		r = engine_probe(cfg, state, &e);
		strbuf_addf(&out, "%d\n%s", r, e.buf);
		write_all(fds[1], out.buf, out.len);
		_exit(0);
	}
	close(fds[1]);
	*fd = fds[0];
	*ret = 0;
	return pid;
}

/* The probe's outcome: its exit code, err its words (a probe that did not
 * answer: EXIT_ENGINE_UNREACHABLE). */
static int probe_finish(pid_t pid, int fd, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	char *end;
	long r;
	int st;
	strbuf_read_fd(&out, fd);
	close(fd);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r = strtol(out.buf, &end, 10);
	if (end == out.buf || *end != '\n') {
		strbuf_addstr(err, "the engine's probe ended without an answer (interrupted?)");
		r = EXIT_ENGINE_UNREACHABLE;
	} else if (r) {
		strbuf_addstr(err, end + 1);
	}
	strbuf_release(&out);
	return (int)r;
}

/* The probe joined, if it still runs (*probe > 0): its failure (an engine
 * too old, no podman) says more than whatever else failed meanwhile (the
 * check, the image not found), so it replaces ret and err; else ret. */
static int probe_join(pid_t *probe, int fd, int ret, struct strbuf *err)
{
	struct strbuf perr = STRBUF_INIT;
	int pret;
	if (*probe <= 0)
		return ret;
	pret = probe_finish(*probe, fd, &perr);
	*probe = -1;
	if (pret) {
		strbuf_reset(err);
		strbuf_addbuf(err, &perr);
		ret = pret;
	}
	strbuf_release(&perr);
	return ret;
}

/* Make image ref exist and checked (its rustc -vV == vv), once per engine:
 * a stamp says it was done. inline_text: build ref from it; NULL: ref is
 * BASE_IMAGE (check only) or the derived image (made if missing). */
static int ensure_image(const struct config *cfg, const char *rustc, const char *vv, const char *ref,
			const char *inline_text, int verbose, struct strbuf *err)
{
	struct strbuf state = STRBUF_INIT, stamp = STRBUF_INIT, lockp = STRBUF_INIT, triple = STRBUF_INIT,
		      sysroot = STRBUF_INIT, codename = STRBUF_INIT, os_image = STRBUF_INIT, key = STRBUF_INIT,
		      ident = STRBUF_INIT, release = STRBUF_INIT;
	struct strbuf pre = STRBUF_INIT;
	int lock = -1, ret = 0, exists, rc, probe_fd = -1, derived = !inline_text && !cfg_get(cfg, S_BASE_IMAGE);
	/* (the API read is of docker's engine: another runner's images are its own) */
	enum check_how how = derived && cfg->runner == RUNNER_DOCKER ? CHECK_BAKED : CHECK_BUILD;
	pid_t probe = -1;

	/* The stamp says it was done; the image's pkg-config list is kept beside it. */
	state_dir(&state);
	stamp_path(cfg, ref, vv, "ok", &stamp);
	stamp_path(cfg, ref, vv, "pc", &key);
	stamp_path(cfg, ref, vv, "ident", &ident);
	if (!access(stamp.buf, F_OK) && !access(key.buf, F_OK) && !access(ident.buf, F_OK))
		goto out;

	strbuf_addstr(&state, "/base");
	if (mkdir_p(state.buf, 0755) < 0) {
		strbuf_addf(err, "cannot create '%s': %s", state.buf, strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	strbuf_addf(&lockp, "%s/lock", state.buf);
	lock = open(lockp.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		strbuf_addf(err, "cannot lock '%s': %s", lockp.buf, strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	if (!access(stamp.buf, F_OK) && !access(key.buf, F_OK) && !access(ident.buf, F_OK))
		goto out; /* another wrapper made it while we waited */
	/* What a killed run left: a half-written OS tarball, probe and check dirs. */
	sweep_dead_temps(state.buf);
	/* The derived image, made by this engine's own builder with named
	 * contexts (its sysroot's: what the probe asks for), its check files
	 * in it: read first, they answer the probe's question too. */
	if (derived && cfg->runner == RUNNER_DOCKER && !remote_active() && dockerctx_default_builder()) {
		/* (a failure here is the probe's and the check's to say, as without it) */
		struct strbuf why = STRBUF_INIT;
		check_out_dir(state.buf, &pre);
		if (image_id(cfg, ref, &exists, NULL, &why) == 0 && exists) {
			/* (there and without them: made before, its check is a build) */
			how = read_baked_check(ref, pre.buf) == 0 ? CHECK_READ : CHECK_BUILD;
			if (how == CHECK_BUILD)
				rm_rf(pre.buf);
		} else {
			rm_rf(pre.buf);
		}
		strbuf_release(&why);
	}
	if (how != CHECK_READ) {
		probe = probe_start(cfg, state.buf, &probe_fd, &ret, err);
		if (ret)
			goto out;
	}

	if (inline_text) {
		/* (nothing is made before the probe said the engine can) */
		if ((ret = probe_join(&probe, probe_fd, 0, err)) ||
		    (ret = build_inline_image(cfg, ref, inline_text, state.buf, verbose, err)))
			goto out;
	} else if (derived && how != CHECK_READ) {
		if ((ret = image_id(cfg, ref, &exists, NULL, err)))
			goto out;
		if (!exists && (ret = probe_join(&probe, probe_fd, 0, err)))
			goto out;
		if (!exists) {
			struct child c = CHILD_INIT;
			strvec_pushv(&c.args, (const char *[]){ rustc, "--print", "sysroot", NULL });
			if (run_capture(&c, &sysroot, err) != 0) {
				child_release(&c);
				strbuf_addf(err, "cannot ask '%s' for its sysroot", rustc);
				ret = EXIT_BASE_IMAGE;
				goto out;
			}
			child_release(&c);
			strbuf_rtrim(&sysroot);
			vv_field(vv, "host", &triple);
			os_codename(&codename);
			strbuf_addf(&os_image, "cargo-green-os:%s-" OS_IMAGE_VERSION, codename.buf);
			if ((ret = image_id(cfg, os_image.buf, &exists, NULL, err)))
				goto out;
			if (!exists && (ret = make_os_image(cfg, os_image.buf, codename.buf, state.buf, verbose, err)))
				goto out;
			vv_field(vv, "release", &release);
			if ((rc = make_rust_remotely(ref, os_image.buf, sysroot.buf, triple.buf, release.buf, verbose, err)) < 0) {
				ret = EXIT_ENGINE_UNREACHABLE;
				goto out;
			}
			if (rc && (ret = build_rust_image(cfg, ref, os_image.buf, sysroot.buf, triple.buf, state.buf, verbose, err)))
				goto out;
		}
	}
	ret = probe_join(&probe, probe_fd, check_rustc(cfg, ref, vv, state.buf, key.buf, how, err), err);
	if (ret)
		goto out;
	if (write_file_atomic(stamp.buf, ref, strlen(ref), 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", stamp.buf, strerror(errno));
		ret = EXIT_IO;
	}
out:
	/* (still running here only after a failure before the check) */
	ret = probe_join(&probe, probe_fd, ret, err);
	if (pre.len)
		rm_rf(pre.buf); /* (check_rustc's, when it ran) */
	strbuf_release(&pre);
	if (lock >= 0)
		close(lock);
	strbuf_release(&state);
	strbuf_release(&stamp);
	strbuf_release(&lockp);
	strbuf_release(&triple);
	strbuf_release(&sysroot);
	strbuf_release(&codename);
	strbuf_release(&os_image);
	strbuf_release(&key);
	strbuf_release(&ident);
	strbuf_release(&release);
	return ret;
}

/* Forget the stamp of ref (it disappeared from the engine). */
static void forget_image(const struct config *cfg, const char *ref, const char *vv)
{
	struct strbuf stamp = STRBUF_INIT;
	stamp_path(cfg, ref, vv, "ok", &stamp);
	unlink(stamp.buf);
	strbuf_reset(&stamp);
	stamp_path(cfg, ref, vv, "id", &stamp);
	unlink(stamp.buf);
	strbuf_release(&stamp);
}

int base_ensure(const struct config *cfg, const char *rustc, int verbose, struct strbuf *ref, struct strbuf *id,
		struct strbuf *err)
{
	return base_ensure_with(cfg, rustc, NULL, verbose, ref, id, err);
}

int base_ensure_with(const struct config *cfg, const char *rustc, const struct strvec *extra_apt, int verbose,
		     struct strbuf *ref, struct strbuf *id, struct strbuf *err)
{
	struct strbuf vv = STRBUF_INIT, base = STRBUF_INIT, text = STRBUF_INIT, eid = STRBUF_INIT, seen = STRBUF_INIT;
	int ret = 0, exists;

	if (rustc_version_verbose(rustc, &vv, err) < 0) {
		ret = EXIT_BASE_IMAGE;
		goto out;
	}
	/* Twice at most: an image made and checked once, then removed from the
	 * engine (a prune, another image store), is made anew. */
	for (int attempt = 0;; attempt++) {
		strbuf_reset(&base);
		strbuf_reset(&text);
		strbuf_reset(ref);
		base_image_ref(cfg, vv.buf, &base);
		if ((ret = ensure_image(cfg, rustc, vv.buf, base.buf, NULL, verbose, err)))
			goto out;
		compose_inline(cfg, base.buf, extra_apt, &text);
		if (text.len) {
			char hex[17];
			hash_hex(text.buf, hex);
			strbuf_addf(ref, "cargo-green-base:%s", hex);
			if ((ret = ensure_image(cfg, rustc, vv.buf, ref->buf, text.buf, verbose, err)))
				goto out;
		} else {
			strbuf_addbuf(ref, &base);
		}
		if (!id)
			break;
		strbuf_reset(id);
		strbuf_reset(&eid);
		strbuf_reset(&seen);
		/* Through ssh, the identity kept when it was last checked: a warm
		 * build served by the local store then opens no connection. */
		if (remote_active() && read_identity(cfg, ref->buf, vv.buf, 0, id) == 0 && id->len)
			break;
		strbuf_reset(id);
		if ((ret = image_id(cfg, ref->buf, &exists, &eid, err)))
			break;
		/* The identity, as checked for the image the engine has under
		 * that name now; another image given the name since: checked again. */
		if (exists && read_identity(cfg, ref->buf, vv.buf, 1, &seen) == 0 && !strcmp(seen.buf, eid.buf) &&
		    read_identity(cfg, ref->buf, vv.buf, 0, id) == 0)
			break;
		if (exists && attempt < 2) {
			LOG(LOG_INFO, "base: %s is not the image checked here: checking it again", ref->buf);
			forget_image(cfg, ref->buf, vv.buf);
			continue;
		}
		if (exists) {
			strbuf_addf(err, "the base image %s changes while it is checked (is something retagging it?)", ref->buf);
			ret = EXIT_BASE_IMAGE;
			break;
		}
		forget_image(cfg, ref->buf, vv.buf);
		forget_image(cfg, base.buf, vv.buf);
		if (attempt) {
			strbuf_addf(err, "the base image %s disappeared from the engine as soon as it was made (is something pruning the engine's images?)", ref->buf);
			ret = EXIT_BASE_IMAGE;
			break;
		}
		LOG(LOG_INFO, "base: %s was made here but is gone from the engine: making it anew", ref->buf);
	}
out:
	strbuf_release(&vv);
	strbuf_release(&base);
	strbuf_release(&text);
	strbuf_release(&eid);
	strbuf_release(&seen);
	return ret;
}

int base_identity_describe(const struct config *cfg, const char *rustc, struct strbuf *ref, struct strbuf *out)
{
	struct strbuf vv = STRBUF_INIT, base = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT;
	int ret = -1;
	if (rustc_version_verbose(rustc, &vv, &err) == 0) {
		base_image_ref(cfg, vv.buf, &base);
		compose_inline(cfg, base.buf, NULL, &text);
		if (text.len) {
			char hex[17];
			hash_hex(text.buf, hex);
			strbuf_addf(ref, "cargo-green-base:%s", hex);
		} else {
			strbuf_addbuf(ref, &base);
		}
		if (read_identity(cfg, ref->buf, vv.buf, 0, out) == 0) {
			strbuf_addstr(out, " (");
			read_identity(cfg, ref->buf, vv.buf, 2, out);
			strbuf_addch(out, ')');
			ret = 0;
		}
	}
	strbuf_release(&vv);
	strbuf_release(&base);
	strbuf_release(&text);
	strbuf_release(&err);
	return ret;
}

int base_pin_find(const char *pins, const char *ref, struct strbuf *id)
{
	size_t n = strlen(ref);
	for (const char *line = pins; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		if ((size_t)(nl - line) > n && !strncmp(line, ref, n) && line[n] == '\t') {
			strbuf_add(id, line + n + 1, (size_t)(nl - line - n - 1));
			return 0;
		}
		line = *nl ? nl + 1 : nl;
	}
	return -1;
}
