#include "sandbox.h"
#include "fs.h"
#include "test.h"
#include "util.h"
#include <stdlib.h>
#include <unistd.h>

/* The real bubblewrap (a prerequisite, as the engine is for e2e). */
/* sandbox_setenv: one entry a name, replaced in place or added. */
static void test_sandbox_setenv(void)
{
	struct sandbox sb = SANDBOX_INIT;
	strvec_pushv(&sb.env, (const char *[]){ "RUSTC=rustc", "RUSTCX=1", "A=b", NULL });
	sandbox_setenv(&sb, "RUSTC", "/opt/rust/bin/rustc");
	sandbox_setenv(&sb, "RUSTDOC", "/opt/rust/bin/rustdoc");
	sandbox_setenv(&sb, "A", "");
	CHECK(sb.env.nr == 4);
	CHECK_STR(sb.env.v[0], "RUSTC=/opt/rust/bin/rustc");
	CHECK_STR(sb.env.v[1], "RUSTCX=1");
	CHECK_STR(sb.env.v[2], "A=");
	CHECK_STR(sb.env.v[3], "RUSTDOC=/opt/rust/bin/rustdoc");
	sandbox_release(&sb);
}

/* sandbox_bind: a read-only bind that a read-only parent bind shows
 * already is left out; any other is kept, in order. */
static void test_sandbox_bind_covered(void)
{
	struct sandbox sb = SANDBOX_INIT;
	sandbox_bind(&sb, 1, "/t", "/green/target");
	sandbox_bind(&sb, 0, "/h/.cargo", "/green/cargo");
	sandbox_bind(&sb, 0, "/h/.cargo/registry/src/i/a-1", "/green/cargo/registry/src/i/a-1"); /* shown: out */
	sandbox_bind(&sb, 0, "/h/.cargo", "/green/cargo");                                       /* the same: out */
	sandbox_bind(&sb, 0, "/h/.cargox/b", "/green/cargox/b");  /* not under it: kept */
	sandbox_bind(&sb, 0, "/h/.cargo/c", "/green/ws/c");       /* another mount: kept */
	sandbox_bind(&sb, 1, "/h/.cargo/git/d", "/green/cargo/git/d"); /* read-write: kept */
	sandbox_bind(&sb, 0, "/h/.cargo/git/d/e", "/green/cargo/git/d/e"); /* under a later bind: kept */
	sandbox_bind(&sb, 0, "/t/x", "/green/target/x");          /* its parent read-write: kept */
	CHECK(sb.binds.nr == 7);
	CHECK_STR(sb.binds.v[1], "ro\t/h/.cargo\t/green/cargo");
	CHECK_STR(sb.binds.v[2], "ro\t/h/.cargox/b\t/green/cargox/b");
	CHECK_STR(sb.binds.v[3], "ro\t/h/.cargo/c\t/green/ws/c");
	CHECK_STR(sb.binds.v[4], "rw\t/h/.cargo/git/d\t/green/cargo/git/d");
	CHECK_STR(sb.binds.v[5], "ro\t/h/.cargo/git/d/e\t/green/cargo/git/d/e");
	CHECK_STR(sb.binds.v[6], "ro\t/t/x\t/green/target/x");
	sandbox_release(&sb);
}

void test_sandbox(void)
{
	test_sandbox_setenv();
	test_sandbox_bind_covered();
	char dir[] = "/tmp/cargo-green-sandbox-test.XXXXXX";
	struct sandbox sb = SANDBOX_INIT;
	struct strbuf out = STRBUF_INIT, errp = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT, f = STRBUF_INIT;
	int code = -1;
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	strbuf_addf(&f, "%s/in.txt", dir);
	write_file_atomic(f.buf, "hello\n", 6, 0644);
	strbuf_addf(&out, "%s/out", dir);
	strbuf_addf(&errp, "%s/err", dir);

	/* It sees its binds at their mounts, its cwd, its environment and no other. */
	sandbox_bind(&sb, 1, dir, "/green/target");
	sb.workdir = "/green/target";
	strvec_push(&sb.env, "GREEN_TEST=yes");
	strvec_pushv(&sb.argv, (const char *[]){ "/bin/sh", "-c",
						 "cat in.txt; pwd; echo \"${GREEN_TEST:-}${HOME:-}\"; "
						 "echo made >/green/target/made; echo oops >&2; exit 3", NULL });
	sb.stdout_path = out.buf;
	sb.stderr_path = errp.buf;
	CHECK(sandbox_run(&sb, &code, &err) == 0);
	CHECK(code == 3);
	strbuf_read_file(&text, out.buf);
	CHECK_STR(text.buf, "hello\n/green/target\nyes\n");
	strbuf_reset(&text);
	strbuf_read_file(&text, errp.buf);
	CHECK_STR(text.buf, "oops\n");
	strbuf_reset(&f);
	strbuf_addf(&f, "%s/made", dir);
	CHECK(access(f.buf, F_OK) == 0); /* a read-write bind writes through */

	/* A sandbox that cannot be made: -1 and bwrap's own line, nothing ran. */
	sandbox_release(&sb);
	sb = (struct sandbox)SANDBOX_INIT;
	sandbox_bind(&sb, 0, "/nonexistent/cargo-green", "/green/x");
	strvec_pushv(&sb.argv, (const char *[]){ "/bin/true", NULL });
	sb.stdout_path = out.buf;
	sb.stderr_path = errp.buf;
	strbuf_reset(&err);
	code = -1;
	CHECK(sandbox_run(&sb, &code, &err) < 0);
	CHECK(starts_with(err.buf, "bwrap: ") && !strchr(err.buf, '\n'));
	CHECK(code == -1);

	sandbox_release(&sb);
	rm_rf(dir);
	CHECK(access(dir, F_OK) < 0);
	strbuf_release(&out);
	strbuf_release(&errp);
	strbuf_release(&text);
	strbuf_release(&err);
	strbuf_release(&f);
}
