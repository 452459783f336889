#include "engine.h"
#include "exitcode.h"
#include "paths.h"
#include "stage.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>

void test_stage(void)
{
	/* The last FROM's stage name: any case of AS, leading blanks, CR. */
	{
		char *n = dockerfile_last_stage("FROM debian AS a\nRUN x\n  from a as final\r\n");
		CHECK_STR(n, "final");
		free(n);
		n = dockerfile_last_stage("FROM debian AS a\nFROM a\n");
		CHECK(n == NULL);
		n = dockerfile_last_stage("RUN echo FROM x AS y\n");
		CHECK(n == NULL);
	}
	struct stage_spec s = STAGE_SPEC_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	s.id = "app-abc";
	strvec_push(&s.deps, "greet-1");
	strvec_push(&s.deps, "anyhow-2");
	s.workdir = xstrdup("/green/ws");
	s.ctx_name = "src-app-abc";
	s.ctx_target = "/green/ws/app";
	strvec_push(&s.dep_mounts, "src-greet-1=/green/ws/greet");
	strvec_push(&s.dep_mounts, "src-root=/green/ws");
	strvec_push(&s.env, "CARGO_PKG_DESCRIPTION=it's multi\nline");
	strvec_push(&s.argv, "rustc");
	strvec_push(&s.argv, "--crate-name");
	strvec_push(&s.argv, "app");
	s.collect_dir = xstrdup("/green/target/debug/deps");
	s.collect_new_only = 1;
	CHECK(stage_render(&s, &out, &err) == 0);

	CHECK(strstr(out.buf, "FROM rust-base AS u-app-abc\n") == out.buf);
	CHECK(strstr(out.buf, "COPY --link --from=e-greet-1 / /\n") != NULL);
	CHECK(strstr(out.buf, "WORKDIR /green/ws\n") != NULL);
	/* Every compile has no network; outer mounts come before inner ones. */
	CHECK(strstr(out.buf, "RUN --network=none") != NULL);
	const char *root = strstr(out.buf, "from=src-root,target=/green/ws ");
	const char *app = strstr(out.buf, "from=src-app-abc,target=/green/ws/app");
	CHECK(root && app && root < app);
	CHECK(strstr(out.buf, ",rw") == NULL);
	/* Values are shell-quoted, a newline as "$nl": no value starts a line. */
	CHECK(strstr(out.buf, "'CARGO_PKG_DESCRIPTION=it'\\''s multi'\"$nl\"'line'") != NULL);
	CHECK(strstr(out.buf, "<<'" STAGE_HEREDOC "'\n" STAGE_NL_DEF "\no=/green/target/debug/deps\n") != NULL);
	CHECK(strstr(out.buf, "env -i PATH=\"$PATH\"") != NULL);
	CHECK(strstr(out.buf, "FROM scratch AS o-app-abc\nCOPY --link --from=u-app-abc /green/out/ /\n") != NULL);
	CHECK(strstr(out.buf, "FROM scratch AS e-app-abc\nCOPY --link --from=o-app-abc / /\n") != NULL);
	CHECK(strstr(out.buf, "grep -vxF") != NULL);
	/* No host path. */
	CHECK(strstr(out.buf, "/home") == NULL && strstr(out.buf, "/root") == NULL);

	/* The same spec renders the same bytes. */
	struct strbuf again = STRBUF_INIT;
	CHECK(stage_render(&s, &again, &err) == 0);
	CHECK_STR(again.buf, out.buf);

	/* A host path (JOB_MODE_HOST_PATHS) with a space, quotes, '$', '#'
	 * and a comma: WORKDIR escaped for BuildKit's word expansion, the
	 * mount target for its three layers (as checked against BuildKit
	 * 0.13: the RUN's pwd and mount are that path). */
	{
		struct stage_spec h = STAGE_SPEC_INIT;
		struct strbuf t = STRBUF_INIT;
		const char *odd = "/tmp/My Projects/it's \"q\" $HOME #1 x,y";
		h.id = "cli-1";
		h.workdir = xstrdup(odd);
		h.ctx_name = "src-cli-1";
		h.ctx_target = odd;
		h.collect_dir = xstrdup("/green/target/debug/deps");
		strvec_push(&h.argv, "rustc");
		CHECK(stage_render(&h, &t, &err) == 0);
		CHECK(strstr(t.buf, "WORKDIR /tmp/My Projects/it\\'s \\\"q\\\" \\$HOME #1 x,y\n") != NULL);
		CHECK(strstr(t.buf, "--mount=type=bind,from=src-cli-1,\\\"target=/tmp/My\\ Projects/it\\\\\\'s\\ "
				    "\\\\\\\"\\\"q\\\\\\\"\\\"\\ \\\\$HOME\\ #1\\ x,y\\\" <<'") != NULL);
		stage_spec_release(&h);
		strbuf_release(&t);
		CHECK(path_dockerfile_safe(odd));
		CHECK(path_dockerfile_safe("/home/u/proj"));
		CHECK(!path_dockerfile_safe("/tmp/\xc3\xa9"));
		CHECK(!path_dockerfile_safe("/tmp/a\tb"));
	}

	CHECK(stage_id_valid("serde_json-0a1b"));
	CHECK(!stage_id_valid("Serde"));
	CHECK(!stage_id_valid("a b"));
	CHECK(!stage_id_valid(""));

	/* Settings: the network, secrets (never their value), incremental. */
	s.network = "default";
	strvec_push(&s.secrets, "GIT_AUTH_TOKEN:0123456789abcdef");
	s.incr_dir = xstrdup("/green/target/debug/incremental");
	s.incr_prefix = xstrdup("app-");
	strbuf_reset(&out);
	CHECK(stage_render(&s, &out, &err) == 0);
	CHECK(strstr(out.buf, "RUN --network=default \\\n  --mount=type=secret,id=GIT_AUTH_TOKEN,required=true") != NULL);
	CHECK(strstr(out.buf, "# secret GIT_AUTH_TOKEN: keyed digest 0123456789abcdef\n") != NULL);
	CHECK(strstr(out.buf, "GIT_AUTH_TOKEN=\"$(cat /run/secrets/GIT_AUTH_TOKEN)\"") != NULL);
	CHECK(strstr(out.buf, "cp -a /green/ws/app/.green-incremental/. \"$i/\"") != NULL);
	CHECK(strstr(out.buf, "for d in \"$i\"/app-*; do") != NULL);

	/* Kept outputs: the closure comes from one context mounted over the
	 * target dir; no e- stage, no dependency stage named. */
	s.deps_ctx = "deps";
	strvec_clear(&s.dep_mounts);
	strbuf_reset(&out);
	CHECK(stage_render(&s, &out, &err) == 0);
	/* Mounted read-only (BuildKit then syncs it by difference), never
	 * copied by a stage; its files linked into the target dir first. */
	CHECK(strstr(out.buf, "FROM rust-base AS u-app-abc\n") == out.buf);
	CHECK(strstr(out.buf, " \\\n  --mount=type=bind,from=deps,target=/green/deps \\\n") != NULL);
	CHECK(strstr(out.buf, "from=deps,target=/green/deps,rw") == NULL);
	CHECK(strstr(out.buf, "COPY --from=deps") == NULL && strstr(out.buf, "AS d-") == NULL);
	CHECK(strstr(out.buf, "\nmkdir -p /green/target && cp -rs /green/deps/. /green/target/ || exit 3\no=") != NULL);
	CHECK(strstr(out.buf, "e-greet-1") == NULL);
	CHECK(strstr(out.buf, "AS e-app-abc") == NULL);
	CHECK(strstr(out.buf, "FROM scratch AS o-app-abc\n") != NULL);
	CHECK(strstr(out.buf, "src-greet-1") == NULL);
	CHECK(strstr(out.buf, "green-git") == NULL && strstr(out.buf, "safe.directory") == NULL);

	/* A build script run: its git is a stand-in that leaves a mark and
	 * answers as git outside a repository; given its work tree, git trusts it. */
	s.git_probe = 1;
	strbuf_reset(&out);
	CHECK(stage_render(&s, &out, &err) == 0);
	CHECK(strstr(out.buf, "cat >/tmp/green-git/git <<'GREEN_GIT'\n#!/bin/sh\n: >/green/out/green/app-abc.git\n") != NULL);
	CHECK(strstr(out.buf, "exit 128\nGREEN_GIT\n") != NULL);
	CHECK(strstr(out.buf, "env -i PATH=\"/tmp/green-git:$PATH\"") != NULL);
	s.git_probe = 0;
	s.git_trust = 1;
	strbuf_reset(&out);
	CHECK(stage_render(&s, &out, &err) == 0);
	CHECK(strstr(out.buf, "git config --system --add safe.directory '*'") != NULL);
	CHECK(strstr(out.buf, "green-git") == NULL);

	stage_spec_release(&s);
	strbuf_release(&out);
	strbuf_release(&again);
	strbuf_release(&err);
}

/* The engine's failures that need a sentence of their own (engine.c). */
void test_engine_explain(void)
{
	struct strbuf err = STRBUF_INIT;
	CHECK(engine_explain_failure("building o-x",
				     "#1 ...\nERROR: failed to run Build function: ResourceExhausted: grpc: received message larger than max (4797513 vs. 4194304)\n",
				     "/t/x.log", &err) == EXIT_ENGINE_FAILED);
	CHECK(strstr(err.buf, "larger than the engine's gRPC message limit (received message larger than max (4797513 vs. 4194304))") != NULL);
	CHECK(strstr(err.buf, "run cargo clean, then the build again") != NULL);
	strbuf_reset(&err);
	CHECK(engine_explain_failure("building o-x", "ERROR: no builder \"nope\" found\n", "/t/x.log", &err) == EXIT_ENGINE_FAILED);
	CHECK(strstr(err.buf, "BUILDX_BUILDER=nope names no builder") != NULL);
	/* The engine killed mid-build; its disk full. */
	strbuf_reset(&err);
	CHECK(engine_explain_failure("building o-x", "#5 ...\nERROR: failed to solve: Unavailable: error reading from server: EOF\n", "/t/x.log", &err) == EXIT_ENGINE_UNREACHABLE);
	CHECK(strstr(err.buf, "went away while building o-x") && strstr(err.buf, "scripts/engine.sh"));
	/* …killed while buildx dialed it (seen in CI: buildx's own words, not the engine's). */
	strbuf_reset(&err);
	CHECK(engine_explain_failure("building o-x", "ERROR: failed to dial gRPC: unexpected EOF\n", "/t/x.log", &err) == EXIT_ENGINE_UNREACHABLE);
	CHECK(strstr(err.buf, "went away while building o-x") && strstr(err.buf, "scripts/engine.sh"));
	strbuf_reset(&err);
	CHECK(engine_explain_failure("building o-x", "ERROR: failed to solve: write /var/lib/docker/x: no space left on device\n", "/t/x.log", &err) == EXIT_ENGINE_FAILED);
	CHECK(strstr(err.buf, "no space left on device in the engine's storage") != NULL);
	/* The docker CLI's own ssh (DOCKER_HOST=ssh:// without the forward): ssh's words, its last line. */
	strbuf_reset(&err);
	CHECK(engine_explain_failure("probing what it can build",
				     "ERROR: error during connect: Head \"http://docker.example.com/_ping\": command [ssh -o ConnectTimeout=30 -- nohost docker system dial-stdio] has exited with exit status 255, please make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=ssh: Could not resolve hostname nohost: Name or service not known\n\n",
				     "/t/x.log", &err) == EXIT_ENGINE_UNREACHABLE);
	CHECK(strstr(err.buf, ": ssh: Could not resolve hostname nohost: Name or service not known (") != NULL);
	CHECK(!strchr(err.buf, '\n'));
	strbuf_reset(&err);
	CHECK(engine_explain_failure("probing what it can build",
				     "ERROR: error during connect: Head \"http://docker.example.com/_ping\": command [ssh -o ConnectTimeout=30 -- h docker system dial-stdio] has exited with exit status 127, please make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=some motd line\nbash: line 1: docker: command not found\n",
				     "/t/x.log", &err) == EXIT_ENGINE_UNREACHABLE);
	CHECK(strstr(err.buf, "has no docker CLI (bash: line 1: docker: command not found)") != NULL);
	strbuf_release(&err);
}
