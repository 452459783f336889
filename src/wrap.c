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

/*
 * One rustc call set up as a job, through named phases, each with one job:
 *
 *   route    which way it goes: the engine, the local rustc in a sandbox
 *            (an incremental unit), or straight to the local rustc
 *   target   where its outputs go and what it was seen to need
 *   paths    where everything is in the container
 *   deps     its direct dependencies' records and its build script's run
 *   sources  its source context (a clean mirror of a path crate)
 *   command  rustc's command line and environment in the container
 *   shim     a build script: what cargo runs in its place
 *
 * Then job_run (job.c) does the rest. A phase returns 0 to go on, or -1
 * with why it stopped in p->stop: PLAN_PASS (the local rustc, why in
 * p->why: an outcome, not an error) or PLAN_ERROR (err, exit code in
 * p->status).
 */
enum plan_stop { PLAN_ON, PLAN_PASS, PLAN_ERROR };

/* Owns everything in it but cfg, argv and the strings why points to. */
struct plan {
	const struct config *cfg;
	const char **argv;
	struct rustc_args ra;
	int parsed;                 /* ra holds a parse (to release) */
	struct job j;
	struct strvec rustc_env;    /* cargo:rustc-env of its build script */
	struct strbuf id;           /* NAME-HASH, as its files are named */
	struct strbuf home;         /* CARGO_HOME */
	struct strbuf err;
	char cwd[4096];
	char *out_dir;              /* --out-dir, absolute and normalized */
	char *input;                /* its crate root, absolute and normalized */
	const char *ws_root;        /* a workspace member: the workspace root (cwd) */
	int host_paths;             /* JOB_MODE_HOST_PATHS: it reads its own host path */
	int whole_ws;               /* JOB_MODE_WORKSPACE: it reads the workspace beyond its package */
	enum plan_stop stop;
	const char *why;            /* with PLAN_PASS */
	int status;                 /* with PLAN_ERROR */
};

static void plan_init(struct plan *p, const struct config *cfg, const char **argv)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->argv = argv;
	p->j = (struct job)JOB_INIT;
	strvec_init(&p->rustc_env);
	strbuf_init(&p->id, 0);
	strbuf_init(&p->home, 0);
	strbuf_init(&p->err, 0);
}

static void plan_release(struct plan *p)
{
	if (p->parsed)
		rustc_args_release(&p->ra);
	job_release(&p->j);
	free(p->out_dir);
	free(p->input);
	strvec_clear(&p->rustc_env);
	strbuf_release(&p->id);
	strbuf_release(&p->home);
	strbuf_release(&p->err);
}

static int plan_pass(struct plan *p, const char *why)
{
	p->stop = PLAN_PASS;
	p->why = why;
	return -1;
}

static int plan_error(struct plan *p, int status)
{
	p->stop = PLAN_ERROR;
	p->status = status;
	return -1;
}

/* route: its arguments parsed and its id named; the local rustc for what
 * the engine cannot or should not compile. */
static int plan_route(struct plan *p, int argc)
{
	const struct config *cfg = p->cfg;
	struct rustc_args *ra = &p->ra;

	rustc_args_parse(ra, argc - 1, p->argv + 1);
	p->parsed = 1;
	if (ra->passthrough)
		return plan_pass(p, ra->passthrough);
	/* NAME-HASH, as its files are named; a unit cargo names without a hash
	 * (a cdylib) takes its -C metadata instead, so that two builds of it
	 * (other features, say) keep their outputs apart. */
	if (*ra->extra_filename || !ra->metadata)
		strbuf_addf(&p->id, "%s%s", ra->crate_name, ra->extra_filename);
	else
		strbuf_addf(&p->id, "%s-%s", ra->crate_name, ra->metadata);
	config_log_setup(cfg, p->id.buf);
	if (cfg->runner == RUNNER_NONE)
		return plan_pass(p, "CARGOGREEN_RUNNER=none");
	if (!cfg->incremental && wants_incremental(ra) && !base_is_derived(cfg)) {
		/* Its dependencies built on another base may not load or link on the host. */
		LOG(LOG_INFO, "%s: incremental, but the base is not the host-derived one: in the engine", p->id.buf);
	} else if (!cfg->incremental && wants_incremental(ra)) {
		/* What a developer edits (workspace members, path dependencies,
		 * in a profile with incremental on): the local rustc with its
		 * incremental state, as plain cargo, in a sandbox at the fixed
		 * paths (sandbox.h): keyed and stored as the engine's units. */
		p->j.local = p->j.self.local = 1;
		if (p->argv[0][0] != '/' || getenv(NO_SANDBOX_ENV))
			return plan_pass(p, p->argv[0][0] != '/' ? "rustc not named by its path" : NO_SANDBOX_ENV);
		LOG(LOG_INFO, "%s: compiled locally (incremental)", p->id.buf);
	}
	if (!stage_id_valid(p->id.buf))
		return plan_pass(p, "crate name not usable as a stage name");
	if (!cfg->cargo.manifest_dir || !cfg->cargo.pkg_name)
		return plan_pass(p, "not run by cargo (no CARGO_MANIFEST_DIR)");
	if (!getcwd(p->cwd, sizeof(p->cwd)))
		return plan_pass(p, "no current directory");
	return 0;
}

/* target: its target dir and out dir, its crate root, and the modes it
 * was seen to need (job.h). */
static int plan_target(struct plan *p)
{
	const char *manifest_dir = p->cfg->cargo.manifest_dir, *why = NULL;
	char *spelled, *n;
	int rc;

	/* Normalized: a ".." in --out-dir (CARGO_TARGET_DIR=a/../t) must not
	 * put records anywhere but where rustc's outputs go, in the target dir. */
	spelled = absolute(p->cwd, p->ra.out_dir);
	rc = job_set_target(&p->j, spelled, &p->out_dir, &why);
	free(spelled);
	if (rc < 0)
		return plan_pass(p, why);
	spelled = absolute(p->cwd, p->ra.input);
	n = path_normalize(spelled);
	free(spelled);
	p->input = n;
	if (strpbrk(p->cwd, "\t\n") || strpbrk(manifest_dir, "\t\n") || strpbrk(p->j.host_target, "\t\n"))
		return plan_pass(p, "a path with a tab or newline");

	/* What this crate was seen to need (job.h's modes). */
	p->j.modes = job_modes_load(p->j.host_target, p->id.buf);
	if (p->ra.input[0] != '/')
		p->ws_root = p->cwd; /* a workspace member: cwd is the workspace root */
	p->host_paths = !!(p->j.modes & JOB_MODE_HOST_PATHS);
	p->whole_ws = p->ws_root && (p->j.modes & JOB_MODE_WORKSPACE);
	if (p->host_paths && !path_dockerfile_safe(p->ws_root ? p->ws_root : manifest_dir))
		return plan_pass(p, "it reads its own host path, which has characters a Dockerfile path cannot hold");
	return 0;
}

/* paths: where everything is in the container: fixed paths, or the
 * sources at their host path for a unit that keeps it (JOB_MODE_HOST_PATHS). */
static int plan_paths(struct plan *p)
{
	struct job *j = &p->j;
	const char *manifest_dir = p->cfg->cargo.manifest_dir;
	char *ct_input, *ct_manifest;
	int ok;

	cargo_home(&p->home);
	pathmap_add(&j->pm, p->home.buf, CT_CARGO_HOME);
	if (p->ws_root) {
		pathmap_add(&j->pm, p->cwd, p->host_paths ? p->cwd : CT_WS);
	} else if (!path_under(manifest_dir, p->home.buf)) {
		struct strbuf ct = STRBUF_INIT;
		strbuf_addf(&ct, CT_PATHPKG "/%s", p->cfg->cargo.pkg_name);
		pathmap_add(&j->pm, manifest_dir, p->host_paths ? manifest_dir : ct.buf);
		strbuf_release(&ct);
	} else if (p->host_paths) {
		pathmap_add(&j->pm, manifest_dir, manifest_dir);
	}
	j->spec.workdir = pathmap_to_ct(&j->pm, p->cwd);
	ct_input = pathmap_to_ct(&j->pm, p->input);
	ct_manifest = pathmap_to_ct(&j->pm, manifest_dir);
	ok = ct_input && ct_manifest && j->spec.workdir && path_under(p->input, manifest_dir);
	free(ct_input);
	if (!ok) {
		free(ct_manifest);
		return plan_pass(p, "sources outside the package, the workspace and CARGO_HOME");
	}
	j->self.ctx_mount = ct_manifest;
	if (p->whole_ws) {
		/* It reads files of the workspace outside its package: all of it. */
		free(j->self.ctx_mount);
		j->self.ctx_mount = pathmap_to_ct(&j->pm, p->ws_root);
	}
	return 0;
}

/* deps: its direct dependencies, the records beside what --extern names,
 * and its build script's run (with what that run set for this compile). */
static int plan_deps(struct plan *p)
{
	const char *out_dir_env = p->cfg->cargo.out_dir;
	struct job *j = &p->j;
	char *rec;

	for (size_t i = 0; i < p->ra.nr; i++) {
		const char *path;
		char *np;
		if (p->ra.a[i].kind != ARG_EXTERN || !(path = extern_path(p->ra.a[i].value)))
			continue;
		np = path_normalize(path);
		if (!path_under(np, j->host_target)) {
			free(np);
			continue;
		}
		rec = unit_record_for_artifact(np);
		free(np);
		if (!rec || access(rec, F_OK)) {
			const char *why = rec ? dep_without_record(rec) : PASS_DEP_PLAIN;
			free(rec);
			return plan_pass(p, why);
		}
		if (strvec_find(&j->dep_records, rec) < 0)
			strvec_push(&j->dep_records, rec);
		free(rec);
	}
	if (out_dir_env) {
		struct strbuf opath = STRBUF_INIT, output = STRBUF_INIT;
		char *n = path_normalize(out_dir_env);
		rec = unit_record_for_out_dir(n);
		free(n);
		if (!rec || access(rec, F_OK)) {
			free(rec);
			return plan_pass(p, script_without_record(out_dir_env));
		}
		/* cargo:rustc-env=NAME=VALUE: cargo set NAME for this compile. */
		strbuf_addf(&opath, "%s/../output", out_dir_env); /* cargo keeps it beside OUT_DIR */
		if (strbuf_read_file(&output, opath.buf) == 0)
			env_from_build_output(output.buf, &p->rustc_env);
		strbuf_release(&opath);
		strbuf_release(&output);
		strvec_push(&j->dep_records, rec);
		free(rec);
	}
	return 0;
}

/* sources: registry crates as they are, path crates through a clean mirror
 * (with CARGOGREEN_INCREMENTAL, their incremental state in it). */
static int plan_sources(struct plan *p)
{
	const char *manifest_dir = p->cfg->cargo.manifest_dir;
	struct job *j = &p->j;
	struct strbuf reg = STRBUF_INIT, mirror = STRBUF_INIT;
	int ret = 0;

	j->self.id = xstrdup(p->id.buf);
	strbuf_addf(&mirror, "src-%s", p->id.buf);
	j->self.ctx_name = strbuf_detach(&mirror, NULL);
	j->self.ctx_origin = xstrdup(p->whole_ws ? p->ws_root : manifest_dir);
	j->self.ctx_full = p->whole_ws;
	j->self.ws_root = p->ws_root ? xstrdup(p->ws_root) : NULL;
	strbuf_addf(&reg, "%s/registry/src", p->home.buf);
	if (path_under(manifest_dir, reg.buf)) {
		j->self.ctx_dir = xstrdup(manifest_dir);
		goto out;
	}
	strbuf_addf(&mirror, "%s/cargo-green/src/%s", j->host_target, p->id.buf);
	if (job_mirror_sources(j->self.ctx_origin, mirror.buf, p->whole_ws, j->host_target, &p->err) < 0) {
		ret = plan_error(p, EXIT_IO);
		goto out;
	}
	j->self.ctx_dir = strbuf_detach(&mirror, NULL);
	j->direct = 1; /* its mirror holds its whole package: keyed on what it read too */
	if (p->cfg->incremental && incremental_in(j, &p->ra, &p->err) < 0)
		ret = plan_error(p, EXIT_IO);
out:
	strbuf_release(&reg);
	strbuf_release(&mirror);
	return ret;
}

/* command: rustc's command line at the container's paths, its environment,
 * and where its record and result go. */
static int plan_command(struct plan *p)
{
	struct job *j = &p->j;
	const struct rustc_args *ra = &p->ra;

	j->cfg = p->cfg;
	j->rustc = p->argv[0];
	j->spec.id = j->self.id;
	j->spec.ctx_name = j->self.ctx_name;
	j->spec.ctx_target = j->self.ctx_mount;
	j->spec.collect_dir = pathmap_to_ct(&j->pm, p->out_dir);
	j->spec.collect_new_only = 1;
	env_filter((const char **)environ, ENV_COMPILE | (p->host_paths ? ENV_HOST_PATHS : 0), &p->rustc_env, &j->pm,
		   &j->spec.env);
	if (j->local) {
		struct strbuf stem = STRBUF_INIT;
		/* Its incremental state stays in target/, seen at the fixed path. */
		for (size_t i = 0; i < ra->nr; i++)
			if (ra->a[i].kind == ARG_CODEGEN && starts_with(ra->a[i].value, "incremental=") &&
			    !(j->spec.incr_dir = pathmap_to_ct(&j->pm, ra->a[i].value + strlen("incremental="))))
				return plan_pass(p, "its incremental dir is outside the target dir");
		strbuf_addf(&stem, "%s%s", ra->crate_name, ra->extra_filename);
		j->out_stem = strbuf_detach(&stem, NULL);
	}
	strvec_push(&j->spec.argv, "rustc");
	for (size_t i = 0; i < ra->nr; i++)
		push_arg(j, &ra->a[i]);
	j->stderr_escape = ra->error_format_json ? ESCAPE_JSON : ESCAPE_NONE;
	j->record_path = unit_record_path(p->out_dir, ra->crate_name, ra->extra_filename);
	return 0;
}

/* shim: cargo will run a build script's binary; on the host it is a shim
 * that runs the real one in the engine. */
static int plan_shim(struct plan *p)
{
	struct job *j = &p->j;
	struct strbuf bin = STRBUF_INIT, shim = STRBUF_INIT;
	char *self;

	if (!rustc_args_is_build_script(&p->ra))
		return 0;
	self = self_exe_path();
	strbuf_addf(&bin, "%s/%s%s", p->out_dir, p->ra.crate_name, p->ra.extra_filename);
	j->shim_ct = pathmap_to_ct(&j->pm, bin.buf);
	strbuf_addstr(&shim, "#!/bin/sh\n# cargo-green: this build script runs in BuildKit.\nexec ");
	strbuf_add_shquoted(&shim, self);
	strbuf_addstr(&shim, " __build-script-run ");
	strbuf_add_shquoted(&shim, j->record_path);
	strbuf_addstr(&shim, " \"$@\"\n");
	j->shim_text = strbuf_detach(&shim, NULL);
	strbuf_release(&bin);
	free(self);
	return 0;
}

/* The job's outcome as this call's: its exit code, else a way to pass. */
static int plan_finish(struct plan *p, enum job_result r, int code, int *restart)
{
	const struct config *cfg = p->cfg;
	switch (r) {
	case JOB_RESTART:
		*restart = 1;
		return 0;
	case JOB_NO_CLOSURE:
		LOG(LOG_INFO, "%s: %s", p->id.buf, p->err.buf);
		return plan_pass(p, PASS_DEP_NOT_GREEN);
	case JOB_NO_STAGE:
		LOG(LOG_INFO, "%s: %s", p->id.buf, p->err.buf);
		return plan_pass(p, "a path or name not usable in a Dockerfile instruction");
	case JOB_NO_SANDBOX:
		/* The local rustc at host paths, as plain cargo: not stored. */
		warn_sandbox(cfg, p->err.buf);
		final_note_local(cfg, p->id.buf);
		return plan_pass(p, "no sandbox");
	case JOB_FAILED:
		if (!run_signal_caught()) /* an interrupted build says nothing: it ends by the signal */
			error("%s: %s", p->id.buf, p->err.buf);
		note_final(cfg, &p->j, &p->ra, p->out_dir, code ? code : 1);
		break;
	case JOB_DONE:
		note_final(cfg, &p->j, &p->ra, p->out_dir, code);
		break;
	}
	return code;
}

static int wrap_once(const struct config *cfg, int argc, const char **argv, int depth)
{
	struct plan p;
	enum job_result r;
	int ret = 0, code = 0, restart = 0;

	if (!strstr(path_basename(argv[0]), "rustc"))
		return passthrough(cfg, argv, "not rustc (a rustc driver such as clippy)", NULL);
	if (any_env_prefix("CARGO_CFG_"))
		return passthrough(cfg, argv, "called by a build script", NULL);

	plan_init(&p, cfg, argv);
	if (plan_route(&p, argc) < 0 || plan_target(&p) < 0 || plan_paths(&p) < 0 || plan_deps(&p) < 0 ||
	    plan_sources(&p) < 0 || plan_command(&p) < 0 || plan_shim(&p) < 0)
		goto stopped;
	r = job_run(&p.j, &code, &p.err);
	ret = plan_finish(&p, r, code, &restart);
	if (p.stop == PLAN_ON)
		goto out;
stopped:
	if (p.stop == PLAN_ERROR) {
		error("%s: %s", p.id.buf, p.err.buf);
		ret = p.status;
		goto out;
	}
	/* PLAN_PASS: the local rustc (in place of this process). */
	if (p.id.len)
		LOG(LOG_INFO, "%s: %s: %s", p.id.buf, p.j.local ? "compiled locally at host paths" : "passthrough", p.why);
	if (!p.ra.passthrough)
		forget_engine_record(&p.ra);
	ret = p.j.local ? exec_local(cfg, argv, STATS_INCREMENTAL, p.why, p.id.buf)
			: passthrough(cfg, argv, p.why, p.id.len ? p.id.buf : NULL);
out:
	plan_release(&p);
	if (restart)
		return job_may_restart(depth, argv[0]) ? wrap_once(cfg, argc, argv, depth + 1) : EXIT_ENGINE_FAILED;
	return ret;
}

int cmd_wrap(const struct config *cfg, int argc, const char **argv)
{
	return wrap_once(cfg, argc, argv, 0);
}
