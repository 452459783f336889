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

/* link_tree: the same tree, its files hard links, its symlinks as they were. */
void test_fs_link_tree(void)
{
	char dir[] = "/tmp/cargo-green-link-test.XXXXXX";
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, p = STRBUF_INIT, q = STRBUF_INIT;
	struct stat s1, s2;
	char target[64];
	ssize_t n;
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	strbuf_addf(&a, "%s/a", dir);
	strbuf_addf(&b, "%s/b", dir);
	strbuf_addf(&p, "%s/sub/deeper", a.buf);
	CHECK(mkdir_p(p.buf, 0755) == 0);
	strbuf_addstr(&p, "/f");
	CHECK(copy_file("/etc/hostname", p.buf, 0644) == 0 || copy_file("/etc/passwd", p.buf, 0644) == 0);
	strbuf_reset(&q);
	strbuf_addf(&q, "%s/l", a.buf);
	CHECK(symlink("sub/deeper/f", q.buf) == 0);
	CHECK(link_tree(a.buf, b.buf) == 0);
	strbuf_reset(&q);
	strbuf_addf(&q, "%s/sub/deeper/f", b.buf);
	CHECK(stat(p.buf, &s1) == 0 && stat(q.buf, &s2) == 0 && s1.st_ino == s2.st_ino);
	strbuf_reset(&q);
	strbuf_addf(&q, "%s/l", b.buf);
	n = readlink(q.buf, target, sizeof(target) - 1);
	CHECK(n == (ssize_t)strlen("sub/deeper/f") && !memcmp(target, "sub/deeper/f", (size_t)n));
	CHECK(link_tree(a.buf, b.buf) < 0); /* dst must be absent */
	rm_rf(dir);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&p);
	strbuf_release(&q);
}
