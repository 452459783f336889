#include "env.h"
#include "test.h"

void test_env(void)
{
	/* Names whose values are secrets. */
	CHECK(env_name_is_secret("GIT_AUTH_TOKEN"));
	CHECK(env_name_is_secret("AWS_SECRET_ACCESS_KEY"));
	CHECK(!env_name_is_secret("TYPENUM_BUILD_OP"));
	const char *environ_[] = {
		"HOME=/root", "PATH=/usr/bin", "CARGO_MAKEFLAGS=-j --jobserver-fds=3,4", "MAKEFLAGS=-j",
		"CARGO_PKG_NAME=greet", "CARGO_MANIFEST_DIR=/home/u/proj/greet",
		"OUT_DIR=/home/u/proj/target/debug/build/greet-1/out", "CARGO_BIN_EXE_app=/home/u/proj/target/debug/app",
		"CARGO_CFG_TARGET_OS=linux", "RUSTC_WRAPPER=/usr/bin/cargo-green", "MY_SECRET=x",
		"GREET_FROM_BUILD_RS=hello", "DEP_Z_INCLUDE=/home/u/proj/target/debug/build/z-2/out/include",
		"NUM_JOBS=2", "RUSTC=/root/.rustup/bin/rustc", "TARGET=x86_64-unknown-linux-gnu", NULL };
	struct pathmap pm = PATHMAP_INIT;
	struct strvec out = STRVEC_INIT, extra = STRVEC_INIT;

	pathmap_add(&pm, "/home/u/proj/target", CT_TARGET);
	pathmap_add(&pm, "/home/u/proj", CT_WS);

	/* Compiles never get TARGET from the table (build scripts do)... */
	env_filter(environ_, ENV_COMPILE, NULL, &pm, &out);
	CHECK(strvec_find(&out, "TARGET=x86_64-unknown-linux-gnu") < 0);
	strvec_clear(&out);
	/* ...but a build script's cargo:rustc-env=TARGET=... is for the compile (self_update's env!("TARGET")). */
	env_from_build_output("cargo:rustc-env=TARGET=x86_64-unknown-linux-gnu\n", &extra);
	env_filter(environ_, ENV_COMPILE, &extra, &pm, &out);
	CHECK(strvec_find(&out, "TARGET=x86_64-unknown-linux-gnu") >= 0);
	strvec_clear(&out);
	strvec_clear(&extra);

	env_from_build_output("cargo:rerun-if-changed=x\ncargo:rustc-env=GREET_FROM_BUILD_RS=hello\ncargo::rustc-env=B=1=2\n", &extra);
	CHECK(extra.nr == 2);
	CHECK_STR(extra.v[0], "GREET_FROM_BUILD_RS");
	CHECK_STR(extra.v[1], "B");

	env_filter(environ_, ENV_COMPILE, &extra, &pm, &out);
	CHECK(strvec_find(&out, "CARGO_PKG_NAME=greet") >= 0);
	CHECK(strvec_find(&out, "CARGO_MANIFEST_DIR=/green/ws/greet") >= 0);
	CHECK(strvec_find(&out, "OUT_DIR=/green/target/debug/build/greet-1/out") >= 0);
	/* Path-valued: mapped (path-independent), unless the unit reads it. */
	CHECK(strvec_find(&out, "CARGO_BIN_EXE_app=/green/target/debug/app") >= 0);
	CHECK(strvec_find(&out, "GREET_FROM_BUILD_RS=hello") >= 0);
	for (size_t i = 0; i < out.nr; i++) {
		CHECK(strncmp(out.v[i], "CARGO_MAKEFLAGS", 15) && strncmp(out.v[i], "MAKEFLAGS", 9));
		CHECK(strncmp(out.v[i], "HOME=", 5) && strncmp(out.v[i], "MY_SECRET", 9) && strncmp(out.v[i], "PATH=", 5));
		CHECK(strncmp(out.v[i], "CARGO_CFG_", 10) && strncmp(out.v[i], "RUSTC", 5) && strncmp(out.v[i], "NUM_JOBS", 8));
	}
	/* Sorted: the stage text does not depend on the order of environ. */
	for (size_t i = 1; i < out.nr; i++)
		CHECK(strcmp(out.v[i - 1], out.v[i]) < 0);
	strvec_clear(&out);

	/* A unit that read one: the host's values of the path-valued ones only. */
	env_filter(environ_, ENV_COMPILE | ENV_HOST_PATHS, &extra, &pm, &out);
	CHECK(strvec_find(&out, "CARGO_BIN_EXE_app=/home/u/proj/target/debug/app") >= 0);
	CHECK(strvec_find(&out, "CARGO_MANIFEST_DIR=/home/u/proj/greet") >= 0);
	CHECK(strvec_find(&out, "OUT_DIR=/green/target/debug/build/greet-1/out") >= 0);
	CHECK(env_is_path_valued("CARGO_MANIFEST_DIR") && env_is_path_valued("CARGO_BIN_EXE_x") &&
	      !env_is_path_valued("OUT_DIR") && !env_is_path_valued("GREET"));
	strvec_clear(&out);

	env_filter(environ_, ENV_BUILD_SCRIPT, NULL, &pm, &out);
	CHECK(strvec_find(&out, "CARGO_CFG_TARGET_OS=linux") >= 0);
	CHECK(strvec_find(&out, "DEP_Z_INCLUDE=/green/target/debug/build/z-2/out/include") >= 0);
	CHECK(strvec_find(&out, "RUSTC=rustc") >= 0);
	CHECK(strvec_find(&out, "NUM_JOBS=2") >= 0);
	CHECK(strvec_find(&out, "GREET_FROM_BUILD_RS=hello") < 0);
	CHECK(strvec_find(&out, "CARGO_BIN_EXE_app=/home/u/proj/target/debug/app") < 0);

	strvec_clear(&out);
	strvec_clear(&extra);
	pathmap_release(&pm);

	{
		struct strvec r = STRVEC_INIT;
		env_read_by("d: a.rs\n\n# env-dep:GREEN_A=x y\\nz\n# env-dep:GREEN_B\n# env-dep:GREEN_A=x y\\nz\n"
			    "cargo:rerun-if-env-changed=CC\ncargo::rerun-if-env-changed=GREEN_B\ncargo:rustc-env=X=1\n", &r);
		CHECK(r.nr == 3);
		CHECK_STR(r.v[0], "GREEN_A=x y\nz");
		CHECK_STR(r.v[1], "GREEN_B");
		CHECK_STR(r.v[2], "CC");
		strvec_clear(&r);
		/* As rustc escapes a value: '\\', \n and \r (and as ESCAPE_DEPINFO writes them back). */
		env_read_by("# env-dep:GREEN_P=/tmp/a\\\\b\\rc\n", &r);
		CHECK(r.nr == 1);
		CHECK_STR(r.v[0], "GREEN_P=/tmp/a\\b\rc");
		strvec_clear(&r);
		CHECK(env_is_ruled("CARGO_PKG_NAME"));
		CHECK(env_is_ruled("RUSTC_WRAPPER"));
		CHECK(env_is_ruled("PATH"));
		CHECK(!env_is_ruled("GREEN_FLAVOR"));
	}
}
