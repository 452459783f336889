#include "buildscript.h"
#include "config.h"
#include "env.h"
#include "exitcode.h"
#include "final.h"
#include "internal.h"
#include "job.h"
#include "log.h"
#include "wrap.h"
#include "unit.h"
#include "run.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* Records of other build script runs whose OUT_DIR a DEP_* value names
 * (under the target dir, in any spelling of it the pathmap knows). */
static void links_deps(const struct pathmap *pm, struct strvec *records)
{
	for (char **e = environ; *e; e++) {
		const char *v = strchr(*e, '=');
		if (!starts_with(*e, "DEP_") || !v)
			continue;
		for (size_t t = 0; t < pm->host.nr; t++) {
			const char *host_target = pm->host.v[t], *p;
			if (strcmp(pm->ct.v[t], CT_TARGET))
				continue;
			for (p = strstr(v, host_target); p; p = strstr(p + 1, host_target)) {
				const char *b = strstr(p, "/build/"), *end;
				char *rec, *n;
				if (!b)
					break;
				end = strchr(b + strlen("/build/"), '/');
				if (!end)
					continue;
				rec = unit_record_for_run_dir(p, (size_t)(end - p));
				n = path_normalize(rec);
				if (!access(n, F_OK) && strvec_find(records, n) < 0)
					strvec_push(records, n);
				free(rec);
				free(n);
			}
		}
	}
}

/* The git work tree holding dir on the host (the first ancestor with a .git
 * directory), or NULL. Caller frees. */
static char *git_work_tree(const char *dir)
{
	struct strbuf p = STRBUF_INIT;
	char *d = dir && dir[0] == '/' ? xstrdup(dir) : NULL;
	while (d) {
		struct stat st;
		char *slash;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/.git", d);
		if (!stat(p.buf, &st) && S_ISDIR(st.st_mode))
			break;
		slash = strrchr(d, '/');
		if (!slash || slash == d) {
			free(d);
			d = NULL;
		} else {
			*slash = '\0';
		}
	}
	strbuf_release(&p);
	return d;
}

/* The run's context is the whole tree at origin (a workspace, or a git
 * work tree: kind is job_mirror_sources' whole_ws), mounted at mount
 * (taken), mirrored into the run's own source dir. 0, or -1 with err. */
static int whole_context(struct job *j, const char *id, const char *origin, char *mount, int kind, struct strbuf *err)
{
	struct strbuf dir = STRBUF_INIT;
	j->self.ctx_origin = xstrdup(origin);
	j->self.ctx_mount = mount;
	j->self.ctx_full = 1;
	pathmap_add(&j->pm, origin, mount);
	strbuf_addf(&dir, "%s/cargo-green/src/%s", j->host_target, id);
	if (job_mirror_sources(origin, dir.buf, kind, j->host_target, err) < 0) {
		strbuf_release(&dir);
		return -1;
	}
	j->self.ctx_dir = strbuf_detach(&dir, NULL);
	return 0;
}

/*
 * One build script run set up as a job, through named phases:
 *
 *   record   the shim's record of the compiled script: its sources and kind
 *   target   its OUT_DIR in the target dir, and its id (run-NAME-HASH)
 *   paths    where everything is in the container, and what it was seen
 *            to need (job.h's modes: git, the whole workspace)
 *   sources  its context: the compile's, or a whole tree mirrored
 *   command  the script's command line, environment and record
 *
 * Then job_run (job.c) does the rest. A phase returns 0, or -1 with the
 * whole message in p->err and an exit code in p->status: a run has no way
 * to pass (cargo runs the shim, not the script).
 */
struct run_plan {
	const struct config *cfg;
	int argc;
	const char **argv;          /* the record, then the script's own arguments */
	struct unit compiled;       /* the compiled script's record */
	struct job j;
	struct strbuf id, home, err;
	char *out_dir;              /* OUT_DIR, normalized */
	char *run_dir;              /* its parent, cargo's build/NAME-HASH */
	char *bin;                  /* the script's binary (beside its record) */
	int status;                 /* with -1: an exit code from exitcode.h */
};

static int run_fail(struct run_plan *p, int status)
{
	p->status = status;
	return -1;
}

static int run_plan_record(struct run_plan *p)
{
	const char *out_dir_env = p->cfg->cargo.out_dir;
	if (p->argc < 1) {
		strbuf_addstr(&p->err, "__build-script-run: no record given (this is cargo-green's build script shim)");
		return run_fail(p, EXIT_USAGE);
	}
	if (!out_dir_env || out_dir_env[0] != '/') {
		strbuf_addstr(&p->err, "__build-script-run: OUT_DIR is not set: only cargo runs build scripts");
		return run_fail(p, EXIT_USAGE);
	}
	if (p->cfg->runner == RUNNER_NONE) {
		strbuf_addstr(&p->err, "CARGOGREEN_RUNNER=none, but this build script was compiled for the engine by an earlier build (run cargo clean: switching runners needs a fresh build)");
		return run_fail(p, EXIT_USAGE);
	}
	if (unit_read(&p->compiled, p->argv[0], &p->err) < 0)
		return run_fail(p, EXIT_IO);
	if (!p->compiled.ctx_name) {
		strbuf_addf(&p->err, "%s: the build script's record has no sources", p->argv[0]);
		return run_fail(p, EXIT_IO);
	}
	return 0;
}

static int run_plan_target(struct run_plan *p)
{
	const char *why = NULL;
	size_t n;
	char *slash;

	/* Normalized (CARGO_TARGET_DIR=a/../t): nothing lands outside the target dir. */
	if (job_set_target(&p->j, p->cfg->cargo.out_dir, &p->out_dir, &why) < 0) {
		strbuf_addf(&p->err, "OUT_DIR '%s': %s", p->cfg->cargo.out_dir, why);
		return run_fail(p, EXIT_USAGE);
	}
	p->run_dir = xstrdup(p->out_dir);
	n = strlen(p->run_dir);
	while (n > 1 && p->run_dir[n - 1] == '/')
		p->run_dir[--n] = '\0';
	if ((slash = strrchr(p->run_dir, '/')))
		*slash = '\0';
	strbuf_addf(&p->id, "run-%s", path_basename(p->run_dir));
	config_log_setup(p->cfg, p->id.buf);
	if (!stage_id_valid(p->id.buf)) {
		strbuf_addf(&p->err, "build script run '%s': not usable as a stage name", p->id.buf);
		return run_fail(p, EXIT_USAGE);
	}
	return 0;
}

static int run_plan_paths(struct run_plan *p)
{
	struct job *j = &p->j;
	const struct unit *c = &p->compiled;

	cargo_home(&p->home);
	pathmap_add(&j->pm, p->home.buf, CT_CARGO_HOME);
	j->modes = job_modes_load(j->host_target, p->id.buf);
	if (!path_under(c->ctx_origin, p->home.buf))
		j->git_root = git_work_tree(p->cfg->cargo.manifest_dir);
	if (!j->git_root || !path_dockerfile_safe(j->git_root))
		j->modes &= ~(unsigned)JOB_MODE_GIT;
	if (!(j->modes & JOB_MODE_GIT) && (!path_under(c->ctx_origin, p->home.buf) || !strcmp(c->ctx_origin, c->ctx_mount)))
		pathmap_add(&j->pm, c->ctx_origin, c->ctx_mount);
	return 0;
}

static int run_plan_sources(struct run_plan *p)
{
	struct job *j = &p->j;
	const struct unit *c = &p->compiled;
	struct strbuf why = STRBUF_INIT;

	j->cfg = p->cfg;
	j->rustc = p->cfg->cargo.rustc ? p->cfg->cargo.rustc : "rustc";
	j->self.ctx_name = xstrdup(c->ctx_name);
	j->self.ws_root = c->ws_root ? xstrdup(c->ws_root) : NULL;
	if (j->modes & JOB_MODE_GIT) {
		/* It runs git: the whole work tree, .git included, at its host path. */
		if (whole_context(j, p->id.buf, j->git_root, xstrdup(j->git_root), JOB_MIRROR_GIT, &why) < 0)
			goto io;
		j->spec.git_trust = 1;
	} else if (c->ws_root && (j->modes & JOB_MODE_WORKSPACE)) {
		/* It reads files of the workspace outside its package: all of it,
		 * where the compile's paths put it. */
		const char *rel = path_under(c->ctx_origin, c->ws_root);
		size_t ml = strlen(c->ctx_mount), rl = rel ? strlen(rel) : 0;
		if (!rel || rl > ml || strcmp(c->ctx_mount + ml - rl, rel)) {
			strbuf_addf(&p->err, "%s: its sources are not where its workspace is (%s)", p->id.buf, c->ws_root);
			return run_fail(p, EXIT_USAGE);
		}
		if (whole_context(j, p->id.buf, c->ws_root, xstrndup(c->ctx_mount, ml - rl), 1, &why) < 0)
			goto io;
	} else {
		j->self.ctx_dir = xstrdup(c->ctx_dir);
		j->self.ctx_origin = xstrdup(c->ctx_origin);
		j->self.ctx_mount = xstrdup(c->ctx_mount);
		/* A path package's mirror: keyed on what its rerun-if-changed names too (direct.h). */
		j->direct = path_under(j->self.ctx_dir, j->host_target) != NULL;
	}
	j->self.id = xstrdup(p->id.buf);
	strvec_push(&j->dep_records, p->argv[0]);
	links_deps(&j->pm, &j->dep_records);
	return 0;
io:
	strbuf_addf(&p->err, "%s: %s", p->id.buf, why.buf);
	strbuf_release(&why);
	return run_fail(p, EXIT_IO);
}

static int run_plan_command(struct run_plan *p)
{
	struct job *j = &p->j;
	const char *md = p->cfg->cargo.manifest_dir;
	char *ct_bin;

	p->bin = xstrndup(p->argv[0], strlen(p->argv[0]) - strlen(".green"));
	j->spec.id = j->self.id;
	/* cargo runs a build script in its package's directory. */
	j->spec.workdir = md ? pathmap_to_ct(&j->pm, md) : NULL;
	if (!j->spec.workdir)
		j->spec.workdir = xstrdup(p->compiled.ctx_mount);
	j->spec.ctx_name = j->self.ctx_name;
	j->spec.ctx_target = j->self.ctx_mount;
	j->spec.ctx_rw = 1;
	j->spec.git_probe = !(j->modes & JOB_MODE_GIT);
	j->spec.collect_dir = pathmap_to_ct(&j->pm, p->out_dir);
	j->spec.collect_new_only = 0;
	env_filter((const char **)environ, ENV_BUILD_SCRIPT, NULL, &j->pm, &j->spec.env);
	ct_bin = pathmap_to_ct(&j->pm, p->bin);
	if (!ct_bin || !j->spec.collect_dir) {
		free(ct_bin);
		strbuf_addf(&p->err, "%s: the build script is not in the target dir", p->bin);
		return run_fail(p, EXIT_USAGE);
	}
	strvec_push(&j->spec.argv, ct_bin);
	free(ct_bin);
	for (int i = 1; i < p->argc; i++)
		strvec_push(&j->spec.argv, p->argv[i]);
	j->record_path = unit_record_for_run_dir(p->run_dir, strlen(p->run_dir));
	j->stderr_escape = ESCAPE_NONE;
	/* A build script the local rustc compiled (a workspace or path crate's,
	 * incremental): it runs in the same sandbox, as fast as cargo runs it,
	 * keyed and stored alike (cargo runs it again on every edit of its
	 * package when it names no rerun-if-changed). */
	j->local = j->self.local = p->compiled.local && !getenv(NO_SANDBOX_ENV);
	return 0;
}

static int run_once(const struct config *cfg, int argc, const char **argv, int depth)
{
	struct run_plan p = { .cfg = cfg, .argc = argc, .argv = argv, .compiled = UNIT_INIT, .j = JOB_INIT,
			      .id = STRBUF_INIT, .home = STRBUF_INIT, .err = STRBUF_INIT };
	enum job_result r;
	int ret, code = 0, restart = 0;

	if (run_plan_record(&p) < 0 || run_plan_target(&p) < 0 || run_plan_paths(&p) < 0 ||
	    run_plan_sources(&p) < 0 || run_plan_command(&p) < 0) {
		error("%s", p.err.buf);
		ret = p.status;
		goto out;
	}
	r = job_run(&p.j, &code, &p.err);
	switch (r) {
	case JOB_RESTART:
		restart = 1;
		ret = 0;
		goto out;
	case JOB_NO_CLOSURE:
	case JOB_NO_STAGE:
	case JOB_NO_SANDBOX: /* (a run is never local) */
		code = EXIT_IO;
		/* fallthrough */
	case JOB_FAILED:
		if (!run_signal_caught()) /* an interrupted run says nothing: it ends by the signal */
			error("%s: %s", p.j.self.id, p.err.buf);
		final_note(cfg, &p.j.self, p.j.record_path, code ? code : 1, NULL, NULL);
		break;
	case JOB_DONE:
		final_note(cfg, &p.j.self, p.j.record_path, code, NULL, NULL);
		break;
	}
	ret = code;
out:
	job_release(&p.j);
	unit_release(&p.compiled);
	free(p.bin);
	free(p.run_dir);
	free(p.out_dir);
	strbuf_release(&p.err);
	strbuf_release(&p.home);
	strbuf_release(&p.id);
	if (restart)
		return job_may_restart(depth, argv[0]) ? run_once(cfg, argc, argv, depth + 1) : EXIT_ENGINE_FAILED;
	return ret;
}

int cmd_build_script_run(const struct config *cfg, int argc, const char **argv)
{
	return run_once(cfg, argc, argv, 0);
}
