#include "job.h"
#include "base.h"
#include "cache.h"
#include "config.h"
#include "depsdir.h"
#include "direct.h"
#include "dockerctx.h"
#include "engine.h"
#include "env.h"
#include "exitcode.h"
#include "explain.h"
#include "final.h"
#include "fs.h"
#include "internal.h"
#include "land.h"
#include "learn.h"
#include "log.h"
#include "remote.h"
#include "sandbox.h"
#include "sha256.h"
#include "stats.h"
#include "store.h"
#include "storemeta.h"
#include "util.h"
#include "verify.h"
#include "banned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
	free(j->incr_host);
	free(j->git_root);
	free(j->out_stem);
	strvec_clear(&j->learned_env);
	strvec_clear(&j->learned_apt);
}

int job_set_target(struct job *j, const char *dir, char **norm, const char **why)
{
	char *n = path_normalize(dir), *spelled;
	struct stat a, b;
	*norm = NULL;
	if (strcmp(n, dir) && (stat(dir, &a) < 0 || stat(n, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
		/* A ".." after a symlink: the text is not where the kernel goes. */
		free(n);
		*why = "the out dir has a '..' after a symlink";
		return -1;
	}
	j->host_target = find_target_dir(n);
	if (!j->host_target) {
		free(n);
		*why = "the out dir is not in a cargo target dir";
		return -1;
	}
	/* cargo's own spelling first: what comes back (dep-info, diagnostics,
	 * artifacts) names the target dir as rustc would have; it is the same
	 * directory (checked above). The normalized one maps too. */
	spelled = path_spelled_prefix(dir, j->host_target);
	if (spelled && strcmp(spelled, j->host_target))
		pathmap_add(&j->pm, spelled, CT_TARGET);
	pathmap_add(&j->pm, j->host_target, CT_TARGET);
	free(spelled);
	*norm = n;
	return 0;
}

int job_mirror_sources(const char *src, const char *dst, int whole_ws, const char *host_target, struct strbuf *err)
{
	struct strvec names = STRVEC_INIT, paths = STRVEC_INIT;
	int ret;
	if (whole_ws != JOB_MIRROR_GIT)
		strvec_push(&names, ".git");
	strvec_push(&names, "target");
	strvec_push(&paths, host_target);
	ret = mirror_tree(src, dst, whole_ws, &names, &paths, err);
	strvec_clear(&names);
	strvec_clear(&paths);
	return ret;
}

static void add_context(struct strvec *contexts, struct strvec *names, const struct unit *u,
			const char *host_target, struct strbuf *warn)
{
	if (!u->ctx_name || strvec_find(names, u->ctx_name) >= 0)
		return;
	strvec_push(names, u->ctx_name);
	if (access(u->ctx_dir, F_OK) && strcmp(u->ctx_dir, u->ctx_origin))
		job_mirror_sources(u->ctx_origin, u->ctx_dir, u->ctx_full, host_target, warn);
	strvec_pushf(contexts, "%s=%s", u->ctx_name, u->ctx_dir);
}

/* CARGOGREEN_WITH_NETWORK and CARGOGREEN_SET_ENVS on the stage: plain
 * values join its environment (and so its text); secret-looking ones become
 * BuildKit secrets, their "NAME=value" kept in secrets for the build only,
 * the stage carrying a keyed digest of the value so that a change rebuilds. */
static int apply_settings(struct job *j, struct strvec *secrets, struct strbuf *err)
{
	struct strvec names = STRVEC_INIT;
	int ret = 0;
	j->spec.network = cfg_get(j->cfg, S_WITH_NETWORK);
	strvec_clear(&j->spec.secrets);
	strvec_clear(secrets);
	strvec_pushv(&names, cfg_list(j->cfg, S_SET_ENVS)->v);
	for (size_t i = 0; i < j->learned_env.nr; i++)
		if (strvec_find(&names, j->learned_env.v[i]) < 0)
			strvec_push(&names, j->learned_env.v[i]);
	for (size_t i = 0; i < names.nr; i++) {
		const char *v = getenv(names.v[i]);
		size_t n = strlen(names.v[i]);
		if (!v) {
			if (strvec_find(cfg_list(j->cfg, S_SET_ENVS), names.v[i]) >= 0)
				LOG(LOG_WARN, "%s: %s is in CARGOGREEN_SET_ENVS but not set", j->spec.id, names.v[i]);
			continue;
		}
		for (size_t k = 0; k < j->spec.env.nr; k++)
			if (!strncmp(j->spec.env.v[k], names.v[i], n) && j->spec.env.v[k][n] == '=') {
				free((char *)j->spec.env.v[k]);
				memmove(&j->spec.env.v[k], &j->spec.env.v[k + 1], (j->spec.env.nr - k) * sizeof(char *));
				j->spec.env.nr--;
				break;
			}
		if (env_name_is_secret(names.v[i])) {
			char digest[17];
			if (store_secret_digest(names.v[i], v, digest, err) < 0) {
				ret = -1;
				break;
			}
			strvec_pushf(&j->spec.secrets, "%s:%s", names.v[i], digest);
			strvec_pushf(secrets, "%s=%s", names.v[i], v);
		} else {
			strvec_pushf(&j->spec.env, "%s=%s", names.v[i], v);
		}
	}
	strvec_sort(&j->spec.env);
	strvec_clear(&names);
	return ret;
}

/* The deps context: a slot under parent holding trees, by hard links. 0,
 * or -1 with err and the slot released. */
static int gather_outputs(const char *parent, const struct strvec *trees, struct deps_slot *slot,
			  struct strbuf *err)
{
	struct strvec touched = STRVEC_INIT;
	if (deps_slot_acquire(parent, slot, trees, err) < 0)
		return -1;
	if (deps_slot_sync(slot, trees, &touched, err) < 0) {
		strvec_clear(&touched);
		deps_slot_release(slot);
		return -1;
	}
	/* (the entries among them were checked by this call's lookups) */
	for (size_t i = 0; i < touched.nr; i++)
		store_note_links(touched.v[i]);
	strvec_clear(&touched);
	return 0;
}

/* The named context of a compact call's closure outputs, or NULL: no
 * closure, no mount (BuildKit's digest of an empty context depends on what
 * that context held before: extra misses). */
static const char *deps_context(int compact, const struct closure *cl)
{
	return compact && cl->nr ? "deps" : NULL;
}

/* The Dockerfile of this call, into df and written at path: head, then
 * either the unit alone (compact; with_src: the dependencies' sources
 * mounted too) or every stage of the closure and the unit's own text. 0, or
 * EXIT_IO with err. */
static int write_dockerfile(const struct job *j, const struct closure *cl, const struct strbuf *head,
			    const struct strbuf *own, int compact, int with_src, struct strbuf *df, const char *path,
			    struct strbuf *err)
{
	strbuf_reset(df);
	strbuf_addbuf(df, head);
	if (compact) {
		/* A shallow copy: it owns nothing and is not released. */
		struct stage_spec s = j->spec;
		s.deps_ctx = deps_context(compact, cl);
		if (!with_src)
			strvec_init(&s.dep_mounts);
		if (stage_render(&s, df, err) < 0)
			return EXIT_IO; /* not reached: the same spec rendered before */
	} else {
		for (size_t i = 0; i < cl->nr; i++)
			strbuf_addstr(df, cl->units[i].stage);
		strbuf_addbuf(df, own);
	}
	if (write_file_atomic(path, df->buf, df->len, 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		return EXIT_IO;
	}
	return 0;
}


/*
 * One call: one attempt at a unit, through named phases, each with one job.
 *
 *   plan     its closure, its own stage text, its base and the Dockerfile's head
 *   prepare  its paths under target/cargo-green and the Dockerfile
 *   key      its local store key
 *   look up  the local store (a hit skips build)
 *   build    in the engine (again with its dependencies' sources if its result asks), stored
 *   result   what the command left: exit code, stdout, stderr
 *   learn    what the result shows it needs (another set-up, variables, packages)
 *   land     its outputs in target/, kept for dependents, its record
 *   record   the run's statistics
 *   replay   what it printed, once its outputs are in place
 *
 * A phase returns 0 to go on, or -1 with why it stopped in c->stop (an
 * error of ours is CALL_ERROR with err and an exit code in c->status; the
 * others are outcomes, not errors).
 */
enum call_stop {
	CALL_ON,         /* not stopped */
	CALL_ERROR,      /* err, and the exit code in status */
	CALL_RETRY,      /* it read variables it was not given: again with those in learn (nothing landed) */
	CALL_RESTART,    /* a mode was learned: the caller sets it up again (nothing landed) */
	CALL_NO_CLOSURE, /* a record of its closure is missing */
	CALL_NO_STAGE,   /* a value of it cannot be a word of a Dockerfile instruction */
	CALL_NO_SANDBOX, /* a local unit's sandbox could not be made: nothing ran */
};

/* Where its result came from (index of outcome_names). */
enum call_outcome { CALL_BUILT, CALL_ENGINE_HIT, CALL_LOCAL_HIT };
static const char *const outcome_names[] = { "miss", "hit", "local" };
static const enum stats_kind outcome_stats[] = { STATS_BUILT, STATS_ENGINE_HIT, STATS_LOCAL_HIT };

/* Owns everything in it but j and learn. */
struct call {
	struct job *j;
	struct strvec *learn;       /* with CALL_RETRY: the variables to give it */
	enum call_stop stop;
	int status;                 /* with CALL_ERROR: an exit code from exitcode.h */
	enum call_outcome outcome;
	struct closure cl;          /* the records of its dependencies, transitively */
	struct strbuf own;          /* its own stage text */
	struct strbuf head;         /* the Dockerfile's head: syntax, the base as rust-base */
	struct strbuf base;         /* the base image's reference */
	struct strbuf base_id;      /* its ID, when extra packages make another image of it */
	struct strvec secrets;      /* "NAME=value": for the engine's client only, never a file */
	/* Under target/cargo-green: */
	struct strbuf dockerfile;   /* df/ID/Dockerfile (a directory of its own: buildx sends it) */
	struct strbuf log;          /* log/ID.log, the engine's output */
	struct strbuf tmp;          /* tmp/ID.PID, where the engine exports its tree */
	struct strbuf land_tmp;     /* tmp/ID.PID.land, the one temporary name of landing */
	struct strbuf deps_parent;  /* deps/, the slots of deps contexts */
	struct strbuf empty;        /* empty/, the build's main context */
	/* Compact: the Dockerfile holds this unit alone, the closure's outputs
	 * coming as one context (deps) of hard links to their kept copies.
	 * Else (a unit of the closure has no kept outputs, or
	 * CLOSURE_STAGES_ENV) every stage of the closure. */
	int compact;
	int with_dep_sources;       /* the dependencies' sources are mounted too */
	char stamp[17];             /* a remote engine's (call_engine_stamp), or "" */
	struct strvec dep_trees;    /* with compact: the closure's kept outputs, in closure order */
	struct deps_slot slot;      /* the deps context */
	struct strbuf df;           /* the Dockerfile's text */
	char key[STORE_KEY_HEX];
	char prekey[STORE_KEY_HEX]; /* with j->direct: its key without its sources (direct.h) */
	int prekeyed;
	int use_store;              /* keyed, and the local store on */
	struct strbuf entry;        /* on a local hit: the store's entry (read only) */
	int stored;                 /* the entry of key is in the local store */
	int from_cache;             /* ...read from the cache images in this call */
	const char *res;            /* the result's tree: tmp, or entry */
	struct stage_result result;
	struct engine_build b;
	long long t0, engine_ns;
	/* A local unit's result staged as hard links in target/cargo-green/save,
	 * for call_save_later, or empty. */
	struct strbuf staged;
	/* With staged, to share once saved (call_share): the secrets' values
	 * that must not be written, and the run's writers' lock, held. */
	int share_later;
	struct strvec share_secrets;
	int share_lock;
	struct strbuf pinned;       /* the base's ID its key holds */
	struct strbuf why;          /* on a miss: why (explain.h) */
};

static void call_init(struct call *c, struct job *j, struct strvec *learn)
{
	struct strbuf *bufs[] = { &c->own, &c->head, &c->base, &c->base_id, &c->dockerfile, &c->log, &c->tmp,
				  &c->land_tmp, &c->deps_parent, &c->empty, &c->df, &c->entry, &c->staged, &c->pinned, &c->why };
	memset(c, 0, sizeof(*c));
	c->j = j;
	c->learn = learn;
	c->cl = (struct closure)CLOSURE_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(bufs); i++)
		strbuf_init(bufs[i], 0);
	strvec_init(&c->secrets);
	strvec_init(&c->dep_trees);
	strvec_init(&c->share_secrets);
	c->share_lock = -1;
	c->slot = (struct deps_slot)DEPS_SLOT_INIT;
	c->result = (struct stage_result)STAGE_RESULT_INIT;
	c->b = (struct engine_build)ENGINE_BUILD_INIT;
	c->t0 = now_ns();
}

static void call_release(struct call *c)
{
	struct strbuf *bufs[] = { &c->own, &c->head, &c->base, &c->base_id, &c->dockerfile, &c->log, &c->tmp,
				  &c->land_tmp, &c->deps_parent, &c->empty, &c->df, &c->entry, &c->staged, &c->pinned, &c->why };
	if (c->staged.len)
		rm_rf(c->staged.buf); /* not handed to a saver */
	if (c->tmp.len)
		rm_rf(c->tmp.buf);
	if (c->land_tmp.len)
		unlink(c->land_tmp.buf);
	deps_slot_release(&c->slot);
	closure_release(&c->cl);
	engine_build_release(&c->b);
	stage_result_release(&c->result);
	strvec_clear(&c->secrets);
	strvec_clear(&c->dep_trees);
	strvec_clear(&c->share_secrets);
	if (c->share_lock >= 0)
		close(c->share_lock); /* (a saver holds its own) */
	for (size_t i = 0; i < ARRAY_SIZE(bufs); i++)
		strbuf_release(bufs[i]);
}

static int call_stop(struct call *c, enum call_stop stop, int status)
{
	c->stop = stop;
	c->status = status;
	return -1;
}

/* Plan: its closure from its direct dependencies' records, their ids as
 * its stage's deps, and one mount per source dir of the closure (a
 * package's lib and build script share one), never over its own. */
static int call_plan_closure(struct call *c, struct strbuf *err)
{
	struct job *j = c->j;
	struct strvec targets = STRVEC_INIT;
	if (closure_collect(&c->cl, &j->dep_records, err) < 0)
		return call_stop(c, CALL_NO_CLOSURE, 0);
	for (size_t i = 0; i < j->dep_records.nr; i++) {
		int k = strvec_find(&c->cl.paths, j->dep_records.v[i]);
		if (k < 0)
			BUG("direct dependency missing from its closure");
		if (strvec_find(&j->spec.deps, c->cl.units[k].id) < 0)
			strvec_push(&j->spec.deps, c->cl.units[k].id);
	}
	strvec_sort(&j->spec.deps);
	strvec_clear(&j->spec.dep_mounts);
	if (j->self.ctx_mount)
		strvec_push(&targets, j->self.ctx_mount);
	for (size_t i = 0; i < c->cl.nr; i++) {
		const struct unit *u = &c->cl.units[i];
		if (!u->ctx_name || strvec_find(&targets, u->ctx_mount) >= 0)
			continue;
		strvec_push(&targets, u->ctx_mount);
		strvec_pushf(&j->spec.dep_mounts, "%s=%s", u->ctx_name, u->ctx_mount);
	}
	strvec_clear(&targets);
	return 0;
}

/* Plan: its own stage text, with the settings applied, into its record
 * with its direct dependencies. */
static int call_plan_stage(struct call *c, struct strbuf *err)
{
	struct job *j = c->j;
	if (apply_settings(j, &c->secrets, err) < 0)
		return call_stop(c, CALL_ERROR, EXIT_IO);
	if (stage_render(&j->spec, &c->own, err) < 0)
		return call_stop(c, CALL_NO_STAGE, 0);
	free(j->self.stage);
	j->self.stage = xstrdup(c->own.buf);
	strvec_clear(&j->self.deps);
	strvec_pushv(&j->self.deps, j->dep_records.v);
	return 0;
}

/* Plan: its base, the settings' with the host packages it was found to
 * need (CARGOGREEN_ADD_APT_FROM_HOST) and those its closure was built
 * with, made if need be; the Dockerfile's head. */
static int call_plan_base(struct call *c, struct strbuf *err)
{
	struct job *j = c->j;
	int code;
	strvec_clear(&j->self.apt);
	strvec_pushv(&j->self.apt, j->learned_apt.v);
	for (size_t i = 0; i < c->cl.nr; i++)
		for (size_t k = 0; k < c->cl.units[i].apt.nr; k++)
			if (strvec_find(&j->self.apt, c->cl.units[i].apt.v[k]) < 0)
				strvec_push(&j->self.apt, c->cl.units[i].apt.v[k]);
	strvec_sort(&j->self.apt);
	if ((code = base_ensure_with(j->cfg, j->rustc, &j->self.apt, 0, &c->base, j->self.apt.nr ? &c->base_id : NULL,
				     err)))
		return call_stop(c, CALL_ERROR, code);
	if (cfg_get(j->cfg, S_SYNTAX_IMAGE))
		strbuf_addf(&c->head, "# syntax=%s\n", cfg_get(j->cfg, S_SYNTAX_IMAGE) + strlen("docker-image://"));
	if (!stage_word_safe(c->base.buf)) {
		strbuf_addf(err, "the base image name '%s' cannot be written into a Dockerfile", c->base.buf);
		return call_stop(c, CALL_ERROR, EXIT_BASE_IMAGE);
	}
	strbuf_addf(&c->head, "# cargo-green: %s\nFROM %s AS rust-base\n", j->spec.id, c->base.buf);
	return 0;
}

/* The engine of a remote run (remote.h), as a short digest of how the run
 * names it and of the bases' IDs there (each engine makes its own base): a
 * record's built-on. "" when the engine is not remote. */
static void call_engine_stamp(struct call *c)
{
	struct sha256 h;
	char hex[65];
	const char *pins = getenv(BASE_PIN_ENV);
	c->stamp[0] = '\0';
	if (!remote_active())
		return;
	sha256_init(&h);
	sha256_update(&h, dockerctx_run()->where.buf, dockerctx_run()->where.len + 1);
	if (pins)
		sha256_update(&h, pins, strlen(pins));
	sha256_hex(&h, hex);
	memcpy(c->stamp, hex, sizeof(c->stamp) - 1);
	c->stamp[sizeof(c->stamp) - 1] = '\0';
}

/* Of a closure this large, or with a stage graph costing more than this
 * (final.h: about 1 s of BuildKit 0.13's frontend, spent by the remote
 * engine, against the closure's outputs sent up: ripgrep's rg, 44 units,
 * costs 2.1e6 and would send 130 MB), the Dockerfile of a call never holds
 * the stages. */
#define STAGES_MAX_UNITS 200
#define STAGES_COST_MAX 20000000ULL

/* A remote engine (c->stamp) already holds what every unit of the closure
 * made, when each was built there with its own closure as stages (its
 * record's built-on): the Dockerfile then holds those stages, which the
 * engine finds in its cache, instead of their outputs sent up again as the
 * deps context. Not when one came from elsewhere (the local store, the
 * local rustc, another engine: the engine would compile it again, with its
 * closure), nor when the stages' graph is too costly for the frontend.
 * (Were the engine's cache to have dropped one since, it compiles it again
 * from the same stage: the same outputs, later.) */
static int call_stages_fit(struct call *c)
{
	struct strbuf df = STRBUF_INIT;
	size_t stages;
	int fit;
	if (!c->stamp[0] || !c->cl.nr || c->cl.nr > STAGES_MAX_UNITS)
		return 0;
	for (size_t i = 0; i < c->cl.nr; i++) {
		const struct unit *u = &c->cl.units[i];
		/* (a secret's value is this call's to give only for its own
		 * stage; a base with other packages is another rust-base: the
		 * units of the closure have exactly this one's, their union) */
		if (!u->built_on || strcmp(u->built_on, c->stamp) || strstr(u->stage, "type=secret") ||
		    u->apt.nr != c->j->self.apt.nr)
			return 0;
	}
	strbuf_addbuf(&df, &c->head);
	for (size_t i = 0; i < c->cl.nr; i++)
		strbuf_addstr(&df, c->cl.units[i].stage);
	strbuf_addbuf(&df, &c->own);
	fit = final_graph_cost(df.buf, &stages) <= STAGES_COST_MAX;
	strbuf_release(&df);
	return fit;
}

/* Prepare: its paths under target/cargo-green (what killed runs left
 * there swept), its Dockerfile written, the engine's request. */
static int call_prepare(struct call *c, struct strbuf *err)
{
	struct job *j = c->j;
	const char *id = j->spec.id;
	struct strbuf work = STRBUF_INIT, p = STRBUF_INIT;
	int ret;

	strbuf_addf(&work, "%s/cargo-green", j->host_target);
	strbuf_addf(&c->dockerfile, "%s/df/%s/Dockerfile", work.buf, id);
	strbuf_addf(&c->log, "%s/log/%s.log", work.buf, id);
	strbuf_addf(&c->tmp, "%s/tmp/%s.%ld", work.buf, id, (long)getpid());
	strbuf_addf(&c->land_tmp, "%s.land", c->tmp.buf);
	strbuf_addf(&c->deps_parent, "%s/deps", work.buf);
	strbuf_addf(&c->empty, "%s/empty", work.buf);
	for (const char **sub = (const char *[]){ "df", "log", "tmp", "empty", "deps", NULL }; *sub; sub++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", work.buf, *sub);
		mkdir_p(p.buf, 0755);
	}
	mkdir_parent(c->dockerfile.buf, 0755);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/tmp", work.buf);
	sweep_dead_temps(p.buf); /* export dirs and landings' temporary files of killed runs */
	rm_rf(c->tmp.buf);
	c->res = c->tmp.buf;

	/* A local unit reads its closure's outputs in target/: its Dockerfile (a record) is its own stage. */
	call_engine_stamp(c);
	c->compact = j->local || (!getenv(CLOSURE_STAGES_ENV) && !call_stages_fit(c) &&
				  land_closure_outputs(j, &c->cl, &c->dep_trees) == 0);
	if (c->compact && c->dep_trees.nr == c->cl.nr) {
		/* A build script's binary is for its run alone: no compile reads
		 * another crate's, and each (~4.5 MB in debug) would go to the
		 * engine again with every dependent's closure. */
		struct strvec keep = STRVEC_INIT;
		for (size_t i = 0; i < c->cl.nr; i++)
			if (!starts_with(c->cl.units[i].id, "build_script_") ||
			    strvec_find(&j->spec.deps, c->cl.units[i].id) >= 0)
				strvec_push(&keep, c->dep_trees.v[i]);
		strvec_clear(&c->dep_trees);
		strvec_pushv(&c->dep_trees, keep.v);
		strvec_clear(&keep);
	}
	c->with_dep_sources = !c->compact;
	ret = write_dockerfile(j, &c->cl, &c->head, &c->own, c->compact, c->with_dep_sources, &c->df,
			       c->dockerfile.buf, err);
	LOG(LOG_DEBUG, "%s: %zu units in its closure, %s, Dockerfile %s (%zu bytes)", id, c->cl.nr,
	    c->compact ? "their outputs as one context" : "their stages", c->dockerfile.buf, c->df.len);

	c->b.dockerfile = c->dockerfile.buf;
	c->b.main_ctx = c->empty.buf;
	c->b.out_dir = c->tmp.buf;
	c->b.log_path = c->log.buf;
	c->b.cfg = j->cfg;
	c->b.network = cfg_get(j->cfg, S_WITH_NETWORK);
	strbuf_release(&work);
	strbuf_release(&p);
	return ret ? call_stop(c, CALL_ERROR, ret) : 0;
}

/* Key: its local store key, from the base's ID (the plugin's pin, or with
 * extra packages the ID base_ensure_with found) and every direct
 * dependency's key; kept in its record even with the store off. None when
 * one of those is unknown. */
static void call_key(struct call *c)
{
	struct job *j = c->j;
	struct strbuf pin = STRBUF_INIT, own_ctx = STRBUF_INIT, why = STRBUF_INIT, target = STRBUF_INIT;
	struct strvec dep_keys = STRVEC_INIT;
	int keyed = j->self.apt.nr ? c->base_id.len > 0 : base_pin_find(getenv(BASE_PIN_ENV), c->base.buf, &pin) == 0;
	const char *pinned = j->self.apt.nr ? c->base_id.buf : pin.buf;
	for (size_t i = 0; keyed && i < j->dep_records.nr; i++) {
		int k = strvec_find(&c->cl.paths, j->dep_records.v[i]);
		if (!c->cl.units[k].key)
			keyed = 0;
		else
			strvec_push(&dep_keys, c->cl.units[k].key);
	}
	if (keyed) {
		strbuf_addstr(&c->pinned, pinned);
		if (j->self.ctx_name)
			strbuf_addf(&own_ctx, "%s=%s", j->self.ctx_name, j->self.ctx_dir);
		strbuf_addf(&target, "o-%s", j->spec.id);
		if (store_unit_key(c->head.buf, c->own.buf, pinned, target.buf, own_ctx.len ? own_ctx.buf : NULL, &dep_keys,
				   c->key, &why) < 0) {
			LOG(LOG_WARN, "%s: no local store: %s", j->spec.id, why.buf);
			keyed = 0;
		}
		c->prekeyed = keyed && j->direct && own_ctx.len &&
			      store_unit_key(c->head.buf, c->own.buf, pinned, target.buf, NULL, &dep_keys, c->prekey, &why) == 0;
	}
	free(j->self.key);
	j->self.key = keyed ? xstrdup(c->key) : NULL;
	c->use_store = keyed && !getenv(NO_STORE_ENV) && !getenv(NO_CACHE_ENV);
	strvec_clear(&dep_keys);
	strbuf_release(&pin);
	strbuf_release(&own_ctx);
	strbuf_release(&why);
	strbuf_release(&target);
}

/* What the local store notes of the unit's entry (storemeta.h): its
 * package and version (cargo's CARGO_PKG_* of its command), its kind (a
 * build script's run, else what rustc is asked to make), what making it
 * took. Caller releases. */
static void call_meta(const struct call *c, struct store_meta *m)
{
	const struct stage_spec *sp = &c->j->spec;
	const char *name = NULL, *version = NULL, *kind = NULL, *v;
	for (size_t i = 0; i < sp->env.nr; i++)
		if (skip_prefix(sp->env.v[i], "CARGO_PKG_NAME=", &v))
			name = v;
		else if (skip_prefix(sp->env.v[i], "CARGO_PKG_VERSION=", &v))
			version = v;
	if (starts_with(sp->id, "run-"))
		kind = "build-script-run";
	else if (starts_with(sp->id, "build_script_"))
		kind = "build-script";
	for (size_t i = 1; !kind && i < sp->argv.nr; i++)
		if (!strcmp(sp->argv.v[i], "--test"))
			kind = "test";
		else if (!strcmp(sp->argv.v[i], "--crate-type") && i + 1 < sp->argv.nr)
			kind = sp->argv.v[i + 1];
		else if (skip_prefix(sp->argv.v[i], "--crate-type=", &v))
			kind = v;
	*m = (struct store_meta)STORE_META_INIT;
	m->crate = xstrdup(name && *name ? name : "?");
	m->version = xstrdup(version && *version ? version : "?");
	m->kind = xstrdup(kind && *kind ? (!strcmp(kind, "rlib") ? "lib" : kind) : "?");
	m->build_us = c->engine_ns / 1000;
}

/* An entry the cache images gave: from_cache, described in the local store. */
static void call_describe_fetched(struct call *c)
{
	struct store_meta m, had;
	c->from_cache = 1;
	call_meta(c, &m);
	if (store_meta_read(c->key, &had) == 0) {
		memcpy(m.key, c->key, STORE_KEY_HEX);
		m.size = had.size;
		m.saved = had.saved;
		store_meta_write(&m);
	}
	store_meta_release(&had);
	store_meta_release(&m);
}

/* Look up: the local store, the same inputs as a build BuildKit already
 * did. 1 on a hit (the result is the entry's), else 0. */
static int call_lookup(struct call *c)
{
	char other[STORE_KEY_HEX];
	if (!c->use_store)
		return 0;
	if (store_lookup(c->key, STORE_HIT, &c->entry)) {
		/* The run's prefetch may have brought it from the cache images. */
		if (cache_prefetched(c->j->cfg, c->key))
			call_describe_fetched(c);
	} else {
		/* An earlier build that read the same files (direct.h): its key, hence its outputs. */
		if (c->prekeyed && direct_lookup(c->prekey, c->j->self.ctx_dir, other) && strcmp(other, c->key) &&
		    store_lookup(other, STORE_HIT, &c->entry)) {
			LOG(LOG_INFO, "%s: the files it reads are as in an earlier build's: its key %.16s", c->j->spec.id, other);
			memcpy(c->key, other, STORE_KEY_HEX);
			free(c->j->self.key);
			c->j->self.key = xstrdup(other);
		} else if (cache_fetch(c->j->cfg, c->key) && store_lookup(c->key, STORE_HIT, &c->entry)) {
			/* The cache images had it: now in the local store. */
			call_describe_fetched(c);
		} else {
			return 0;
		}
	}
	c->stored = 1;
	c->outcome = CALL_LOCAL_HIT;
	c->res = c->entry.buf;
	return 1;
}

/* A dependency as its dependents' explanations name it: its crate, or
 * "PKG (build script run)", "build script". */
static void dep_shown(const char *id, struct strbuf *out)
{
	const char *dash = strrchr(id, '-'), *rest;
	size_t n = dash && strlen(dash + 1) == 16 ? (size_t)(dash - id) : strlen(id);
	if (skip_prefix(id, "run-", &rest))
		strbuf_addf(out, "%.*s (build script run)", (int)(n - 4), rest);
	else if (starts_with(id, "build_script_"))
		strbuf_addstr(out, "its build script");
	else
		strbuf_add(out, id, n);
}

/* How explanations and verify name the unit: "probe (bin)". */
static void call_shown(const struct call *c, struct strbuf *out)
{
	struct strbuf group = STRBUF_INIT;
	struct explain_unit u = { c->j->spec.id, &c->j->spec.argv, &c->j->spec.env, NULL, NULL, NULL, NULL, NULL, NULL };
	explain_group(&u, &group, out);
	strbuf_release(&group);
}

/* Explain: on a miss, the inputs of its key noted and compared with the
 * closest earlier build of the same crate (explain.h): why, in the log,
 * and with CARGOGREEN_EXPLAIN in the run's summary (call_record). */
static void call_explain(struct call *c)
{
	struct job *j = c->j;
	struct strvec deps = STRVEC_INIT, inputs = STRVEC_INIT;
	struct strbuf group = STRBUF_INIT, shown = STRBUF_INIT, name = STRBUF_INIT;
	struct timespec t0, t1;
	if (!c->use_store)
		return;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (size_t i = 0; i < j->dep_records.nr; i++) {
		const struct unit *u = &c->cl.units[strvec_find(&c->cl.paths, j->dep_records.v[i])];
		strbuf_reset(&name);
		dep_shown(u->id, &name);
		strvec_pushf(&deps, "%s\t%s", name.buf, u->key ? u->key : "none");
	}
	{
		struct explain_unit u = { j->spec.id, &j->spec.argv, &j->spec.env, &j->spec.secrets, c->head.buf,
					  c->own.buf, c->pinned.buf, j->self.ctx_name ? j->self.ctx_dir : NULL, &deps };
		explain_inputs(&u, &inputs);
		explain_group(&u, &group, &shown);
	}
	strbuf_reset(&c->why);
	explain_miss(group.buf, shown.buf, c->key, &inputs, &c->why);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	LOG(LOG_INFO, "%s: explain: %s (CPU %lld us)", j->spec.id, c->why.buf,
	    ((long long)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec)) / 1000);
	strvec_clear(&deps);
	strvec_clear(&inputs);
	strbuf_release(&group);
	strbuf_release(&shown);
	strbuf_release(&name);
}

/* The deps context cannot be made (why): the Dockerfile holds every stage
 * of the closure instead, their sources mounted. 0, or an exit code with err. */
static int call_closure_stages(struct call *c, const char *why, struct strbuf *err)
{
	LOG(LOG_WARN, "%s: cannot gather its closure's outputs: %s: its stages instead", c->j->spec.id, why);
	c->compact = 0;
	c->with_dep_sources = 1;
	return write_dockerfile(c->j, &c->cl, &c->head, &c->own, 0, 1, &c->df, c->dockerfile.buf, err);
}

/* The engine's named contexts for c: its own sources, its closure's with
 * with_dep_sources, the deps context (named deps) when there is one; names
 * gets their names. 0, or -1 with err. */
static int call_contexts(struct call *c, const char *deps, struct strvec *names, struct strbuf *err)
{
	const struct job *j = c->j;
	strvec_clear(&c->b.contexts);
	strvec_clear(names);
	for (size_t i = 0; c->with_dep_sources && i < c->cl.nr; i++)
		add_context(&c->b.contexts, names, &c->cl.units[i], j->host_target, err);
	add_context(&c->b.contexts, names, &j->self, j->host_target, err);
	if (deps)
		strvec_pushf(&c->b.contexts, "%s=%s", deps, c->slot.dir.buf);
	return err->len ? -1 : 0;
}

/* Build: the engine builds the Dockerfile with its contexts (the sources,
 * the deps context) into out (its cache off for the unit's own stage with
 * no_cache); when the result fails or names a dependency's sources, once
 * more with them mounted, as on the host. *cached: its stage's RUN was a
 * hit. 0, or an exit code with err. */
static int call_engine(struct call *c, const char *out, int no_cache, int *cached, struct strbuf *err)
{
	struct job *j = c->j;
	const char *id = j->spec.id, *deps = deps_context(c->compact, &c->cl);
	struct strbuf target = STRBUF_INIT, watch = STRBUF_INIT, why = STRBUF_INIT, main_ctx = STRBUF_INIT;
	struct strvec ctx_names = STRVEC_INIT;
	struct stage_result result = STAGE_RESULT_INIT;
	int ret = 0;

	strbuf_addf(&target, "o-%s", id);
	strbuf_addf(&watch, "u-%s", id);
	c->b.target = target.buf;
	c->b.watch_stage = watch.buf;
	c->b.out_dir = out;
	c->b.no_cache = no_cache;
	strvec_clear(&c->b.secrets);
	strvec_pushv(&c->b.secrets, c->secrets.v);
	if (deps && gather_outputs(c->deps_parent.buf, &c->dep_trees, &c->slot, &why) < 0) {
		deps = NULL;
		if ((ret = call_closure_stages(c, why.buf, err)))
			goto out;
	}
	strbuf_addbuf(&main_ctx, &c->empty);
	if (deps) {
		/* buildx names the session after its main context's directory, and
		 * BuildKit keeps the last sync of a context per name and session:
		 * one directory per slot, so that the slot's context is synced from
		 * what the engine has of it (depsdir.h). */
		strbuf_addf(&main_ctx, "/%s", path_basename(c->slot.dir.buf));
		mkdir_p(main_ctx.buf, 0755);
	}
	c->b.main_ctx = main_ctx.buf;
	for (;;) {
		if (call_contexts(c, deps, &ctx_names, err) < 0) {
			ret = EXIT_IO;
			goto out;
		}
		long long t1 = now_ns();
		ret = engine_build(&c->b, cached, err);
		c->engine_ns += now_ns() - t1;
		if (ret || c->with_dep_sources)
			break;
		stage_result_read(out, id, &result);
		if (!result.finished || (result.code && (learn_failure_needs(j, &result, c->learn) || c->learn->nr)) ||
		    !learn_wants_dep_sources(&result, &j->spec.dep_mounts, j->self.ctx_mount))
			break;
		LOG(LOG_INFO, "%s: failed or names a dependency's sources: again with them mounted", id);
		c->with_dep_sources = 1;
		rm_rf(out);
		if ((ret = write_dockerfile(j, &c->cl, &c->head, &c->own, c->compact, 1, &c->df, c->dockerfile.buf, err)))
			goto out;
	}
	deps_slot_release(&c->slot);
out:
	c->b.target = c->b.watch_stage = NULL;
	c->b.main_ctx = c->empty.buf;
	c->b.no_cache = 0;
	stage_result_release(&result);
	strbuf_release(&main_ctx);
	strvec_clear(&ctx_names);
	strbuf_release(&target);
	strbuf_release(&watch);
	strbuf_release(&why);
	return ret;
}

/* Build: in the engine, into tmp; the result is saved to the local store. */
static int call_build(struct call *c, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	int cached = 0, ret = call_engine(c, c->tmp.buf, 0, &cached, err);
	c->outcome = cached ? CALL_ENGINE_HIT : CALL_BUILT;
	if (!ret && c->use_store) {
		struct store_meta m;
		call_meta(c, &m);
		if (store_save(c->key, c->tmp.buf, &m, &why) < 0)
			stats_warn_once(c->j->cfg, "store", why.buf); /* the build goes on without it, said once per run */
		else
			c->stored = 1;
		store_meta_release(&m);
	}
	strbuf_release(&why);
	return ret ? call_stop(c, CALL_ERROR, ret) : 0;
}

static int call_build_local(struct call *c, struct strbuf *err);

/* Verify, a local unit: compiled again by the local rustc in its sandbox
 * (call_build_local, into dir instead of tmp, nothing staged for the store).
 * 0 when it ran; -1 when its sandbox could not be made (logged). */
static int verify_local(struct call *c, struct strbuf *dir, struct strbuf *err)
{
	struct strbuf tmp = c->tmp;
	enum call_outcome outcome = c->outcome;
	int use_store = c->use_store, ret;
	c->tmp = *dir;
	c->use_store = 0;
	ret = call_build_local(c, err);
	*dir = c->tmp;
	c->tmp = tmp;
	c->use_store = use_store;
	c->outcome = outcome;
	if (ret < 0 && c->stop == CALL_NO_SANDBOX) {
		LOG(LOG_WARN, "%s: verify: no sandbox: %s", c->j->spec.id, err->buf);
		strbuf_reset(err);
		c->stop = CALL_ON;
		return -1;
	}
	return ret;
}

/* Verify found the fresh build in dir differing from the hit (diff: the
 * first file that does): said and counted, the fresh tree kept in
 * target/cargo-green/verify/ID; with strict, CALL_ERROR (EXIT_VERIFY). */
static int verify_mismatch(struct call *c, const char *diff, const char *dir, struct strbuf *err)
{
	const struct job *j = c->j;
	const char *ct_rel = &CT_TARGET[1]; /* green/target: the paths diff names are relative */
	struct strbuf what = STRBUF_INIT, p = STRBUF_INIT;
	int in_target = starts_with(diff, ct_rel), ret = 0;

	call_shown(c, &what);
	/* The file as the host has it: target/... */
	strbuf_addf(&what, ": %s%s", in_target ? "target" : "", diff + (in_target ? strlen(ct_rel) : 0));
	LOG(LOG_WARN, "verify: %s differs from a fresh build (its tree kept in target/cargo-green/verify/)", what.buf);
	stats_record(j->cfg, STATS_VERIFY_BAD, j->spec.id, what.buf, 0, 0);
	/* The fresh tree, for a look (the next verify of it replaces it). */
	strbuf_addf(&p, "%s/cargo-green/verify", j->host_target);
	mkdir_p(p.buf, 0755);
	strbuf_addf(&p, "/%s", j->spec.id);
	rm_rf(p.buf);
	rename(dir, p.buf);
	if (j->cfg->verify_strict) {
		strbuf_addf(err, "verify: %s: a cache hit differs from a fresh build (CARGOGREEN_VERIFY=%s; unset it, or make the unit reproducible)",
			    what.buf, cfg_get(j->cfg, S_VERIFY));
		ret = call_stop(c, CALL_ERROR, EXIT_VERIFY);
	}
	strbuf_release(&what);
	strbuf_release(&p);
	return ret;
}

/* Verify (CARGOGREEN_VERIFY): a sampled hit built again into tmp.verify,
 * by the engine with its stage's cache off, or a local unit by the local
 * rustc in its sandbox; its files' digests compared with the hit's
 * (verify.h). A mismatch is logged and counted; with strict, the build
 * fails. What lands is the hit's either way. */
static int call_verify(struct call *c, struct strbuf *err)
{
	struct job *j = c->j;
	struct strbuf dir = STRBUF_INIT, want = STRBUF_INIT, have = STRBUF_INIT, diff = STRBUF_INIT, p = STRBUF_INIT;
	int cached = 0, ret = 0, code;
	long long t0 = now_ns();
	if (!j->cfg->verify_share || c->outcome == CALL_BUILT || c->result.code ||
	    !verify_sampled(j->cfg->verify_share, c->key))
		return 0;
	if (c->outcome == CALL_LOCAL_HIT)
		strbuf_addf(&p, "%s/%s", c->entry.buf, STORE_SUMS);
	if (c->outcome == CALL_LOCAL_HIT ? strbuf_read_file(&want, p.buf) : store_sums(c->res, 1, &want)) {
		LOG(LOG_WARN, "%s: verify: cannot read the hit's manifest", j->spec.id);
		goto out;
	}
	strbuf_addf(&dir, "%s.verify", c->tmp.buf);
	rm_rf(dir.buf);
	if (j->local) {
		if (verify_local(c, &dir, err) < 0) {
			ret = c->stop == CALL_ERROR ? -1 : 0;
			goto out;
		}
	} else if ((code = call_engine(c, dir.buf, 1, &cached, err))) {
		ret = call_stop(c, CALL_ERROR, code);
		goto out;
	}
	if (store_sums(dir.buf, 1, &have) < 0) {
		strbuf_addf(err, "verify: cannot read the fresh build of %s in '%s': %s", j->spec.id, dir.buf, strerror(errno));
		ret = call_stop(c, CALL_ERROR, EXIT_IO);
		goto out;
	}
	if (!verify_compare(want.buf, have.buf, &diff)) {
		/* (nothing differs: diff is empty) */
		LOG(LOG_INFO, "%s: verify: a fresh build gives the hit's bytes (%lld ms)", j->spec.id, (now_ns() - t0) / 1000000);
		stats_record(j->cfg, STATS_VERIFIED, j->spec.id, NULL, 0, 0);
		goto out;
	}
	ret = verify_mismatch(c, diff.buf, dir.buf, err);
out:
	if (dir.len)
		rm_rf(dir.buf);
	strbuf_release(&dir);
	strbuf_release(&want);
	strbuf_release(&have);
	strbuf_release(&diff);
	strbuf_release(&p);
	return ret;
}

/* "NAME\tINODE\tMTIME" of each entry of dir whose name holds stem. */
static void outputs_snapshot(const char *dir, const char *stem, struct strvec *out)
{
	struct strvec names = STRVEC_INIT;
	struct strbuf p = STRBUF_INIT;
	if (dir_entries(dir, &names) == 0)
		for (size_t i = 0; i < names.nr; i++) {
			struct stat st;
			if (!strstr(names.v[i], stem))
				continue;
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/%s", dir, names.v[i]);
			if (lstat(p.buf, &st) == 0)
				strvec_pushf(out, "%s\t%llu\t%lld.%09ld", names.v[i], (unsigned long long)st.st_ino,
					     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		}
	strvec_clear(&names);
	strbuf_release(&p);
}

/* A build script's run in its sandbox: its real binary (target/ holds the
 * shim) over its path, its OUT_DIR fresh (tmp's, what it makes is the
 * result), the result dir for git's stand-in (git_probe). */
static int local_sandbox_run(const struct call *c, struct sandbox *sb, struct strbuf *err)
{
	const struct job *j = c->j;
	const char *rustdoc = getenv("RUSTDOC");
	const char *bin = j->spec.argv.v[0];
	int k = strvec_find(&c->cl.paths, j->dep_records.v[0]);
	struct strbuf p = STRBUF_INIT, text = STRBUF_INIT;
	if (k >= 0 && starts_with(bin, CT_TARGET "/")) {
		/* Not found, the shim would run in its place, and fail. */
		if (land_unit_outputs(j, &c->cl.units[k], &p) < 0) {
			strbuf_addf(err, "its build script's binary (%s) is neither in the local store nor in %s: build again (cargo clean if it persists)",
				    c->cl.units[k].id, p.buf);
			strbuf_release(&p);
			return -1;
		}
		strbuf_addstr(&p, bin + strlen(CT_TARGET));
		sandbox_bind(sb, 0, p.buf, bin);
	}
	strbuf_reset(&p);
	strbuf_addf(&p, "%s%s", c->tmp.buf, j->spec.collect_dir);
	sandbox_bind(sb, 1, p.buf, j->spec.collect_dir);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/" STAGE_RESULT_DIR, c->tmp.buf);
	sandbox_bind(sb, 1, p.buf, CT_OUT "/" STAGE_RESULT_DIR);
	if (j->spec.git_probe) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/green-git", c->tmp.buf);
		sandbox_bind(sb, 0, p.buf, STAGE_GIT_DIR);
		mkdir_p(p.buf, 0755);
		strbuf_addstr(&p, "/git");
		stage_git_standin(j->spec.id, &text);
		write_file_atomic(p.buf, text.buf, text.len, 0755);
	}
	strbuf_release(&p);
	strbuf_release(&text);
	strvec_pushv(&sb->argv, j->spec.argv.v);
	/* Its RUSTC and RUSTDOC: the toolchain's binaries cargo named, as
	 * plain cargo gives a build script (the stage's "rustc" is the
	 * image's own, the same toolchain). Found on the host's PATH,
	 * "rustc" is rustup's proxy, which, without the environment
	 * rustup gave cargo, picks its toolchain anew (a rust-toolchain.toml
	 * asking for a component: it tries to install it, fails in the
	 * read-only sandbox, and anyhow's build script then finds no
	 * rustc version and sets none of its cfgs). Not in the key: the
	 * same compiler. */
	if (j->rustc && j->rustc[0] == '/')
		sandbox_setenv(sb, "RUSTC", j->rustc);
	if (rustdoc && rustdoc[0] == '/')
		sandbox_setenv(sb, "RUSTDOC", rustdoc);
	return 0;
}

/* The sandbox of a local unit: its target dir, CARGO_HOME and sources at
 * the mounts its stage has (its dependencies' sources too, where they do
 * not overlap its own), its stage's environment with the host's PATH (the
 * linker's) and its secrets' values. */
static int local_sandbox(const struct call *c, struct sandbox *sb, struct strbuf *err)
{
	const struct job *j = c->j;
	char *home = pathmap_to_host(&j->pm, CT_CARGO_HOME);
	const char *path = getenv("PATH");
	struct strvec seen = STRVEC_INIT;
	int ret = 0;
	sandbox_bind(sb, 1, j->host_target, CT_TARGET);
	if (home)
		sandbox_bind(sb, 0, home, CT_CARGO_HOME);
	if (j->self.ctx_dir && j->self.ctx_mount) {
		sandbox_bind(sb, 0, j->self.ctx_dir, j->self.ctx_mount);
		strvec_push(&seen, j->self.ctx_mount);
	}
	for (size_t i = 0; i < c->cl.nr; i++) {
		const struct unit *u = &c->cl.units[i];
		int overlaps = 0;
		if (!u->ctx_name || !u->ctx_mount || access(u->ctx_dir, F_OK))
			continue;
		for (size_t k = 0; k < seen.nr && !overlaps; k++)
			overlaps = path_under(u->ctx_mount, seen.v[k]) || path_under(seen.v[k], u->ctx_mount);
		if (overlaps)
			continue;
		sandbox_bind(sb, 0, u->ctx_dir, u->ctx_mount);
		strvec_push(&seen, u->ctx_mount);
	}
	sb->workdir = j->spec.workdir;
	sb->network = j->spec.network && strcmp(j->spec.network, "none");
	strvec_pushv(&sb->env, j->spec.env.v);
	strvec_pushv(&sb->env, c->secrets.v);
	if (!j->out_stem) {
		if ((ret = local_sandbox_run(c, sb, err)) < 0)
			goto out;
	} else {
		strvec_push(&sb->argv, j->rustc);
		for (size_t i = 1; i < j->spec.argv.nr; i++)
			strvec_push(&sb->argv, j->spec.argv.v[i]);
	}
	strvec_pushf(&sb->env, "PATH=%s%s", !j->out_stem && j->spec.git_probe ? STAGE_GIT_DIR ":" : "",
		     path ? path : "/usr/local/bin:/usr/bin:/bin");
out:
	strvec_clear(&seen);
	free(home);
	return ret;
}

/* What a local compile made in dir (in after, not in before: outputs_snapshot
 * lines) moves to the same names in to. 0, or -1 with err. */
static int move_new_outputs(const char *dir, const char *to, const struct strvec *before, const struct strvec *after,
			    struct strbuf *err)
{
	int ret = 0;
	for (size_t i = 0; i < after->nr && !ret; i++) {
		struct strbuf from = STRBUF_INIT, dst = STRBUF_INIT;
		size_t n = strcspn(after->v[i], "\t");
		if (strvec_find(before, after->v[i]) >= 0)
			continue; /* not its doing */
		strbuf_addf(&from, "%s/%.*s", dir, (int)n, after->v[i]);
		strbuf_addf(&dst, "%s/%.*s", to, (int)n, after->v[i]);
		if (rename(from.buf, dst.buf) < 0) {
			strbuf_addf(err, "cannot move '%s' to '%s': %s", from.buf, dst.buf, strerror(errno));
			ret = -1;
		}
		strbuf_release(&from);
		strbuf_release(&dst);
	}
	return ret;
}

/* A local unit's result, saved once the call is done (call_save_later):
 * staged now in c->staged, as links, before landing takes the tree apart;
 * c->staged empty when it cannot be (said in the log: not saved, not an
 * error). */
static void stage_for_save(struct call *c)
{
	const struct job *j = c->j;
	strbuf_addf(&c->staged, "%s/cargo-green/save", j->host_target);
	mkdir_p(c->staged.buf, 0755);
	sweep_dead_temps(c->staged.buf);
	strbuf_addf(&c->staged, "/%s.%ld", j->spec.id, (long)getpid());
	rm_rf(c->staged.buf);
	if (link_tree(c->tmp.buf, c->staged.buf) < 0) {
		LOG(LOG_WARN, "%s: cannot stage its result in %s: %s", j->spec.id, c->staged.buf, strerror(errno));
		rm_rf(c->staged.buf);
		strbuf_reset(&c->staged);
	}
}

/* Build, a local unit: the local rustc compiles it in its sandbox, with
 * its incremental state in target/; what it made (new or rewritten files
 * of its out dir named after it) moves into tmp, laid out as the engine
 * exports a result, and is saved to the local store. */
static int call_build_local(struct call *c, struct strbuf *err)
{
	struct job *j = c->j;
	struct sandbox sb = SANDBOX_INIT;
	struct strbuf out = STRBUF_INIT, errs = STRBUF_INIT, code = STRBUF_INIT, to = STRBUF_INIT, why = STRBUF_INIT;
	struct strvec before = STRVEC_INIT, after = STRVEC_INIT;
	char *dir = pathmap_to_host(&j->pm, j->spec.collect_dir);
	int status = 0, ret = 0;
	long long t1;

	if (!dir)
		BUG("a local unit without its out dir");
	strbuf_addf(&out, "%s/" STAGE_RESULT_DIR, c->tmp.buf);
	strbuf_addf(&to, "%s%s", c->tmp.buf, j->spec.collect_dir);
	if (mkdir_p(out.buf, 0755) < 0 || mkdir_p(to.buf, 0755) < 0) {
		strbuf_addf(err, "cannot make '%s': %s", to.buf, strerror(errno));
		ret = call_stop(c, CALL_ERROR, EXIT_IO);
		goto out;
	}
	strbuf_addf(&errs, "%s/%s.stderr", out.buf, j->spec.id);
	strbuf_addf(&code, "%s/%s.code", out.buf, j->spec.id);
	strbuf_addf(&out, "/%s.stdout", j->spec.id);
	if (local_sandbox(c, &sb, err) < 0) {
		ret = call_stop(c, CALL_ERROR, EXIT_IO);
		goto out;
	}
	sb.stdout_path = out.buf;
	sb.stderr_path = errs.buf;
	if (j->out_stem) /* (a run's outputs are its fresh OUT_DIR's, in tmp already) */
		outputs_snapshot(dir, j->out_stem, &before);
	t1 = now_ns();
	if (sandbox_run(&sb, &status, err) < 0) {
		ret = call_stop(c, CALL_NO_SANDBOX, 0);
		goto out;
	}
	c->engine_ns += now_ns() - t1;
	strbuf_reset(&why);
	strbuf_addf(&why, "%d\n", status);
	if (write_file_atomic(code.buf, why.buf, why.len, 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", code.buf, strerror(errno));
		ret = call_stop(c, CALL_ERROR, EXIT_IO);
		goto out;
	}
	if (j->out_stem)
		outputs_snapshot(dir, j->out_stem, &after);
	if (move_new_outputs(dir, to.buf, &before, &after, err) < 0) {
		ret = call_stop(c, CALL_ERROR, EXIT_IO);
		goto out;
	}
	c->outcome = CALL_BUILT;
	LOG(LOG_DEBUG, "%s: compiled in its sandbox in %lld ms, exit %d, %zu outputs", j->spec.id, c->engine_ns / 1000000,
	    status, after.nr);
	if (c->use_store)
		stage_for_save(c);
out:
	sandbox_release(&sb);
	strvec_clear(&before);
	strvec_clear(&after);
	strbuf_release(&out);
	strbuf_release(&errs);
	strbuf_release(&code);
	strbuf_release(&to);
	strbuf_release(&why);
	free(dir);
	return ret;
}

/* Save, a local unit: its staged result goes to the local store from a
 * child of its own, detached, once the call is done, so that cargo does
 * not wait for the copy (the edit loop's binary is the biggest file of a
 * build). A failed save costs a future hit, nothing else. */
static void call_save_later(struct call *c)
{
	struct strbuf why = STRBUF_INIT, mine = STRBUF_INIT;
	struct store_meta m;
	pid_t pid;
	int fd;
	if (!c->staged.len)
		return;
	call_meta(c, &m);
	fflush(NULL);
	pid = fork();
	if (pid > 0) {
		strbuf_reset(&c->staged); /* the child's now */
		store_meta_release(&m);
		return;
	}
	if (pid < 0) {
		if (store_save(c->key, c->staged.buf, &m, &why) < 0)
			stats_warn_once(c->j->cfg, "store", why.buf);
		else if (c->share_later)
			cache_publish_background(c->j->cfg, c->key, &c->share_secrets);
		strbuf_release(&why);
		store_meta_release(&m);
		return; /* (call_release removes it) */
	}
	/* The child: cargo's pipes closed, its own session (a Ctrl-C of the
	 * build does not cut a save short), named after its own pid so that
	 * no sweep takes it for a dead call's. */
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setsid();
	strbuf_add(&mine, c->staged.buf, (size_t)(strrchr(c->staged.buf, '.') - c->staged.buf));
	strbuf_addf(&mine, ".%ld", (long)getpid());
	if (rename(c->staged.buf, mine.buf) == 0) {
		if (store_save(c->key, mine.buf, &m, &why) < 0)
			LOG(LOG_WARN, "%s: %s", c->j->spec.id, why.buf);
		else if (c->share_later)
			cache_publish_held(c->j->cfg, c->key, &c->share_secrets, c->share_lock);
	}
	rm_rf(mine.buf);
	_exit(0);
}

/* Vouch: the files a successful build read (a compile's dep-info, a build
 * script run's rerun-if-changed), as they are, noted for its pre-key
 * (direct.h): a later call reading the same contents gets this key. */
static void call_vouch(struct call *c)
{
	struct strvec read = STRVEC_INIT;
	int run = starts_with(c->j->spec.id, "run-");
	if (!c->prekeyed || !c->use_store || c->outcome == CALL_LOCAL_HIT || c->result.code != 0)
		return;
	if (run ? direct_files_rerun(c->result.out.buf, &read) : (direct_files_compiled(c->res, &read), 1))
		direct_record(c->prekey, c->j->self.ctx_dir, c->j->self.ctx_mount, c->j->spec.workdir, &read, c->key);
	strvec_clear(&read);
}

/* Result: what the command left beside its outputs. */
static int call_read_result(struct call *c, struct strbuf *err)
{
	stage_result_read(c->res, c->j->spec.id, &c->result);
	if (c->result.finished)
		return 0;
	strbuf_addf(err, "the engine ran %s but returned no exit code (full log: %s)", c->j->spec.id, c->log.buf);
	return call_stop(c, CALL_ERROR, EXIT_ENGINE_FAILED);
}

/* Learn: what the result shows the unit needs. A mode it lacks: learned,
 * CALL_RESTART. Variables it was not given: CALL_RETRY with them in learn.
 * A mode on trial: kept when it helped. Host packages its base lacks
 * (CARGOGREEN_ADD_APT_FROM_HOST): learned, CALL_RETRY. */
static int call_learn(struct call *c)
{
	struct job *j = c->j;
	struct strvec found = STRVEC_INIT;
	unsigned want = 0;
	int again;
	if (j->spec.git_probe && j->git_root && !(j->modes & JOB_MODE_GIT) && c->result.ran_git) {
		LOG(LOG_INFO, "%s: ran git: again with the work tree %s", j->spec.id, j->git_root);
		want |= JOB_MODE_GIT;
	}
	if (c->result.code == 0)
		learn_missing_env(j, c->res, &c->result, c->learn, &want);
	else
		want |= learn_failure_needs(j, &c->result, c->learn);
	if (want & ~j->modes) {
		j->modes |= want;
		strvec_pushv(&j->learned_env, c->learn->v);
		strvec_clear(c->learn);
		learn_save(j);
		return call_stop(c, CALL_RESTART, 0);
	}
	if (c->learn->nr)
		return call_stop(c, CALL_RETRY, 0);
	if (j->modes & JOB_MODE_TRYING) {
		/* Kept when it helped; a unit failing anyway goes back to its package alone. */
		j->modes &= c->result.code ? ~(unsigned)(JOB_MODE_WORKSPACE | JOB_MODE_TRYING) : ~(unsigned)JOB_MODE_TRYING;
		learn_save(j);
	}
	if (!j->local) /* (what the host lacks, not the base) */
		learn_syslib_note(j, &c->result, c->base.buf, &found);
	again = learn_syslib_act(j, &j->self.apt, &found);
	strvec_clear(&found);
	return again ? call_stop(c, CALL_RETRY, 0) : 0;
}

/* Land: with CARGOGREEN_INCREMENTAL, the engine's incremental entries of
 * this crate replace the host's; on success its outputs land in target/
 * (kept as its out dir for dependents) and its record is written. */
static int call_land(struct call *c, struct strbuf *err)
{
	struct job *j = c->j;
	struct strbuf p = STRBUF_INIT, kept = STRBUF_INIT;
	int ret = 0;
	if (j->incr_host) {
		struct strvec names = STRVEC_INIT;
		strbuf_addf(&p, "%s%s", c->res, j->spec.incr_dir);
		if (!access(p.buf, F_OK) && dir_entries(j->incr_host, &names) == 0)
			for (size_t i = 0; i < names.nr; i++)
				if (starts_with(names.v[i], j->spec.incr_prefix)) {
					strbuf_reset(&p);
					strbuf_addf(&p, "%s/%s", j->incr_host, names.v[i]);
					rm_rf(p.buf);
				}
		strvec_clear(&names);
	}
	/* Built by a remote engine as its record holds it (its closure as
	 * stages, or none): its dependents may hold its stages (call_stages_fit). */
	free(j->self.base);
	j->self.base = xstrdup(c->base.buf);
	free(j->self.built_on);
	j->self.built_on = c->stamp[0] && c->outcome != CALL_LOCAL_HIT && !j->local && (!c->compact || !c->cl.nr)
				   ? xstrdup(c->stamp)
				   : NULL;
	if (c->result.code == 0) {
		int stored = c->outcome == CALL_LOCAL_HIT;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s%s", c->res, CT_TARGET);
		if (land_tree(j, land_keep_outputs(j, p.buf, stored, &kept), stored, c->land_tmp.buf, err) < 0 ||
		    unit_write(&j->self, j->record_path, err) < 0)
			ret = -1;
		if (stored && j->shim_ct)
			/* (its kept out dir links the entry this hit checked) */
			store_note_links(c->res);
	}
	strbuf_release(&p);
	strbuf_release(&kept);
	return ret ? call_stop(c, CALL_ERROR, EXIT_IO) : 0;
}

/* Record: one line of the run's statistics; rustc's own failure counts as
 * failed, whether it ran now or came from a cache. */
static void call_record(struct call *c)
{
	LOG(LOG_DEBUG, "%s: its call took %lld ms", c->j->spec.id, (now_ns() - c->t0) / 1000000);
	const char *id = c->j->spec.id;
	LOG(LOG_INFO, "%s: %s, exit %d, engine %lld ms", id, outcome_names[c->outcome], c->result.code,
	    c->engine_ns / 1000000);
	enum stats_kind kind = c->result.code ? STATS_FAILED : outcome_stats[c->outcome];
	struct strbuf saved = STRBUF_INIT;
	long long took = now_ns() - c->t0;
	if (c->j->local && outcome_stats[c->outcome] == STATS_BUILT)
		/* (compiled by the local rustc, not in BuildKit: counted so, failed or not) */
		kind = c->result.code ? STATS_INCR_FAILED : STATS_INCREMENTAL;
	if (kind == STATS_LOCAL_HIT && c->j->cfg->stats_path) {
		/* The time it saved: what making its entry took, less this hit. */
		struct store_meta m;
		if (store_meta_read(c->key, &m) == 0 && m.build_us)
			strbuf_addf(&saved, "%lld", m.build_us > took / 1000 ? m.build_us - took / 1000 : 0);
		store_meta_release(&m);
	}
	stats_record(c->j->cfg, kind, id, saved.len ? saved.buf : NULL, took, c->engine_ns);
	strbuf_release(&saved);
	if (c->why.len && c->j->cfg->explain)
		stats_record(c->j->cfg, STATS_EXPLAIN, id, c->why.buf, 0, 0);
}

/* Replay: what the command printed, in host paths; only now, with the
 * outputs in place: cargo starts dependents on what it reads here. */
static void call_replay(struct call *c)
{
	land_replay(&c->result.out, 1, &c->j->pm, ESCAPE_NONE);
	land_replay(&c->result.err, 2, &c->j->pm, c->j->stderr_escape);
}

/* Share: the cache images (cache.h) may get its entry, and it is noted as
 * used by this build (for supergreen push). Public: a crates.io crate's
 * unit over nothing but such units, with no secrets. What failed, and an
 * entry just read from them, is not written. */
static void call_share(struct call *c)
{
	struct job *j = c->j;
	struct strvec values = STRVEC_INIT, images = STRVEC_INIT;
	int public = !c->secrets.nr && cache_unit_public(&j->self), later = !c->stored && c->staged.len;
	if (!c->stored && !later)
		return;
	for (size_t i = 0; public && i < c->cl.nr; i++)
		public = cache_unit_public(&c->cl.units[i]);
	cache_note_used(j->host_target, j->cfg, c->key, public);
	cache_images(j->cfg, 1, &images);
	if (images.nr && c->from_cache && (public || j->cfg->cache_private))
		cache_note_reusable(j->cfg, c->key); /* (the write images' index may list it) */
	if (images.nr && !c->from_cache && !c->result.code && (public || j->cfg->cache_private)) {
		for (size_t i = 0; i < c->secrets.nr; i++)
			strvec_push(later ? &c->share_secrets : &values, strchr(c->secrets.v[i], '=') + 1);
		if (later) {
			/* A local unit: its entry is saved once the call is done (call_save_later), and written then. */
			c->share_later = 1;
			c->share_lock = cache_publish_hold(j->cfg);
		} else {
			cache_publish_background(j->cfg, c->key, &values);
		}
	}
	strvec_clear(&values);
	strvec_clear(&images);
}

/* One attempt at j: the phases in order. CALL_ON when it ran to the end,
 * *exit_code then the command's own; else why it stopped (with
 * CALL_ERROR, *exit_code is ours and err says why). */
static enum call_stop call_run(struct job *j, int *exit_code, struct strvec *learn, struct strbuf *err)
{
	struct call c;
	enum call_stop stop;
	call_init(&c, j, learn);
	if (call_plan_closure(&c, err) < 0 || call_plan_stage(&c, err) < 0 || call_plan_base(&c, err) < 0 ||
	    call_prepare(&c, err) < 0)
		goto out;
	call_key(&c);
	LOG(LOG_DEBUG, "%s: keyed after %lld ms", j->spec.id, (now_ns() - c.t0) / 1000000);
	if (!call_lookup(&c) && (call_explain(&c), j->local ? call_build_local(&c, err) : call_build(&c, err)) < 0)
		goto out;
	if (call_read_result(&c, err) < 0 || call_learn(&c) < 0)
		goto out;
	call_vouch(&c);
	if (call_verify(&c, err) < 0 || call_land(&c, err) < 0)
		goto out;
	call_record(&c);
	call_share(&c);
	call_replay(&c);
	if (c.result.code == 0)
		call_save_later(&c);
out:
	if (c.stop == CALL_ERROR)
		stats_record(j->cfg, STATS_FAILED, j->spec.id, NULL, now_ns() - c.t0, c.engine_ns);
	*exit_code = c.stop == CALL_ERROR ? c.status : c.result.code;
	stop = c.stop;
	call_release(&c);
	return stop;
}

enum job_result job_run(struct job *j, int *exit_code, struct strbuf *err)
{
	enum call_stop stop;
	int attempt = 0;
	learn_load(j);
	for (;;) {
		struct strvec learn = STRVEC_INIT;
		stop = call_run(j, exit_code, &learn, err);
		if (stop != CALL_RETRY || attempt++ >= 3) {
			strvec_clear(&learn);
			break;
		}
		for (size_t i = 0; i < learn.nr; i++) {
			LOG(LOG_INFO, "%s: reads %s, which the host sets otherwise: again with it", j->spec.id, learn.v[i]);
			strvec_push(&j->learned_env, learn.v[i]);
		}
		if (learn.nr)
			learn_save(j);
		strvec_clear(&learn);
	}
	switch (stop) {
	case CALL_ON:
		return JOB_DONE;
	case CALL_ERROR:
		return JOB_FAILED;
	case CALL_RESTART:
		return JOB_RESTART;
	case CALL_NO_CLOSURE:
		return JOB_NO_CLOSURE;
	case CALL_NO_STAGE:
		return JOB_NO_STAGE;
	case CALL_NO_SANDBOX:
		return JOB_NO_SANDBOX;
	case CALL_RETRY:
		break;
	}
	{
		struct strbuf p = STRBUF_INIT;
		learn_path(j, &p);
		strbuf_addf(err, "%s keeps reading variables it was not given (see %s)", j->spec.id, p.buf);
		strbuf_release(&p);
	}
	*exit_code = EXIT_ENGINE_FAILED;
	return JOB_FAILED;
}

int job_may_restart(int depth, const char *what)
{
	if (depth < 3)
		return 1;
	error("%s: keeps needing another set-up (see ~/.cache/cargo-green/learned/)", what);
	return 0;
}
