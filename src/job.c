#include "job.h"
#include "base.h"
#include "config.h"
#include "engine.h"
#include "exitcode.h"
#include "fs.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void job_release(struct job *j)
{
	free(j->host_target);
	pathmap_release(&j->pm);
	stage_spec_release(&j->spec);
	unit_release(&j->self);
	strvec_clear(&j->dep_records);
	free(j->record_path);
	free(j->shim_ct);
	free(j->shim_text);
}

char *find_target_dir(const char *path)
{
	char *p = xstrdup(path);
	for (;;) {
		/* cargo marks its target dirs with CACHEDIR.TAG; cargo install's
		 * temporary one only has cargo's .rustc_info.json. */
		struct strbuf tag = STRBUF_INIT, info = STRBUF_INIT;
		char *slash;
		strbuf_addf(&tag, "%s/CACHEDIR.TAG", p);
		strbuf_addf(&info, "%s/.rustc_info.json", p);
		int found = !access(tag.buf, F_OK) || !access(info.buf, F_OK);
		strbuf_release(&tag);
		strbuf_release(&info);
		if (found)
			return p;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = '\0';
	}
	free(p);
	return NULL;
}

int job_mirror_sources(const char *src, const char *dst, const char *host_target, struct strbuf *err)
{
	struct strvec names = STRVEC_INIT, paths = STRVEC_INIT;
	int ret;
	strvec_push(&names, ".git");
	strvec_push(&names, "target");
	strvec_push(&paths, host_target);
	ret = mirror_tree(src, dst, &names, &paths, err);
	strvec_clear(&names);
	strvec_clear(&paths);
	return ret;
}

void stats_record(const struct config *cfg, const char *kind, const char *id, const char *detail,
		  long long total_ns, long long engine_ns)
{
	struct strbuf line = STRBUF_INIT;
	int fd;
	if (!cfg->stats_path)
		return;
	strbuf_addf(&line, "%s\t%s\t%s\t%lld\t%lld\n", kind, id, detail ? detail : "",
		    total_ns / 1000, engine_ns / 1000);
	fd = open(cfg->stats_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		write_all(fd, line.buf, line.len);
		close(fd);
	}
	strbuf_release(&line);
}

struct land {
	struct job *j;
	const char *root;
	struct strbuf *err;
	int landed;
};

static int land_one(const char *root, const char *rel, void *data)
{
	struct land *l = data;
	struct strbuf src = STRBUF_INIT, ct = STRBUF_INIT, body = STRBUF_INIT, fixed = STRBUF_INIT;
	char *host = NULL;
	int ret = -1;

	strbuf_addf(&src, "%s/%s", root, rel);
	strbuf_addf(&ct, CT_TARGET "/%s", rel);
	host = pathmap_to_host(&l->j->pm, ct.buf);
	if (!host) {
		strbuf_addf(l->err, "the engine produced '%s', which has no place on the host", ct.buf);
		goto out;
	}
	if (l->j->shim_ct && !strcmp(ct.buf, l->j->shim_ct)) {
		/* The build script's real binary stays in the engine; cargo runs the shim. */
		if (write_file_atomic(src.buf, l->j->shim_text, strlen(l->j->shim_text), 0755) < 0)
			goto io;
	} else if (ends_with(rel, ".d")) {
		/* dep-info names container paths: cargo must see the host's. */
		if (strbuf_read_file(&body, src.buf) < 0)
			goto io;
		pathmap_rewrite(&l->j->pm, 1, ESCAPE_MAKE, body.buf, body.len, &fixed);
		if (write_file_atomic(src.buf, fixed.buf, fixed.len, 0644) < 0)
			goto io;
	}
	{
		char *slash = strrchr(host, '/');
		*slash = '\0';
		if (mkdir_p(host, 0755) < 0)
			goto io;
		*slash = '/';
	}
	/* Fresh mtimes: a cache hit must not look older than its dependencies. */
	if (utimensat(AT_FDCWD, src.buf, NULL, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
		goto io;
	if (rename(src.buf, host) < 0)
		goto io;
	LOG(LOG_TRACE, "landed %s", host);
	l->landed++;
	ret = 0;
	goto out;
io:
	strbuf_addf(l->err, "cannot land '%s': %s", host ? host : src.buf, strerror(errno));
out:
	free(host);
	strbuf_release(&src);
	strbuf_release(&ct);
	strbuf_release(&body);
	strbuf_release(&fixed);
	return ret;
}

static void add_context(struct strvec *contexts, struct strvec *names, const struct unit *u,
			const char *host_target, struct strbuf *warn)
{
	if (!u->ctx_name || strvec_find(names, u->ctx_name) >= 0)
		return;
	strvec_push(names, u->ctx_name);
	if (access(u->ctx_dir, F_OK) && strcmp(u->ctx_dir, u->ctx_origin))
		job_mirror_sources(u->ctx_origin, u->ctx_dir, host_target, warn);
	strvec_pushf(contexts, "%s=%s", u->ctx_name, u->ctx_dir);
}

static void replay(const char *path, int fd, const struct pathmap *pm, enum rewrite_escape esc)
{
	struct strbuf raw = STRBUF_INIT, out = STRBUF_INIT;
	if (strbuf_read_file(&raw, path) == 0 && raw.len) {
		pathmap_rewrite(pm, 1, esc, raw.buf, raw.len, &out);
		write_all(fd, out.buf, out.len);
	}
	strbuf_release(&raw);
	strbuf_release(&out);
}

int job_run(struct job *j, int *exit_code, struct strbuf *err)
{
	struct closure cl = CLOSURE_INIT;
	struct engine_build b = ENGINE_BUILD_INIT;
	struct strbuf df = STRBUF_INIT, own = STRBUF_INIT, base = STRBUF_INIT, work = STRBUF_INIT,
		      dfpath = STRBUF_INIT, logpath = STRBUF_INIT, tmp = STRBUF_INIT, empty = STRBUF_INIT,
		      p = STRBUF_INIT, code = STRBUF_INIT, target = STRBUF_INIT, watch = STRBUF_INIT;
	struct strvec ctx_names = STRVEC_INIT;
	const char *id = j->spec.id;
	long long t0 = now_ns(), te = 0;
	int ret = 0, cached = 0, use_store = 0;
	char key[STORE_KEY_HEX];

	if (closure_collect(&cl, &j->dep_records, err) < 0) {
		ret = JOB_NO_CLOSURE;
		goto out;
	}
	for (size_t i = 0; i < j->dep_records.nr; i++) {
		int k = strvec_find(&cl.paths, j->dep_records.v[i]);
		if (k < 0)
			BUG("direct dependency missing from its closure");
		if (strvec_find(&j->spec.deps, cl.units[k].id) < 0)
			strvec_push(&j->spec.deps, cl.units[k].id);
	}
	strvec_sort(&j->spec.deps);
	{
		/* One mount per source dir of the closure (a package's lib and build
		 * script share one), never over the unit's own. */
		struct strvec targets = STRVEC_INIT;
		if (j->self.ctx_mount)
			strvec_push(&targets, j->self.ctx_mount);
		for (size_t i = 0; i < cl.nr; i++) {
			const struct unit *u = &cl.units[i];
			if (!u->ctx_name || strvec_find(&targets, u->ctx_mount) >= 0)
				continue;
			strvec_push(&targets, u->ctx_mount);
			strvec_pushf(&j->spec.dep_mounts, "%s=%s", u->ctx_name, u->ctx_mount);
		}
		strvec_clear(&targets);
	}
	stage_render(&j->spec, &own);
	j->self.stage = xstrdup(own.buf);
	strvec_clear(&j->self.deps);
	for (size_t i = 0; i < j->dep_records.nr; i++)
		strvec_push(&j->self.deps, j->dep_records.v[i]);

	if ((ret = base_ensure(j->cfg, j->rustc, 0, &base, NULL, err)))
		goto out;

	strbuf_addf(&df, "# cargo-green: %s\nFROM %s AS rust-base\n", id, base.buf);
	for (size_t i = 0; i < cl.nr; i++)
		strbuf_addstr(&df, cl.units[i].stage);
	strbuf_addbuf(&df, &own);

	strbuf_addf(&work, "%s/cargo-green", j->host_target);
	strbuf_addf(&dfpath, "%s/df/%s.Dockerfile", work.buf, id);
	strbuf_addf(&logpath, "%s/log/%s.log", work.buf, id);
	strbuf_addf(&tmp, "%s/tmp/%s.%ld", work.buf, id, (long)getpid());
	strbuf_addf(&empty, "%s/empty", work.buf);
	for (const char **sub = (const char *[]){ "df", "log", "tmp", "empty", NULL }; *sub; sub++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", work.buf, *sub);
		mkdir_p(p.buf, 0755);
	}
	if (write_file_atomic(dfpath.buf, df.buf, df.len, 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", dfpath.buf, strerror(errno));
		ret = EXIT_IO;
		goto out;
	}

	for (size_t i = 0; i < cl.nr; i++)
		add_context(&b.contexts, &ctx_names, &cl.units[i], j->host_target, err);
	add_context(&b.contexts, &ctx_names, &j->self, j->host_target, err);
	if (err->len) {
		ret = EXIT_IO;
		goto out;
	}
	strbuf_addf(&target, "o-%s", id);
	strbuf_addf(&watch, "u-%s", id);
	b.dockerfile = dfpath.buf;
	b.target = target.buf;
	b.main_ctx = empty.buf;
	b.out_dir = tmp.buf;
	b.log_path = logpath.buf;
	b.watch_stage = watch.buf;
	rm_rf(tmp.buf);

	/* The local store: the same inputs as a build BuildKit already did, its outputs. */
	{
		const char *pin = getenv(BASE_PIN_ENV), *tab = pin ? strchr(pin, '\t') : NULL;
		use_store = tab && !getenv(NO_STORE_ENV) && (size_t)(tab - pin) == base.len &&
			    !strncmp(pin, base.buf, base.len);
		if (use_store && store_key(df.buf, tab + 1, target.buf, &b.contexts, key, err) < 0) {
			LOG(LOG_WARN, "%s: no local store: %s", id, err->buf);
			strbuf_reset(err);
			use_store = 0;
		}
		if (use_store && store_lookup(key, tmp.buf))
			cached = 2;
	}
	if (cached != 2) {
		te = now_ns();
		ret = engine_build(&b, &cached, err);
		te = now_ns() - te;
		if (ret)
			goto out;
		if (use_store)
			store_save(key, tmp.buf);
	}

	strbuf_reset(&p);
	strbuf_addf(&p, "%s/green/%s.code", tmp.buf, id);
	if (strbuf_read_file(&code, p.buf) < 0 || !code.len) {
		strbuf_addf(err, "the engine ran %s but returned no exit code (full log: %s)", id, logpath.buf);
		ret = EXIT_ENGINE_FAILED;
		goto out;
	}
	*exit_code = atoi(code.buf);

	if (*exit_code == 0) {
		struct land l = { j, NULL, err, 0 };
		strbuf_reset(&p);
		strbuf_addf(&p, "%s%s", tmp.buf, CT_TARGET);
		l.root = p.buf;
		if (!access(p.buf, F_OK) && tree_walk(p.buf, land_one, &l)) {
			if (!err->len)
				strbuf_addf(err, "cannot land the outputs of %s", id);
			ret = EXIT_IO;
			goto out;
		}
		if (unit_write(&j->self, j->record_path, err) < 0) {
			ret = EXIT_IO;
			goto out;
		}
	}
	{
		static const char *kinds[] = { "miss", "hit", "local" };
		LOG(LOG_INFO, "%s: %s, exit %d, engine %lld ms", id, kinds[cached], *exit_code, te / 1000000);
		stats_record(j->cfg, kinds[cached], id, NULL, now_ns() - t0, te);
	}

	/* Only now, with the outputs in place: cargo starts dependents on what it reads here. */
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/green/%s.stdout", tmp.buf, id);
	replay(p.buf, 1, &j->pm, ESCAPE_NONE);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/green/%s.stderr", tmp.buf, id);
	replay(p.buf, 2, &j->pm, j->stderr_escape);
out:
	if (ret > 0)
		stats_record(j->cfg, "fail", id, NULL, now_ns() - t0, te);
	if (tmp.len)
		rm_rf(tmp.buf);
	closure_release(&cl);
	engine_build_release(&b);
	strvec_clear(&ctx_names);
	strbuf_release(&df);
	strbuf_release(&own);
	strbuf_release(&base);
	strbuf_release(&work);
	strbuf_release(&dfpath);
	strbuf_release(&logpath);
	strbuf_release(&tmp);
	strbuf_release(&empty);
	strbuf_release(&p);
	strbuf_release(&code);
	strbuf_release(&target);
	strbuf_release(&watch);
	return ret;
}
