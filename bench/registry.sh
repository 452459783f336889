#!/usr/bin/env bash
# bench/registry.sh: the team cache through a registry (issue 13), side by
# side in one run, as ratios. Reports; asserts nothing. Run alone, or by
# REGISTRY=1 bench/run.sh (after its own rows).
#
#   bench/registry.sh                      the fixture, ripgrep 14.1.1 and cargo-nextest 0.9.100
#   PROJECTS=fixture bench/registry.sh
#   RUNS=3 PROJECTS=ripgrep@14.1.1 bench/registry.sh    A's off/on pairs 3 times: medians (min–max)
#
# Everything runs on a registry of its own (Debian's docker-registry on
# 127.0.0.1) and an engine of its own (scripts/engine.sh on private paths,
# its base made once), whose build cache it prunes: never the shared engine's.
# Measures, per project:
#   plain cold     plain cargo, an empty target dir (the reference)
#   A off / A on   machine A's cold build (engine cache pruned, empty local store),
#                  without and with publishing to the registry (cache-to-images and
#                  cache-private, as a team's CI would: the workspace's crates too;
#                  its end included: the run waits for its writes), the writers' CPU
#                  (theirs and tar's, from the log), the loopback registry's own CPU
#                  (it shares this machine's cores; a team's registry would not) and
#                  how long the end waited;
#                  RUNS pairs, interleaved, each on-run writing to an emptied
#                  registry: the medians, and the median of the pairs' ratios
#   B              machine B's build fed by the registry: the engine's cache pruned,
#                  an empty local store, the project at another path, another
#                  CARGO_HOME (crates fetched before the clock starts)
#   B before       with OLD_BIN=/path/to/an/older/cargo-green: the same B with it,
#                  fed by the same registry (what A wrote), side by side
# Targets (issue 13): B / plain cold <= 0.10, A on / A off <= 1.05.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cache_registry_lib.sh"
PROJECTS=${PROJECTS:-"fixture ripgrep@14.1.1 cargo-nextest@0.9.100"}
command -v docker-registry >/dev/null || { say "installing docker-registry"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >&2; }

CR="$WORK/registry"
mkdir -p "$CR"
PORT=$(cr_port)
cr_registry main "$PORT" || { say "the registry did not start: $(tail -n3 "$CR/reg-main/log")"; exit 1; }
say "a private engine (its base is made on first use)"
trap 'trap - ERR; set +e; cr_registry_stop main; rm -rf "$WORK"' EXIT
cr_e2_start || { say "the private engine did not start: $(tail -n3 "$CR/e2-start.log")"; exit 1; }
trap 'trap - ERR; set +e; cr_e2_stop; cr_registry_stop main; rm -rf "$WORK"' EXIT
E2="unix://$CR/e2/run/docker.sock"

# "compiles built" of the last build's stats line.
built() { sed -n 's/^cargo-green: \([0-9]*\) compiles\{0,1\} in BuildKit (.*; \([0-9]*\) built,.*/\1 \2/p' "$WORK/last.err" | tail -n1; }
# A cold build on the private engine: its build cache pruned, an empty store ($1).
cold() {
	DOCKER_HOST=$E2 docker buildx prune -af >/dev/null 2>&1 || DOCKER_HOST=$E2 docker builder prune -af >/dev/null
	rm -rf "$1"
}

TABLE="$WORK/registry.md"
{
	echo "| project | plain cold | A cold, publishing off, median (min–max) | A cold, publishing on (min–max), median of the pairs' × off (min–max) | written; writers' CPU; the registry's CPU; end wait (medians); index write | B fed by the registry (× plain cold) | B: compiles in BuildKit, built, compiled locally; prefetched of listed |${OLD_BIN:+ B with OLD_BIN (× plain cold) |}"
	echo "| --- | --- | --- | --- | --- | --- | --- |${OLD_BIN:+ --- |}"
} >"$TABLE"
for p in $PROJECTS; do
	src="$WORK/$p/src"
	mkdir -p "$src"
	source_of "$p" "$src"
	img="docker-image://127.0.0.1:$PORT/bench/${p%@*}"
	say "$p: plain cargo cold"
	rm -rf "$src/target"
	nc=$(timed "$src" cargo build)
	say "$p: the private engine's base"
	(cd "$src" && DOCKER_HOST=$E2 XDG_CACHE_HOME="$CR/xdg-base" cargo green fetch >/dev/null 2>&1)

	# A's pairs, RUNS times, off then on: one pair swings 0.9-1.2x between
	# runs on this machine, so the ratio is the median of the pairs'.
	offs=() ons=() ratios=() wcpus=() waits=() rcpus=()
	for run in $(seq 1 "$RUNS"); do
		say "$p: machine A cold, publishing off (pair $run of $RUNS)"
		rm -rf "$src/target"
		cold "$CR/xdg-a-off"
		# Both with the cache module's log (the writers' CPU and the end's wait are in it).
		rm -f "$CR/a-off.log" "$CR/a-on.log"
		off=$(timed "$src" env DOCKER_HOST="$E2" XDG_CACHE_HOME="$CR/xdg-a-off" CARGOGREEN_LOG=warn,cache=info CARGOGREEN_LOG_PATH="$CR/a-off.log" cargo green build)
		say "$p: machine A cold, publishing on (pair $run of $RUNS)"
		rm -rf "$src/target"
		cold "$CR/xdg-a-on"
		# (a pair's writes are its own: the registry emptied of this project's entries first)
		cr_registry_stop main && rm -rf "$CR/reg-main/data" && cr_registry main "$PORT"
		on=$(timed "$src" env DOCKER_HOST="$E2" XDG_CACHE_HOME="$CR/xdg-a-on" CARGOGREEN_LOG=warn,cache=info CARGOGREEN_LOG_PATH="$CR/a-on.log" CARGOGREEN_CACHE_PRIVATE=1 CARGOGREEN_CACHE_TO_IMAGES="$img" cargo green build)
		# The registry's own CPU over that run (it was started just before):
		# on this machine it shares the two cores; a team's registry is elsewhere.
		rcpus+=("$(awk -v t="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / t}' "/proc/$(cat "$CR/reg-main/pid")/stat")")
		offs+=("$off") ons+=("$on") ratios+=("$(echo "scale=3; $on / $off" | bc -l)")
		wcpus+=("$(sed -n 's/.*cache: writing [0-9a-f]* took \([0-9]*\) ms of CPU.*/\1/p' "$CR/a-on.log" | awk '{s += $1} END {printf "%.1f", s / 1000}')")
		waits+=("$(sed -n 's/.*cache: waited \([0-9]*\) ms for the writes.*/\1/p' "$CR/a-on.log" | awk '{s += $1} END {printf "%.1f", s / 1000}')")
	done
	read -r off off_lo off_hi <<<"$(summary "${offs[@]}")"
	read -r on on_lo on_hi <<<"$(summary "${ons[@]}")"
	read -r ratio ratio_lo ratio_hi <<<"$(summary "${ratios[@]}")"
	read -r wcpu _ _ <<<"$(summary "${wcpus[@]}")"
	read -r wait _ _ <<<"$(summary "${waits[@]}")"
	read -r rcpu _ _ <<<"$(summary "${rcpus[@]}")"
	wrote=$(sed -n 's/^cargo-green: \([0-9]*\) compiles written to the cache image.*/\1/p' "$WORK/last.err")
	iw=$(sed -n 's/.*cache: the index of .* written: .* in \([0-9.]*\) ms.*/\1/p' "$CR/a-on.log" | tail -n1)
	grep '^cargo-green:' "$WORK/last.err" >&2 || true

	say "$p: machine B fed by the registry (another path, another CARGO_HOME, empty store and engine cache)"
	other="$WORK/$p/machine-b/deeper/project"
	mkdir -p "$other" && cp -r "$src/." "$other/" && rm -rf "$other/target"
	(cd "$other" && CARGO_HOME="$CR/cargo-home-b" cargo fetch -q)
	cold "$CR/xdg-b"
	b=$(timed "$other" env DOCKER_HOST="$E2" XDG_CACHE_HOME="$CR/xdg-b" CARGO_HOME="$CR/cargo-home-b" CARGOGREEN_CACHE_FROM_IMAGES="$img" cargo green build)
	read -r bn bb <<<"$(built)"
	bl=$(sed -n 's/.* \([0-9]*\) compiled locally (incremental[^)]*).*/\1/p' "$WORK/last.err" | tail -n1)
	pf=$(sed -n 's/^cargo-green: \([0-9]*\) entries prefetched from the cache image .* (its index listed \([0-9]*\),.*/\1 of \2/p' "$WORK/last.err" | tail -n1)
	grep '^cargo-green:' "$WORK/last.err" >&2 || true
	old=""
	if [ -n "${OLD_BIN:-}" ]; then
		say "$p: machine B again, with $OLD_BIN"
		rm -rf "$other/target"
		cold "$CR/xdg-b-old"
		mkdir -p "$WORK/oldbin" && ln -sf "$OLD_BIN" "$WORK/oldbin/cargo-green"
		bo=$(timed "$other" env PATH="$WORK/oldbin:$PATH" DOCKER_HOST="$E2" XDG_CACHE_HOME="$CR/xdg-b-old" CARGO_HOME="$CR/cargo-home-b" CARGOGREEN_CACHE_FROM_IMAGES="$img" cargo green build)
		grep '^cargo-green:' "$WORK/last.err" >&2 || true
		old=$(printf ' %ss %.2f× |' "$bo" "$(echo "$bo / $nc" | bc -l)")
	fi
	rm -rf "$other" "$src/target"
	printf '| %s | %ss | %ss (%s–%s) | %ss (%s–%s) %.2f× (%.2f–%.2f) | %s; %ss; %ss; %ss; %s ms | %ss %.2f× | %s, %s, %s; %s |%s\n' "$p" "$nc" "$off" "$off_lo" "$off_hi" "$on" "$on_lo" "$on_hi" "$ratio" "$ratio_lo" "$ratio_hi" \
		"${wrote:-0}" "$wcpu" "$rcpu" "$wait" "${iw:-none}" "$b" "$(echo "$b / $nc" | bc -l)" "${bn:-?}" "${bb:-?}" "${bl:-?}" "${pf:-none}" "$old" >>"$TABLE"
done

echo
echo "cargo-green registry bench, $(date -u +%Y-%m-%d), $(nproc) cores, RUNS=$RUNS, load $(cut -d' ' -f1-3 /proc/loadavg), $(rustc --version); a registry and an engine of its own"
echo
cat "$TABLE"
