#!/usr/bin/env bash
# bench/incremental.sh: the edit loop, measured. Each of plain cargo, cargo
# green (the default: the edited crates compiled by the local rustc in a
# sandbox, stored) and cargo green with CARGOGREEN_INCREMENTAL=1 (rustc in
# the engine continues from the crate's incremental session) builds the
# project once in a target dir of its own; then RUNS times one line is added
# to a file of the project's own and each rebuilds, timed, side by side.
# A fourth, `cargo build` with RUSTC_WRAPPER=cargo-green (the wrapper set in
# a config, no `cargo green` in front), shows what the plugin's own cargo
# start costs. Reports the median (min–max) and ratios to plain cargo's
# rebuild; asserts nothing.
#
#   bench/incremental.sh                ripgrep 14.1.1's binary crate (crates/core)
#   RUNS=5 PROJECT=fixture bench/incremental.sh         a workspace library with a dependent
#   RUNS=3 PROJECT=cargo-nextest@0.9.100 bench/incremental.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
PROJECT=${PROJECT:-ripgrep@14.1.1}
case $PROJECT in
ripgrep@*) FILE=crates/core/main.rs ;;
fixture) FILE=greet/src/lib.rs ;;
cargo-nextest@*) FILE=src/main.rs ;;
*) say "unknown PROJECT=$PROJECT (ripgrep@VERSION, cargo-nextest@VERSION or fixture)"; exit 2 ;;
esac

src="$WORK/$PROJECT"
mkdir -p "$src"
source_of "$PROJECT" "$src"

variants=(plain green green1 wrapper)
cmd_of() {
	case $1 in
	plain) echo "cargo build" ;;
	green) echo "cargo green build" ;;
	green1) echo "env CARGOGREEN_INCREMENTAL=1 cargo green build" ;;
	wrapper) echo "env RUSTC_WRAPPER=$(command -v cargo-green) cargo build" ;;
	esac
}
for v in "${variants[@]}"; do
	say "$PROJECT: first build, $(cmd_of "$v")"
	# shellcheck disable=SC2046
	timed "$src" env CARGO_TARGET_DIR="$WORK/target-$v" $(cmd_of "$v") >/dev/null
done
ne=() ge=() gi=() gw=()
for run in $(seq 1 "$RUNS"); do
	# A line no earlier run has seen (else the local store would rightly serve it).
	printf '\n#[allow(dead_code)]\nfn bench_edit_%s() -> u64 { %s }\n' "$run" "$(date +%s%N)" >>"$src/$FILE"
	for v in "${variants[@]}"; do
		say "$PROJECT edit $run: $(cmd_of "$v")"
		# shellcheck disable=SC2046
		t=$(timed "$src" env CARGO_TARGET_DIR="$WORK/target-$v" $(cmd_of "$v"))
		grep '^cargo-green: ' "$WORK/last.err" | sed 's/^/bench:   /' >&2 || true
		case $v in plain) ne+=("$t") ;; green) ge+=("$t") ;; green1) gi+=("$t") ;; wrapper) gw+=("$t") ;; esac
	done
done
read -r nm nmin nmax <<<"$(summary "${ne[@]}")"
read -r gm gmin gmax <<<"$(summary "${ge[@]}")"
read -r im imin imax <<<"$(summary "${gi[@]}")"
read -r wm wmin wmax <<<"$(summary "${gw[@]}")"
echo
echo "cargo-green incremental bench, $(date -u +%Y-%m-%d), $(nproc) cores, $(rustc --version), RUNS=$RUNS; a one-line change in $FILE, ratios to plain cargo's rebuild"
echo
echo "| project | plain cargo | cargo green | cargo green, INCREMENTAL=1 | cargo build, RUSTC_WRAPPER=cargo-green |"
echo "| --- | --- | --- | --- | --- |"
printf '| %s | %ss (%s–%s) 1.00× | %ss (%s–%s) %.2f× | %ss (%s–%s) %.2f× | %ss (%s–%s) %.2f× |\n' "$PROJECT" \
	"$nm" "$nmin" "$nmax" "$gm" "$gmin" "$gmax" "$(echo "$gm / $nm" | bc -l)" \
	"$im" "$imin" "$imax" "$(echo "$im / $nm" | bc -l)" \
	"$wm" "$wmin" "$wmax" "$(echo "$wm / $nm" | bc -l)"
