#include "stage.h"
#include "test.h"
#include "util.h"

void test_stage(void)
{
	struct stage_spec s = STAGE_SPEC_INIT;
	struct strbuf out = STRBUF_INIT;

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
	stage_render(&s, &out);

	CHECK(strstr(out.buf, "FROM rust-base AS u-app-abc\n") == out.buf);
	CHECK(strstr(out.buf, "COPY --link --from=e-greet-1 / /\n") != NULL);
	CHECK(strstr(out.buf, "WORKDIR /green/ws\n") != NULL);
	/* Every compile has no network; outer mounts come before inner ones. */
	CHECK(strstr(out.buf, "RUN --network=none") != NULL);
	const char *root = strstr(out.buf, "from=src-root,target=/green/ws ");
	const char *app = strstr(out.buf, "from=src-app-abc,target=/green/ws/app");
	CHECK(root && app && root < app);
	CHECK(strstr(out.buf, ",rw") == NULL);
	/* Values are shell-quoted, newlines included. */
	CHECK(strstr(out.buf, "'CARGO_PKG_DESCRIPTION=it'\\''s multi\nline'") != NULL);
	CHECK(strstr(out.buf, "env -i PATH=\"$PATH\"") != NULL);
	CHECK(strstr(out.buf, "FROM scratch AS o-app-abc\nCOPY --link --from=u-app-abc /green/out/ /\n") != NULL);
	CHECK(strstr(out.buf, "FROM scratch AS e-app-abc\nCOPY --link --from=o-app-abc / /\n") != NULL);
	CHECK(strstr(out.buf, "grep -vxF") != NULL);
	/* No host path. */
	CHECK(strstr(out.buf, "/home") == NULL && strstr(out.buf, "/root") == NULL);

	/* The same spec renders the same bytes. */
	struct strbuf again = STRBUF_INIT;
	stage_render(&s, &again);
	CHECK_STR(again.buf, out.buf);

	CHECK(stage_id_valid("serde_json-0a1b"));
	CHECK(!stage_id_valid("Serde"));
	CHECK(!stage_id_valid("a b"));
	CHECK(!stage_id_valid(""));

	stage_spec_release(&s);
	strbuf_release(&out);
	strbuf_release(&again);
}
