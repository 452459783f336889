#!/usr/bin/env bash
# bench/incremental.sh: CARGOGREEN_INCREMENTAL, measured. A one-line change in
# a project's own crate, rebuilt by plain cargo (incremental, as cargo does in
# dev), by cargo green (the crate compiled in full in the engine) and by cargo
# green with CARGOGREEN_INCREMENTAL=1 (rustc in the engine continues from the
# crate's incremental session, which travels with the stage). Reports ratios
# to plain cargo's rebuild; asserts nothing.
#
#   bench/incremental.sh                ripgrep 14.1.1's binary crate (crates/core)
#   RUNS=3 PROJECT=fixture bench/incremental.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
PROJECT=${PROJECT:-ripgrep@14.1.1}
case $PROJECT in
ripgrep@*) FILE=crates/core/main.rs ;;
fixture) FILE=greet/src/lib.rs ;;
*) say "unknown PROJECT=$PROJECT (ripgrep@VERSION or fixture)"; exit 2 ;;
esac

src="$WORK/$PROJECT"
mkdir -p "$src"
source_of "$PROJECT" "$src"
cp "$src/$FILE" "$WORK/pristine"

# rebuild_after_edit N CMD...: build from scratch, change one line, time the rebuild.
rebuild_after_edit() {
	local n=$1; shift
	cp "$WORK/pristine" "$src/$FILE"
	rm -rf "$src/target"
	(cd "$src" && "$@") >/dev/null 2>&1
	# A line no earlier run has seen (else the local store would rightly serve it).
	printf '\n#[allow(dead_code)]\nfn bench_edit_%s() -> u64 { %s }\n' "$n" "$(date +%s%N)" >>"$src/$FILE"
	timed "$src" "$@"
	grep '^cargo-green: ' "$WORK/last.err" | sed 's/^/bench:   /' >&2 || true
}

ne=() ge=() gi=()
for run in $(seq 1 "$RUNS"); do
	say "$PROJECT run $run: plain cargo"
	ne+=("$(rebuild_after_edit "$run" cargo build)")
	say "$PROJECT run $run: cargo green"
	ge+=("$(rebuild_after_edit "$run" cargo green build)")
	say "$PROJECT run $run: cargo green, CARGOGREEN_INCREMENTAL=1"
	gi+=("$(rebuild_after_edit "$run" env CARGOGREEN_INCREMENTAL=1 cargo green build)")
done
read -r nm nmin nmax <<<"$(summary "${ne[@]}")"
read -r gm gmin gmax <<<"$(summary "${ge[@]}")"
read -r im imin imax <<<"$(summary "${gi[@]}")"
echo
echo "cargo-green incremental bench, $(date -u +%Y-%m-%d), $(nproc) cores, $(rustc --version), RUNS=$RUNS; a one-line change in $FILE, ratios to plain cargo's rebuild"
echo
echo "| project | plain cargo | cargo green | cargo green, INCREMENTAL=1 |"
echo "| --- | --- | --- | --- |"
printf '| %s | %ss (%s–%s) 1.00× | %ss (%s–%s) %.2f× | %ss (%s–%s) %.2f× |\n' "$PROJECT" \
	"$nm" "$nmin" "$nmax" "$gm" "$gmin" "$gmax" "$(echo "$gm / $nm" | bc -l)" \
	"$im" "$imin" "$imax" "$(echo "$im / $nm" | bc -l)"
