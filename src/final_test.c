#include "final.h"
#include "fs.h"
#include "strvec.h"
#include "test.h"
#include "unit.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A record at DIR/NAME.green. */
static void record(const char *dir, const char *id, const char *ctx_dir, const char *mount, const char *ws,
		   const char *dep, struct strbuf *path)
{
	struct unit u = UNIT_INIT;
	struct strbuf err = STRBUF_INIT;
	strbuf_reset(path);
	strbuf_addf(path, "%s/%s.green", dir, id);
	u.id = strdup(id);
	strbuf_addf(&err, "src-%s", id);
	u.ctx_name = strbuf_detach(&err, NULL);
	u.ctx_dir = strdup(ctx_dir);
	u.ctx_origin = strdup(ctx_dir);
	u.ctx_mount = strdup(mount);
	u.ws_root = ws ? strdup(ws) : NULL;
	if (dep)
		strvec_push(&u.deps, dep);
	/* Its RUN mounts its sources; its script has a line that looks like a mount. */
	strbuf_addf(&err,
		    "FROM rust-base AS u-%s\nRUN --network=none \\\n  --mount=type=bind,from=src-%s,target=%s <<'CARGO_GREEN_EOF'\n"
		    "  --mount=type=bind,from=src-%s,target=/x\nCARGO_GREEN_EOF\nFROM scratch AS o-%s\n",
		    id, id, mount, id, id);
	u.stage = strbuf_detach(&err, NULL);
	CHECK(unit_write(&u, path->buf, &err) == 0);
	unit_release(&u);
	strbuf_release(&err);
}

static void test_final_graph_cost(void);
static void test_final_big_graph(void);

void test_final(void)
{
	test_final_graph_cost();
	test_final_big_graph();
	char dir[] = "/tmp/cargo-green-final-XXXXXX";
	struct strbuf ws = STRBUF_INIT, itoa = STRBUF_INIT, other = STRBUF_INIT, app = STRBUF_INIT, lock = STRBUF_INIT,
		      list = STRBUF_INIT, out = STRBUF_INIT, again = STRBUF_INIT, locals = STRBUF_INIT, err = STRBUF_INIT,
		      p = STRBUF_INIT, why = STRBUF_INIT;
	struct final_in in = { NULL, "cargo-green-rust:1", NULL, NULL, "/home/u/.cargo", NULL };
	size_t units = 0;

	CHECK(mkdtemp(dir) != NULL);
	strbuf_addf(&ws, "%s/ws", dir);
	mkdir_p(ws.buf, 0755);
	strbuf_addf(&lock, "%s/Cargo.lock", ws.buf);
	const char *lt =
				"version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n"
				"dependencies = [\n \"itoa\",\n]\n\n"
				"[[package]]\nname = \"itoa\"\nversion = \"1.0.19\"\n"
				"source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
				"checksum = \"3bd1574e617a9a6c1f8f8181bd7e841e1f20e4277607ef28945765188d6284d4\"\n\n"
				"[[package]]\nname = \"priv\"\nversion = \"2.0.0\"\n"
				"source = \"registry+https://example.org/index\"\n"
				"checksum = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n";
	CHECK(write_file_atomic(lock.buf, lt, strlen(lt), 0644) == 0);
	record(dir, "itoa-1", "/home/u/.cargo/registry/src/index.crates.io-x/itoa-1.0.19",
	       "/green/cargo/registry/src/index.crates.io-x/itoa-1.0.19", NULL, NULL, &itoa);
	record(dir, "priv-2", "/home/u/.cargo/registry/src/example.org-y/priv-2.0.0",
	       "/green/cargo/registry/src/example.org-y/priv-2.0.0", NULL, itoa.buf, &other);
	strbuf_addf(&p, "%s/app", ws.buf);
	record(dir, "app-3", p.buf, "/green/ws/app", ws.buf, other.buf, &app);
	strbuf_addf(&list, "unit\t%s\t/green/target/release/deps/app-3\tapp\nlocal\tgreet-4\nunit\t%s\t\t\n", app.buf,
		    other.buf);
	in.list = list.buf;
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/ci/app.Dockerfile", ws.buf);
	in.file = p.buf;
	CHECK(final_render(&in, &out, &units, &locals, &err) == 0);
	CHECK(units == 3);
	CHECK_STR(locals.buf, "greet-4\n");
	/* A small graph: no word of BuildKit 0.13's frontend. */
	CHECK(strstr(out.buf, "# cargo-green: a standalone Dockerfile of 3 units") != NULL);
	CHECK(strstr(out.buf, "BuildKit before 0.14") == NULL);
	/* crates.io by its checksum, another registry and the workspace as named contexts. */
	CHECK(strstr(out.buf, "FROM cargo-green-rust:1 AS rust-base\n") != NULL);
	CHECK(strstr(out.buf, "ADD --checksum=sha256:3bd1574e617a9a6c1f8f8181bd7e841e1f20e4277607ef28945765188d6284d4 "
			      "https://static.crates.io/crates/itoa/itoa-1.0.19.crate ") != NULL);
	CHECK(strstr(out.buf, "FROM scratch AS src-itoa-1.0.19\nCOPY --link --from=crate-itoa-1.0.19 /green-src/itoa-1.0.19/ /\n") != NULL);
	/* Its unit mounts that shared stage; its script is left as it was. */
	CHECK(strstr(out.buf, "  --mount=type=bind,from=src-itoa-1.0.19,target=/green/cargo/registry/src/index.crates.io-x/itoa-1.0.19 <<'") != NULL);
	CHECK(strstr(out.buf, "<<'CARGO_GREEN_EOF'\n  --mount=type=bind,from=src-itoa-1,target=/x\n") != NULL);
	CHECK(strstr(out.buf, "from=src-app-3,target=/green/ws/app <<'") != NULL);
	CHECK(strstr(out.buf, "--build-context src-priv-2=${CARGO_HOME:-$HOME/.cargo}/registry/src/example.org-y/priv-2.0.0 ") != NULL);
	CHECK(strstr(out.buf, "--build-context src-app-3=app ") != NULL);
	CHECK(strstr(out.buf, "-f ci/app.Dockerfile ") != NULL);
	/* Dependencies first, then the binary alone. */
	CHECK(strstr(out.buf, "AS u-itoa-1") < strstr(out.buf, "AS u-priv-2"));
	CHECK(strstr(out.buf, "AS u-priv-2") < strstr(out.buf, "AS u-app-3"));
	CHECK(strstr(out.buf, "FROM scratch AS final\nCOPY --link --from=o-app-3 /green/target/release/deps/app-3 /app\n#") != NULL);
	/* No host path. */
	CHECK(strstr(out.buf, dir) == NULL);
	CHECK(strstr(out.buf, "/home/u") == NULL);
	/* A unit built on another base (its package's settings, host packages
	 * it needed) is on that base in the file; one on the run's, on rust-base. */
	{
		struct unit u = UNIT_INIT;
		struct strbuf df = STRBUF_INIT;
		CHECK(unit_read(&u, other.buf, &err) == 0);
		u.base = strdup("cargo-green-rust:1-apt-zlib");
		CHECK(unit_write(&u, other.buf, &err) == 0);
		unit_release(&u);
		CHECK(unit_read(&u, app.buf, &err) == 0);
		u.base = strdup("cargo-green-rust:1");
		CHECK(unit_write(&u, app.buf, &err) == 0);
		unit_release(&u);
		CHECK(final_render(&in, &df, &units, &locals, &err) == 0);
		CHECK(strstr(df.buf, "FROM cargo-green-rust:1 AS rust-base\nFROM cargo-green-rust:1-apt-zlib AS rust-base-1\n") != NULL);
		CHECK(strstr(df.buf, "FROM rust-base-1 AS u-priv-2\n") != NULL);
		CHECK(strstr(df.buf, "FROM rust-base AS u-app-3\n") != NULL);
		CHECK(strstr(df.buf, "FROM rust-base AS u-itoa-1\n") != NULL); /* (a record without one) */
		CHECK(strstr(df.buf, "# So must cargo-green-rust:1-apt-zlib (rust-base-1") != NULL);
		/* Back as they were, for what follows. */
		CHECK(unit_read(&u, other.buf, &err) == 0);
		free(u.base);
		u.base = NULL;
		CHECK(unit_write(&u, other.buf, &err) == 0);
		unit_release(&u);
		strbuf_release(&df);
	}
	/* The same list in another order: the same text. */
	strbuf_reset(&list);
	strbuf_addf(&list, "unit\t%s\t\t\nunit\t%s\t/green/target/release/deps/app-3\tapp\nunit\t%s\t\t\n", other.buf,
		    app.buf, other.buf);
	in.list = list.buf;
	strbuf_reset(&locals);
	CHECK(final_render(&in, &again, &units, &locals, &err) == 0);
	CHECK_STR(again.buf, out.buf);
	/* Written outside the workspace: named by its file name. */
	in.file = "/elsewhere/app.Dockerfile";
	strbuf_reset(&again);
	CHECK(final_render(&in, &again, &units, &locals, &err) == 0);
	CHECK(strstr(again.buf, "-f app.Dockerfile ") != NULL);
	/* No binary: the outputs of what nothing listed depends on. */
	strbuf_reset(&list);
	strbuf_addf(&list, "unit\t%s\t\t\nunit\t%s\t\t\n", itoa.buf, other.buf);
	in.list = list.buf;
	strbuf_reset(&out);
	CHECK(final_render(&in, &out, &units, &locals, &err) == 0);
	CHECK(strstr(out.buf, "FROM scratch AS final\nCOPY --link --from=o-priv-2 / /\n#") != NULL);
	/* Nothing listed: nothing rendered. */
	in.list = "local\tx-1\n";
	strbuf_reset(&out);
	CHECK(final_render(&in, &out, &units, &locals, &err) == 0 && units == 0 && out.len == 0);
	/* A missing record: an error naming it. */
	strbuf_reset(&list);
	strbuf_addf(&list, "unit\t%s/gone.green\t\t\n", dir);
	in.list = list.buf;
	CHECK(final_render(&in, &out, &units, &locals, &err) < 0 && strstr(err.buf, "gone.green"));

	/* A crates.io crate not in Cargo.lock (what cargo install builds): the
	 * SHA-256 of the .crate in CARGO_HOME/registry/cache. */
	{
		struct strbuf home = STRBUF_INIT, f = STRBUF_INIT, foo = STRBUF_INIT;
		strbuf_addf(&home, "%s/home", dir);
		strbuf_addf(&f, "%s/registry/src/index.crates.io-x/foo-bar-1.0.0", home.buf);
		mkdir_p(f.buf, 0755);
		strbuf_addstr(&f, "/Cargo.toml");
		CHECK(write_file_atomic(f.buf, "[package]\nedition = \"2021\"\nname = \"foo-bar\"\nversion = \"1.0.0\"\n\n[dependencies]\n",
					strlen("[package]\nedition = \"2021\"\nname = \"foo-bar\"\nversion = \"1.0.0\"\n\n[dependencies]\n"), 0644) == 0);
		strbuf_reset(&f);
		strbuf_addf(&f, "%s/registry/cache/index.crates.io-x", home.buf);
		mkdir_p(f.buf, 0755);
		strbuf_addstr(&f, "/foo-bar-1.0.0.crate");
		CHECK(write_file_atomic(f.buf, "abc", 3, 0644) == 0);
		strbuf_reset(&f);
		strbuf_addf(&f, "%s/registry/src/index.crates.io-x/foo-bar-1.0.0", home.buf);
		record(dir, "foo_bar-5", f.buf, "/green/cargo/registry/src/index.crates.io-x/foo-bar-1.0.0", NULL, NULL, &foo);
		strbuf_reset(&list);
		strbuf_addf(&list, "unit\t%s\t/green/target/release/deps/foo_bar-5\tfoo-bar\n", foo.buf);
		in.list = list.buf;
		in.cargo_home = home.buf;
		strbuf_reset(&out);
		CHECK(final_render(&in, &out, &units, &locals, &err) == 0);
		CHECK(strstr(out.buf, "ADD --checksum=sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad "
				      "https://static.crates.io/crates/foo-bar/foo-bar-1.0.0.crate ") != NULL);
		CHECK(strstr(out.buf, "COPY --link --from=o-foo_bar-5 /green/target/release/deps/foo_bar-5 /foo-bar\n") != NULL);
		CHECK(strstr(out.buf, "--build-context") == NULL);
		in.cargo_home = "/home/u/.cargo";
		strbuf_release(&home);
		strbuf_release(&f);
		strbuf_release(&foo);
	}

	/* A crate's lib and build script (and two units of a workspace member):
	 * one source each, by name; no stage twice. */
	{
		struct strbuf bs = STRBUF_INIT, lib = STRBUF_INIT, m1 = STRBUF_INIT, m2 = STRBUF_INIT, wsd = STRBUF_INIT;
		const char *at;
		record(dir, "build_script_build-6", "/home/u/.cargo/registry/src/index.crates.io-x/itoa-1.0.19",
		       "/green/cargo/registry/src/index.crates.io-x/itoa-1.0.19", NULL, NULL, &bs);
		record(dir, "itoa-7", "/home/u/.cargo/registry/src/index.crates.io-x/itoa-1.0.19",
		       "/green/cargo/registry/src/index.crates.io-x/itoa-1.0.19", NULL, bs.buf, &lib);
		strbuf_addf(&wsd, "%s/app", ws.buf);
		record(dir, "build_script_main-8", wsd.buf, "/green/ws/app", ws.buf, lib.buf, &m1);
		record(dir, "app-9", wsd.buf, "/green/ws/app", ws.buf, m1.buf, &m2);
		strbuf_reset(&list);
		strbuf_addf(&list, "unit\t%s\t/green/target/release/deps/app-9\tapp\n", m2.buf);
		in.list = list.buf;
		in.file = "/elsewhere/app.Dockerfile";
		strbuf_reset(&out);
		CHECK(final_render(&in, &out, &units, &locals, &err) == 0 && units == 4);
		at = strstr(out.buf, "AS crate-itoa-1.0.19\n");
		CHECK(at && !strstr(at + 1, "AS crate-itoa-1.0.19\n"));
		at = strstr(out.buf, "AS src-itoa-1.0.19\n");
		CHECK(at && !strstr(at + 1, "AS src-itoa-1.0.19\n"));
		CHECK(strstr(out.buf, "FROM rust-base AS u-build_script_build-6\nRUN --network=none \\\n  --mount=type=bind,from=src-itoa-1.0.19,") != NULL);
		CHECK(strstr(out.buf, "FROM rust-base AS u-itoa-7\nRUN --network=none \\\n  --mount=type=bind,from=src-itoa-1.0.19,") != NULL);
		CHECK(strstr(out.buf, "--build-context src-build_script_main-8=app \\\n") != NULL);
		CHECK(strstr(out.buf, "--build-context src-app-9") == NULL);
		CHECK(strstr(out.buf, "FROM rust-base AS u-app-9\nRUN --network=none \\\n  --mount=type=bind,from=src-build_script_main-8,") != NULL);
		strbuf_release(&bs);
		strbuf_release(&lib);
		strbuf_release(&m1);
		strbuf_release(&m2);
		strbuf_release(&wsd);
	}

	/* A version with build metadata, a name with capitals: still fetched (a
	 * stage name has neither '+' nor capitals). */
	{
		struct strbuf t = STRBUF_INIT, i = STRBUF_INIT, l2 = STRBUF_INIT, lk = STRBUF_INIT;
		const char *lt2 =
			"version = 4\n\n[[package]]\nname = \"toml\"\nversion = \"1.1.8+spec-1.1.0\"\n"
			"source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
			"checksum = \"1111111111111111111111111111111111111111111111111111111111111111\"\n\n"
			"[[package]]\nname = \"Inflector\"\nversion = \"0.11.4\"\n"
			"source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
			"checksum = \"2222222222222222222222222222222222222222222222222222222222222222\"\n";
		strbuf_addf(&lk, "%s/ws2", dir);
		mkdir_p(lk.buf, 0755);
		record(dir, "toml-10", "/home/u/.cargo/registry/src/index.crates.io-x/toml-1.1.8+spec-1.1.0",
		       "/green/cargo/registry/src/index.crates.io-x/toml-1.1.8+spec-1.1.0", lk.buf, NULL, &t);
		record(dir, "inflector-11", "/home/u/.cargo/registry/src/index.crates.io-x/Inflector-0.11.4",
		       "/green/cargo/registry/src/index.crates.io-x/Inflector-0.11.4", lk.buf, t.buf, &i);
		strbuf_addstr(&lk, "/Cargo.lock");
		CHECK(write_file_atomic(lk.buf, lt2, strlen(lt2), 0644) == 0);
		strbuf_addf(&l2, "unit\t%s\t\t\n", i.buf);
		in.list = l2.buf;
		strbuf_reset(&out);
		CHECK(final_render(&in, &out, &units, &locals, &err) == 0 && units == 2);
		CHECK(strstr(out.buf, "--build-context") == NULL);
		CHECK(strstr(out.buf, "FROM rust-base AS crate-toml-1.1.8_spec-1.1.0\nADD --checksum=sha256:1111111111111111111111111111111111111111111111111111111111111111 "
				      "https://static.crates.io/crates/toml/toml-1.1.8+spec-1.1.0.crate ") != NULL);
		CHECK(strstr(out.buf, "FROM scratch AS src-toml-1.1.8_spec-1.1.0\nCOPY --link --from=crate-toml-1.1.8_spec-1.1.0 /green-src/toml-1.1.8+spec-1.1.0/ /\n") != NULL);
		CHECK(strstr(out.buf, "from=src-toml-1.1.8_spec-1.1.0,target=/green/cargo/registry/src/index.crates.io-x/toml-1.1.8+spec-1.1.0 <<'") != NULL);
		CHECK(strstr(out.buf, "FROM scratch AS src-inflector-0.11.4\nCOPY --link --from=crate-inflector-0.11.4 /green-src/Inflector-0.11.4/ /\n") != NULL);
		CHECK(strstr(out.buf, "https://static.crates.io/crates/Inflector/Inflector-0.11.4.crate ") != NULL);
		strbuf_release(&t);
		strbuf_release(&i);
		strbuf_release(&l2);
		strbuf_release(&lk);
	}

	/* The setting's value. */
	CHECK(final_path_check("rel.Dockerfile", &why) < 0 && strstr(why.buf, "absolute"));
	strbuf_reset(&why);
	CHECK(final_path_check("-", &why) < 0);
	strbuf_reset(&why);
	CHECK(final_path_check(dir, &why) < 0 && strstr(why.buf, "directory"));
	strbuf_reset(&why);
	CHECK(final_path_check("/nonexistent-dir/x", &why) < 0 && strstr(why.buf, "does not exist"));
	strbuf_reset(&why);
	CHECK(final_path_check(lock.buf, &why) == 0);

	rm_rf(dir);
	strbuf_release(&ws);
	strbuf_release(&itoa);
	strbuf_release(&other);
	strbuf_release(&app);
	strbuf_release(&lock);
	strbuf_release(&list);
	strbuf_release(&out);
	strbuf_release(&again);
	strbuf_release(&locals);
	strbuf_release(&err);
	strbuf_release(&p);
	strbuf_release(&why);
}

/* final_graph_cost: the stages times the paths from the last one, each
 * reference once, whatever kind it is; heredoc bodies not read. */
/* A Dockerfile of k levels of diamonds (x_i and y_i each from x_i-1 and y_i-1), then final. */
static void diamonds(struct strbuf *df, int k)
{
	strbuf_reset(df);
	strbuf_addstr(df, "FROM scratch AS x0\nFROM scratch AS y0\n");
	for (int i = 1; i <= k; i++)
		strbuf_addf(df, "FROM scratch AS x%d\nCOPY --from=x%d / /\nCOPY --from=y%d / /\n"
			    "FROM scratch AS y%d\nCOPY --from=x%d / /\nCOPY --from=y%d / /\n",
			    i, i - 1, i - 1, i, i - 1, i - 1);
	strbuf_addf(df, "FROM scratch AS final\nCOPY --from=x%d / /\n", k);
}

static void test_final_graph_cost(void)
{
	struct strbuf df = STRBUF_INIT;
	size_t stages = 0;
	/* a <- b, a <- c, {b, c} <- d: from d, d b a c a: 5 steps, 4 stages. */
	CHECK(final_graph_cost("FROM img AS a\n"
			       "FROM a AS b\n"
			       "FROM scratch AS c\nCOPY --link --from=a / /\nCOPY --from=a /x /y\n"
			       "FROM scratch AS d\nCOPY --link --from=b / /\n"
			       "RUN --network=none \\\n  --mount=type=bind,from=c,target=/t <<'EOF'\n"
			       "echo --from=d from=a, (not read)\nEOF\n",
			       &stages) == 5 * 4);
	CHECK(stages == 4);
	/* k levels of diamonds: 2^(k+1) paths from the top, give or take the ends. */
	diamonds(&df, 40);
	CHECK(final_graph_cost(df.buf, &stages) > FINAL_GRAPH_COST_MAX);
	CHECK(stages == 83);
	/* Ten levels deep: small. */
	diamonds(&df, 10);
	CHECK(final_graph_cost(df.buf, &stages) == 2048 * 23);
	CHECK(final_graph_cost("", &stages) == 0 && stages == 0);
	strbuf_release(&df);
}

/* A file whose units' closures make 2^30 paths (x_i and y_i each over
 * x_i-1 and y_i-1, their e- stages as the engine's records have them):
 * the file says what BuildKit 0.13's frontend would make of it. */
static void test_final_big_graph(void)
{
	char dir[] = "/tmp/cargo-green-final-big-XXXXXX";
	struct strbuf prev[2] = { STRBUF_INIT, STRBUF_INIT }, cur[2] = { STRBUF_INIT, STRBUF_INIT }, stage = STRBUF_INIT,
		      list = STRBUF_INIT, out = STRBUF_INIT, locals = STRBUF_INIT, err = STRBUF_INIT, ctx = STRBUF_INIT;
	struct final_in in = { NULL, "cargo-green-rust:1", NULL, "/tmp/x.Dockerfile", "/home/u/.cargo", NULL };
	size_t units = 0;

	CHECK(mkdtemp(dir) != NULL);
	strbuf_addf(&ctx, "%s/src", dir);
	mkdir_p(ctx.buf, 0755);
	for (int i = 0; i <= 30; i++) {
		for (int k = 0; k < 2; k++) {
			struct unit u = UNIT_INIT;
			char id[16];
			snprintf(id, sizeof(id), "%c%d-1", k ? 'y' : 'x', i);
			strbuf_reset(&cur[k]);
			strbuf_addf(&cur[k], "%s/%s.green", dir, id);
			u.id = strdup(id);
			strbuf_reset(&stage);
			strbuf_addf(&stage, "src-%s", id);
			u.ctx_name = strbuf_detach(&stage, NULL);
			u.ctx_dir = strdup(ctx.buf);
			u.ctx_origin = strdup(ctx.buf);
			u.ctx_mount = strdup("/green/path/p");
			strbuf_addf(&stage, "FROM rust-base AS u-%s\n", id);
			for (int d = 0; i && d < 2; d++) {
				strvec_push(&u.deps, prev[d].buf);
				strbuf_addf(&stage, "COPY --link --from=e-%c%d-1 / /\n", d ? 'y' : 'x', i - 1);
			}
			strbuf_addf(&stage, "RUN --network=none --mount=type=bind,from=src-%s,target=/green/path/p true\n"
				    "FROM scratch AS o-%s\nCOPY --link --from=u-%s /green/out/ /\n"
				    "FROM scratch AS e-%s\nCOPY --link --from=o-%s / /\n", id, id, id, id, id);
			for (int d = 0; i && d < 2; d++)
				strbuf_addf(&stage, "COPY --link --from=e-%c%d-1 / /\n", d ? 'y' : 'x', i - 1);
			u.stage = strbuf_detach(&stage, NULL);
			CHECK(unit_write(&u, cur[k].buf, &err) == 0);
			unit_release(&u);
		}
		for (int k = 0; k < 2; k++) {
			strbuf_reset(&prev[k]);
			strbuf_addbuf(&prev[k], &cur[k]);
		}
	}
	strbuf_addf(&list, "unit\t%s\t\t\n", cur[0].buf);
	in.list = list.buf;
	CHECK(final_render(&in, &out, &units, &locals, &err) == 0);
	CHECK(units == 61);
	CHECK(strstr(out.buf, "\n# its stages reach each other by so many paths that BuildKit before 0.14 (Docker before 27) does not get past its Dockerfile frontend") != NULL);
	CHECK(strstr(out.buf, "`# syntax=docker/dockerfile:1.8` (CARGOGREEN_SYNTAX_IMAGE=docker-image://docker.io/docker/dockerfile:1.8) gets past that search, but BuildKit 0.13 takes at most 4 MiB of build graph from a frontend image, about a 1 MB Dockerfile\n") != NULL);
	rm_rf(dir);
	for (int k = 0; k < 2; k++) {
		strbuf_release(&prev[k]);
		strbuf_release(&cur[k]);
	}
	strbuf_release(&stage);
	strbuf_release(&list);
	strbuf_release(&out);
	strbuf_release(&locals);
	strbuf_release(&err);
	strbuf_release(&ctx);
}
