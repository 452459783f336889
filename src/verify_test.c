#include "verify.h"
#include "test.h"

void test_verify(void)
{
	static const struct { const char *v; int ok; double share; int strict; } values[] = {
		{ "off", 1, 0, 0 },        { "0", 1, 0, 0 },          { "all", 1, 1, 0 },
		{ "strict", 1, 1, 1 },     { "0.1", 1, 0.1, 0 },      { "1", 1, 1, 0 },
		{ "0.25,strict", 1, 0.25, 1 }, { "all,strict", 1, 1, 1 }, { "1.5", 0, 0, 0 },
		{ "-0.1", 0, 0, 0 },       { "0.", 1, 0, 0 },         { "yes", 0, 0, 0 },
		{ "0.1,lax", 0, 0, 0 },    { "strict,strict", 0, 0, 0 }, { "off,strict", 0, 0, 0 },
		{ "", 0, 0, 0 },           { "1e-1", 0, 0, 0 },       { "0.1.2", 0, 0, 0 },
		{ "0x1", 0, 0, 0 },
	};
	struct strbuf why = STRBUF_INIT, diff = STRBUF_INIT;
	int hits = 0;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		double share = -1;
		int strict = -1, rc;
		strbuf_reset(&why);
		rc = verify_parse(values[i].v, &share, &strict, &why);
		if (!strcmp(values[i].v, "0.")) {
			/* "0." is zero: not a share in (0, 1] */
			CHECK(rc == -1);
			continue;
		}
		CHECK((rc == 0) == values[i].ok);
		if (rc == 0)
			CHECK(share == values[i].share && strict == values[i].strict);
		else
			CHECK(strstr(why.buf, "expected off, a number in (0, 1] such as 0.1, all or strict") != NULL);
	}
	/* Sampling: all always, a share about that share of the time. */
	CHECK(verify_sampled(1, "k") && !verify_sampled(0, "k"));
	for (int i = 0; i < 2000; i++)
		hits += verify_sampled(0.25, "some key");
	CHECK(hits > 350 && hits < 650);

	/* Manifests: equal; a file with other bytes; one missing; one extra. */
	CHECK(verify_compare("a\tf 1 aa\nb/c\tf 2 bb\n", "a\tf 1 aa\nb/c\tf 2 bb\n", &diff) == 0 && !diff.len);
	CHECK(verify_compare("a\tf 1 aa\nb/c\tf 2 bb\n", "a\tf 1 aa\nb/c\tf 2 cc\n", &diff) == 1);
	CHECK_STR(diff.buf, "b/c (other bytes)");
	strbuf_reset(&diff);
	CHECK(verify_compare("a\tf 1 aa\nb\tf 2 bb\n", "b\tf 2 bb\n", &diff) == 1);
	CHECK_STR(diff.buf, "a (missing from the fresh build)");
	strbuf_reset(&diff);
	CHECK(verify_compare("a\tf 1 aa\n", "a\tf 1 aa\na.d\tf 3 dd\n", &diff) == 1);
	CHECK_STR(diff.buf, "a.d (only in the fresh build)");
	strbuf_release(&why);
	strbuf_release(&diff);
}
