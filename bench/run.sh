#!/usr/bin/env bash
# bench/run.sh: plain cargo, cargo green and sccache (the peer), side by side in
# one run, as ratios to plain cargo's cold build. Reports; asserts nothing.
#
#   bench/run.sh                 the fixture, ripgrep 14.1.1 and cargo-nextest 0.9.100 (debug builds)
#   RUNS=3 bench/run.sh          median of 3 runs for each measure (min-max shown)
#   PROJECTS="fixture ripgrep@14.1.1" bench/run.sh
#   SCCACHE=0 bench/run.sh       without the sccache rows
#   REGISTRY=1 bench/run.sh      and then the team cache's rows (bench/registry.sh: a registry
#                                and an engine of its own; alone, it prunes no shared engine)
#   REMOTE=1 bench/run.sh        then bench/remote.sh: the same engine over ssh vs its unix socket
#
# Measures, per project and tool:
#   cold       from an empty target dir, the tool's caches emptied (cargo green:
#              BuildKit's build cache and the local store; the base image is kept,
#              it is made once per engine; sccache: its cache dir)
#   warm       cargo clean, then the build again, caches hot
#   elsewhere  a copy of the project at another path, fresh target dir
#   no-op      the same build again, median of 5 in a row (ratio to plain cargo's no-op)
#   CPU/call   cargo green: the wrapper's own CPU per compile (engine excluded), cold build
#   hit/call   cargo green: warm build time / compiles
# Needs the engine of scripts/engine.sh; prunes that engine's build cache.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
PROJECTS=${PROJECTS:-"fixture ripgrep@14.1.1 cargo-nextest@0.9.100"}
command -v sccache >/dev/null || { say "installing sccache (the peer)"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sccache >&2; }
STORE="${XDG_CACHE_HOME:-$HOME/.cache}/cargo-green"

# From the stats line of the last build: "compiles cpu_ms"
green_stats() {
	sed -n 's/^cargo-green: \([0-9]*\) compiles\{0,1\} in BuildKit.*(CPU \([0-9]*\) ms.*/\1 \2/p' "$WORK/last.err" | tail -n1
}

declare -A R
cell() { # key base
	local med min max
	read -r med min max <<<"${R[$1]}"
	if [ "$RUNS" -gt 1 ]; then
		printf ' %ss (%s–%s) %.2f× |' "$med" "$min" "$max" "$(echo "$med / $2" | bc -l)"
	else
		printf ' %ss %.2f× |' "$med" "$(echo "$med / $2" | bc -l)"
	fi
}

TABLE="$WORK/table.md"
{
	echo "| project | tool | cold | warm (after cargo clean) | from another path | no-op (× native no-op) | wrapper CPU/call | hit/call |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
} >"$TABLE"
declare -A HIT

for p in $PROJECTS; do
	src="$WORK/$p/src"
	mkdir -p "$src"
	source_of "$p" "$src"
	for k in nc nn gc gn gw ge gcpu ghit sc sn sw se; do eval "$k=()"; done
	for run in $(seq 1 "$RUNS"); do
		say "$p run $run: native cold"
		rm -rf "$src/target"
		nc+=("$(timed "$src" cargo build)")
		nn+=("$(timed_noop "$src" cargo build)")

		say "$p run $run: green cold (pruning the engine's build cache and the local store)"
		rm -rf "$src/target"
		docker buildx prune -af >/dev/null 2>&1 || docker builder prune -af >/dev/null
		rm -rf "$STORE/store" "$STORE/dirs"
		gc+=("$(timed "$src" cargo green build)")
		read -r n cpu <<<"$(green_stats)"
		gcpu+=("$(echo "scale=2; ${cpu:-0} / ${n:-1}" | bc)")
		gn+=("$(timed_noop "$src" cargo green build)")
		say "$p run $run: green warm"
		(cd "$src" && cargo clean -q)
		t=$(timed "$src" cargo green build)
		gw+=("$t")
		read -r n cpu <<<"$(green_stats)"
		ghit+=("$(echo "scale=4; $t / ${n:-1}" | bc)")
		say "$p run $run: green from another path"
		other="$WORK/$p/elsewhere-$run/deeper"
		mkdir -p "$other" && cp -r "$src/." "$other/" && rm -rf "$other/target"
		ge+=("$(timed "$other" cargo green build)")
		grep '^cargo-green:' "$WORK/last.err" >&2 || true
		rm -rf "$other"

		[ "${SCCACHE:-1}" = 0 ] && { rm -rf "$src/target"; continue; }
		say "$p run $run: sccache cold"
		rm -rf "$src/target" "$WORK/sccache"
		sccache --stop-server >/dev/null 2>&1 || true
		export SCCACHE_DIR="$WORK/sccache"
		sc+=("$(timed "$src" env RUSTC_WRAPPER=sccache cargo build)")
		sn+=("$(timed_noop "$src" env RUSTC_WRAPPER=sccache cargo build)")
		say "$p run $run: sccache warm"
		(cd "$src" && cargo clean -q)
		sw+=("$(timed "$src" env RUSTC_WRAPPER=sccache cargo build)")
		mkdir -p "$other" && cp -r "$src/." "$other/" && rm -rf "$other/target"
		se+=("$(timed "$other" env RUSTC_WRAPPER=sccache cargo build)")
		sccache --stop-server >/dev/null 2>&1 || true
		unset SCCACHE_DIR
		rm -rf "$other" "$src/target"
	done
	for k in nc nn gc gn gw ge gcpu ghit sc sn sw se; do eval "R[$k]=\$(summary \"\${$k[@]:-0}\")"; done
	base=${R[nc]%% *}
	nbase=${R[nn]%% *}
	HIT[$p]=${R[ghit]%% *}
	{
		printf '| %s | plain cargo |' "$p"; cell nc "$base"; printf ' | | '; cell nn "$nbase"; printf ' | |\n'
		printf '| %s | cargo green |' "$p"; cell gc "$base"; cell gw "$base"; cell ge "$base"; cell gn "$nbase"
		printf ' %s ms | %s s |\n' "${R[gcpu]%% *}" "${R[ghit]%% *}"
		[ "${SCCACHE:-1}" = 0 ] ||
			{ printf '| %s | sccache %s |' "$p" "$(sccache --version | awk '{print $2}')"; cell sc "$base"; cell sw "$base"; cell se "$base"; cell sn "$nbase"; printf ' | |\n'; }
	} >>"$TABLE"
done

echo
echo "cargo-green bench, $(date -u +%Y-%m-%d), $(nproc) cores, $(rustc --version), RUNS=$RUNS; ratios to plain cargo's cold build (no-op: to its no-op)"
echo
cat "$TABLE"
first=${PROJECTS%% *}
last=${PROJECTS##* }
if [ "$first" != "$last" ] && [ -n "${HIT[$first]:-}" ] && [ -n "${HIT[$last]:-}" ]; then
	echo
	printf 'cost of a hit per call, %s vs %s: %.2f×\n' "$last" "$first" "$(echo "${HIT[$last]} / ${HIT[$first]}" | bc -l)"
fi
if [ "${REGISTRY:-0}" = 1 ]; then
	echo
	PROJECTS=$PROJECTS "$ROOT/bench/registry.sh"
fi
if [ "${REMOTE:-0}" = 1 ]; then
	echo
	"$ROOT/bench/remote.sh"
fi
