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

static int run_once(const struct config *cfg, int argc, const char **argv, int depth)
{
	struct unit compiled = UNIT_INIT;
	struct job j = JOB_INIT;
	struct strbuf err = STRBUF_INIT, home = STRBUF_INIT, id = STRBUF_INIT;
	const char *out_dir_env = cfg->cargo.out_dir, *why = NULL;
	char *bin = NULL, *run_dir = NULL, *out_dir = NULL;
	int ret, code = 0, restart = 0;

	if (argc < 1) {
		error("__build-script-run: no record given (this is cargo-green's build script shim)");
		return EXIT_USAGE;
	}
	if (!out_dir_env || out_dir_env[0] != '/') {
		error("__build-script-run: OUT_DIR is not set: only cargo runs build scripts");
		return EXIT_USAGE;
	}
	if (cfg->runner == RUNNER_NONE) {
		error("CARGOGREEN_RUNNER=none, but this build script was compiled for the engine by an earlier build (run cargo clean: switching runners needs a fresh build)");
		return EXIT_USAGE;
	}
	if (unit_read(&compiled, argv[0], &err) < 0) {
		error("%s", err.buf);
		ret = EXIT_IO;
		goto out;
	}
	if (!compiled.ctx_name) {
		error("%s: the build script's record has no sources", argv[0]);
		ret = EXIT_IO;
		goto out;
	}

	/* Normalized (CARGO_TARGET_DIR=a/../t): nothing lands outside the target dir. */
	if (job_set_target(&j, out_dir_env, &out_dir, &why) < 0) {
		error("OUT_DIR '%s': %s", out_dir_env, why);
		ret = EXIT_USAGE;
		goto out;
	}
	run_dir = xstrdup(out_dir);
	{
		size_t n = strlen(run_dir);
		while (n > 1 && run_dir[n - 1] == '/')
			run_dir[--n] = '\0';
		char *slash = strrchr(run_dir, '/');
		if (slash)
			*slash = '\0';
	}
	strbuf_addf(&id, "run-%s", path_basename(run_dir));
	config_log_setup(cfg, id.buf);
	if (!stage_id_valid(id.buf)) {
		error("build script run '%s': not usable as a stage name", id.buf);
		ret = EXIT_USAGE;
		goto out;
	}

	cargo_home(&home);
	pathmap_add(&j.pm, home.buf, CT_CARGO_HOME);
	j.modes = job_modes_load(j.host_target, id.buf);
	if (!path_under(compiled.ctx_origin, home.buf))
		j.git_root = git_work_tree(cfg->cargo.manifest_dir);
	if (!j.git_root || !path_dockerfile_safe(j.git_root))
		j.modes &= ~(unsigned)JOB_MODE_GIT;
	if (!(j.modes & JOB_MODE_GIT) &&
	    (!path_under(compiled.ctx_origin, home.buf) || !strcmp(compiled.ctx_origin, compiled.ctx_mount)))
		pathmap_add(&j.pm, compiled.ctx_origin, compiled.ctx_mount);

	j.cfg = cfg;
	j.rustc = cfg->cargo.rustc ? cfg->cargo.rustc : "rustc";
	j.self.ctx_name = xstrdup(compiled.ctx_name);
	j.self.ws_root = compiled.ws_root ? xstrdup(compiled.ws_root) : NULL;
	if (j.modes & JOB_MODE_GIT) {
		/* It runs git: the whole work tree, .git included, at its host path. */
		if (whole_context(&j, id.buf, j.git_root, xstrdup(j.git_root), JOB_MIRROR_GIT, &err) < 0) {
			error("%s: %s", id.buf, err.buf);
			ret = EXIT_IO;
			goto out;
		}
		j.spec.git_trust = 1;
	} else if (compiled.ws_root && (j.modes & JOB_MODE_WORKSPACE)) {
		/* It reads files of the workspace outside its package: all of it,
		 * where the compile's paths put it. */
		const char *rel = path_under(compiled.ctx_origin, compiled.ws_root);
		size_t ml = strlen(compiled.ctx_mount), rl = rel ? strlen(rel) : 0;
		if (!rel || rl > ml || strcmp(compiled.ctx_mount + ml - rl, rel)) {
			error("%s: its sources are not where its workspace is (%s)", id.buf, compiled.ws_root);
			ret = EXIT_USAGE;
			goto out;
		}
		if (whole_context(&j, id.buf, compiled.ws_root, xstrndup(compiled.ctx_mount, ml - rl), 1, &err) < 0) {
			error("%s: %s", id.buf, err.buf);
			ret = EXIT_IO;
			goto out;
		}
	} else {
		j.self.ctx_dir = xstrdup(compiled.ctx_dir);
		j.self.ctx_origin = xstrdup(compiled.ctx_origin);
		j.self.ctx_mount = xstrdup(compiled.ctx_mount);
		/* A path package's mirror: keyed on what its rerun-if-changed names too (direct.h). */
		j.direct = path_under(j.self.ctx_dir, j.host_target) != NULL;
	}
	j.self.id = strbuf_detach(&id, NULL);
	strvec_push(&j.dep_records, argv[0]);
	links_deps(&j.pm, &j.dep_records);

	bin = xstrndup(argv[0], strlen(argv[0]) - strlen(".green"));
	j.spec.id = j.self.id;
	{
		/* cargo runs a build script in its package's directory. */
		const char *md = cfg->cargo.manifest_dir;
		j.spec.workdir = md ? pathmap_to_ct(&j.pm, md) : NULL;
		if (!j.spec.workdir)
			j.spec.workdir = xstrdup(compiled.ctx_mount);
	}
	j.spec.ctx_name = j.self.ctx_name;
	j.spec.ctx_target = j.self.ctx_mount;
	j.spec.ctx_rw = 1;
	j.spec.git_probe = !(j.modes & JOB_MODE_GIT);
	j.spec.collect_dir = pathmap_to_ct(&j.pm, out_dir);
	j.spec.collect_new_only = 0;
	env_filter((const char **)environ, ENV_BUILD_SCRIPT, NULL, &j.pm, &j.spec.env);
	{
		char *ct_bin = pathmap_to_ct(&j.pm, bin);
		if (!ct_bin || !j.spec.collect_dir) {
			free(ct_bin);
			error("%s: the build script is not in the target dir", bin);
		ret = EXIT_USAGE;
			goto out;
		}
		strvec_push(&j.spec.argv, ct_bin);
		free(ct_bin);
	}
	for (int i = 1; i < argc; i++)
		strvec_push(&j.spec.argv, argv[i]);
	j.record_path = unit_record_for_run_dir(run_dir, strlen(run_dir));
	j.stderr_escape = ESCAPE_NONE;
	/* A build script the local rustc compiled (a workspace or path crate's,
	 * incremental): it runs in the same sandbox, as fast as cargo runs it,
	 * keyed and stored alike (cargo runs it again on every edit of its
	 * package when it names no rerun-if-changed). */
	j.local = j.self.local = compiled.local && !getenv(NO_SANDBOX_ENV);

	switch (job_run(&j, &code, &err)) {
	case JOB_RESTART:
		restart = 1;
		goto out;
	case JOB_NO_CLOSURE:
	case JOB_NO_STAGE:
	case JOB_NO_SANDBOX: /* (a run is never local) */
		code = EXIT_IO;
		/* fallthrough */
	case JOB_FAILED:
		if (!run_signal_caught()) /* an interrupted run says nothing: it ends by the signal */
			error("%s: %s", j.self.id, err.buf);
		final_note(cfg, &j.self, j.record_path, code ? code : 1, NULL, NULL);
		break;
	case JOB_DONE:
		final_note(cfg, &j.self, j.record_path, code, NULL, NULL);
		break;
	}
	ret = code;
out:
	job_release(&j);
	unit_release(&compiled);
	free(bin);
	free(run_dir);
	free(out_dir);
	strbuf_release(&err);
	strbuf_release(&home);
	strbuf_release(&id);
	if (restart)
		return job_may_restart(depth, argv[0]) ? run_once(cfg, argc, argv, depth + 1) : EXIT_ENGINE_FAILED;
	return ret;
}

int cmd_build_script_run(const struct config *cfg, int argc, const char **argv)
{
	return run_once(cfg, argc, argv, 0);
}
