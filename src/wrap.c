#include "wrap.h"
#include "base.h"
#include "config.h"
#include "env.h"
#include "exitcode.h"
#include "final.h"
#include "fs.h"
#include "internal.h"
#include "job.h"
#include "log.h"
#include "run.h"
#include "rustc_args.h"
#include "stats.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int looks_like_rustc(const char *arg)
{
	const char *base = path_basename(arg);
	return strstr(base, "rustc") || strstr(base, "clippy-driver") ||
	       (strchr(arg, '/') && !access(arg, X_OK));
}

/* Exec the local rustc, the call counted as kind ("pass": with why). */
static int exec_local(const struct config *cfg, const char **argv, enum stats_kind kind, const char *why, const char *id)
{
	struct strbuf err = STRBUF_INIT;
	LOG(LOG_DEBUG, "%s (%s): %s", kind == STATS_PASS ? "pass" : "incremental", why, argv[0]);
	stats_record(cfg, kind, id ? id : "-", why, 0, 0);
	run_exit_if_signaled();
	run_exec(argv, &err);
	error("%s", err.buf);
	strbuf_release(&err);
	return EXIT_USAGE;
}

/* A local unit's sandbox could not be made: said once per run, with the fix. */
static void warn_sandbox(const struct config *cfg, const char *why)
{
	struct strbuf msg = STRBUF_INIT;
	strbuf_addf(&msg, "incremental units compile at host paths and are not stored: no sandbox (%s); "
		    "install bubblewrap (apt-get install bubblewrap)", why);
	stats_warn_once(cfg, "sandbox", msg.buf);
	strbuf_release(&msg);
}

int passthrough(const struct config *cfg, const char **argv, const char *why, const char *id)
{
	return exec_local(cfg, argv, STATS_PASS, why, id);
}

/* CARGOGREEN_FINAL_PATH: this landed unit's record, and its binary (what
 * cargo names CARGO_BIN_NAME) when it is one. */
static void note_final(const struct config *cfg, struct job *j, const struct rustc_args *ra, const char *out_dir,
		       int code)
{
	struct strbuf bin = STRBUF_INIT;
	char *ct = NULL;
	const char *name = cfg->cargo.bin_name;
	if (!cfg_get(cfg, S_FINAL_PATH))
		return;
	if (strvec_find(&ra->crate_types, "bin") >= 0 && !rustc_args_is_build_script(ra)) {
		strbuf_addf(&bin, "%s/%s%s", out_dir, ra->crate_name, ra->extra_filename);
		ct = pathmap_to_ct(&j->pm, bin.buf);
	}
	final_note(cfg, &j->self, j->record_path, code, ct, name && *name ? name : ra->crate_name);
	free(ct);
	strbuf_release(&bin);
}

/* Does cargo ask this compile to be incremental (-C incremental=DIR)? */
static int wants_incremental(const struct rustc_args *ra)
{
	for (size_t i = 0; i < ra->nr; i++)
		if (ra->a[i].kind == ARG_CODEGEN && starts_with(ra->a[i].value, "incremental="))
			return 1;
	return 0;
}

/* The local rustc makes this unit's outputs now: a record of an earlier
 * engine build of it would describe other bytes (and make a dependent
 * mount them). */
static void forget_engine_record(const struct rustc_args *ra)
{
	/* Only in a target dir: nothing is written or removed elsewhere. */
	char *n, *t;
	if (ra->out_dir[0] != '/')
		return;
	n = path_normalize(ra->out_dir);
	t = find_target_dir(n);
	if (t) {
		char *stale = unit_record_path(n, ra->crate_name, ra->extra_filename);
		char *mark = unit_local_mark(stale);
		int fd;
		unlink(stale);
		/* ...and the mark that cargo-green compiled it locally (not plain cargo). */
		if ((fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0)
			close(fd);
		free(mark);
		free(stale);
	}
	free(t);
	free(n);
}

/* Why a dependency has no engine record (rec): cargo-green's own local compile, or not cargo-green's. */
static const char *dep_without_record(const char *rec)
{
	char *mark = unit_local_mark(rec);
	int local = !access(mark, F_OK);
	free(mark);
	return local ? PASS_DEP_NOT_GREEN : PASS_DEP_PLAIN;
}

/* Why a build script run (OUT_DIR out_dir) has no engine record: its script
 * was compiled locally by cargo-green (a mark in one of its package's build
 * dirs, .../build/NAME-HASH/), or it was not cargo-green's. */
static const char *script_without_record(const char *out_dir)
{
	struct strbuf run = STRBUF_INIT, build = STRBUF_INIT, sub = STRBUF_INIT, prefix = STRBUF_INIT;
	struct strvec names = STRVEC_INIT, files = STRVEC_INIT;
	const char *slash, *dash;
	int local = 0;

	strbuf_addstr(&run, out_dir);
	while (run.len > 1 && run.buf[run.len - 1] == '/')
		strbuf_setlen(&run, run.len - 1);
	if (!(slash = strrchr(run.buf, '/')))
		goto out;
	strbuf_setlen(&run, (size_t)(slash - run.buf)); /* .../build/NAME-RUNHASH */
	if (!(slash = strrchr(run.buf, '/')) || !(dash = strrchr(slash, '-')))
		goto out;
	strbuf_add(&build, run.buf, (size_t)(slash - run.buf));
	strbuf_add(&prefix, slash + 1, (size_t)(dash - slash)); /* NAME- */
	if (dir_entries(build.buf, &names) < 0)
		goto out;
	for (size_t i = 0; i < names.nr && !local; i++) {
		if (!starts_with(names.v[i], prefix.buf))
			continue;
		strbuf_reset(&sub);
		strbuf_addf(&sub, "%s/%s", build.buf, names.v[i]);
		strvec_clear(&files);
		if (dir_entries(sub.buf, &files) < 0)
			continue;
		for (size_t k = 0; k < files.nr; k++)
			local |= ends_with(files.v[k], UNIT_LOCAL_MARK_SUFFIX);
	}
out:
	strvec_clear(&names);
	strvec_clear(&files);
	strbuf_release(&run);
	strbuf_release(&build);
	strbuf_release(&sub);
	strbuf_release(&prefix);
	return local ? PASS_SCRIPT_NOT_GREEN : PASS_SCRIPT_PLAIN;
}

static int any_env_prefix(const char *prefix)
{
	for (char **e = environ; *e; e++)
		if (starts_with(*e, prefix))
			return 1;
	return 0;
}

/* path made absolute from cwd, as spelled (".." kept). Caller frees. */
static char *absolute(const char *cwd, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	if (path[0] != '/')
		strbuf_addf(&sb, "%s/", cwd);
	strbuf_addstr(&sb, path);
	return strbuf_detach(&sb, NULL);
}

/* A rustc argument for the container: host paths mapped, incremental dropped. */
static void push_arg(struct job *j, const struct rustc_arg *a)
{
	char *mapped = NULL;
	const char *path;
	switch (a->kind) {
	case ARG_INPUT:
		if (a->value[0] == '/' && (mapped = pathmap_to_ct(&j->pm, a->value)))
			strvec_push(&j->spec.argv, mapped);
		else
			strvec_push(&j->spec.argv, a->value);
		break;
	case ARG_FLAG:
		strvec_push(&j->spec.argv, a->flag);
		break;
	case ARG_CODEGEN:
		if (starts_with(a->value, "incremental=")) {
			/* Without CARGOGREEN_INCREMENTAL the engine's cache replaces it. */
			if (j->spec.incr_dir) {
				strvec_push(&j->spec.argv, a->flag);
				strvec_pushf(&j->spec.argv, "incremental=%s", j->spec.incr_dir);
			}
			break;
		}
		/* fallthrough */
	case ARG_VALUE:
		strvec_push(&j->spec.argv, a->flag);
		strvec_push(&j->spec.argv, a->value);
		break;
	case ARG_PATH:
	case ARG_LIBPATH:
	case ARG_EXTERN:
		path = a->kind == ARG_PATH ? a->value : a->kind == ARG_LIBPATH ? libpath_path(a->value) : extern_path(a->value);
		strvec_push(&j->spec.argv, a->flag);
		if (path && (mapped = pathmap_to_ct(&j->pm, path)))
			strvec_pushf(&j->spec.argv, "%.*s%s", (int)(path - a->value), a->value, mapped);
		else
			strvec_push(&j->spec.argv, a->value);
		break;
	case ARG_PROBE:
	case ARG_PROBE_VALUE:
		BUG("probe arguments reach the engine");
	}
	free(mapped);
}

/* CARGOGREEN_INCREMENTAL: this crate's entries of rustc's incremental dir
 * go with its sources (the mirror), under INCR_SUBDIR. */
static int incremental_in(struct job *j, const struct rustc_args *ra, struct strbuf *err)
{
	const char *dir = NULL;
	struct strvec names = STRVEC_INIT;
	struct strbuf prefix = STRBUF_INIT, dst = STRBUF_INIT;
	int ret = 0;
	for (size_t i = 0; i < ra->nr; i++)
		if (ra->a[i].kind == ARG_CODEGEN && starts_with(ra->a[i].value, "incremental="))
			dir = ra->a[i].value + strlen("incremental=");
	if (!dir || !(j->spec.incr_dir = pathmap_to_ct(&j->pm, dir)))
		return 0;
	strbuf_addf(&prefix, "%s-", ra->crate_name);
	j->spec.incr_prefix = xstrdup(prefix.buf);
	j->incr_host = xstrdup(dir);
	strbuf_addf(&dst, "%s/" INCR_SUBDIR, j->self.ctx_dir);
	if (dir_entries(dir, &names) < 0)
		goto out; /* none yet */
	for (size_t i = 0; i < names.nr; i++) {
		struct strbuf from = STRBUF_INIT, to = STRBUF_INIT;
		if (!starts_with(names.v[i], prefix.buf))
			continue;
		strbuf_addf(&from, "%s/%s", dir, names.v[i]);
		strbuf_addf(&to, "%s/%s", dst.buf, names.v[i]);
		if (mkdir_p(dst.buf, 0755) < 0 || copy_tree(from.buf, to.buf) < 0) {
			strbuf_addf(err, "cannot copy '%s' to '%s': %s", from.buf, to.buf, strerror(errno));
			ret = -1;
		}
		strbuf_release(&from);
		strbuf_release(&to);
		if (ret)
			break;
	}
out:
	strvec_clear(&names);
	strbuf_release(&prefix);
	strbuf_release(&dst);
	return ret;
}

static int wrap_once(const struct config *cfg, int argc, const char **argv, int depth)
{
	struct rustc_args ra;
	struct job j = JOB_INIT;
	struct strvec rustc_env = STRVEC_INIT;
	struct strbuf id = STRBUF_INIT, home = STRBUF_INIT, err = STRBUF_INIT, mirror = STRBUF_INIT,
		      shim = STRBUF_INIT;
	char cwd[4096];
	const char *manifest_dir = cfg->cargo.manifest_dir, *pkg = cfg->cargo.pkg_name,
		   *out_dir_env = cfg->cargo.out_dir, *why = NULL;
	char *out_dir = NULL, *spelled = NULL, *input = NULL, *rec = NULL, *self = NULL;
	const char *ws_root = NULL;
	int ret = 0, code = 0, restart = 0, host_paths, whole_ws;

	if (!strstr(path_basename(argv[0]), "rustc"))
		return passthrough(cfg, argv, "not rustc (a rustc driver such as clippy)", NULL);
	if (any_env_prefix("CARGO_CFG_"))
		return passthrough(cfg, argv, "called by a build script", NULL);

	rustc_args_parse(&ra, argc - 1, argv + 1);
	if (ra.passthrough) {
		why = ra.passthrough;
		goto pass;
	}
	/* NAME-HASH, as its files are named; a unit cargo names without a hash
	 * (a cdylib) takes its -C metadata instead, so that two builds of it
	 * (other features, say) keep their outputs apart. */
	if (*ra.extra_filename || !ra.metadata)
		strbuf_addf(&id, "%s%s", ra.crate_name, ra.extra_filename);
	else
		strbuf_addf(&id, "%s-%s", ra.crate_name, ra.metadata);
	config_log_setup(cfg, id.buf);
	if (cfg->runner == RUNNER_NONE) {
		why = "CARGOGREEN_RUNNER=none";
		goto pass;
	}
	if (!cfg->incremental && wants_incremental(&ra) && !base_is_derived(cfg)) {
		/* Its dependencies built on another base may not load or link on the host. */
		LOG(LOG_INFO, "%s: incremental, but the base is not the host-derived one: in the engine", id.buf);
	} else if (!cfg->incremental && wants_incremental(&ra)) {
		/* What a developer edits (workspace members, path dependencies,
		 * in a profile with incremental on): the local rustc with its
		 * incremental state, as plain cargo, in a sandbox at the fixed
		 * paths (sandbox.h): keyed and stored as the engine's units. */
		j.local = j.self.local = 1;
		if (argv[0][0] != '/' || getenv(NO_SANDBOX_ENV)) {
			why = argv[0][0] != '/' ? "rustc not named by its path" : NO_SANDBOX_ENV;
			goto pass;
		}
		LOG(LOG_INFO, "%s: compiled locally (incremental)", id.buf);
	}
	if (!stage_id_valid(id.buf)) {
		why = "crate name not usable as a stage name";
		goto pass;
	}
	if (!manifest_dir || !pkg) {
		why = "not run by cargo (no CARGO_MANIFEST_DIR)";
		goto pass;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		why = "no current directory";
		goto pass;
	}
	/* Normalized: a ".." in --out-dir (CARGO_TARGET_DIR=a/../t) must not
	 * put records anywhere but where rustc's outputs go, in the target dir. */
	spelled = absolute(cwd, ra.out_dir);
	if (job_set_target(&j, spelled, &out_dir, &why) < 0)
		goto pass;
	input = absolute(cwd, ra.input);
	{
		char *n = path_normalize(input);
		free(input);
		input = n;
	}
	if (strpbrk(cwd, "\t\n") || strpbrk(manifest_dir, "\t\n") || strpbrk(j.host_target, "\t\n")) {
		why = "a path with a tab or newline";
		goto pass;
	}

	/* What this crate was seen to need (job.h's modes). */
	j.modes = job_modes_load(j.host_target, id.buf);
	if (ra.input[0] != '/')
		ws_root = cwd; /* a workspace member: cwd is the workspace root */
	host_paths = !!(j.modes & JOB_MODE_HOST_PATHS);
	whole_ws = ws_root && (j.modes & JOB_MODE_WORKSPACE);
	if (host_paths && !path_dockerfile_safe(ws_root ? ws_root : manifest_dir)) {
		why = "it reads its own host path, which has characters a Dockerfile path cannot hold";
		goto pass;
	}

	/* Where everything is in the container: fixed paths, or the sources at
	 * their host path for a unit that keeps it (JOB_MODE_HOST_PATHS). */
	cargo_home(&home);
	pathmap_add(&j.pm, home.buf, CT_CARGO_HOME);
	if (ws_root) {
		pathmap_add(&j.pm, cwd, host_paths ? cwd : CT_WS);
	} else if (!path_under(manifest_dir, home.buf)) {
		struct strbuf ct = STRBUF_INIT;
		strbuf_addf(&ct, CT_PATHPKG "/%s", pkg);
		pathmap_add(&j.pm, manifest_dir, host_paths ? manifest_dir : ct.buf);
		strbuf_release(&ct);
	} else if (host_paths) {
		pathmap_add(&j.pm, manifest_dir, manifest_dir);
	}
	j.spec.workdir = pathmap_to_ct(&j.pm, cwd);
	{
		char *ct_input = pathmap_to_ct(&j.pm, input);
		char *ct_manifest = pathmap_to_ct(&j.pm, manifest_dir);
		int ok = ct_input && ct_manifest && j.spec.workdir && path_under(input, manifest_dir);
		free(ct_input);
		if (!ok) {
			free(ct_manifest);
			why = "sources outside the package, the workspace and CARGO_HOME";
			goto pass;
		}
		j.self.ctx_mount = ct_manifest;
	}
	if (whole_ws) {
		/* It reads files of the workspace outside its package: all of it. */
		free(j.self.ctx_mount);
		j.self.ctx_mount = pathmap_to_ct(&j.pm, ws_root);
	}

	/* Direct dependencies: the records beside what --extern names, and the build script run. */
	for (size_t i = 0; i < ra.nr; i++) {
		const char *p;
		char *np;
		if (ra.a[i].kind != ARG_EXTERN || !(p = extern_path(ra.a[i].value)))
			continue;
		np = path_normalize(p);
		if (!path_under(np, j.host_target)) {
			free(np);
			continue;
		}
		rec = unit_record_for_artifact(np);
		free(np);
		if (!rec || access(rec, F_OK)) {
			why = rec ? dep_without_record(rec) : PASS_DEP_PLAIN;
			goto pass;
		}
		if (strvec_find(&j.dep_records, rec) < 0)
			strvec_push(&j.dep_records, rec);
		free(rec);
		rec = NULL;
	}
	if (out_dir_env) {
		struct strbuf opath = STRBUF_INIT, output = STRBUF_INIT;
		char *n = path_normalize(out_dir_env);
		rec = unit_record_for_out_dir(n);
		free(n);
		if (!rec || access(rec, F_OK)) {
			why = script_without_record(out_dir_env);
			goto pass;
		}
		/* cargo:rustc-env=NAME=VALUE: cargo set NAME for this compile. */
		strbuf_addf(&opath, "%s/../output", out_dir_env); /* cargo keeps it beside OUT_DIR */
		if (strbuf_read_file(&output, opath.buf) == 0)
			env_from_build_output(output.buf, &rustc_env);
		strbuf_release(&opath);
		strbuf_release(&output);
		strvec_push(&j.dep_records, rec);
		free(rec);
		rec = NULL;
	}

	/* The sources: registry crates as they are, path crates through a clean mirror. */
	j.self.id = xstrdup(id.buf);
	strbuf_addf(&mirror, "src-%s", id.buf);
	j.self.ctx_name = strbuf_detach(&mirror, NULL);
	j.self.ctx_origin = xstrdup(whole_ws ? ws_root : manifest_dir);
	j.self.ctx_full = whole_ws;
	j.self.ws_root = ws_root ? xstrdup(ws_root) : NULL;
	{
		struct strbuf reg = STRBUF_INIT;
		strbuf_addf(&reg, "%s/registry/src", home.buf);
		if (path_under(manifest_dir, reg.buf)) {
			j.self.ctx_dir = xstrdup(manifest_dir);
		} else {
			strbuf_addf(&mirror, "%s/cargo-green/src/%s", j.host_target, id.buf);
			if (job_mirror_sources(j.self.ctx_origin, mirror.buf, whole_ws, j.host_target, &err) < 0) {
				strbuf_release(&reg);
				error("%s: %s", id.buf, err.buf);
				ret = EXIT_IO;
				goto out;
			}
			j.self.ctx_dir = strbuf_detach(&mirror, NULL);
			j.direct = 1; /* its mirror holds its whole package: keyed on what it read too */
			if (cfg->incremental && incremental_in(&j, &ra, &err) < 0) {
				strbuf_release(&reg);
				error("%s: %s", id.buf, err.buf);
				ret = EXIT_IO;
				goto out;
			}
		}
		strbuf_release(&reg);
	}

	/* The command. */
	j.cfg = cfg;
	j.rustc = argv[0];
	j.spec.id = j.self.id;
	j.spec.ctx_name = j.self.ctx_name;
	j.spec.ctx_target = j.self.ctx_mount;
	j.spec.collect_dir = pathmap_to_ct(&j.pm, out_dir);
	j.spec.collect_new_only = 1;
	env_filter((const char **)environ, ENV_COMPILE | (host_paths ? ENV_HOST_PATHS : 0), &rustc_env, &j.pm, &j.spec.env);
	if (j.local) {
		/* Its incremental state stays in target/, seen at the fixed path. */
		for (size_t i = 0; i < ra.nr; i++)
			if (ra.a[i].kind == ARG_CODEGEN && starts_with(ra.a[i].value, "incremental=") &&
			    !(j.spec.incr_dir = pathmap_to_ct(&j.pm, ra.a[i].value + strlen("incremental=")))) {
				why = "its incremental dir is outside the target dir";
				goto pass;
			}
		strbuf_addf(&mirror, "%s%s", ra.crate_name, ra.extra_filename);
		j.out_stem = strbuf_detach(&mirror, NULL);
	}
	strvec_push(&j.spec.argv, "rustc");
	for (size_t i = 0; i < ra.nr; i++)
		push_arg(&j, &ra.a[i]);
	j.stderr_escape = ra.error_format_json ? ESCAPE_JSON : ESCAPE_NONE;
	j.record_path = unit_record_path(out_dir, ra.crate_name, ra.extra_filename);

	if (rustc_args_is_build_script(&ra)) {
		/* cargo will run this binary: on the host it is a shim that runs the real one in the engine. */
		struct strbuf bin = STRBUF_INIT;
		self = self_exe_path();
		strbuf_addf(&bin, "%s/%s%s", out_dir, ra.crate_name, ra.extra_filename);
		j.shim_ct = pathmap_to_ct(&j.pm, bin.buf);
		strbuf_addstr(&shim, "#!/bin/sh\n# cargo-green: this build script runs in BuildKit.\nexec ");
		strbuf_add_shquoted(&shim, self);
		strbuf_addstr(&shim, " __build-script-run ");
		strbuf_add_shquoted(&shim, j.record_path);
		strbuf_addstr(&shim, " \"$@\"\n");
		j.shim_text = strbuf_detach(&shim, NULL);
		strbuf_release(&bin);
	}

	switch (job_run(&j, &code, &err)) {
	case JOB_RESTART:
		restart = 1;
		goto out;
	case JOB_NO_CLOSURE:
		LOG(LOG_INFO, "%s: %s", id.buf, err.buf);
		why = PASS_DEP_NOT_GREEN;
		goto pass;
	case JOB_NO_STAGE:
		LOG(LOG_INFO, "%s: %s", id.buf, err.buf);
		why = "a path or name not usable in a Dockerfile instruction";
		goto pass;
	case JOB_NO_SANDBOX:
		/* The local rustc at host paths, as plain cargo: not stored. */
		warn_sandbox(cfg, err.buf);
		final_note_local(cfg, id.buf);
		why = "no sandbox";
		goto pass;
	case JOB_FAILED:
		if (!run_signal_caught()) /* an interrupted build says nothing: it ends by the signal */
			error("%s: %s", id.buf, err.buf);
		note_final(cfg, &j, &ra, out_dir, code ? code : 1);
		break;
	case JOB_DONE:
		note_final(cfg, &j, &ra, out_dir, code);
		break;
	}
	ret = code;
	goto out;

pass:
	if (id.len)
		LOG(LOG_INFO, "%s: %s: %s", id.buf, j.local ? "compiled locally at host paths" : "passthrough", why);
	if (!ra.passthrough)
		forget_engine_record(&ra);
	rustc_args_release(&ra);
	if (j.local)
		ret = exec_local(cfg, argv, STATS_INCREMENTAL, why, id.buf);
	else
		ret = passthrough(cfg, argv, why, id.len ? id.buf : NULL);
	goto release;
out:
	rustc_args_release(&ra);
release:
	job_release(&j);
	free(out_dir);
	free(spelled);
	free(input);
	free(rec);
	free(self);
	strvec_clear(&rustc_env);
	strbuf_release(&id);
	strbuf_release(&home);
	strbuf_release(&err);
	strbuf_release(&mirror);
	strbuf_release(&shim);
	if (restart)
		return job_may_restart(depth, argv[0]) ? wrap_once(cfg, argc, argv, depth + 1) : EXIT_ENGINE_FAILED;
	return ret;
}

int cmd_wrap(const struct config *cfg, int argc, const char **argv)
{
	return wrap_once(cfg, argc, argv, 0);
}
