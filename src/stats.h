/* stats.h: the record of one `cargo green` run, owned here end to end.
 *
 * Each wrapper appends one line per compile to the run's statistics file
 * (config's stats_path, set by the plugin in __CARGOGREEN_STATS):
 * "KIND\tID\tDETAIL\tTOTAL_US\tENGINE_US\tCPU_US" (DETAIL: a pass's reason,
 * a note's package; for a local hit the time it saved in µs, its entry's
 * build time less the hit's, when known). The plugin reads them
 * back into a struct stats when cargo is done and prints the summary line;
 * with STATS_OUT_ENV set (tests, scripts) it also writes the totals there as
 * "NAME VALUE" lines (stats_totals), the machine-readable form of that line. */
#ifndef STATS_H
#define STATS_H

#include "strbuf.h"
#include "strvec.h"


struct config;

enum stats_kind {
	STATS_BUILT,       /* the engine built it */
	STATS_ENGINE_HIT,  /* the engine's cache had it */
	STATS_LOCAL_HIT,   /* the local store had it */
	STATS_FAILED,      /* rustc (or the build script) failed, or we did */
	STATS_PASS,        /* to the local rustc, the detail saying why */
	STATS_INCREMENTAL, /* an incremental compile left to the local rustc */
	STATS_SYSLIB,      /* a note: the base lacks "PACKAGE=WHAT" of the host */
	STATS_APT_ADDED,   /* a note: "PACKAGE=WHAT" added to a base (CARGOGREEN_ADD_APT_FROM_HOST) */
	STATS_EXPLAIN,     /* a note: why it missed (explain.h), with CARGOGREEN_EXPLAIN */
	STATS_VERIFIED,    /* a note: a hit built again (CARGOGREEN_VERIFY), to the same bytes */
	STATS_VERIFY_BAD,  /* a note: ...to other bytes, "CRATE: FILE (how)" */
	STATS_INCR_FAILED, /* an incremental compile left to the local rustc, which failed */
};

/* Append one line to the statistics of this `cargo green` run, if any. */
void stats_record(const struct config *cfg, enum stats_kind kind, const char *id, const char *detail,
		  long long total_ns, long long engine_ns);

/* A warning printed once per `cargo green` run: the first wrapper to claim
 * name (a mark beside the run's statistics) prints it; without the plugin,
 * only logged. */
void stats_warn_once(const struct config *cfg, const char *name, const char *msg);

struct stats {
	int local, hit, miss, fail, pass, incr;
	int incr_fail; /* of incr, those rustc failed */
	int stale; /* passed because their dependencies were built without cargo-green */
	long long wrapper_us, engine_us, cpu_us;
	long long local_us, local_wrapper_us; /* sandboxed local compiles: rustc's time, and ours around it */
	long long saved_us;   /* local hits: what making their entries took, less the hits */
	struct strvec reasons;
	struct strvec passes; /* every pass's reason, once per pass */
	struct strvec syslibs; /* "PACKAGE=WHAT", one per package: what the base lacked */
	struct strvec added;   /* the same, added to bases (CARGOGREEN_ADD_APT_FROM_HOST) */
	struct strvec explained; /* why each miss missed (CARGOGREEN_EXPLAIN) */
	int verified;          /* hits built again (CARGOGREEN_VERIFY), mismatches included */
	struct strvec mismatches; /* "CRATE: FILE (how)": those whose bytes differed */
};

/* The run's statistics file at path (absent: all zero). */
void stats_read(const char *path, struct stats *s);
void stats_release(struct stats *s);
/* The summary line(s) on stderr; quiet (cargo -q): only the line that names
 * a fix (dependencies built by plain cargo), as cargo -q keeps its warnings. */
void stats_print(const struct stats *s, int quiet);
/* The totals, one "NAME VALUE" a line (compiles, cached, local_hit,
 * engine_hit, built, failed, incremental, passed, stale, verified,
 * verify_mismatch), into out. */
void stats_totals(const struct stats *s, struct strbuf *out);
/* The run's statistics file and its marks, once the run is over. */
void stats_remove(const char *path);
/* The statistics files (cargo-green-stats.PID and marks) of runs whose
 * plugin was killed, in dir: removed. Only our own names. */
void stats_sweep(const char *dir);

/* ---- cumulative: every run's totals added up, since the last zero ----
 * In the state dir (STATE/stats, under a lock): "NAME VALUE" lines and one
 * "pass N REASON" per reason. The plugin adds each run's; `supergreen cache
 * stats` reads them, `--zero` starts again. */
struct stats_cumul {
	long long since, runs, local, hit, miss, incr, fail, pass;
	long long saved_us, wrapper_us, engine_us, cpu_us, local_us;
	long long verified, verify_mismatch; /* hits built again (CARGOGREEN_VERIFY), and those that differed */
	struct strvec reasons;  /* names of the reasons of passes */
	long long *reason_nr;   /* how many passes each */
};
void stats_cumul_add(const struct stats *s);
/* The cumulative statistics (all zero, since now, without a file). */
void stats_cumul_read(struct stats_cumul *c);
void stats_cumul_release(struct stats_cumul *c);
/* Start again from zero, now. 0, or -1 with errno. */
int stats_cumul_zero(void);

#endif
