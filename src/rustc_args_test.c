#include "rustc_args.h"
#include "test.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Real argument vectors, as cargo 1.95 passes them. */
static void lib_with_extern(void)
{
	const char *args[] = { "--crate-name", "serde", "--edition=2021",
		"/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde-1.0.229/src/lib.rs",
		"--error-format=json", "--json=diagnostic-rendered-ansi,artifacts,future-incompat",
		"--crate-type", "lib", "--emit=dep-info,metadata,link", "-C", "embed-bitcode=no",
		"-C", "debuginfo=2", "--cfg", "feature=\"derive\"", "--check-cfg", "cfg(docsrs,test)",
		"-C", "metadata=90ea9c81a65cb426", "-C", "extra-filename=-90ea9c81a65cb426",
		"--out-dir", "/w/target/debug/deps", "-L", "dependency=/w/target/debug/deps",
		"--extern", "serde_core=/w/target/debug/deps/libserde_core-f8aaf1f9eab74305.rmeta",
		"--extern", "serde_derive=/w/target/debug/deps/libserde_derive-891070be04d98e11.so",
		"--cap-lints", "allow" };
	struct rustc_args ra;
	rustc_args_parse(&ra, ARGC(args), args);
	CHECK(ra.passthrough == NULL);
	CHECK_STR(ra.crate_name, "serde");
	CHECK_STR(ra.extra_filename, "-90ea9c81a65cb426");
	CHECK_STR(ra.out_dir, "/w/target/debug/deps");
	CHECK_STR(ra.input, "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde-1.0.229/src/lib.rs");
	CHECK(ra.error_format_json);
	CHECK(ra.crate_types.nr == 1 && !strcmp(ra.crate_types.v[0], "lib"));
	int externs = 0;
	for (size_t i = 0; i < ra.nr; i++)
		if (ra.a[i].kind == ARG_EXTERN)
			externs++;
	CHECK(externs == 2);
	/* --edition=2021 is split into flag and value. */
	CHECK_STR(ra.a[1].flag, "--edition");
	CHECK_STR(ra.a[1].value, "2021");
	CHECK(ra.a[2].kind == ARG_INPUT);
	rustc_args_release(&ra);
}

static void bin_test_and_build_script(void)
{
	const char *bin[] = { "--crate-name", "app", "--edition=2021", "app/src/main.rs", "--crate-type", "bin",
		"--emit=dep-info,link", "-C", "metadata=1", "-C", "extra-filename=-abc", "--out-dir",
		"/w/target/debug/deps", "-C", "incremental=/w/target/debug/incremental", "-L",
		"dependency=/w/target/debug/deps", "--extern", "greet=/w/target/debug/deps/libgreet-1.rlib",
		"-L", "native=/w/target/debug/build/greet-2/out", "-l", "static=greetmul" };
	const char *test[] = { "--crate-name", "greet", "--edition=2021", "greet/src/lib.rs", "--emit=dep-info,link",
		"--test", "-C", "extra-filename=-t1", "--out-dir", "/w/target/debug/deps" };
	const char *script[] = { "--crate-name", "build_script_build", "--edition=2021", "greet/build.rs",
		"--crate-type", "bin", "-C", "extra-filename=-b0", "--out-dir", "/w/target/debug/build/greet-b0",
		"--extern", "cc=/w/target/debug/deps/libcc-1.rlib" };
	const char *proc_macro[] = { "--crate-name", "serde_derive", "--edition=2021", "src/lib.rs",
		"--crate-type", "proc-macro", "-C", "prefer-dynamic", "-C", "extra-filename=-pm",
		"--out-dir", "/w/target/debug/deps", "--extern", "proc_macro" };
	struct rustc_args ra;

	rustc_args_parse(&ra, ARGC(bin), bin);
	CHECK(ra.passthrough == NULL);
	CHECK_STR(ra.input, "app/src/main.rs");
	int saw_native = 0, saw_incr = 0;
	for (size_t i = 0; i < ra.nr; i++) {
		if (ra.a[i].kind == ARG_LIBPATH && !strcmp(libpath_path(ra.a[i].value), "/w/target/debug/build/greet-2/out"))
			saw_native = 1;
		if (ra.a[i].kind == ARG_CODEGEN && !strcmp(ra.a[i].value, "incremental=/w/target/debug/incremental"))
			saw_incr = 1;
	}
	CHECK(saw_native && saw_incr);
	rustc_args_release(&ra);

	rustc_args_parse(&ra, ARGC(test), test);
	CHECK(ra.passthrough == NULL);
	CHECK(ra.a[3].kind == ARG_VALUE && ra.a[4].kind == ARG_FLAG);
	rustc_args_release(&ra);

	rustc_args_parse(&ra, ARGC(script), script);
	CHECK(ra.passthrough == NULL);
	CHECK_STR(ra.crate_name, "build_script_build");
	CHECK_STR(ra.out_dir, "/w/target/debug/build/greet-b0");
	CHECK(rustc_args_is_build_script(&ra));
	rustc_args_release(&ra);

	rustc_args_parse(&ra, ARGC(bin), bin);
	CHECK(!rustc_args_is_build_script(&ra));
	rustc_args_release(&ra);

	rustc_args_parse(&ra, ARGC(proc_macro), proc_macro);
	CHECK(ra.passthrough == NULL);
	CHECK(extern_path(ra.a[ra.nr - 1].value) == NULL);
	rustc_args_release(&ra);
}

/* Build scripts whatever their file (build = "build/main.rs": openssl-sys,
 * bat), and what only looks like one. */
static void build_scripts_by_any_name(void)
{
	const char *main_rs[] = { "--crate-name", "build_script_main", "--edition=2024", "app/build/main.rs",
		"--crate-type", "bin", "-C", "metadata=30911d2e2063bb15", "-C", "extra-filename=-07d6a5941f5732fc",
		"--out-dir", "/w/t/debug/build/app-07d6a5941f5732fc/" };
	const char *bin_named_so[] = { "--crate-name", "build_script_x", "src/bin/build-script-x.rs",
		"--crate-type", "bin", "-C", "extra-filename=-1", "--out-dir", "/w/t/debug/deps" };
	const char *lib_in_build[] = { "--crate-name", "build_script_y", "src/lib.rs",
		"--crate-type", "lib", "-C", "extra-filename=-1", "--out-dir", "/w/t/debug/build/y-1" };
	const char *rebuild[] = { "--crate-name", "build_script_z", "z.rs", "--crate-type", "bin",
		"-C", "extra-filename=-1", "--out-dir", "/w/t/debug/rebuild/z-1" };
	struct rustc_args ra;
	rustc_args_parse(&ra, ARGC(main_rs), main_rs);
	CHECK(ra.passthrough == NULL);
	CHECK(rustc_args_is_build_script(&ra));
	CHECK_STR(ra.metadata, "30911d2e2063bb15");
	rustc_args_release(&ra);
	rustc_args_parse(&ra, ARGC(bin_named_so), bin_named_so);
	CHECK(!rustc_args_is_build_script(&ra));
	rustc_args_release(&ra);
	rustc_args_parse(&ra, ARGC(lib_in_build), lib_in_build);
	CHECK(!rustc_args_is_build_script(&ra));
	rustc_args_release(&ra);
	rustc_args_parse(&ra, ARGC(rebuild), rebuild);
	CHECK(!rustc_args_is_build_script(&ra));
	rustc_args_release(&ra);
}

/* cargo names a path package's cdylib (and its rlib beside) without a hash. */
static void cdylib_without_hash(void)
{
	const char *cdylib[] = { "--crate-name", "cdy", "--edition=2024", "cdy/src/lib.rs", "--error-format=json",
		"--crate-type", "cdylib", "--crate-type", "rlib", "--emit=dep-info,link", "-C", "embed-bitcode=no",
		"-C", "metadata=e6cd52b88bc0e9c2", "--out-dir", "/w/t/debug/deps", "-L", "dependency=/w/t/debug/deps" };
	struct rustc_args ra;
	rustc_args_parse(&ra, ARGC(cdylib), cdylib);
	CHECK(ra.passthrough == NULL);
	CHECK_STR(ra.extra_filename, "");
	CHECK_STR(ra.metadata, "e6cd52b88bc0e9c2");
	CHECK(ra.crate_types.nr == 2);
	CHECK(!rustc_args_is_build_script(&ra));
	rustc_args_release(&ra);
}

static void probes_pass_through(void)
{
	const char *vv[] = { "-vV" };
	const char *print[] = { "-", "--crate-name", "___", "--print=file-names", "--crate-type", "bin" };
	const char *cfg[] = { "--print", "cfg" };
	const char *glued[] = { "--crate-name", "x", "x.rs", "-Copt-level=3", "-Lnative=/x", "-Awarnings",
				"--out-dir", "/t", "-C", "extra-filename=-1" };
	const char *unknown[] = { "--crate-name", "x", "x.rs", "--frobnicate", "--out-dir", "/t", "-C", "extra-filename=-1" };
	const char *nohash[] = { "--crate-name", "x", "x.rs", "--out-dir", "/t" };
	struct rustc_args ra;

	rustc_args_parse(&ra, ARGC(vv), vv);
	CHECK_STR(ra.passthrough, "probe");
	rustc_args_release(&ra);
	rustc_args_parse(&ra, ARGC(print), print);
	CHECK(ra.passthrough != NULL);
	rustc_args_release(&ra);
	rustc_args_parse(&ra, ARGC(cfg), cfg);
	CHECK_STR(ra.passthrough, "probe");
	rustc_args_release(&ra);
	rustc_args_parse(&ra, ARGC(glued), glued);
	CHECK(ra.passthrough == NULL);
	CHECK_STR(ra.a[2].flag, "-C");
	CHECK_STR(ra.a[2].value, "opt-level=3");
	CHECK_STR(ra.a[3].value, "native=/x");
	CHECK_STR(ra.a[4].flag, "-A");
	rustc_args_release(&ra);
	rustc_args_parse(&ra, ARGC(unknown), unknown);
	CHECK_STR(ra.passthrough, "unknown rustc flag");
	rustc_args_release(&ra);
	rustc_args_parse(&ra, ARGC(nohash), nohash);
	CHECK(ra.passthrough == NULL);
	CHECK_STR(ra.extra_filename, "");
	CHECK(ra.metadata == NULL);
	rustc_args_release(&ra);
}

void test_rustc_args(void)
{
	lib_with_extern();
	bin_test_and_build_script();
	build_scripts_by_any_name();
	cdylib_without_hash();
	probes_pass_through();
	CHECK_STR(extern_path("noprelude:std=/x/libstd.rlib"), "/x/libstd.rlib");
	CHECK_STR(libpath_path("dependency=/a b"), "/a b");
	CHECK_STR(libpath_path("/plain"), "/plain");
}
