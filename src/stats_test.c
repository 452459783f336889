#include "config.h"
#include "fs.h"
#include "stats.h"
#include "test.h"
#include "util.h"
#include "wrap.h"
#include <stdlib.h>
#include <unistd.h>

/* What wrappers record is what the plugin reads back, kind by kind. */
void test_stats(void)
{
	char dir[] = "/tmp/cargo-green-stats-test.XXXXXX";
	struct config cfg;
	struct stats s;
	struct strbuf path = STRBUF_INIT, totals = STRBUF_INIT, mark = STRBUF_INIT;
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	memset(&cfg, 0, sizeof(cfg));
	strbuf_addf(&path, "%s/cargo-green-stats.1", dir);
	cfg.stats_path = path.buf;
	stats_record(&cfg, STATS_LOCAL_HIT, "a-1", NULL, 3000000, 0);
	stats_record(&cfg, STATS_LOCAL_HIT, "b-1", "2500", 1000000, 0); /* (it saved 2.5 ms) */
	stats_record(&cfg, STATS_ENGINE_HIT, "c-1", NULL, 5000000, 4000000);
	stats_record(&cfg, STATS_BUILT, "d-1", NULL, 9000000, 8000000);
	stats_record(&cfg, STATS_FAILED, "e-1", NULL, 1000000, 0);
	stats_record(&cfg, STATS_INCREMENTAL, "f-1", NULL, 0, 0);
	stats_record(&cfg, STATS_INCREMENTAL, "f-2", NULL, 700000000, 650000000);
	stats_record(&cfg, STATS_INCR_FAILED, "f-3", NULL, 0, 0); /* (a local compile rustc failed: local, not BuildKit's) */
	stats_record(&cfg, STATS_PASS, "g-1", PASS_DEP_PLAIN, 0, 0);
	stats_record(&cfg, STATS_PASS, "h-1", "probe", 0, 0);
	stats_record(&cfg, STATS_SYSLIB, "i-1", "libssl-dev=openssl", 0, 0);
	stats_record(&cfg, STATS_SYSLIB, "j-1", "libssl-dev=openssl.pc", 0, 0);
	stats_record(&cfg, STATS_APT_ADDED, "k-1", "zlib1g-dev=zlib", 0, 0);
	/* Notes, not compiles: why a miss missed, verified hits. */
	stats_record(&cfg, STATS_EXPLAIN, "d-1", "d (lib): source file src/lib.rs (changed) differs", 0, 0);
	stats_record(&cfg, STATS_VERIFIED, "a-1", NULL, 0, 0);
	stats_record(&cfg, STATS_VERIFY_BAD, "b-1", "b (lib): target/debug/deps/libb-1.rlib (other bytes)", 0, 0);
	stats_read(path.buf, &s);
	CHECK(s.explained.nr == 1 && strstr(s.explained.v[0], "src/lib.rs (changed)"));
	CHECK(s.verified == 2 && s.mismatches.nr == 1 && !strcmp(s.mismatches.v[0], "b (lib): target/debug/deps/libb-1.rlib (other bytes)"));
	CHECK(s.local == 2 && s.hit == 1 && s.miss == 1 && s.fail == 1 && s.incr == 3 && s.incr_fail == 1 && s.pass == 2);
	CHECK(s.stale == 1);
	CHECK(s.reasons.nr == 2);
	CHECK(s.syslibs.nr == 1 && !strcmp(s.syslibs.v[0], "libssl-dev=openssl")); /* once per package */
	CHECK(s.added.nr == 1);
	CHECK(s.engine_us == 12000);
	CHECK(s.wrapper_us == 7000); /* totals less the engine's, of the five compiles in BuildKit */
	CHECK(s.local_us == 650000 && s.local_wrapper_us == 50000); /* the sandboxed local compile's, apart */
	CHECK(s.saved_us == 2500);
	CHECK(s.passes.nr == 2);
	{
		/* Cumulative: each run's added, since the last zero. */
		char *old = getenv("XDG_CACHE_HOME") ? xstrdup(getenv("XDG_CACHE_HOME")) : NULL;
		struct stats_cumul c;
		struct strbuf x = STRBUF_INIT;
		strbuf_addf(&x, "%s/xdg", dir);
		setenv("XDG_CACHE_HOME", x.buf, 1);
		CHECK(stats_cumul_zero() == 0);
		stats_cumul_add(&s);
		stats_cumul_add(&s);
		stats_cumul_read(&c);
		CHECK(c.runs == 2 && c.local == 4 && c.hit == 2 && c.miss == 2 && c.fail == 2 && c.incr == 6 && c.pass == 4);
		CHECK(c.saved_us == 5000 && c.engine_us == 24000 && c.wrapper_us == 14000);
		CHECK(c.reasons.nr == 2 && c.reason_nr[0] == 2 && c.reason_nr[1] == 2);
		CHECK(c.verified == 4 && c.verify_mismatch == 2); /* verified hits add up too */
		CHECK(c.since > 0);
		stats_cumul_release(&c);
		CHECK(stats_cumul_zero() == 0);
		stats_cumul_read(&c);
		CHECK(c.runs == 0 && c.local == 0 && c.reasons.nr == 0);
		stats_cumul_release(&c);
		rm_rf(x.buf);
		if (old)
			setenv("XDG_CACHE_HOME", old, 1);
		else
			unsetenv("XDG_CACHE_HOME");
		free(old);
		strbuf_release(&x);
	}
	stats_totals(&s, &totals);
	CHECK(strstr(totals.buf, "compiles 5\n") && strstr(totals.buf, "cached 3\n") &&
	      strstr(totals.buf, "local_hit 2\n") && strstr(totals.buf, "engine_hit 1\n") &&
	      strstr(totals.buf, "built 1\n") && strstr(totals.buf, "failed 1\n") &&
	      strstr(totals.buf, "incremental 3\n") && strstr(totals.buf, "incremental_failed 1\n") && strstr(totals.buf, "passed 2\n") && strstr(totals.buf, "stale 1\n") &&
	      strstr(totals.buf, "verified 2\n") && strstr(totals.buf, "verify_mismatch 1\n"));
	stats_release(&s);

	/* A run's marks go with it; a missing file reads as nothing. */
	strbuf_addf(&mark, "%s.store-warned", path.buf);
	write_file_atomic(mark.buf, "", 0, 0644);
	stats_remove(path.buf);
	CHECK(access(path.buf, F_OK) < 0 && access(mark.buf, F_OK) < 0);
	stats_read(path.buf, &s);
	CHECK(s.local == 0 && s.miss == 0 && s.reasons.nr == 0);
	stats_release(&s);
	rmdir(dir);
	CHECK(access(dir, F_OK) < 0); /* nothing else was left in it */
	strbuf_release(&path);
	strbuf_release(&totals);
	strbuf_release(&mark);
}
