/* internal.h: every variable cargo-green passes to its own processes.
 *
 * These are not settings: no user sets them (the settings table, config.c,
 * holds what users set). The plugin (plugin.c) sets the first group in
 * cargo's environment for the wrappers it runs; the second group are
 * switches the tests use to compare with another design or to skip a
 * layer. Every one is named here once, with who writes and who reads it;
 * none reaches a container (the runner's environment is an allow-list). */
#ifndef INTERNAL_H
#define INTERNAL_H

/* ---- set by `cargo green` for its wrappers ---- */

/* The run's settings, as config.h's handoff text (or "@FILE" when large):
 * written by plugin.c, read by main.c for every wrapper. */
#define HANDOFF_ENV "__CARGOGREEN_SETTINGS"
/* The run's statistics file (stats.h): plugin.c makes it, config.c reads it
 * into the config's stats_path, each wrapper appends to it. */
#define STATS_ENV "__CARGOGREEN_STATS"
/* "REF\tID" lines, one per base image the plugin checked (units of packages
 * with other base settings have another): the pin of the local store's
 * keys, ID being the base's identity. plugin.c writes, job.c reads. */
#define BASE_PIN_ENV "__CARGOGREEN_BASE_PIN"
/* The run's list of final Dockerfile parts (final.h): plugin.c makes it,
 * final.c appends to it and writes the file at the end of the run. */
#define FINAL_LIST_ENV "__CARGOGREEN_FINAL_LIST"
/* The run's private directory (remote.h: the ssh master and its socket):
 * plugin.c makes it, remote.c uses it. */
#define REMOTE_DIR_ENV "__CARGOGREEN_REMOTE_DIR"
/* The run's engine as docker would pick it (dockerctx.h): its address, how
 * the user named it, where from (enum dockerctx_from, in decimal) and the
 * context's name. dockerctx_setup (plugin.c) writes, dockerctx_run reads. */
#define ENGINE_ENV_HOST "__CARGOGREEN_ENGINE_HOST"
#define ENGINE_ENV_WHERE "__CARGOGREEN_ENGINE_WHERE"
#define ENGINE_ENV_FROM "__CARGOGREEN_ENGINE_FROM"
#define ENGINE_ENV_NAME "__CARGOGREEN_ENGINE_NAME"

/* ---- switches for tests and comparisons ---- */

/* Where the plugin writes the run's totals (stats_totals), for e2e's expect_stat. */
#define STATS_OUT_ENV "__CARGOGREEN_STATS_OUT"
/* Every unit's own work done anew (BuildKit's --no-cache-filter on its u-
 * stage, no local store), as on a new machine; its dependencies are those
 * this same run just made (engine.c, job.c). */
#define NO_CACHE_ENV "__CARGOGREEN_NO_CACHE"
/* Skip the local store (tests of the engine's own cache; job.c). */
#define NO_STORE_ENV "__CARGOGREEN_NO_STORE"
/* Incremental units compile by the local rustc at host paths, unsandboxed,
 * as without bubblewrap (wrap.c, buildscript.c). */
#define NO_SANDBOX_ENV "__CARGOGREEN_NO_SANDBOX"
/* Render every stage of the closure (the design before kept outputs; job.c). */
#define CLOSURE_STAGES_ENV "__CARGOGREEN_CLOSURE_STAGES"
/* ssh:// left to the docker CLI, without cargo-green's forwarding (remote.c). */
#define NO_FORWARD_ENV "__CARGOGREEN_NO_SSH_FORWARD"

#endif
