#!/usr/bin/env bash
# bench/run.sh: plain cargo and cargo green, side by side in one run, as ratios
# to plain cargo's cold build. Reports; asserts nothing.
#
#   bench/run.sh                 the fixture and ripgrep 14.1.1 (debug builds)
#   RUNS=3 bench/run.sh          median of 3 runs for each measure (min-max shown)
#   PROJECTS=fixture bench/run.sh
#
# Measures, per project:
#   native cold    cargo build from an empty target dir (sources already fetched)
#   green cold     cargo green build, BuildKit's build cache and cargo-green's
#                  local store emptied first (the base image is kept: it is
#                  made once per engine)
#   green warm     cargo clean, then cargo green build, engine cache hot
#   green elsewhere  a copy of the project at another path, fresh target dir
#   native/green no-op  the same build again
# Needs the engine of scripts/engine.sh; prunes that engine's build cache.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-1}
PROJECTS=${PROJECTS:-"fixture ripgrep"}
WORK=$(mktemp -d /tmp/cargo-green-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

make -C "$ROOT" -s
eval "$("$ROOT/scripts/engine.sh" 2>/dev/null)"
export DOCKER_HOST
mkdir -p "$WORK/bin"
ln -s "$ROOT/build/cargo-green" "$WORK/bin/cargo-green"
export PATH="$WORK/bin:$PATH"
unset RUSTC_WRAPPER CARGO_TARGET_DIR

say() { echo "bench: $*" >&2; }

# Seconds (3 decimals) that "$@" took in directory $1.
timed() {
	local dir=$1 start end; shift
	start=$(date +%s%N)
	(cd "$dir" && "$@") >"$WORK/last.out" 2>"$WORK/last.err" || { say "failed in $dir: $*"; tail -n 20 "$WORK/last.err" >&2; exit 1; }
	end=$(date +%s%N)
	echo "scale=3; ($end - $start) / 1000000000" | bc
}

# "median min max" of the arguments.
summary() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%s %s %s\n", a[int((NR+1)/2)], a[1], a[NR]}'; }

source_of() {
	case $1 in
	fixture) cp -r "$ROOT/tests/fixture/." "$2/"; rm -rf "$2/target" ;;
	ripgrep)
		local src
		src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ripgrep-14.1.1 2>/dev/null | head -n1)
		if [ -z "$src" ]; then
			mkdir -p "$WORK/fetch/src" && echo 'fn main(){}' >"$WORK/fetch/src/main.rs"
			printf '[package]\nname="f"\nversion="0.0.0"\nedition="2021"\n[dependencies]\nripgrep="=14.1.1"\n' >"$WORK/fetch/Cargo.toml"
			(cd "$WORK/fetch" && cargo fetch -q 2>/dev/null || true)
			src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ripgrep-14.1.1 | head -n1)
		fi
		cp -r "$src/." "$2/"
		;;
	esac
	(cd "$2" && cargo fetch -q)
}

declare -A R
row() { # name key...
	printf '| %s |' "$1"
	local base=${R[native_cold]%% *}
	for key in native_cold green_cold green_warm green_elsewhere native_noop green_noop; do
		read -r med min max <<<"${R[$key]}"
		if [ "$RUNS" -gt 1 ]; then
			printf ' %ss (%s–%s) %.2f× |' "$med" "$min" "$max" "$(echo "$med / $base" | bc -l)"
		else
			printf ' %ss %.2f× |' "$med" "$(echo "$med / $base" | bc -l)"
		fi
	done
	echo
}

TABLE="$WORK/table.md"
{
	echo "| project | native cold | green cold | green warm (after cargo clean) | green from another path | native no-op | green no-op |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
} >"$TABLE"

for p in $PROJECTS; do
	src="$WORK/$p/src"
	mkdir -p "$src"
	source_of "$p" "$src"
	nc=() gc=() gw=() ge=() nn=() gn=()
	for run in $(seq 1 "$RUNS"); do
		say "$p run $run: native cold"
		rm -rf "$src/target"
		nc+=("$(timed "$src" cargo build)")
		nn+=("$(timed "$src" cargo build)")
		rm -rf "$src/target"
		say "$p run $run: green cold (pruning the engine's build cache and the local store)"
		docker buildx prune -af >/dev/null 2>&1 || docker builder prune -af >/dev/null
		rm -rf "${XDG_CACHE_HOME:-$HOME/.cache}/cargo-green/store" "${XDG_CACHE_HOME:-$HOME/.cache}/cargo-green/dirs"
		gc+=("$(timed "$src" cargo green build)")
		gn+=("$(timed "$src" cargo green build)")
		say "$p run $run: green warm"
		(cd "$src" && cargo clean -q)
		gw+=("$(timed "$src" cargo green build)")
		say "$p run $run: green from another path"
		other="$WORK/$p/elsewhere-$run/deeper"
		mkdir -p "$other" && cp -r "$src/." "$other/" && rm -rf "$other/target"
		ge+=("$(timed "$other" cargo green build)")
		grep '^cargo-green:' "$WORK/last.err" >&2 || true
		rm -rf "$other" "$src/target"
	done
	R[native_cold]=$(summary "${nc[@]}")
	R[green_cold]=$(summary "${gc[@]}")
	R[green_warm]=$(summary "${gw[@]}")
	R[green_elsewhere]=$(summary "${ge[@]}")
	R[native_noop]=$(summary "${nn[@]}")
	R[green_noop]=$(summary "${gn[@]}")
	row "$p" >>"$TABLE"
done

echo
echo "cargo-green bench, $(date -u +%Y-%m-%d), $(nproc) cores, $(rustc --version), RUNS=$RUNS; ratios to native cold"
echo
cat "$TABLE"
