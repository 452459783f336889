#include "unit.h"
#include "fs.h"
#include "test.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void test_unit(void)
{
	char *s;
	char dir[] = "/tmp/cargo-green-unit-XXXXXX";
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, err = STRBUF_INIT;
	struct unit u = UNIT_INIT, back = UNIT_INIT;
	struct closure cl = CLOSURE_INIT;
	struct strvec deps = STRVEC_INIT;

	s = unit_record_for_artifact("/t/debug/deps/libserde-ab12.rlib");
	CHECK_STR(s, "/t/debug/deps/serde-ab12.green");
	free(s);
	s = unit_record_for_artifact("/t/debug/deps/libserde_derive-9.so");
	CHECK_STR(s, "/t/debug/deps/serde_derive-9.green");
	free(s);
	s = unit_record_for_artifact("/t/debug/deps/libgreet-1.rmeta");
	CHECK_STR(s, "/t/debug/deps/greet-1.green");
	free(s);
	/* Units cargo names without a hash: a cdylib's rlib, a dylib. */
	s = unit_record_for_artifact("/t/debug/deps/libcdy.rlib");
	CHECK_STR(s, "/t/debug/deps/cdy.green");
	free(s);
	s = unit_record_for_artifact("/t/debug/deps/libdy.so");
	CHECK_STR(s, "/t/debug/deps/dy.green");
	free(s);
	CHECK(unit_record_for_artifact("/t/debug/deps/lib.rlib") == NULL);
	s = unit_record_for_out_dir("/t/debug/build/greet-2/out");
	CHECK_STR(s, "/t/debug/build/greet-2/build-script-run.green");
	free(s);
	CHECK(unit_record_for_out_dir("/t/debug/build/greet-2") == NULL);

	/* Records round-trip, and a closure lists dependencies first, once. */
	CHECK(mkdtemp(dir) != NULL);
	strbuf_addf(&a, "%s/a-1.green", dir);
	strbuf_addf(&b, "%s/b-2.green", dir);
	u.id = strdup("a-1");
	u.stage = strdup("FROM rust-base AS u-a-1\n");
	CHECK(unit_write(&u, a.buf, &err) == 0);
	unit_release(&u);
	u.id = strdup("b-2");
	u.ctx_name = strdup("src-b-2");
	u.ctx_dir = strdup("/m/b");
	u.ctx_origin = strdup("/home/u/b b");
	u.ctx_mount = strdup("/green/ws/b");
	u.ws_root = strdup("/home/u/ws root");
	u.ctx_full = 1;
	strvec_push(&u.deps, a.buf);
	strvec_push(&u.apt, "libsqlite3-dev");
	strvec_push(&u.apt, "zlib1g-dev");
	u.stage = strdup("FROM rust-base AS u-b-2\nline two\n");
	u.built_on = strdup("0123456789abcdef");
	u.base = strdup("cargo-green-rust:1.95.0-os2-abc");
	CHECK(unit_write(&u, b.buf, &err) == 0);
	CHECK(unit_read(&back, b.buf, &err) == 0);
	CHECK_STR(back.id, "b-2");
	CHECK_STR(back.ctx_origin, "/home/u/b b");
	CHECK_STR(back.ctx_mount, "/green/ws/b");
	CHECK_STR(back.ws_root, "/home/u/ws root");
	CHECK(back.ctx_full == 1);
	CHECK_STR(back.stage, u.stage);
	CHECK(back.deps.nr == 1);
	CHECK(back.apt.nr == 2 && !strcmp(back.apt.v[0], "libsqlite3-dev") && !strcmp(back.apt.v[1], "zlib1g-dev"));
	CHECK_STR(back.built_on, "0123456789abcdef");
	CHECK_STR(back.base, "cargo-green-rust:1.95.0-os2-abc");
	strvec_push(&deps, b.buf);
	strvec_push(&deps, a.buf);
	CHECK(closure_collect(&cl, &deps, &err) == 0);
	CHECK(cl.nr == 2);
	CHECK_STR(cl.units[0].id, "a-1");
	CHECK_STR(cl.units[1].id, "b-2");
	CHECK(cl.units[0].built_on == NULL); /* (none written: none read) */
	CHECK_STR(cl.units[1].built_on, "0123456789abcdef");
	closure_release(&cl);

	strvec_clear(&deps);
	strvec_pushf(&deps, "%s/missing.green", dir);
	CHECK(closure_collect(&cl, &deps, &err) < 0);
	CHECK(strstr(err.buf, "missing.green") != NULL);
	closure_release(&cl);

	rm_rf(dir);
	unit_release(&u);
	unit_release(&back);
	strvec_clear(&deps);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&err);
}
