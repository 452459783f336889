#include "buildscript.h"
#include "config.h"
#include "env.h"
#include "exitcode.h"
#include "job.h"
#include "log.h"
#include "unit.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Records of other build script runs whose OUT_DIR a DEP_* value names. */
static void links_deps(const char *host_target, struct strvec *records)
{
	for (char **e = environ; *e; e++) {
		const char *v = strchr(*e, '='), *p;
		if (!starts_with(*e, "DEP_") || !v)
			continue;
		for (p = strstr(v, host_target); p; p = strstr(p + 1, host_target)) {
			const char *b = strstr(p, "/build/"), *end;
			char *rec;
			if (!b)
				break;
			end = strchr(b + strlen("/build/"), '/');
			if (!end)
				continue;
			rec = unit_record_for_run_dir(p, (size_t)(end - p));
			if (!access(rec, F_OK) && strvec_find(records, rec) < 0)
				strvec_push(records, rec);
			free(rec);
		}
	}
}

int cmd_build_script_run(const struct config *cfg, int argc, const char **argv)
{
	struct unit compiled = UNIT_INIT;
	struct job j = JOB_INIT;
	struct strbuf err = STRBUF_INIT, home = STRBUF_INIT, id = STRBUF_INIT;
	const char *out_dir = getenv("OUT_DIR");
	char *bin = NULL, *run_dir = NULL;
	int ret, code = 0;

	if (argc < 1) {
		error("__build-script-run: no record given (this is cargo-green's build script shim)");
		return EXIT_USAGE;
	}
	if (!out_dir || out_dir[0] != '/') {
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
	log_setup(cfg, id.buf);
	if (!stage_id_valid(id.buf)) {
		error("build script run '%s': not usable as a stage name", id.buf);
		ret = EXIT_USAGE;
		goto out;
	}
	j.host_target = find_target_dir(out_dir);
	if (!j.host_target) {
		error("OUT_DIR '%s' is not in a cargo target dir", out_dir);
		ret = EXIT_USAGE;
		goto out;
	}

	cargo_home(&home);
	pathmap_add(&j.pm, j.host_target, CT_TARGET);
	pathmap_add(&j.pm, home.buf, CT_CARGO_HOME);
	if (!path_under(compiled.ctx_origin, home.buf))
		pathmap_add(&j.pm, compiled.ctx_origin, compiled.ctx_mount);

	j.cfg = cfg;
	j.rustc = getenv("RUSTC") && *getenv("RUSTC") ? getenv("RUSTC") : "rustc";
	j.self.id = strbuf_detach(&id, NULL);
	j.self.ctx_name = xstrdup(compiled.ctx_name);
	j.self.ctx_dir = xstrdup(compiled.ctx_dir);
	j.self.ctx_origin = xstrdup(compiled.ctx_origin);
	j.self.ctx_mount = xstrdup(compiled.ctx_mount);
	strvec_push(&j.dep_records, argv[0]);
	links_deps(j.host_target, &j.dep_records);

	bin = xstrndup(argv[0], strlen(argv[0]) - strlen(".green"));
	j.spec.id = j.self.id;
	j.spec.workdir = xstrdup(compiled.ctx_mount);
	j.spec.ctx_name = j.self.ctx_name;
	j.spec.ctx_target = j.self.ctx_mount;
	j.spec.ctx_rw = 1;
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

	ret = job_run(&j, &code, &err);
	if (ret == JOB_NO_CLOSURE)
		ret = EXIT_IO;
	if (ret)
		error("%s: %s", j.self.id, err.buf);
	else
		ret = code;
out:
	job_release(&j);
	unit_release(&compiled);
	free(bin);
	free(run_dir);
	strbuf_release(&err);
	strbuf_release(&home);
	strbuf_release(&id);
	return ret;
}
