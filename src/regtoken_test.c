/* regtoken_test.c: the run's bearer tokens: scopes, lifetimes, privacy. */
#include "regtoken.h"
#include "fs.h"
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_covers(void)
{
	CHECK(regtoken_covers("repository:team/c:pull", "repository:team/c:pull"));
	CHECK(regtoken_covers("repository:team/c:pull,push", "repository:team/c:pull"));
	CHECK(regtoken_covers("repository:team/c:push,pull", "repository:team/c:pull,push"));
	CHECK(regtoken_covers("repository:team/c:*", "repository:team/c:pull,push"));
	CHECK(!regtoken_covers("repository:team/c:pull", "repository:team/c:pull,push"));
	CHECK(!regtoken_covers("repository:team/other:pull,push", "repository:team/c:pull"));
	CHECK(!regtoken_covers("repository:team/c:pull", "repository:team/cc:pull"));
	CHECK(!regtoken_covers("repository:team/c:pushy", "repository:team/c:push"));
	CHECK(!regtoken_covers("nonsense", "repository:team/c:pull"));
}

static void test_keep_find(void)
{
	char dir[] = "/tmp/cargo-green-regtoken-test.XXXXXX";
	struct strbuf f = STRBUF_INIT, t = STRBUF_INIT;
	struct stat st;
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	strbuf_addf(&f, "%s/tokens", dir);
	CHECK(regtoken_find(f.buf, "h:1/team/c", "repository:team/c:pull", 1000, &t) == 0);
	CHECK(regtoken_keep(f.buf, "h:1/team/c", "repository:team/c:pull", "PULL1", 300, 1000) == 0);
	CHECK(stat(f.buf, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(regtoken_find(f.buf, "h:1/team/c", "repository:team/c:pull", 1000, &t) == 1);
	CHECK_STR(t.buf, "PULL1");
	/* A pull token serves no push; the push one serves both; the newest wins. */
	CHECK(regtoken_find(f.buf, "h:1/team/c", "repository:team/c:pull,push", 1000, &t) == 0);
	CHECK(regtoken_keep(f.buf, "h:1/team/c", "repository:team/c:pull,push", "PUSH1", 300, 1010) == 0);
	CHECK(regtoken_find(f.buf, "h:1/team/c", "repository:team/c:pull,push", 1010, &t) == 1);
	CHECK_STR(t.buf, "PUSH1");
	CHECK(regtoken_find(f.buf, "h:1/team/c", "repository:team/c:pull", 1010, &t) == 1);
	CHECK_STR(t.buf, "PUSH1");
	/* Another repository's or registry's: none. */
	CHECK(regtoken_find(f.buf, "h:2/team/c", "repository:team/c:pull", 1010, &t) == 0);
	/* Near the end of its life (15 s of margin): not used. */
	CHECK(regtoken_find(f.buf, "h:1/team/c", "repository:team/c:pull", 1290, &t) == 1);
	CHECK_STR(t.buf, "PUSH1");
	CHECK(regtoken_find(f.buf, "h:1/team/c", "repository:team/c:pull", 1296, &t) == 0);
	/* Nothing that would break a line. */
	CHECK(regtoken_keep(f.buf, "h:1/team/c", "repository:team/c:pull", "A\nB", 300, 1000) < 0);
	/* A directory others may read: nothing kept, nothing read. */
	chmod(dir, 0755);
	CHECK(regtoken_keep(f.buf, "h:1/team/c", "repository:team/c:pull", "PULL2", 300, 1000) < 0);
	CHECK(regtoken_find(f.buf, "h:1/team/c", "repository:team/c:pull", 1000, &t) == 0);
	chmod(dir, 0700);
	/* A file others may read: nothing added. */
	chmod(f.buf, 0644);
	CHECK(regtoken_keep(f.buf, "h:1/team/c", "repository:team/c:pull", "PULL3", 300, 1000) < 0);
	rm_rf(dir);
	strbuf_release(&f);
	strbuf_release(&t);
}

void test_regtoken(void)
{
	test_covers();
	test_keep_find();
}
