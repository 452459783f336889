/* syslib_test.c: which library a failure names, probes, dpkg -S output, the hint. */
#include "syslib.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>

static void joined(const struct strvec *sv, struct strbuf *out)
{
	strbuf_reset(out);
	for (size_t i = 0; i < sv->nr; i++)
		strbuf_addf(out, "%s%s", i ? " " : "", sv->v[i]);
}

static const struct {
	const char *text;
	const char *want; /* the wants, space-separated */
} failures[] = {
	/* rust-lld through rustc's JSON diagnostics (rendered: an escaped newline after the name) */
	{ "{\"$message_type\":\"diagnostic\",\"message\":\"linking with `cc` failed: exit status: 1\",\"rendered\":\"  = note: rust-lld: error: unable to find library -lsqlite3\\n          collect2: error: ld returned 1 exit status\\n\"}",
	  "lib:sqlite3" },
	/* GNU ld */
	{ "  = note: /usr/bin/ld: cannot find -lpq: No such file or directory\n", "lib:pq" },
	{ "/usr/bin/ld: cannot find -lssl\n/usr/bin/ld: cannot find -lcrypto\n", "lib:ssl lib:crypto" },
	/* the pkg-config crate's failure, pkg-config's own words inside */
	{ "pkg-config exited with status code 1\n> PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 pkg-config --libs --cflags zlib\n\n"
	  "pkg-config output:\n  Package zlib was not found in the pkg-config search path.\n  Perhaps you should add the directory containing `zlib.pc'\n\n"
	  "The system library `zlib` required by crate `libz-sys` was not found.\n",
	  "pc:zlib" },
	{ "Package 'libffi', required by 'gobject-2.0', not found\n", "pc:libffi" },
	{ "The system library `gtk+-3.0` required by crate `gdk-sys` was not found.", "pc:gtk+-3.0" },
	/* openssl-sys, bindgen */
	{ "  Could not find directory of OpenSSL installation, and this `-sys` crate cannot\n  proceed without this knowledge.",
	  "pc:openssl" },
	{ "thread 'main' panicked at bindgen: Unable to find libclang: \"couldn't find any valid shared libraries matching: ['libclang.so', 'libclang-*.so']\"",
	  "clang:" },
	/* not failures */
	{ "warning: unused variable: `x`\n  -L native=/usr/lib -l sqlite3\n", "" },
	{ "cannot find -l: nothing\nPackage  was not found in the pkg-config search path", "" },
};

static const struct {
	const char *out;
	const char *want;
} probes[] = {
	{ "cargo:rerun-if-env-changed=LIBSQLITE3_SYS_USE_PKG_CONFIG\ncargo:rerun-if-env-changed=SQLITE3_NO_PKG_CONFIG\n"
	  "cargo:rerun-if-env-changed=PKG_CONFIG_PATH\ncargo:rustc-link-lib=dylib=sqlite3\n",
	  "SQLITE3" },
	{ "cargo::rerun-if-env-changed=ZLIB_NO_PKG_CONFIG\r\ncargo:rerun-if-env-changed=ZLIB_NO_PKG_CONFIG\n"
	  "cargo:rerun-if-env-changed=GTK+_3.0_NO_PKG_CONFIG", "ZLIB GTK+_3.0" },
	{ "cargo:rerun-if-env-changed=_NO_PKG_CONFIG\ncargo:warning=ZLIB_NO_PKG_CONFIG\n", "" },
};

static const struct {
	const char *out;
	const char *pkg; /* NULL: none */
} dpkg[] = {
	{ "libsqlite3-dev:amd64: /usr/lib/x86_64-linux-gnu/pkgconfig/sqlite3.pc\n", "libsqlite3-dev" },
	{ "zlib1g-dev:amd64: /usr/lib/x86_64-linux-gnu/libz.so\n", "zlib1g-dev" },
	{ "libssl-dev:amd64, libssl-dev:i386: /usr/include/openssl\n", "libssl-dev" },
	{ "pkgconf: /usr/bin/pkg-config\n", "pkgconf" },
	{ "diversion by dash from: /bin/sh\ndiversion by dash to: /bin/sh.distrib\ndash: /bin/sh\n", "dash" },
	{ "local diversion from: /x\n", NULL },
	{ "dpkg-query: no path found matching pattern /nope\n", NULL },
	{ "", NULL },
};

static void test_failures(void)
{
	struct strbuf got = STRBUF_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(failures); i++) {
		struct strvec w = STRVEC_INIT;
		syslib_failures(failures[i].text, &w);
		joined(&w, &got);
		CHECK_STR(got.buf, failures[i].want);
		strvec_clear(&w);
	}
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		struct strvec w = STRVEC_INIT;
		syslib_probes(probes[i].out, &w);
		joined(&w, &got);
		CHECK_STR(got.buf, probes[i].want);
		strvec_clear(&w);
	}
	strbuf_release(&got);
}

static void test_pc_lists(void)
{
	const char *list = "sqlite3                        SQLite - SQL database engine\n"
			   "zlib     zlib - zlib compression library\n"
			   "gtk+-3.0 GTK+ - GTK+ Graphical UI Library\n"
			   "libsqlite3 other\n";
	struct strvec names = STRVEC_INIT;
	struct strbuf env = STRBUF_INIT, got = STRBUF_INIT;
	syslib_envify("gtk+-3.0", &env);
	CHECK_STR(env.buf, "GTK+_3.0");
	syslib_pc_matching(list, "GTK+_3.0", &names);
	syslib_pc_matching(list, "SQLITE3", &names);
	syslib_pc_matching(list, "OPENSSL", &names);
	joined(&names, &got);
	CHECK_STR(got.buf, "gtk+-3.0 sqlite3");
	CHECK(syslib_pc_listed(list, "zlib"));
	CHECK(!syslib_pc_listed(list, "zli"));
	CHECK(!syslib_pc_listed(list, "SQLite"));
	CHECK(!syslib_pc_listed("", "zlib"));
	strvec_clear(&names);
	strbuf_release(&env);
	strbuf_release(&got);
}

static void test_dpkg(void)
{
	struct strbuf pkg = STRBUF_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(dpkg); i++) {
		int rc = syslib_dpkg_parse(dpkg[i].out, &pkg);
		CHECK(rc == (dpkg[i].pkg ? 0 : -1));
		if (dpkg[i].pkg)
			CHECK_STR(pkg.buf, dpkg[i].pkg);
	}
	strbuf_release(&pkg);
}

static void test_hint(void)
{
	struct strvec found = STRVEC_INIT, apt = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT;
	strvec_push(&found, "libsqlite3-dev=sqlite3");
	syslib_hint(&found, &apt, &out);
	CHECK_STR(out.buf, "cargo-green: warning: the build image lacks sqlite3, which this host has (Debian package libsqlite3-dev): set CARGOGREEN_ADD_APT=libsqlite3-dev or add.apt = [ \"libsqlite3-dev\" ] in [package.metadata.green], then cargo clean");
	strbuf_reset(&out);
	strvec_push(&found, "zlib1g-dev=zlib");
	strvec_push(&apt, "libpq-dev");
	syslib_hint(&found, &apt, &out);
	CHECK_STR(out.buf, "cargo-green: warning: the build image lacks sqlite3, zlib, which this host has (Debian packages libsqlite3-dev, zlib1g-dev): set CARGOGREEN_ADD_APT=libpq-dev,libsqlite3-dev,zlib1g-dev or add.apt = [ \"libpq-dev\", \"libsqlite3-dev\", \"zlib1g-dev\" ] in [package.metadata.green], then cargo clean");
	strvec_clear(&found);
	strvec_clear(&apt);
	strbuf_release(&out);
}

void test_syslib(void)
{
	test_failures();
	test_pc_lists();
	test_dpkg();
	test_hint();
}
