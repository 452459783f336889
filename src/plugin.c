#include "plugin.h"
#include "base.h"
#include "builder.h"
#include "config.h"
#include "engine.h"
#include "exitcode.h"
#include "job.h"
#include "log.h"
#include "run.h"
#include "syslib.h"
#include "util.h"
#include "wrap.h"
#include "banned.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct stats {
	int local, hit, miss, fail, pass, incr;
	int stale; /* passed because their dependencies were built without cargo-green */
	long long wrapper_us, engine_us, cpu_us;
	struct strvec reasons;
	struct strvec syslibs; /* "PACKAGE=WHAT", one per package: what the base lacked */
	struct strvec added;   /* the same, added to bases (CARGOGREEN_ADD_APT_FROM_HOST) */
};

static void stats_read(const char *path, struct stats *s)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *next;
	memset(s, 0, sizeof(*s));
	strvec_init(&s->reasons);
	strvec_init(&s->syslibs);
	strvec_init(&s->added);
	if (strbuf_read_file(&sb, path) < 0)
		goto out;
	for (line = sb.buf; *line; line = next) {
		char *f[6] = { 0 };
		char *nl = strchr(line, '\n');
		int n = 0;
		next = nl ? nl + 1 : line + strlen(line);
		if (nl)
			*nl = '\0';
		for (char *p = line; n < 6; n++) {
			f[n] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (n < 4)
			continue;
		if (!strcmp(f[0], "local"))
			s->local++;
		else if (!strcmp(f[0], "hit"))
			s->hit++;
		else if (!strcmp(f[0], "miss"))
			s->miss++;
		else if (!strcmp(f[0], "fail"))
			s->fail++;
		else if (!strcmp(f[0], STATS_INCREMENTAL))
			s->incr++;
		else if (!strcmp(f[0], "syslib") || !strcmp(f[0], "aptadd")) {
			struct strvec *into = f[0][0] == 's' ? &s->syslibs : &s->added;
			const char *eq = strchr(f[2], '=');
			int known = 0;
			for (size_t i = 0; eq && i < into->nr && !known; i++)
				known = !strncmp(into->v[i], f[2], (size_t)(eq - f[2]) + 1);
			if (eq && !known)
				strvec_push(into, f[2]);
			continue;
		} else if (!strcmp(f[0], "pass")) {
			s->pass++;
			if (!strcmp(f[2], PASS_DEP_PLAIN) || !strcmp(f[2], PASS_SCRIPT_PLAIN))
				s->stale++;
			if (strvec_find(&s->reasons, f[2]) < 0)
				strvec_push(&s->reasons, f[2]);
		}
		if (strcmp(f[0], "pass") && strcmp(f[0], STATS_INCREMENTAL)) {
			long long total = atoll(f[3]), engine = atoll(f[4]);
			s->engine_us += engine;
			s->wrapper_us += total - engine;
			s->cpu_us += f[5] ? atoll(f[5]) : 0;
		}
	}
out:
	strbuf_release(&sb);
}

static void stats_print(const struct stats *s)
{
	struct strbuf sb = STRBUF_INIT;
	int engine = s->local + s->hit + s->miss + s->fail;
	if (!engine && !s->incr && !s->pass)
		return;
	if (s->stale)
		fprintf(stderr, "cargo-green: %d compile%s went to the local rustc because %s dependencies were built by plain cargo, not cargo green: run `cargo clean` once so that cargo green builds them all\n",
			s->stale, s->stale == 1 ? "" : "s", s->stale == 1 ? "its" : "their");
	strbuf_addf(&sb, "cargo-green: %d compiles in BuildKit (%d cached: %d local, %d engine; %d built, %d failed), "
		    "%d compiled locally (incremental), %d passed to the local rustc",
		    engine, s->local + s->hit, s->local, s->hit, s->miss, s->fail, s->incr, s->pass);
	if (s->reasons.nr) {
		strbuf_addstr(&sb, " (");
		for (size_t i = 0; i < s->reasons.nr; i++)
			strbuf_addf(&sb, "%s%s", i ? "; " : "", s->reasons.v[i]);
		strbuf_addch(&sb, ')');
	}
	if (engine)
		strbuf_addf(&sb, "; engine %lld ms, wrapper %lld ms (CPU %lld ms, %.1f ms a compile)", s->engine_us / 1000,
			    s->wrapper_us / 1000, s->cpu_us / 1000, (double)s->cpu_us / 1000 / engine);
	fprintf(stderr, "%s\n", sb.buf);
	strbuf_release(&sb);
}

/* Past this size the handoff goes through a file: an environment string is
 * limited (MAX_ARG_STRLEN, 128 KiB) and copied into every process cargo starts. */
#define HANDOFF_ENV_MAX (32 * 1024)

static char *handoff_file;

static void handoff_cleanup(void)
{
	if (handoff_file)
		unlink(handoff_file);
}

int plugin_handoff(const char *text, struct strbuf *err)
{
	const char *tmp = getenv("TMPDIR");
	struct strbuf path = STRBUF_INIT, val = STRBUF_INIT;
	if (strlen(text) <= HANDOFF_ENV_MAX) {
		setenv(HANDOFF_ENV, text, 1);
		return 0;
	}
	strbuf_addf(&path, "%s/cargo-green-settings.%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
	if (write_file_atomic(path.buf, text, strlen(text), 0644) < 0) {
		strbuf_addf(err, "cannot write %s", path.buf);
		strbuf_release(&path);
		return -1;
	}
	strbuf_addf(&val, "@%s", path.buf);
	setenv(HANDOFF_ENV, val.buf, 1);
	handoff_file = strbuf_detach(&path, NULL);
	atexit(handoff_cleanup);
	strbuf_release(&val);
	return 0;
}

/* What makes the base image: units with other values of these have another. */
static const enum setting_id base_settings[] = { S_BASE_IMAGE, S_BASE_IMAGE_INLINE, S_ADD_APT, S_ADD_APT_GET, S_ADD_APK,
						 S_WITH_NETWORK };

static void base_key(const struct config *cfg, struct strbuf *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(base_settings); i++)
		strbuf_addf(key, "%s\n", cfg_get(cfg, base_settings[i]) ? cfg_get(cfg, base_settings[i]) : "");
}

/* The bases of the handoff's layers (and of the workspace's settings alone)
 * other than cfg's: made now, as cfg's is, their pins added. */
static int other_bases(const struct config *cfg, const char *rustc, struct strbuf *pins, struct strbuf *err)
{
	const char *handoff = getenv(HANDOFF_ENV);
	struct strvec dirs = STRVEC_INIT, seen = STRVEC_INIT;
	struct strbuf key = STRBUF_INIT;
	int ret = 0;

	base_key(cfg, &key);
	strvec_push(&seen, key.buf);
	config_handoff_layers(handoff, &dirs);
	for (size_t i = 0; i <= dirs.nr && !ret; i++) {
		struct config c;
		struct strbuf ref = STRBUF_INIT, id = STRBUF_INIT;
		if (config_load_handoff(&c, handoff, i < dirs.nr ? dirs.v[i] : NULL, err) < 0) {
			config_release(&c);
			ret = EXIT_USAGE;
			break;
		}
		strbuf_reset(&key);
		base_key(&c, &key);
		if (strvec_find(&seen, key.buf) < 0) {
			strvec_push(&seen, key.buf);
			ret = base_ensure(&c, rustc, 1, &ref, &id, err);
			if (!ret && id.len && base_pin_find(pins->buf, ref.buf, &key) < 0)
				strbuf_addf(pins, "%s\t%s\n", ref.buf, id.buf);
		}
		config_release(&c);
		strbuf_release(&ref);
		strbuf_release(&id);
	}
	strvec_clear(&dirs);
	strvec_clear(&seen);
	strbuf_release(&key);
	return ret;
}

/* The statistics files (cargo-green-stats.PID, and its .store-warned mark)
 * of runs whose plugin was killed: removed. Only our own names. */
static void stats_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *rest;
		char *end;
		long pid;
		struct strbuf p = STRBUF_INIT;
		if (!skip_prefix(e->d_name, "cargo-green-stats.", &rest))
			continue;
		pid = strtol(rest, &end, 10);
		if (pid <= 0 || end == rest || (*end && strcmp(end, ".store-warned")) || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		strbuf_addf(&p, "%s/%s", dir, e->d_name);
		unlink(p.buf);
		strbuf_release(&p);
	}
	closedir(d);
}

int cmd_plugin(const struct config *cfg, int argc, const char **argv)
{
	struct child c = CHILD_INIT;
	struct strbuf err = STRBUF_INIT, note = STRBUF_INIT, ref = STRBUF_INIT, id = STRBUF_INIT, stats_path = STRBUF_INIT,
		      pins = STRBUF_INIT;
	const char *cargo = getenv("CARGO"), *rustc = getenv("RUSTC"), *tmp = getenv("TMPDIR");
	char *self = self_exe_path();
	struct stats s;
	int rc, term_signal = 0;

	if (argc > 0 && argv[0][0] == '+') {
		/* cargo green +nightly build: the rustup proxy picks the toolchain. */
		setenv("RUSTUP_TOOLCHAIN", argv[0] + 1, 1);
		cargo = NULL;
		argc--;
		argv++;
	}
	if (!cargo || !*cargo)
		cargo = "cargo";
	if (!rustc || !*rustc)
		rustc = "rustc";

	log_setup(cfg, "cargo-green");
	if ((rc = engine_check_answers(cfg, &err))) {
		error("%s", err.buf);
		goto out;
	}
	if (cfg->runner == RUNNER_DOCKER) {
		struct strbuf builder = STRBUF_INIT;
		rc = builder_resolve(cfg, &builder, &note, &err);
		if (rc) {
			if (!run_signal_caught())
				error("%s", err.buf);
			strbuf_release(&builder);
			goto out;
		}
		if (builder.len || cfg_get(cfg, S_BUILDX_BUILDER)) {
			/* The wrappers (and the base image) use exactly this builder. */
			setenv("BUILDX_BUILDER", builder.buf, 1);
		}
		strbuf_release(&builder);
	}
	if (cfg->runner != RUNNER_NONE) {
		/* Before cargo starts: make the base image once, and fail early if the engine is not there. */
		rc = base_ensure(cfg, rustc, 1, &ref, &id, &err);
		if (rc) {
			if (!run_signal_caught())
				error("%s", err.buf);
			goto out;
		}
		if (note.len)
			fprintf(stderr, "%s\n", note.buf);
		if (id.len)
			strbuf_addf(&pins, "%s\t%s\n", ref.buf, id.buf);
		/* And the base of every package whose settings make another one. */
		if ((rc = other_bases(cfg, rustc, &pins, &err))) {
			error("%s", err.buf);
			goto out;
		}
	}

	stats_sweep(tmp && *tmp ? tmp : "/tmp");
	strbuf_addf(&stats_path, "%s/cargo-green-stats.%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
	unlink(stats_path.buf);
	strvec_push(&c.args, cargo);
	for (int i = 0; i < argc; i++)
		strvec_push(&c.args, argv[i]);
	strvec_pushf(&c.env, "RUSTC_WRAPPER=%s", self);
	strvec_pushf(&c.env, STATS_ENV "=%s", stats_path.buf);
	if (pins.len)
		strvec_pushf(&c.env, BASE_PIN_ENV "=%s", pins.buf);
	LOG(LOG_INFO, "running %s with RUSTC_WRAPPER=%s", cargo, self);

	/* cargo gets the terminal's signals itself (run_catch_signals, in
	 * main): wait for it to finish, then end as it did. */
	rc = run_command(&c, &err);
	if (rc < 0) {
		if (!run_signal_caught())
			error("%s", err.buf);
		rc = EXIT_USAGE;
		goto out;
	}
	if (c.term_signal) {
		term_signal = c.term_signal;
		goto out;
	}
	stats_read(stats_path.buf, &s);
	if (s.syslibs.nr) {
		struct strbuf hint = STRBUF_INIT;
		strvec_sort(&s.syslibs);
		syslib_hint(&s.syslibs, cfg_list(cfg, S_ADD_APT), &hint);
		fprintf(stderr, "%s\n", hint.buf);
		strbuf_release(&hint);
	}
	if (s.added.nr) {
		struct strbuf line = STRBUF_INIT;
		strvec_sort(&s.added);
		strbuf_addstr(&line, "cargo-green: added to the base of the units that need it, from this host (CARGOGREEN_ADD_APT_FROM_HOST):");
		for (size_t i = 0; i < s.added.nr; i++) {
			const char *eq = strchr(s.added.v[i], '=');
			strbuf_addf(&line, "%s %.*s (%s)", i ? "," : "", (int)(eq - s.added.v[i]), s.added.v[i], eq + 1);
		}
		fprintf(stderr, "%s\n", line.buf);
		strbuf_release(&line);
	}
	stats_print(&s);
	strvec_clear(&s.reasons);
	strvec_clear(&s.syslibs);
	strvec_clear(&s.added);
out:
	unlink(stats_path.buf);
	strbuf_addstr(&stats_path, ".store-warned"); /* job.c's warn_once */
	unlink(stats_path.buf);
	child_release(&c);
	strbuf_release(&err);
	strbuf_release(&note);
	strbuf_release(&ref);
	strbuf_release(&id);
	strbuf_release(&stats_path);
	strbuf_release(&pins);
	free(self);
	if (term_signal)
		run_exit_by_signal(term_signal);
	return rc;
}
