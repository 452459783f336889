#include "plugin.h"
#include "cache.h"
#include "cacheindex.h"
#include "cargo_args.h"
#include "base.h"
#include "builder.h"
#include "dockerctx.h"
#include "config.h"
#include "engine.h"
#include "exitcode.h"
#include "final.h"
#include "fs.h"
#include "internal.h"
#include "job.h"
#include "log.h"
#include "remote.h"
#include "run.h"
#include "stats.h"
#include "storegc.h"
#include "syslib.h"
#include "util.h"
#include "wrap.h"
#include "banned.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The tag of the build's index in the cache images (cacheindex.h), of the
 * base whose identity is base and of the Cargo.lock cargo uses now, into
 * tag: 0, or -1 when there is none (no Cargo.lock: a build without one
 * shares no index). */
static int index_tag(const char *base, int argc, const char **argv, struct strbuf *tag)
{
	struct strbuf dir = STRBUF_INIT, lock = STRBUF_INIT, words = STRBUF_INIT;
	char *cwd = getcwd(NULL, 0);
	int ret = -1;
	if (cargo_args_manifest_dir(argc, argv, &dir) < 0 || dir.buf[0] != '/') {
		struct strbuf rel = STRBUF_INIT;
		strbuf_addbuf(&rel, &dir);
		strbuf_reset(&dir);
		strbuf_addstr(&dir, cwd ? cwd : "/");
		if (rel.len)
			strbuf_addf(&dir, "/%s", rel.buf);
		strbuf_release(&rel);
	}
	if (cache_index_lock_read(dir.buf, &lock) == 0) {
		cargo_args_index_words(argc, argv, getenv("CARGO_BUILD_TARGET"), &words);
		cache_index_tag(base, lock.buf, lock.len, words.buf, tag);
		ret = 0;
	}
	free(cwd);
	strbuf_release(&dir);
	strbuf_release(&lock);
	strbuf_release(&words);
	return ret;
}

int cmd_plugin(const struct config *cfg, int argc, const char **argv)
{
	struct child c = CHILD_INIT;
	struct strbuf err = STRBUF_INIT, note = STRBUF_INIT, ref = STRBUF_INIT, id = STRBUF_INIT, stats_path = STRBUF_INIT,
		      pins = STRBUF_INIT, final_list = STRBUF_INIT, tag = STRBUF_INIT;
	const char *cargo = getenv("CARGO"), *rustc = cfg->cargo.rustc ? cfg->cargo.rustc : "rustc",
		   *tmp = getenv("TMPDIR");
	char *self = self_exe_path();
	struct stats s;
	int rc, term_signal = 0, prefetch = -1;

	if (argc > 0 && argv[0][0] == '+') {
		/* cargo green +nightly build: the rustup proxy picks the toolchain. */
		setenv("RUSTUP_TOOLCHAIN", argv[0] + 1, 1);
		cargo = NULL;
		argc--;
		argv++;
	}
	if (!cargo || !*cargo)
		cargo = "cargo";

	config_log_setup(cfg, "cargo-green");
	/* Which engine, by docker's rule (DOCKER_HOST, else a context), for the
	 * whole run: the wrappers get it from here. */
	if (cfg->runner == RUNNER_DOCKER && dockerctx_setup(cfg_get(cfg, S_BUILDX_BUILDER), &err) < 0) {
		error("%s", err.buf);
		rc = EXIT_USAGE;
		goto out;
	}
	/* An ssh:// engine: one connection for the run, opened when first needed. */
	if (cfg->runner == RUNNER_DOCKER && (rc = remote_setup(&err))) {
		error("%s", err.buf);
		goto out;
	}
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
	if (cfg_get(cfg, S_FINAL_PATH) && cfg->runner != RUNNER_NONE) {
		/* Before any compile: the file can be written (the setting's check
		 * saw the permissions; this sees a read-only file system too). */
		const char *fp = cfg_get(cfg, S_FINAL_PATH);
		int existed = !access(fp, F_OK), fd = open(fp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			error("CARGOGREEN_FINAL_PATH=%s cannot be written: %s (name a writable file, e.g. CARGOGREEN_FINAL_PATH=/tmp/my-bin.Dockerfile)",
			      fp, strerror(errno));
			rc = EXIT_USAGE;
			goto out;
		}
		close(fd);
		if (!existed)
			unlink(fp);
		/* The wrappers list their units there; the file is written after cargo. */
		strbuf_addf(&final_list, "%s/cargo-green-final.%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
		unlink(final_list.buf);
		strvec_pushf(&c.env, FINAL_LIST_ENV "=%s", final_list.buf);
		strbuf_addstr(&final_list, ".d");
		rm_rf(final_list.buf);
		strbuf_setlen(&final_list, final_list.len - 2);
	}
	{
		/* The cache images' index of this build: what it lists fetched while cargo starts. */
		struct strvec images = STRVEC_INIT;
		cache_images(cfg, 0, &images);
		if (images.nr && id.len && index_tag(id.buf, argc, argv, &tag) == 0)
			prefetch = cache_prefetch_start(cfg, stats_path.buf, tag.buf);
		strvec_clear(&images);
	}
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
	if (final_list.len) {
		int frc = final_write(cfg, final_list.buf, ref.buf, rc != 0, &err);
		if (frc) {
			error("%s", err.buf);
			if (!rc)
				rc = frc;
		}
	}
	stats_read(stats_path.buf, &s);
	stats_cumul_add(&s); /* (for `supergreen cache stats`) */
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
	/* cargo -q: no summary line (cargo's own status lines are gone too). */
	stats_print(&s, cargo_args_quiet(argc, argv, getenv("CARGO_TERM_QUIET")));
	{
		const char *totals = getenv(STATS_OUT_ENV);
		if (totals && *totals) {
			struct strbuf t = STRBUF_INIT;
			stats_totals(&s, &t);
			if (write_file_atomic(totals, t.buf, t.len, 0644) < 0)
				warning("cannot write '%s': %s", totals, strerror(errno));
			strbuf_release(&t);
		}
	}
	stats_release(&s);
out:
	if (stats_path.len) {
		struct strvec images = STRVEC_INIT;
		/* The index written names the Cargo.lock cargo used (it may have written it). */
		strbuf_reset(&tag);
		cache_images(cfg, 1, &images);
		if (!images.nr || !id.len || index_tag(id.buf, argc, argv, &tag) < 0)
			strbuf_reset(&tag);
		strvec_clear(&images);
		/* Stops the prefetch, waits for the cache images' writes, writes the index, says their faults. */
		cache_run_end(stats_path.buf, tag.len ? tag.buf : NULL, prefetch);
		store_gc_auto(cfg->cache_size); /* the local store back under its limit (storegc.h) */
	}
	remote_close();
	stats_remove(stats_path.buf);
	if (final_list.len) {
		unlink(final_list.buf);
		strbuf_addstr(&final_list, ".d");
		rm_rf(final_list.buf);
	}
	strbuf_release(&final_list);
	child_release(&c);
	strbuf_release(&err);
	strbuf_release(&note);
	strbuf_release(&ref);
	strbuf_release(&id);
	strbuf_release(&stats_path);
	strbuf_release(&pins);
	strbuf_release(&tag);
	free(self);
	if (term_signal)
		run_exit_by_signal(term_signal);
	return rc;
}
