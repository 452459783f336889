/* remote_test.c: the parts of an ssh:// DOCKER_HOST, as ssh gets them. */
#include "remote.h"
#include "internal.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static void parse_case(const char *dh, int ok, const char *user, const char *host, const char *port, const char *path)
{
	struct strbuf u = STRBUF_INIT, h = STRBUF_INIT, p = STRBUF_INIT, s = STRBUF_INIT;
	int rc = remote_parse(dh, &u, &h, &p, &s);
	CHECK(rc == (ok ? 0 : -1));
	if (ok && !rc) {
		CHECK_STR(u.buf, user);
		CHECK_STR(h.buf, host);
		CHECK_STR(p.buf, port);
		CHECK_STR(s.buf, path);
	}
	strbuf_release(&u);
	strbuf_release(&h);
	strbuf_release(&p);
	strbuf_release(&s);
}

void test_remote(void)
{
	parse_case("ssh://greenbox", 1, "", "greenbox", "", "");
	parse_case("ssh://me@big.example:2222", 1, "me", "big.example", "2222", "");
	parse_case("ssh://me@big/run/user/1000/docker.sock", 1, "me", "big", "", "/run/user/1000/docker.sock");
	parse_case("ssh://big/", 1, "", "big", "", "");
	parse_case("ssh://", 0, "", "", "", "");
	parse_case("ssh://@big", 0, "", "", "", "");
	parse_case("ssh://big:", 0, "", "", "", "");
	parse_case("ssh://big:22x", 0, "", "", "", "");
	parse_case("ssh://-oProxyCommand=x", 0, "", "", "", ""); /* never an option of ssh's */
	parse_case("unix:///run/docker.sock", 0, "", "", "", "");
	parse_case(NULL, 0, "", "", "", "");
	/* Not a run of the plugin's: no forward. */
	unsetenv(REMOTE_DIR_ENV);
	CHECK(!remote_active());
	CHECK(remote_socket() == NULL);
	{
		struct strbuf err = STRBUF_INIT;
		CHECK(remote_ensure(&err) == 0 && !err.len);
		strbuf_release(&err);
	}
}
