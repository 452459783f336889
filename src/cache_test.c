/* Packing a store entry for a cache image: an archive is kept only when it
 * unpacks to what the entry's manifest says (tar exits 1 when a build hard
 * links a stored file while it reads it: its ctime moved, not its bytes). */
#include "cache.h"
#include "config.h"
#include "fs.h"
#include "run.h"
#include "store.h"
#include "test.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int pack(const char *dir, const char *file)
{
	struct child c = CHILD_INIT;
	struct strbuf err = STRBUF_INIT;
	int rc;
	strvec_pushl(&c.args, "tar", "--zstd", "-cf", file, "-C", dir, ".", NULL);
	c.stdin_path = "";
	c.no_stdout = 1;
	rc = run_command(&c, &err);
	child_release(&c);
	strbuf_release(&err);
	return rc;
}

static void manifest(const char *dir)
{
	struct strbuf sums = STRBUF_INIT, p = STRBUF_INIT;
	CHECK(store_sums(dir, 1, &sums) == 0);
	strbuf_addf(&p, "%s/%s", dir, STORE_SUMS);
	CHECK(write_file_atomic(p.buf, sums.buf, sums.len, 0644) == 0);
	strbuf_release(&sums);
	strbuf_release(&p);
}

void test_cache_archive(void)
{
	char tmpl[] = "/tmp/cargo-green-cache-test.XXXXXX";
	const char *root = mkdtemp(tmpl);
	struct strbuf e = STRBUF_INIT, f = STRBUF_INIT, err = STRBUF_INIT;
	CHECK(root != NULL);
	if (!root)
		return;
	strbuf_addf(&e, "%s/entry", root);
	strbuf_addf(&f, "%s/a.tar.zst", root);
	test_put(e.buf, "green/target/debug/deps/libx.rlib", "rlib bytes", 0644);
	test_put(e.buf, "green/x.code", "0\n", 0644);
	manifest(e.buf);

	/* As saved: kept. */
	CHECK(pack(e.buf, f.buf) == 0);
	CHECK(cache_archive_check("k", f.buf, root, &err) == 0);
	CHECK_STR(err.buf, "");
	/* A byte changed, the size the same: refused, naming the file. */
	test_put(e.buf, "green/target/debug/deps/libx.rlib", "rlib bytez", 0644);
	CHECK(pack(e.buf, f.buf) == 0);
	strbuf_reset(&err);
	CHECK(cache_archive_check("k", f.buf, root, &err) == -1);
	CHECK(strstr(err.buf, "libx.rlib") != NULL);
	/* A file left out: refused. */
	test_put(e.buf, "green/target/debug/deps/libx.rlib", "rlib bytes", 0644);
	{
		struct strbuf p = STRBUF_INIT;
		strbuf_addf(&p, "%s/green/x.code", e.buf);
		CHECK(unlink(p.buf) == 0);
		strbuf_release(&p);
	}
	CHECK(pack(e.buf, f.buf) == 0);
	strbuf_reset(&err);
	CHECK(cache_archive_check("k", f.buf, root, &err) == -1);
	CHECK(strstr(err.buf, "x.code") != NULL);
	/* Not an archive: refused. */
	CHECK(write_file_atomic(f.buf, "junk", 4, 0644) == 0);
	strbuf_reset(&err);
	CHECK(cache_archive_check("k", f.buf, root, &err) == -1);
	CHECK(err.len > 0);
	/* No scratch dir left behind. */
	{
		struct strbuf p = STRBUF_INIT;
		strbuf_addf(&p, "%s/k.pushcheck.%ld", root, (long)getpid());
		CHECK(access(p.buf, F_OK) != 0);
		strbuf_release(&p);
	}
	rm_rf(root);
	strbuf_release(&e);
	strbuf_release(&f);
	strbuf_release(&err);
}

/* A stored entry packed while a build links its files (tar exits 1, a
 * "tar" here that runs the real one and says so): kept when its files are
 * as last checked but for their ctimes; a byte written since: refused. */
void test_cache_entry_blob(void)
{
	char tmpl[] = "/tmp/cargo-green-blob-test.XXXXXX";
	const char *root = mkdtemp(tmpl);
	const char *key = "cd0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";
	char *saved_xdg = test_env_save("XDG_CACHE_HOME"), *saved_path = test_env_save("PATH");
	struct strbuf src = STRBUF_INIT, e = STRBUF_INIT, err = STRBUF_INIT, data = STRBUF_INIT, digest = STRBUF_INIT,
		      path = STRBUF_INIT, p = STRBUF_INIT, link_to = STRBUF_INIT, runs = STRBUF_INIT, text = STRBUF_INIT;
	CHECK(root != NULL);
	if (!root)
		return;
	setenv("XDG_CACHE_HOME", root, 1);
	strbuf_addf(&src, "%s/src", root);
	test_put(src.buf, "green/target/debug/deps/libx-1.rlib", "rlib bytes", 0644);
	test_put(src.buf, "green/x.code", "0\n", 0644);
	CHECK(store_save(key, src.buf, NULL, &err) == 0);
	CHECK(store_lookup(key, STORE_HIT, &e) == 1); /* (checked: its stat data kept) */
	/* (exit 1 when it writes an archive, as GNU tar's "file changed as we read it") */
	strbuf_addf(&runs, "%s/tar-runs", root);
	strbuf_addf(&p, "#!/bin/sh\necho \"$2\" >>%s\n/usr/bin/tar \"$@\" || exit $?\n"
		    "for a; do [ \"$a\" = -cf ] && exit 1; done\nexit 0\n", runs.buf);
	test_put(root, "bin/tar", p.buf, 0755);
	strbuf_reset(&p);
	strbuf_addf(&path, "%s/bin:%s", root, saved_path ? saved_path : "/usr/bin:/bin");
	setenv("PATH", path.buf, 1);

	/* Linked meanwhile (its ctime moved, not its bytes): kept. */
	strbuf_addf(&p, "%s/green/target/debug/deps/libx-1.rlib", e.buf);
	strbuf_addf(&link_to, "%s/deps-link", root);
	CHECK(link(p.buf, link_to.buf) == 0);
	CHECK(cache_entry_blob(key, NULL, &data, &digest, &err) == 0);
	CHECK(data.len > 0);
	CHECK(starts_with(digest.buf, "sha256:"));
	strbuf_read_file(&text, runs.buf);
	CHECK_STR(text.buf, "--sort=name\n"); /* one tar: written, not unpacked again */

	/* A byte written in place (its mtime moved): the archive unpacked and
	 * checked against the manifest, refused, the file named. */
	{
		int fd = open(p.buf, O_WRONLY);
		CHECK(fd >= 0 && pwrite(fd, "X", 1, 1) == 1);
		if (fd >= 0)
			close(fd);
	}
	strbuf_reset(&data);
	strbuf_reset(&digest);
	strbuf_reset(&err);
	CHECK(cache_entry_blob(key, NULL, &data, &digest, &err) == -1);
	CHECK(strstr(err.buf, "libx-1.rlib") != NULL);
	strbuf_reset(&text);
	strbuf_read_file(&text, runs.buf);
	CHECK_STR(text.buf, "--sort=name\n--sort=name\n-xf\n");

	test_env_restore("PATH", saved_path);
	test_env_restore("XDG_CACHE_HOME", saved_xdg);
	store_pins_release();
	rm_rf(root);
	strbuf_release(&src);
	strbuf_release(&e);
	strbuf_release(&err);
	strbuf_release(&data);
	strbuf_release(&digest);
	strbuf_release(&path);
	strbuf_release(&p);
	strbuf_release(&link_to);
	strbuf_release(&runs);
	strbuf_release(&text);
}

/* A wrapper whose lookup hits an entry a prefetch worker has just adopted,
 * before the worker noted it as fetched (its claim, pf/KEY, still held):
 * it waits for the note and counts the entry as read from the image. */
void test_cache_prefetched(void)
{
	char tmpl[] = "/tmp/cargo-green-prefetched-test.XXXXXX";
	const char *root = mkdtemp(tmpl);
	const char *key = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";
	char *saved = test_env_save("CARGOGREEN_CACHE_FROM_IMAGES");
	struct strbuf run = STRBUF_INIT, claim = STRBUF_INIT, got = STRBUF_INIT, err = STRBUF_INIT, notes = STRBUF_INIT;
	struct config cfg;
	int fds[2], fd;
	char c;
	pid_t pid;
	CHECK(root != NULL);
	if (!root)
		return;
	setenv("CARGOGREEN_CACHE_FROM_IMAGES", "docker-image://127.0.0.1:9/team/cache", 1);
	CHECK(config_load(&cfg, NULL, &err) == 0);
	strbuf_addf(&run, "%s/stats", root);
	cfg.stats_path = xstrdup(run.buf);
	strbuf_addf(&claim, "%s.cache/pf/%s", run.buf, key);
	strbuf_addf(&got, "%s.got", claim.buf);
	test_put(root, "stats.cache/pf/.keep", "", 0644);

	/* Nothing claimed, nothing noted: not read (a plain local hit). */
	CHECK(cache_prefetched(&cfg, key) == 0);

	/* Claimed by a worker that notes it 200 ms later, then lets go. */
	CHECK(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		int w = open(claim.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (w < 0 || flock(w, LOCK_EX) < 0)
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		usleep(200 * 1000);
		if (write_file_atomic(got.buf, "docker-image://127.0.0.1:9/team/cache", 37, 0600) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	CHECK(read(fds[0], &c, 1) == 1); /* (the claim is held) */
	close(fds[0]);
	CHECK(cache_prefetched(&cfg, key) == 1);
	CHECK(waitpid(pid, NULL, 0) == pid);
	strbuf_reset(&err);
	strbuf_addf(&err, "%s.cache/notes", run.buf);
	fd = open(err.buf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		strbuf_read_fd(&notes, fd);
		close(fd);
	}
	CHECK(strstr(notes.buf, key) != NULL); /* noted as read */

	config_release(&cfg);
	test_env_restore("CARGOGREEN_CACHE_FROM_IMAGES", saved);
	rm_rf(root);
	strbuf_release(&run);
	strbuf_release(&claim);
	strbuf_release(&got);
	strbuf_release(&err);
	strbuf_release(&notes);
}
