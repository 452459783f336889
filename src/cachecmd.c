/* cachecmd.c: `supergreen cache ...`, one table of subcommands. */
#include "cachecmd.h"
#include "config.h"
#include "exitcode.h"
#include "paths.h"
#include "stats.h"
#include "store.h"
#include "storegc.h"
#include "storemeta.h"
#include "strbuf.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"Usage:\n"
	"  cargo green supergreen cache ls [--sort=name|size|used|hits] [--json]\n"
	"                                     One line per entry of the local store: crate, version, kind, size, last use, hits\n"
	"  cargo green supergreen cache rm CRATE[@VERSION] ...   Remove a crate's entries\n"
	"  cargo green supergreen cache rm --all                 Remove every entry\n"
	"  cargo green supergreen cache gc [--max-size SIZE]     Evict least recently used entries down to SIZE\n"
	"                                     (default: CARGOGREEN_CACHE_SIZE)\n"
	"  cargo green supergreen cache stats [--json]           Hits, misses, time saved, since the last --zero\n"
	"  cargo green supergreen cache stats --zero             Start the statistics again from zero\n";

static void add_json_str(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_addf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			strbuf_addf(out, "\\u%04x", (unsigned)*s);
		else
			strbuf_addch(out, *s);
	}
	strbuf_addch(out, '"');
}

static void add_time(struct strbuf *out, long long sec)
{
	char buf[32];
	time_t t = (time_t)sec;
	struct tm tm;
	if (localtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		strbuf_addstr(out, buf);
	else
		strbuf_addf(out, "%lld", sec);
}

/* ---- ls ---- */

enum sort_by { SORT_NAME, SORT_SIZE, SORT_USED, SORT_HITS };

static int by_name(const void *a, const void *b)
{
	const struct store_meta *x = a, *y = b;
	int c = strcmp(x->crate, y->crate);
	if (!c)
		c = strcmp(x->version, y->version);
	if (!c)
		c = strcmp(x->kind, y->kind);
	return c ? c : strcmp(x->key, y->key);
}
static int by_size(const void *a, const void *b)
{
	const struct store_meta *x = a, *y = b;
	return x->size != y->size ? (x->size > y->size ? -1 : 1) : by_name(a, b);
}
static int by_used(const void *a, const void *b)
{
	const struct store_meta *x = a, *y = b;
	return x->used_ns != y->used_ns ? (x->used_ns > y->used_ns ? -1 : 1) : by_name(a, b);
}
static int by_hits(const void *a, const void *b)
{
	const struct store_meta *x = a, *y = b;
	return x->hits != y->hits ? (x->hits > y->hits ? -1 : 1) : by_name(a, b);
}

static int cache_ls(const struct config *cfg, int argc, const char **argv)
{
	static int (*const sorts[])(const void *, const void *) = { by_name, by_size, by_used, by_hits };
	static const char *const sort_names[] = { "name", "size", "used", "hits" };
	struct store_meta *list;
	struct strbuf out = STRBUF_INIT, sz = STRBUF_INIT;
	enum sort_by sort = SORT_NAME;
	size_t nr;
	long long total = 0;
	int json = 0, ret = 0;
	for (int i = 0; i < argc; i++) {
		const char *v = NULL;
		if (!strcmp(argv[i], "--json")) {
			json = 1;
			continue;
		}
		if (skip_prefix(argv[i], "--sort=", &v) || (!strcmp(argv[i], "--sort") && (v = argv[i + 1]) && ++i)) {
			int found = 0;
			for (size_t k = 0; k < ARRAY_SIZE(sort_names); k++)
				if (!strcmp(v, sort_names[k]))
					sort = (enum sort_by)k, found = 1;
			if (found)
				continue;
			error("cache ls: --sort '%s' is not a column to sort by (name, size, used or hits)", v);
			return EXIT_USAGE;
		}
		error("cache ls: unknown option '%s' (cache ls [--sort=name|size|used|hits] [--json])", argv[i]);
		return EXIT_USAGE;
	}
	store_meta_list(&list, &nr);
	if (nr)
		qsort(list, nr, sizeof(*list), sorts[sort]);
	if (json)
		strbuf_addstr(&out, "[");
	else if (nr)
		strbuf_addf(&out, "%-28s %-12s %-16s %10s  %-19s %6s  %s\n", "CRATE", "VERSION", "KIND", "SIZE", "LAST USE",
			    "HITS", "KEY");
	for (size_t i = 0; i < nr; i++) {
		const struct store_meta *m = &list[i];
		total += m->size;
		if (json) {
			strbuf_addstr(&out, i ? ",\n {" : "\n {");
			strbuf_addstr(&out, "\"key\": ");
			add_json_str(&out, m->key);
			strbuf_addstr(&out, ", \"crate\": ");
			add_json_str(&out, m->crate);
			strbuf_addstr(&out, ", \"version\": ");
			add_json_str(&out, m->version);
			strbuf_addstr(&out, ", \"kind\": ");
			add_json_str(&out, m->kind);
			strbuf_addf(&out, ", \"size\": %lld, \"last_use\": %lld, \"hits\": %lld, \"saved\": %lld, \"build_ms\": %lld}",
				    m->size, m->used_ns / 1000000000LL, m->hits, m->saved, m->build_us / 1000);
			continue;
		}
		strbuf_reset(&sz);
		store_size_format(m->size, &sz);
		strbuf_addf(&out, "%-28s %-12s %-16s %10s  ", m->crate, m->version, m->kind, sz.buf);
		add_time(&out, m->used_ns / 1000000000LL);
		strbuf_addf(&out, " %6lld  %.12s\n", m->hits, m->key);
	}
	if (json) {
		strbuf_addstr(&out, nr ? "\n]\n" : "]\n");
	} else {
		strbuf_reset(&sz);
		store_size_format(total, &sz);
		strbuf_addf(&out, "%zu entr%s, %s", nr, nr == 1 ? "y" : "ies", sz.buf);
		if (cfg->cache_size) {
			strbuf_reset(&sz);
			store_size_format(cfg->cache_size, &sz);
			strbuf_addf(&out, " of %s (CARGOGREEN_CACHE_SIZE)", sz.buf);
		}
		strbuf_addch(&out, '\n');
	}
	if (fputs(out.buf, stdout) < 0)
		ret = EXIT_IO;
	store_meta_list_free(list, nr);
	strbuf_release(&out);
	strbuf_release(&sz);
	return ret;
}

/* ---- rm ---- */

/* Does m match the pattern CRATE[@VERSION], or a key's first 8+ hex digits? */
static int matches(const struct store_meta *m, const char *pat)
{
	const char *at = strchr(pat, '@');
	size_t n = at ? (size_t)(at - pat) : strlen(pat);
	if (n >= 8 && !at && !strncmp(m->key, pat, n))
		return 1;
	if (strlen(m->crate) != n || strncmp(m->crate, pat, n))
		return 0;
	return !at || !strcmp(m->version, at + 1);
}

static int cache_rm(const struct config *cfg, int argc, const char **argv)
{
	struct store_meta *list;
	struct strbuf sz = STRBUF_INIT;
	size_t nr, removed = 0, in_use = 0;
	long long freed = 0;
	int all = 0, ret = 0;
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--all"))
			all = 1;
		else if (argv[i][0] == '-' || !argv[i][0]) {
			error("cache rm: unknown option '%s' (cache rm CRATE[@VERSION] ... or cache rm --all)", argv[i]);
			return EXIT_USAGE;
		}
	if (!argc || (all && argc > 1)) {
		error("cache rm: name the crates to remove (cache rm CRATE[@VERSION] ...) or --all alone");
		return EXIT_USAGE;
	}
	store_meta_list(&list, &nr);
	for (int a = 0; a < (all ? 1 : argc); a++) {
		size_t hit = 0;
		for (size_t i = 0; i < nr; i++) {
			int rc;
			if (!list[i].size && !list[i].crate)
				continue; /* (removed by an earlier pattern) */
			if (!all && !matches(&list[i], argv[a]))
				continue;
			hit++;
			rc = store_evict(list[i].key, list[i].size);
			if (rc > 0)
				removed++, freed += list[i].size;
			else if (rc == 0)
				in_use++;
			store_meta_release(&list[i]);
			list[i].size = 0;
		}
		if (!all && !hit) {
			error("cache rm: no entry of '%s' in the local store (see `cargo green supergreen cache ls`)", argv[a]);
			ret = EXIT_USAGE;
		}
	}
	store_size_format(freed, &sz);
	printf("cache rm: %zu entr%s removed (%s)", removed, removed == 1 ? "y" : "ies", sz.buf);
	if (in_use)
		printf(", %zu kept: a running build reads %s", in_use, in_use == 1 ? "it" : "them");
	printf("\n");
	store_meta_list_free(list, nr);
	strbuf_release(&sz);
	return ret;
}

/* ---- gc ---- */

static int cache_gc(const struct config *cfg, int argc, const char **argv)
{
	struct store_gc_result r;
	struct strbuf err = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT, lim = STRBUF_INIT;
	long long max = cfg->cache_size;
	int ret = 0;
	for (int i = 0; i < argc; i++) {
		const char *v = NULL;
		if (skip_prefix(argv[i], "--max-size=", &v) || (!strcmp(argv[i], "--max-size") && (v = argv[i + 1]) && ++i)) {
			if (store_size_parse(v, &max, &err) < 0) {
				error("cache gc: --max-size '%s': %s", v, err.buf);
				ret = EXIT_USAGE;
				goto out;
			}
			continue;
		}
		error("cache gc: unknown option '%s' (cache gc [--max-size SIZE], e.g. --max-size 2GiB)", argv[i]);
		ret = EXIT_USAGE;
		goto out;
	}
	if (!max) {
		printf("cache gc: no size limit (CARGOGREEN_CACHE_SIZE=0): nothing evicted; --max-size SIZE gives one\n");
		goto out;
	}
	if (store_gc(max, &r, &err) < 0) {
		error("cache gc: %s", err.buf);
		ret = EXIT_IO;
		goto out;
	}
	store_size_format(r.before, &a);
	store_size_format(r.after, &b);
	store_size_format(max, &lim);
	printf("cache gc: %zu of %zu entries evicted, %s -> %s (limit %s)", r.evicted, r.entries, a.buf, b.buf, lim.buf);
	if (r.in_use)
		printf(", %zu kept: a running build reads them", r.in_use);
	printf("\n");
out:
	strbuf_release(&err);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&lim);
	return ret;
}

/* ---- stats ---- */

static void add_duration(struct strbuf *out, long long us)
{
	double s = (double)us / 1e6;
	if (s < 60)
		strbuf_addf(out, "%.1f s", s);
	else if (s < 3600)
		strbuf_addf(out, "%dm %02ds", (int)(s / 60), (int)s % 60);
	else
		strbuf_addf(out, "%dh %02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

static int cache_stats(const struct config *cfg, int argc, const char **argv)
{
	struct stats_cumul c;
	struct strbuf out = STRBUF_INIT, t = STRBUF_INIT, dir = STRBUF_INIT;
	struct store_meta *list;
	size_t nr;
	long long bytes = 0, compiles, cached;
	int json = 0, ret = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--zero") || !strcmp(argv[i], "-z")) {
			if (stats_cumul_zero() < 0) {
				const char *why = strerror(errno);
				state_dir(&dir);
				error("cache stats --zero: cannot write the statistics in %s: %s (check its permissions)", dir.buf,
				      why);
				ret = EXIT_IO;
			} else {
				printf("cache stats: statistics zeroed\n");
			}
			goto out;
		} else {
			error("cache stats: unknown option '%s' (cache stats [--json] or cache stats --zero)", argv[i]);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	stats_cumul_read(&c);
	store_meta_list(&list, &nr);
	for (size_t i = 0; i < nr; i++)
		bytes += list[i].size;
	store_meta_list_free(list, nr);
	compiles = c.local + c.hit + c.miss + c.fail + c.incr;
	cached = c.local + c.hit;
	if (json) {
		strbuf_addf(&out, "{\"since\": %lld, \"runs\": %lld, \"compiles\": %lld, \"local_hits\": %lld, "
			    "\"engine_hits\": %lld, \"misses\": %lld, \"compiled_locally\": %lld, \"failed\": %lld, "
			    "\"passed\": %lld, \"passed_by_reason\": {",
			    c.since, c.runs, compiles, c.local, c.hit, c.miss, c.incr, c.fail, c.pass);
		for (size_t i = 0; i < c.reasons.nr; i++) {
			strbuf_addstr(&out, i ? ", " : "");
			add_json_str(&out, c.reasons.v[i]);
			strbuf_addf(&out, ": %lld", c.reason_nr[i]);
		}
		strbuf_addf(&out, "}, \"time_saved_ms\": %lld, \"wrapper_ms\": %lld, \"wrapper_cpu_ms\": %lld, "
			    "\"engine_ms\": %lld, \"local_rustc_ms\": %lld, \"entries\": %zu, \"bytes_stored\": %lld, "
			    "\"max_size\": %lld, \"verified\": %lld, \"verify_mismatches\": %lld}\n",
			    c.saved_us / 1000, c.wrapper_us / 1000, c.cpu_us / 1000, c.engine_us / 1000, c.local_us / 1000, nr,
			    bytes, cfg->cache_size, c.verified, c.verify_mismatch);
		goto print;
	}
	strbuf_addstr(&out, "since                          ");
	add_time(&out, c.since);
	strbuf_addf(&out, " (cache stats --zero)\nbuilds                         %lld\n", c.runs);
	strbuf_addf(&out, "compiles                       %lld\n", compiles);
	strbuf_addf(&out, "  local hits                   %lld\n", c.local);
	strbuf_addf(&out, "  engine hits                  %lld\n", c.hit);
	strbuf_addf(&out, "  misses (built by the engine) %lld\n", c.miss);
	strbuf_addf(&out, "  compiled locally             %lld (incremental)\n", c.incr);
	strbuf_addf(&out, "  failed                       %lld\n", c.fail);
	strbuf_addf(&out, "hit rate                       %.1f%% (of compiles in BuildKit)\n",
		    compiles - c.incr ? 100.0 * (double)cached / (double)(compiles - c.incr) : 0.0);
	strbuf_addf(&out, "passed to the local rustc      %lld\n", c.pass);
	for (size_t i = 0; i < c.reasons.nr; i++)
		strbuf_addf(&out, "  %-28s %lld\n", c.reasons.v[i], c.reason_nr[i]);
	if (c.verified)
		strbuf_addf(&out, "verified hits                  %lld (%lld differed from a fresh build: CARGOGREEN_VERIFY)\n",
			    c.verified, c.verify_mismatch);
	strbuf_addstr(&out, "time saved by local hits       ");
	add_duration(&out, c.saved_us);
	strbuf_addstr(&out, " (estimated: their entries' build times, less the hits')\nwrapper's own time             ");
	add_duration(&out, c.wrapper_us);
	strbuf_addstr(&out, " (CPU ");
	add_duration(&out, c.cpu_us);
	if (compiles - c.incr > 0)
		strbuf_addf(&out, ", %.1f ms a compile", (double)c.cpu_us / 1000 / (double)(compiles - c.incr));
	strbuf_addstr(&out, ")\nengine time                    ");
	add_duration(&out, c.engine_us);
	strbuf_addstr(&out, "\nlocal store                    ");
	store_size_format(bytes, &t);
	strbuf_addf(&out, "%zu entr%s, %s", nr, nr == 1 ? "y" : "ies", t.buf);
	if (cfg->cache_size) {
		strbuf_reset(&t);
		store_size_format(cfg->cache_size, &t);
		strbuf_addf(&out, " of %s", t.buf);
	}
	state_dir(&dir);
	strbuf_addf(&out, " (%s/store)\n", dir.buf);
print:
	if (fputs(out.buf, stdout) < 0)
		ret = EXIT_IO;
	stats_cumul_release(&c);
out:
	strbuf_release(&out);
	strbuf_release(&t);
	strbuf_release(&dir);
	return ret;
}

static int cache_help(const struct config *cfg, int argc, const char **argv)
{
	return fputs(usage, stdout) < 0 ? EXIT_IO : 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct config *, int, const char **);
} commands[] = {
	{ "ls", cache_ls },     { "list", cache_ls },  { "rm", cache_rm },      { "remove", cache_rm },
	{ "gc", cache_gc },     { "stats", cache_stats }, { "-h", cache_help }, { "--help", cache_help },
	{ "help", cache_help },
};

int cmd_cache(const struct config *cfg, int argc, const char **argv)
{
	struct strbuf valid = STRBUF_INIT;
	if (argc < 1)
		return cache_help(cfg, argc, argv);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].fn(cfg, argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		strbuf_addf(&valid, "%s%s", i ? ", " : "", commands[i].name);
	error("supergreen cache: unknown subcommand '%s' (valid: %s)", argv[0], valid.buf);
	strbuf_release(&valid);
	return EXIT_USAGE;
}
