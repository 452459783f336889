# e2e_exact_incr.sh: the edit loop (sourced by tests/e2e.sh, group "exact-incr").
# By default a compile cargo asks to be incremental (-C incremental: workspace
# members and path dependencies, in dev and test profiles) is not wrapped: the
# local rustc compiles it with its incremental state, exactly as plain cargo,
# and the stats line counts it as compiled locally. Every other unit goes
# through the engine; CARGOGREEN_INCREMENTAL=1 sends incremental ones there too.
# Each program is compared with plain cargo's after the same changes.

if want exact-incr; then
	X="$WORK/incr-plain"
	# edit_greet DIR: a one-line change to greet that the program shows
	edit_greet() { sed -i 's/Ok(serde_json::to_string(g)?)/Ok(serde_json::to_string(g)? + " (edited)")/' "$1/greet/src/lib.rs"; }
	# gbuild DIR NAME ENV... -- ARGS...: cargo green build in DIR; stderr in $WORK/NAME.err, the program's output in $WORK/NAME.out
	gbuild() {
		local dir=$1 name=$2 envs=() bin=debug; shift 2
		while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
		[ "${1:-}" = -- ] && shift
		[[ " $* " == *" --release "* ]] && bin=release
		(cd "$dir" && env "${envs[@]}" cargo green build "$@" >/dev/null 2>"$WORK/$name.err" && "./target/$bin/app" >"$WORK/$name.out")
	}
	copy_fixture "$X"
	(cd "$X" && cargo build -q 2>/dev/null && ./target/debug/app >"$WORK/incr-plain1.out")
	edit_greet "$X"
	(cd "$X" && cargo build -q 2>/dev/null && ./target/debug/app >"$WORK/incr-plain2.out")
	check "plain cargo builds the fixture before and after the change (baseline)" \
		bash -c "[ -s '$WORK/incr-plain1.out' ] && grep -q '(edited)' '$WORK/incr-plain2.out' && ! grep -q '(edited)' '$WORK/incr-plain1.out'"

	# The default: the workspace's own units locally, the rest in BuildKit.
	G="$WORK/incr-green"
	copy_fixture "$G"
	# (a change of its own: else the local store, which the fixture group's
	# copies of this run filled, would serve greet and app without a compile)
	for f in greet/src/lib.rs app/src/main.rs; do printf '\n// exact-incr\n' >>"$G/$f"; done
	gbuild "$G" incr-g1; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-g1.err")"
	# (their build scripts, unchanged, may come from the store: keyed on what
	# they read; those scripts' runs are local units too, counted so when they run)
	check "by default greet and app, each with its build script, are compiled locally (incremental), every other unit in BuildKit (exit $rc; ${I:-0} locally, ${N:-0} in BuildKit)" \
		bash -c "[ $rc -eq 0 ] && [ '${I:-0}' -ge 2 ] && [ '${I:-0}' -le 6 ] && [ \$(( ${N:-0} + ${I:-0} )) -ge 38 ] && [ '${N:-0}' -ge 30 ] && [ '${F:-1}' -eq 0 ] && cmp -s '$WORK/incr-plain1.out' '$WORK/incr-g1.out'"
	check "…and none of theirs ran in the engine (no engine log), yet each has its record, keyed like the engine's units" \
		bash -c "! ls '$G'/target/cargo-green/log/greet-* '$G'/target/cargo-green/log/app-* 2>/dev/null | grep -q . && ls '$G'/target/debug/deps/greet-*.green >/dev/null && grep -q '^key ' '$G'/target/debug/deps/greet-*.green"
	edit_greet "$G"
	gbuild "$G" incr-g2; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-g2.err")"
	check "a one-line change to greet: exactly greet and app compiled again, locally (incremental), none in BuildKit (exit $rc; ${I:-0} locally, ${N:-0} in BuildKit)" \
		bash -c "[ $rc -eq 0 ] && [ '${I:-0}' -eq 2 ] && [ '${N:-1}' -eq 0 ] && grep -q ' 2 compiled locally (incremental)' '$WORK/incr-g2.err'"
	check "…and the rebuilt program is plain cargo's after the same change" cmp -s "$WORK/incr-plain2.out" "$WORK/incr-g2.out"
	check "…rustc kept its incremental state on the host, as plain cargo does" \
		bash -c "ls -d '$G'/target/debug/incremental/greet-*/s-* >/dev/null"

	# A workspace crate's build script: compiled locally, and run so (in its sandbox), stored.
	for d in "$X" "$G"; do sed -i "s/hello from build.rs/hello from the edited build.rs ($(basename "$WORK"))/" "$d/greet/build.rs"; done
	(cd "$X" && cargo build -q 2>/dev/null && ./target/debug/app >"$WORK/incr-plain3.out")
	gbuild "$G" incr-g3; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-g3.err")"
	# (app's build script runs again too: greet's links metadata reaches it)
	check "greet's build script changed: it, greet and app compiled locally, and the runs of its and app's in their sandbox, its output in the program (exit $rc; ${I:-0} locally, ${N:-0} in BuildKit)" \
		bash -c "[ $rc -eq 0 ] && [ '${I:-0}' -eq 5 ] && [ '${N:-1}' -eq 0 ] && grep -q 'hello from the edited build.rs' '$WORK/incr-g3.out' && cmp -s '$WORK/incr-plain3.out' '$WORK/incr-g3.out'"

	# An edit to app's main.rs, then cargo clean: app's build script (its
	# compile read build.rs alone, its run said rerun-if-changed=build.rs)
	# stays a hit, as cargo itself would not rebuild it, though the package
	# around it changed (direct.h).
	D="$WORK/incr-direct"
	copy_fixture "$D"
	printf '\n// incr-direct\n' >>"$D/app/src/main.rs"
	gbuild "$D" incr-d1 && printf '\n// edited %s\n' "$(date +%s%N)" >>"$D/app/src/main.rs" && gbuild "$D" incr-d2 &&
		(cd "$D" && cargo clean -q) && gbuild "$D" incr-d3; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-d3.err")"
	check "an edit to app's main.rs, then cargo clean: every unit a hit, app's build script compile and run too (exit $rc; ${H:-0} of ${N:-0} hits, ${I:-?} locally, ${M:-?} built)" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -ge 34 ] && [ '${H:-0}' -eq '${N:-1}' ] && [ '${I:-1}' -eq 0 ] && [ '${M:-1}' -eq 0 ] && cmp -s '$WORK/incr-plain1.out' '$WORK/incr-d3.out'"

	# CARGOGREEN_INCREMENTAL=1: every unit through the engine.
	W1="$WORK/incr-wrapped"
	copy_fixture "$W1"
	gbuild "$W1" incr-w1 CARGOGREEN_INCREMENTAL=1; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-w1.err")"
	n_all=$N
	check "CARGOGREEN_INCREMENTAL=1: every unit through BuildKit, none compiled locally (exit $rc; ${N:-0} in BuildKit, ${I:-?} locally)" \
		bash -c "[ $rc -eq 0 ] && [ '${I:-1}' -eq 0 ] && [ '${N:-0}' -ge 34 ] && [ '${F:-1}' -eq 0 ] && cmp -s '$WORK/incr-plain1.out' '$WORK/incr-w1.out' && ls '$W1'/target/cargo-green/df/greet-*/Dockerfile >/dev/null"
	edit_greet "$W1"
	gbuild "$W1" incr-w2 CARGOGREEN_INCREMENTAL=1; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-w2.err")"
	check "CARGOGREEN_INCREMENTAL=1, a one-line change: greet and app again in BuildKit, the program plain cargo's (exit $rc; ${N:-0} in BuildKit, ${I:-?} locally)" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -eq 2 ] && [ '${I:-1}' -eq 0 ] && cmp -s '$WORK/incr-plain2.out' '$WORK/incr-w2.out'"

	# An engine unit over a locally compiled one: greet again by default
	# (locally, in its sandbox: its record is the local compile's), then app
	# through the engine gets greet's outputs from the local store.
	sed -i 's/" (edited)"/" (edited twice)"/' "$W1/greet/src/lib.rs"
	gbuild "$W1" incr-w3; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-w3.err")"
	check "back to the default: greet and app compiled locally, each with its record (exit $rc; ${I:-0} locally)" \
		bash -c "[ $rc -eq 0 ] && [ '${I:-0}' -eq 2 ] && ls '$W1'/target/debug/deps/greet-*.green >/dev/null && grep -q '(edited twice)' '$WORK/incr-w3.out'"
	printf '\n// touched\n' >>"$W1/app/src/main.rs"
	gbuild "$W1" incr-w4 CARGOGREEN_INCREMENTAL=1; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-w4.err")"
	sed 's/ (edited)/ (edited twice)/' "$WORK/incr-plain2.out" >"$WORK/incr-plain2b.out"
	check "then with CARGOGREEN_INCREMENTAL=1, app over the locally compiled greet builds in BuildKit, greet's outputs from the local store, the program right (exit $rc; ${M:-0} built, ${P:-0} passed)" \
		bash -c "[ $rc -eq 0 ] && [ '${M:-0}' -eq 1 ] && [ '${P:-1}' -eq 0 ] && ! grep -q 'not built by cargo-green' '$WORK/incr-w4.err' && cmp -s '$WORK/incr-plain2b.out' '$WORK/incr-w4.out'"

	# Not incremental: --release, CARGO_INCREMENTAL=0.
	R="$WORK/incr-release"
	copy_fixture "$R"
	gbuild "$R" incr-r1 -- --release; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-r1.err")"
	# (the program prints its profile; the rest is the debug build's)
	sed 's/profile=debug/profile=release/' "$WORK/incr-plain1.out" >"$WORK/incr-plain1r.out"
	check "--release: every unit through BuildKit, none compiled locally (exit $rc; ${N:-0} in BuildKit, ${I:-?} locally)" \
		bash -c "[ $rc -eq 0 ] && [ '${I:-1}' -eq 0 ] && [ '${N:-0}' -ge 34 ] && [ '${F:-1}' -eq 0 ] && cmp -s '$WORK/incr-plain1r.out' '$WORK/incr-r1.out'"
	gbuild "$R" incr-r2 CARGO_INCREMENTAL=0; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-r2.err")"
	check "CARGO_INCREMENTAL=0: every unit through BuildKit, none compiled locally (exit $rc; ${N:-0} in BuildKit, ${I:-?} locally)" \
		bash -c "[ $rc -eq 0 ] && [ '${I:-1}' -eq 0 ] && [ '${N:-0}' -eq '${n_all:-0}' ] && cmp -s '$WORK/incr-plain1.out' '$WORK/incr-r2.out'"

	# A base of the user's: what the engine builds may not load or link on the
	# host, so incremental units stay in the engine.
	derived=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep "^cargo-green-rust:$(rustc --version | cut -d' ' -f2)-" | head -n1)
	UB="$WORK/incr-userbase"
	copy_fixture "$UB"
	gbuild "$UB" incr-ub CARGOGREEN_BASE_IMAGE="docker-image://$derived"; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-ub.err")"
	check "CARGOGREEN_BASE_IMAGE set ($derived): every unit through BuildKit, none compiled locally (exit $rc; ${N:-0} in BuildKit, ${I:-?} locally)" \
		bash -c "[ -n '$derived' ] && [ $rc -eq 0 ] && [ '${I:-1}' -eq 0 ] && [ '${N:-0}' -ge 34 ] && cmp -s '$WORK/incr-plain1.out' '$WORK/incr-ub.out'"

	# Plain cargo, then cargo green; and the reverse.
	PG="$WORK/incr-plain-then-green"
	copy_fixture "$PG"
	(cd "$PG" && cargo build -q 2>/dev/null); rc0=$?
	gbuild "$PG" incr-pg1; rc=$?
	edit_greet "$PG"
	gbuild "$PG" incr-pg2; rc2=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-pg2.err")"
	check "plain cargo build, then cargo green build, then a change: the programs are plain cargo's (exit $rc0, $rc, $rc2; ${I:-0} locally)" \
		bash -c "[ $rc0 -eq 0 ] && [ $rc -eq 0 ] && [ $rc2 -eq 0 ] && cmp -s '$WORK/incr-plain1.out' '$WORK/incr-pg1.out' && cmp -s '$WORK/incr-plain2.out' '$WORK/incr-pg2.out' && [ '${I:-0}' -eq 2 ]"
	GP="$WORK/incr-green-then-plain"
	copy_fixture "$GP"
	gbuild "$GP" incr-gp1; rc=$?
	(cd "$GP" && cargo build -q 2>/dev/null && ./target/debug/app >"$WORK/incr-gp2.out"); rc1=$?
	edit_greet "$GP"
	(cd "$GP" && cargo build -q 2>/dev/null && ./target/debug/app >"$WORK/incr-gp3.out"); rc2=$?
	gbuild "$GP" incr-gp4; rc3=$?
	check "cargo green build, then plain cargo build, then a change by plain cargo, then cargo green: the programs are plain cargo's (exit $rc, $rc1, $rc2, $rc3)" \
		bash -c "[ $rc -eq 0 ] && [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ $rc3 -eq 0 ] && cmp -s '$WORK/incr-plain1.out' '$WORK/incr-gp2.out' && cmp -s '$WORK/incr-plain2.out' '$WORK/incr-gp3.out' && cmp -s '$WORK/incr-plain2.out' '$WORK/incr-gp4.out'"

	# A registry crate over a [patch]ed path crate (compiled locally, being a
	# path crate): serde_json over a copy of itoa builds in BuildKit, with
	# itoa's outputs from the local store.
	PT="$WORK/incr-patch"
	copy_fixture "$PT"
	itoa=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/itoa-1.0.19 2>/dev/null | head -n1)
	rm -rf "$WORK/incr-vendor" && mkdir -p "$WORK/incr-vendor" && [ -n "$itoa" ] && cp -r "$itoa" "$WORK/incr-vendor/itoa"
	printf '\n[patch.crates-io]\nitoa = { path = "%s" }\n' "$WORK/incr-vendor/itoa" >>"$PT/Cargo.toml"
	gbuild "$PT" incr-pt1; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-pt1.err")"
	check "a [patch]ed path crate under a registry crate: it, greet and app compiled locally (their build scripts from the store), serde_json in BuildKit over it, the program right (exit $rc; ${I:-0} locally, ${N:-0} in BuildKit)" \
		bash -c "[ -n '$itoa' ] && [ $rc -eq 0 ] && [ '${I:-0}' -eq 3 ] && [ '${M:-0}' -ge 1 ] && [ '${F:-1}' -eq 0 ] && grep -q 'Compiling itoa v1.0.19 ($WORK/incr-vendor/itoa)' '$WORK/incr-pt1.err' && ! grep -q 'not built by cargo-green' '$WORK/incr-pt1.err' && cmp -s '$WORK/incr-plain1.out' '$WORK/incr-pt1.out'"

	# Where no sandbox can be made (bubblewrap missing, or namespaces
	# refused), incremental units compile at host paths, as plain cargo,
	# said once. (A stand-in bwrap that fails as bwrap does when the kernel
	# refuses it a namespace.)
	NS="$WORK/incr-nosandbox"
	copy_fixture "$NS"
	# (a change of its own: else the local store, which earlier copies
	# filled, would serve greet and app without a compile)
	for f in greet/src/lib.rs app/src/main.rs; do printf '\n// no sandbox\n' >>"$NS/$f"; done
	mkdir -p "$WORK/incr-nobwrap"
	printf '#!/bin/sh\necho "bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2\nexit 1\n' >"$WORK/incr-nobwrap/bwrap"
	chmod +x "$WORK/incr-nobwrap/bwrap"
	gbuild "$NS" incr-ns1 PATH="$WORK/incr-nobwrap:$PATH"; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/incr-ns1.err")"
	check "no sandbox: greet and app compiled locally at host paths, one line naming the cause and the fix, the program right (exit $rc; ${I:-0} locally)" \
		bash -c "[ $rc -eq 0 ] && [ '${I:-0}' -ge 2 ] && [ '${F:-1}' -eq 0 ] && [ \$(grep -c 'no sandbox (bwrap: No permissions.*apt-get install bubblewrap' '$WORK/incr-ns1.err') -eq 1 ] && cmp -s '$WORK/incr-plain1.out' '$WORK/incr-ns1.out'"
fi
