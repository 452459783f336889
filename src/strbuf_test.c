#include "strbuf.h"
#include "strvec.h"
#include "test.h"

static void quoted(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_shquoted(&sb, in);
	CHECK_STR(sb.buf, want);
	strbuf_release(&sb);
}

static void csv(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_csv_field(&sb, in);
	CHECK_STR(sb.buf, want);
	strbuf_release(&sb);
}

void test_strbuf(void)
{
	{
		struct strbuf e = STRBUF_INIT;
		strbuf_addstr(&e, "a\nb");
		strbuf_addstr(&e, "x\ny\t\x1b[1m\x7f\xc3\xa9\\n");
		strbuf_escape_controls(&e, 3);
		CHECK_STR(e.buf, "a\nbx\\ny\\t\\x1b[1m\\x7f\xc3\xa9\\n");
		strbuf_reset(&e);
		strbuf_addstr(&e, "clean");
		strbuf_escape_controls(&e, 0);
		CHECK_STR(e.buf, "clean");
		strbuf_release(&e);
	}
	struct strbuf sb = STRBUF_INIT;
	struct strvec sv = STRVEC_INIT;

	CHECK(sb.buf[0] == '\0' && sb.len == 0);
	strbuf_addf(&sb, "%s-%d", "a", 42);
	for (int i = 0; i < 1000; i++)
		strbuf_addch(&sb, 'x');
	CHECK(sb.len == 1004 && sb.buf[1004] == '\0');
	strbuf_setlen(&sb, 4);
	CHECK_STR(sb.buf, "a-42");
	strbuf_release(&sb);

	quoted("plain/path-1.0", "plain/path-1.0");
	quoted("", "''");
	quoted("a b", "'a b'");
	quoted("it's", "'it'\\''s'");
	quoted("$HOME", "'$HOME'");
	quoted("cfg(feature=\"x\")", "'cfg(feature=\"x\")'");

	/* buildx's --output and --secret values are CSV (Go's encoding/csv). */
	csv("dest=/t/cargo-green/tmp/x.1", "dest=/t/cargo-green/tmp/x.1");
	csv("dest=/tmp/My Projects/$x é/t", "dest=/tmp/My Projects/$x é/t");
	csv("dest=/tmp/a,b", "\"dest=/tmp/a,b\"");
	csv("dest=/tmp/\"q\"/t", "\"dest=/tmp/\"\"q\"\"/t\"");
	csv(" lead", "\" lead\"");

	strvec_push(&sv, "b");
	strvec_pushf(&sv, "%c", 'a');
	strvec_sort(&sv);
	CHECK_STR(sv.v[0], "a");
	CHECK(sv.v[2] == NULL);
	CHECK(strvec_find(&sv, "b") == 1 && strvec_find(&sv, "z") == -1);
	strvec_clear(&sv);
	CHECK(sv.nr == 0);
}
