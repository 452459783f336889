#include "fs.h"
#include "strbuf.h"
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Temporaries of killed runs go; live ones and other names stay. */
void test_fs_sweep(void)
{
	char dir[] = "/tmp/cargo-green-sweep.XXXXXX";
	struct strbuf p = STRBUF_INIT;
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);

	CHECK(temp_name_pid("app-0a1b.123") == 123);
	CHECK(temp_name_pid("app-0a1b.123.land") == 123);
	CHECK(temp_name_pid("check.77.Dockerfile") == 77);
	CHECK(temp_name_pid("os-bookworm.4242.tar") == 4242);
	CHECK(temp_name_pid("0123456789.ok") == 0); /* a stamp's hash is the first part */
	CHECK(temp_name_pid("lock") == 0);
	CHECK(temp_name_pid("probe.log") == 0);
	CHECK(temp_name_pid("x.1a2") == 0);

	CHECK(mkdtemp(dir) != NULL);
	const char *names[] = { "dead-dir", "dead.land", "live", "keep.log", "lock" };
	for (int i = 0; i < 5; i++) {
		strbuf_reset(&p);
		if (i == 0)
			strbuf_addf(&p, "%s/app-1.%ld/deep", dir, (long)dead);
		else if (i == 1)
			strbuf_addf(&p, "%s/app-1.%ld.land", dir, (long)dead);
		else if (i == 2)
			strbuf_addf(&p, "%s/app-2.%ld", dir, (long)getppid());
		else
			strbuf_addf(&p, "%s/%s", dir, names[i]);
		CHECK(mkdir_p(p.buf, 0755) == 0);
	}
	CHECK(sweep_dead_temps(dir) == 2);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/app-1.%ld", dir, (long)dead);
	CHECK(access(p.buf, F_OK) != 0);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/app-2.%ld", dir, (long)getppid());
	CHECK(access(p.buf, F_OK) == 0);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/keep.log", dir);
	CHECK(access(p.buf, F_OK) == 0);
	CHECK(sweep_dead_temps(dir) == 0);
	rm_rf(dir);
	strbuf_release(&p);
}
