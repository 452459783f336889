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

static int exists(const char *root, const char *rel)
{
	struct strbuf p = STRBUF_INIT;
	int ok;
	strbuf_addf(&p, "%s/%s", root, rel);
	ok = access(p.buf, F_OK) == 0;
	strbuf_release(&p);
	return ok;
}

/* copy_tree: copies (not links), into a dir that may exist; mirror_tree:
 * a workspace's sources without what it is told to leave out, other
 * packages below the top only when asked, dst replaced whole. */
void test_fs_mirror(void)
{
	char dir[] = "/tmp/cargo-green-mirror-test.XXXXXX";
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, p = STRBUF_INIT, q = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec names = STRVEC_INIT, paths = STRVEC_INIT;
	struct stat s1, s2;
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	strbuf_addf(&a, "%s/ws", dir);
	strbuf_addf(&b, "%s/copy", dir);
	test_put(a.buf, "Cargo.toml", "[workspace]\n", 0644);
	test_put(a.buf, "src/main.rs", "fn main() {}\n", 0644);
	test_put(a.buf, "src/.git/HEAD", "ref\n", 0644);
	test_put(a.buf, "target/debug/x", "out\n", 0644);
	test_put(a.buf, "member/Cargo.toml", "[package]\n", 0644);
	test_put(a.buf, "member/src/lib.rs", "\n", 0644);
	test_put(a.buf, "notes/big.bin", "bytes\n", 0644);
	/* Another target dir (CARGO_TARGET_DIR=target-plain), tagged as cargo tags it; a tag without the signature is not one. */
	test_put(a.buf, "target-plain/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by cargo.\n", 0644);
	test_put(a.buf, "target-plain/debug/app", "bin\n", 0644);
	test_put(a.buf, "data/CACHEDIR.TAG", "not a tag\n", 0644);

	CHECK(copy_tree(a.buf, b.buf) == 0);
	CHECK(exists(b.buf, "member/src/lib.rs") && exists(b.buf, "src/.git/HEAD"));
	strbuf_addf(&p, "%s/src/main.rs", a.buf);
	strbuf_addf(&q, "%s/src/main.rs", b.buf);
	CHECK(stat(p.buf, &s1) == 0 && stat(q.buf, &s2) == 0 && s1.st_ino != s2.st_ino);

	strvec_push(&names, ".git");
	strvec_push(&names, "target");
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/notes", a.buf);
	strvec_push(&paths, p.buf);
	strbuf_reset(&q);
	strbuf_addf(&q, "%s/mirror", dir);
	test_put(q.buf, "stale", "gone after\n", 0644);
	CHECK(mirror_tree(a.buf, q.buf, 0, &names, &paths, &err) == 0);
	CHECK_STR(err.buf, "");
	CHECK(exists(q.buf, "Cargo.toml") && exists(q.buf, "src/main.rs"));
	CHECK(!exists(q.buf, "src/.git") && !exists(q.buf, "target") && !exists(q.buf, "notes"));
	CHECK(!exists(q.buf, "stale"));
	CHECK(!exists(q.buf, "target-plain") && exists(q.buf, "data/CACHEDIR.TAG"));
	/* Another package below the top: its dir, not what it holds. */
	CHECK(exists(q.buf, "member") && !exists(q.buf, "member/Cargo.toml"));
	/* Files are hard links to the sources. */
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/src/main.rs", a.buf);
	strbuf_addf(&q, "/src/main.rs");
	CHECK(stat(p.buf, &s1) == 0 && stat(q.buf, &s2) == 0 && s1.st_ino == s2.st_ino);
	/* The whole workspace. */
	strbuf_reset(&q);
	strbuf_addf(&q, "%s/mirror", dir);
	CHECK(mirror_tree(a.buf, q.buf, 1, &names, &paths, &err) == 0);
	CHECK(exists(q.buf, "member/src/lib.rs") && !exists(q.buf, "target") && !exists(q.buf, "target-plain"));
	/* A source dir that cannot be read: one error naming it. */
	strbuf_reset(&err);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/no-such", dir);
	CHECK(mirror_tree(p.buf, q.buf, 0, &names, &paths, &err) == -1);
	CHECK(strstr(err.buf, "no-such") != NULL);
	CHECK(exists(q.buf, "member/src/lib.rs")); /* dst as it was */
	rm_rf(dir);
	strvec_clear(&names);
	strvec_clear(&paths);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&p);
	strbuf_release(&q);
	strbuf_release(&err);
}
