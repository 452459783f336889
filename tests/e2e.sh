#!/usr/bin/env bash
# End-to-end tests: the real cargo, the real BuildKit engine, real crates from
# crates.io. Each check prints "ok" or "FAIL"; the run ends with the line
# "N passed, N failed" and exits non-zero if anything failed. On failure the
# work dir is kept and named.
#
#   tests/e2e.sh            every check
#   E2E_ONLY=fixture ...    only the checks whose group matches
#                           (fixture-{build,clean,copy,edit,test,error,cmds}, base, errors, settings, settings-build, final, ripgrep-dockerfile, recipe,
#                           correctness, realworld, faults, exact-*, remote, cache-registry, cache-registry-faults, cachemgmt, explain, verify, ripgrep)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/build/cargo-green"
FIXTURE="$ROOT/tests/fixture"
WORK=$(mktemp -d /tmp/cargo-green-e2e.XXXXXX)
PASSED=0
FAILED=0
ONLY=${E2E_ONLY:-}

note() { printf '%s\n' "$*" >&2; }
pass() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$1"; shift; [ $# -gt 0 ] && printf '     %s\n' "$@"; }
# check NAME COMMAND...: passes when the command succeeds.
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
want() { [ -z "$ONLY" ] || [[ $1 == *"$ONLY"* ]]; }

finish() {
	echo "$PASSED passed, $FAILED failed"
	if [ "$FAILED" -gt 0 ]; then
		note "e2e: work dir kept: $WORK (engine logs under */target/cargo-green/log/)"
		exit 1
	fi
	rm -rf "$WORK"
	exit 0
}

[ -x "$BIN" ] || { note "e2e: $BIN is missing: run make first"; fail "prerequisite: cargo-green built"; finish; }
command -v cargo >/dev/null || { fail "prerequisite: cargo on PATH"; finish; }

# The engine: found or started by the project's own script.
if ! eval "$("$ROOT/scripts/engine.sh")"; then
	fail "prerequisite: a BuildKit engine (scripts/engine.sh)"
	finish
fi
note "e2e: DOCKER_HOST=$DOCKER_HOST, work dir $WORK"

# `cargo green` finds cargo-green on PATH, as for a user.
mkdir -p "$WORK/bin"
ln -s "$BIN" "$WORK/bin/cargo-green"
ln -s "$BIN" "$WORK/bin/cargo-supergreen"
export PATH="$WORK/bin:$PATH"
unset RUSTC_WRAPPER CARGOGREEN_RUNNER CARGOGREEN_BASE_IMAGE CARGO_TARGET_DIR

# "N compiles in BuildKit (H cached: L local, E engine; M built, F failed),
#  I compiled locally (incremental), P passed ..." -> "N H M F P L E I"
stats() {
	sed -n 's/^cargo-green: \([0-9]*\) compiles\{0,1\} in BuildKit (\([0-9]*\) cached: \([0-9]*\) local, \([0-9]*\) engine; \([0-9]*\) built, \([0-9]*\) failed), \([0-9]*\) compiled locally (incremental[^)]*), \([0-9]*\) passed.*/\1 \2 \5 \6 \8 \3 \4 \7/p' "$1" | tail -n1
}
# The last run's totals as the plugin writes them (machine-readable):
# run_stat NAME prints its value (compiles, cached, local_hit, engine_hit,
# built, failed, incremental, passed, stale).
export __CARGOGREEN_STATS_OUT="$WORK/last-run.stats"
run_stat() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' "$__CARGOGREEN_STATS_OUT" 2>/dev/null || echo missing; }
# expect_stat NAME VALUE: the last run's NAME is VALUE.
expect_stat() { [ "$(run_stat "$1")" = "$2" ] || { note "e2e: $1 is $(run_stat "$1"), not $2"; return 1; }; }
# Checksums of what a build produced (binaries and libraries).
outputs_sum() { (cd "$1/target/debug" && sha256sum app deps/*.rlib deps/*.so 2>/dev/null | sort -k2); }
# The same, of what the engine built: not the workspace's own crates (greet,
# app), compiled by the local rustc (incremental: it names the objects of an
# rlib after its session, so a fresh compile's bytes differ).
engine_outputs_sum() { outputs_sum "$1" | grep -v -e ' app$' -e ' deps/libgreet-'; }
# The fixture's units compiled locally (incremental): greet and app, each
# with its build script (which, unchanged, the store may serve: keyed on the
# files they read); the two scripts' runs are local units too (+2 when they run).
FIXTURE_INCR=4
# The fixture as this run builds it: its workspace crates hold a comment of
# this run's own, so that their first build is a first build here too
# (their keys are path-independent: an earlier run's store would serve them),
# the same in every copy of this run.
FIXTURE_RUN="$WORK/fixture-src"
cp -r "$FIXTURE" "$FIXTURE_RUN" && rm -rf "$FIXTURE_RUN/target"
for f in greet/src/lib.rs app/src/main.rs; do printf '\n// e2e run %s\n' "$(basename "$WORK")" >>"$FIXTURE_RUN/$f"; done
copy_fixture() { rm -rf "$1"; mkdir -p "$(dirname "$1")"; cp -r "$FIXTURE_RUN" "$1"; rm -rf "$1/target"; }
# What the user reads, without the lines that differ by design.
diagnostics() { grep -v -e '^ *Blocking waiting for file lock' -e '^ *Compiling ' -e '^cargo-green: ' -e '^ *Finished ' -e '^ *Downloaded' -e '^ *Downloading' -e '^ *Locking' -e '^ *Updating' "$1"; }

# The fixture's cases (groups fixture-*): each sets up its own copies and
# builds them, so that it runs alone (E2E_ONLY=fixture-edit) and one case's
# failure leaves the next one's state as it would be. Each case's copies
# hold a comment of the case's own in the workspace's crates, so that their
# first build in the case compiles them (a case before it in this run must
# not have stored them). What is shared is only a cache: the local store and
# the engine's, which make a case faster, never its checks pass.
# fixture_case DIR NAME: a copy of the fixture at DIR, NAME's own.
fixture_case() {
	copy_fixture "$1"
	for f in greet/src/lib.rs app/src/main.rs; do printf '// case %s\n' "$2" >>"$1/$f"; done
}
# fixture_built DIR NAME: the same, built by cargo green (its stderr in DIR.err).
fixture_built() { fixture_case "$1" "$2"; (cd "$1" && cargo green build >/dev/null 2>"$1.err"); }
# plain_baseline: plain cargo's build and output of the fixture, once ($WORK/plain.out).
plain_baseline() {
	[ -s "$WORK/plain.out" ] && return 0
	copy_fixture "$WORK/plain"
	(cd "$WORK/plain" && cargo build -q 2>"$WORK/plain-build.err" && ./target/debug/app >"$WORK/plain.out")
	check "plain cargo builds the fixture (baseline)" test -s "$WORK/plain.out"
}

if want fixture-build; then
	plain_baseline
	A="$WORK/fb/a"
	fixture_case "$A" build
	cp -r "$A" "$WORK/fb/a.orig"
	(cd "$A" && cargo green build >"$WORK/a1.out" 2>"$WORK/a1.err")
	check "cargo green build of the fixture exits 0" test $? -eq 0
	read -r N H M F P L E I <<<"$(stats "$WORK/a1.err")"
	check "every compile of the fixture went through BuildKit but the workspace's own, compiled locally (${N:-0} compiles, ${I:-0} locally)" \
		test "${N:-0}" -ge 30 -a "${F:-1}" -eq 0 -a "${I:-0}" -ge 2 -a "${I:-0}" -le $((FIXTURE_INCR + 2))
	check "the run's machine-readable totals are those of its summary line" \
		bash -c "$(declare -f run_stat expect_stat note); expect_stat compiles '${N:-x}' && expect_stat built '${M:-x}' && expect_stat failed 0 && expect_stat incremental '${I:-x}' && expect_stat passed '${P:-x}' && expect_stat local_hit '${L:-x}'"
	(cd "$A" && ./target/debug/app >"$WORK/a.out" 2>&1)
	check "the binary prints what the plain-cargo binary prints" cmp -s "$WORK/plain.out" "$WORK/a.out"
	check "a build script's rustc-env, OUT_DIR file and C code (cc crate) reach the binary" \
		grep -q 'hello from build.rs' "$WORK/a.out"
	check "links metadata (DEP_GREETC_INCLUDE) reaches a dependent's build script, with OUT_DIR files" \
		grep -q 'header: #define GREET_FACTOR 1' "$WORK/a.out"
	shim=$(ls "$A"/target/debug/build/serde-*/build-script-build | head -n1)
	check "a dependency's build script never runs on the host: cargo runs a shim" grep -q '__build-script-run' "$shim"
	check "its OUT_DIR came back to the host" test -s "$(ls "$A"/target/debug/build/serde-*/out/private.rs | head -n1)"
	own=$(ls "$A"/target/debug/build/greet-*/build-script-build | head -n1)
	check "a workspace crate's build script, compiled locally (incremental), runs through cargo-green (in its sandbox): cargo runs a shim" \
		bash -c "grep -q '__build-script-run' '$own' && grep -q 'hello from build.rs' '$WORK/a.out'"
	check "no host path and no user name in any Dockerfile" \
		bash -c "[ \$(ls '$A'/target/cargo-green/df/*/Dockerfile | wc -l) -ge 30 ] && ! grep -rlE -e '$A' -e '$HOME' '$A/target/cargo-green/df/'"
	check "every compile runs with --network=none" \
		bash -c "[ \$(grep -h '^RUN ' '$A'/target/cargo-green/df/*/Dockerfile | wc -l) -ge 30 ] && ! grep -h '^RUN ' '$A'/target/cargo-green/df/*/Dockerfile | grep -v -- '--network=none'"
	app_df=$(ls "$A"/target/cargo-green/df/serde_json-*/Dockerfile | head -n1)
	check "a compile's Dockerfile holds its own unit alone, its closure's outputs one context, mounted read-only and linked ($(wc -c <"$app_df") bytes)" \
		bash -c "grep -qE -- '--mount=type=bind,from=deps,target=/green/deps( |\$)' '$app_df' && ! grep -q 'target=/green/deps,rw' '$app_df' && grep -qxF 'mkdir -p /green/target && cp -rs /green/deps/. /green/target/ || exit 3' '$app_df' && ! grep -q 'COPY --from=deps' '$app_df' && ! grep -q ' AS e-' '$app_df' && [ \$(grep -c '^FROM ' '$app_df') -eq 3 ]"
	check "no per-call directory is left behind; the deps context lives in slots kept for the next calls" \
		bash -c "cd '$A/target/cargo-green' && [ -d tmp ] && [ -z \"\$(ls -A tmp)\" ] && { [ ${L:-0} -eq ${N:-0} ] || [ -d deps/0 ]; } && ! ls deps | grep -vxE '[0-9]+(\\.lock|\\.trees)?'"
	check "dep-info files name host paths, not container paths" \
		bash -c "! grep -l '/green/' '$A'/target/debug/deps/*.d && grep -q '$A/target/debug/build/serde-.*/out/private.rs' '$A'/target/debug/deps/serde-*.d"
	check "the jobserver never reaches the engine" bash -c "[ \$(ls '$A'/target/cargo-green/df/*/Dockerfile | wc -l) -ge 30 ] && ! grep -l MAKEFLAGS '$A'/target/cargo-green/df/*/Dockerfile"
	check "nothing is written into the user's tree" bash -c "cd '$A' && diff -r -x target '$WORK/fb/a.orig' . >/dev/null"

	(cd "$A" && cargo green build >"$WORK/a2.out" 2>"$WORK/a2.err")
	read -r N H M F P L E I <<<"$(stats "$WORK/a2.err")"
	check "a second cargo green build compiles nothing" \
		bash -c "grep -q 'Finished' '$WORK/a2.err' && ! grep -q Compiling '$WORK/a2.err' && [ '${N:-0}' -eq 0 ] && [ '${I:-0}' -eq 0 ]"
fi

if want fixture-clean; then
	plain_baseline
	A="$WORK/fc/a"
	fixture_built "$A" clean
	outputs_sum "$A" >"$WORK/fc1.sums"
	(cd "$A" && cargo clean -q && cargo green build >"$WORK/a3.out" 2>"$WORK/a3.err")
	read -r N H M F P L E I <<<"$(stats "$WORK/a3.err")"
	check "after cargo clean every unit is a cache hit, the locally compiled ones included ($H of $N, $L from the local store; ${I:-0} compiled locally)" \
		test "${N:-0}" -ge 34 -a "$H" -eq "$N" -a "$M" -eq 0 -a "${I:-1}" -eq 0
	outputs_sum "$A" >"$WORK/a3.sums"
	check "the cache hits give the bytes of the first build (rlibs, proc-macros, greet's and the binary app)" \
		bash -c "[ \$(wc -l <'$WORK/fc1.sums') -ge 15 ] && grep -q ' app$' '$WORK/fc1.sums' && diff '$WORK/fc1.sums' '$WORK/a3.sums'"
	(cd "$A" && ./target/debug/app >"$WORK/a3.app" 2>&1)
	check "the cache hit's binary runs the same" cmp -s "$WORK/plain.out" "$WORK/a3.app"
fi

if want fixture-copy; then
	A="$WORK/fp/a" B="$WORK/fp/elsewhere/deeper/copy" B2="$WORK/fp/third/copy"
	fixture_case "$B" copy
	fixture_case "$B2" copy
	fixture_built "$A" copy
	engine_outputs_sum "$A" >"$WORK/fp-a.engine.sums"
	outputs_sum "$A" >"$WORK/fp-a.sums"
	(cd "$B" && cargo green build >"$WORK/b.out" 2>"$WORK/b.err")
	read -r N H M F P L E I <<<"$(stats "$WORK/b.err")"
	check "a copy at another path: every unit a hit, the locally compiled ones included ($H of $N; ${I:-0} compiled locally)" \
		test "${N:-0}" -ge 34 -a "$H" -eq "$N" -a "$M" -eq 0 -a "${I:-1}" -eq 0
	outputs_sum "$B" >"$WORK/b.sums"
	check "…with the first copy's bytes, the binary's too (fixed paths: no host path in them)" \
		bash -c "[ \$(wc -l <'$WORK/b.sums') -ge 15 ] && diff '$WORK/fp-a.sums' '$WORK/b.sums'"
	check "…and its Dockerfiles equal the first copy's, byte for byte" \
		diff -r "$A/target/cargo-green/df" "$B/target/cargo-green/df"
	(cd "$B2" && __CARGOGREEN_NO_STORE=1 cargo green build >/dev/null 2>"$WORK/b2.err")
	read -r N H M F P L E I <<<"$(stats "$WORK/b2.err")"
	# (but the runs of the workspace's build scripts, whose local compiles,
	# fresh and not stored, may have other bytes than the first's)
	check "with the local store off, every compile is a BuildKit cache hit ($E of $N)" \
		test "${N:-0}" -ge 30 -a $(( ${E:-0} + ${M:-0} )) -eq "$N" -a "${M:-3}" -le 2
	engine_outputs_sum "$B2" >"$WORK/b2.sums"
	check "…with the same bytes (what the engine built)" \
		bash -c "[ \$(wc -l <'$WORK/b2.sums') -ge 13 ] && diff '$WORK/fp-a.engine.sums' '$WORK/b2.sums'"
fi

if want fixture-edit; then
	plain_baseline
	B="$WORK/fe/a"
	fixture_built "$B" edit
	# Change one source line of a workspace crate: exactly it and its
	# dependent compile again, by the local rustc (incremental), as with
	# plain cargo; nothing goes to BuildKit.
	printf '\npub fn added() -> u64 { %s }\n' "$(date +%s%N)" >>"$B/greet/src/lib.rs"
	(cd "$B" && cargo green build >/dev/null 2>"$WORK/b-edit.err")
	read -r N H M F P L E I <<<"$(stats "$WORK/b-edit.err")"
	check "a one-line change compiles exactly greet and app again, locally (incremental) (${I:-0} locally, ${N:-0} in BuildKit)" \
		test "${N:-1}" -eq 0 -a "${I:-0}" -eq 2
	(cd "$B" && ./target/debug/app >"$WORK/b-edit.out" 2>&1)
	check "…and the rebuilt binary runs the same" cmp -s "$WORK/plain.out" "$WORK/b-edit.out"
fi

if want fixture-test; then
	A="$WORK/ft/a"
	fixture_case "$A" test
	(cd "$A" && cargo green test >"$WORK/test.out" 2>"$WORK/test.err")
	check "cargo green test passes (unit, integration and C-linking tests)" \
		bash -c "[ $? -eq 0 ] && grep -q 'test tests::c_code_links ... ok' '$WORK/test.out' && grep -q 'test binary_prints_greeting ... ok' '$WORK/test.out'"
fi

if want fixture-error; then
	# A compile error: the same diagnostics and exit code as plain cargo.
	A="$WORK/fr/a" PLAIN="$WORK/fr/plain"
	fixture_built "$A" error
	fixture_case "$PLAIN" error
	(cd "$PLAIN" && cargo build -q >/dev/null 2>&1)
	for d in "$A" "$PLAIN"; do sed -i 's/greet::mul(6, 7)/greet::mul(6, "7")/' "$d/app/src/main.rs"; done
	(cd "$A" && cargo green build >/dev/null 2>"$WORK/err-green.err"); rc_green=$?
	(cd "$PLAIN" && cargo build >/dev/null 2>"$WORK/err-plain.err"); rc_plain=$?
	check "a compile error exits 101 like plain cargo ($rc_green vs $rc_plain)" test "$rc_green" -eq 101 -a "$rc_plain" -eq 101
	diagnostics "$WORK/err-green.err" >"$WORK/err-green.diag"
	diagnostics "$WORK/err-plain.err" >"$WORK/err-plain.diag"
	check "a compile error shows the same diagnostics as plain cargo" \
		bash -c "grep -q 'error\[E0308\]' '$WORK/err-green.diag' && diff '$WORK/err-plain.diag' '$WORK/err-green.diag'"
	check "a failed compile leaves nothing half-written" \
		bash -c "[ -d '$A/target/cargo-green/tmp' ] && [ -z \"\$(ls -A '$A/target/cargo-green/tmp')\" ]"
fi

if want fixture-cmds; then
	# Other cargo subcommands.
	plain_baseline
	A="$WORK/fm/a"
	fixture_case "$A" cmds
	(cd "$A" && cargo green check >/dev/null 2>"$WORK/check.err"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/check.err")"
	check "cargo green check works through BuildKit, greet and app checked locally (exit $rc, ${N:-0} compiles, ${I:-0} locally)" \
		test "$rc" -eq 0 -a "${N:-0}" -ge 5 -a "${I:-0}" -eq 2
	(cd "$A" && cargo green run -q >"$WORK/run.out" 2>"$WORK/run.err")
	check "cargo green run runs the binary" cmp -s "$WORK/plain.out" "$WORK/run.out"
	if cargo clippy --version >/dev/null 2>&1; then
		(cd "$A" && cargo green clippy >/dev/null 2>"$WORK/clippy.err"); rc=$?
		check "cargo green clippy works (clippy-driver calls go to the local driver)" \
			bash -c "[ $rc -eq 0 ] && grep -q 'not rustc' '$WORK/clippy.err'"
	else
		fail "prerequisite: cargo clippy (rustup component add clippy)"
	fi
	cargo >"$WORK/bare-plain.out" 2>&1; rc_plain=$?
	cargo green >"$WORK/bare-green.out" 2>&1; rc_green=$?
	check "cargo green with no arguments behaves like cargo" \
		bash -c "[ $rc_plain -eq $rc_green ] && diff '$WORK/bare-plain.out' '$WORK/bare-green.out'"
	W="$WORK/fm/wrapper-only"
	fixture_case "$W" cmds
	(cd "$W" && RUSTC_WRAPPER="$BIN" cargo build >/dev/null 2>"$WORK/wrapper.err" && ./target/debug/app >"$WORK/wrapper.out"); rc=$?
	check "RUSTC_WRAPPER=cargo-green cargo build (no plugin) builds through BuildKit, quietly" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$WORK/plain.out' '$WORK/wrapper.out' && ! grep -q '^cargo-green:' '$WORK/wrapper.err' && ls '$W'/target/cargo-green/df/serde_json-*/Dockerfile >/dev/null"
	T="$WORK/fm/toolchain"
	fixture_case "$T" cmds
	tc=$(rustup show active-toolchain 2>/dev/null | awk '{print $1}')
	(cd "$T" && cargo green "+$tc" build >/dev/null 2>"$WORK/tc.err"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/tc.err")"
	check "cargo green +$tc build works, through BuildKit (${H:-0} of ${N:-0} hits)" \
		test "$rc" -eq 0 -a "${N:-0}" -ge 30 -a "${H:-0}" -eq "${N:-0}"
fi

if want base; then
	derived=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep "^cargo-green-rust:$(rustc --version | cut -d' ' -f2)-" | head -n1)
	os=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep '^cargo-green-os:' | head -n1)
	check "the derived base image is tagged by rustc's commit hash ($derived)" \
		bash -c "rustc -vV | grep -q \"commit-hash: \${derived##*-}\""
	docker tag "$derived" cargo-green-e2e/rust:same
	D="$WORK/base-same"
	copy_fixture "$D"
	(cd "$D" && CARGOGREEN_BASE_IMAGE=docker-image://cargo-green-e2e/rust:same cargo green build >/dev/null 2>"$WORK/same.err"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/same.err")"
	check "CARGOGREEN_BASE_IMAGE: an image with the same rustc replaces the base (exit $rc, ${N:-0} compiles)" \
		test "$rc" -eq 0 -a "${N:-0}" -ge 30
	# A new state dir on an engine that has the derived base: its check
	# files, made with it, read without a build; the same identity as the
	# state dir that checked it before. A user's image (here a tag of the
	# derived one, files and all) is checked by a build.
	(cd "$D" && XDG_CACHE_HOME="$WORK/xdg-baked" CARGOGREEN_LOG=info,engine=debug CARGOGREEN_LOG_PATH="$WORK/baked.log" cargo green fetch >/dev/null 2>&1); rc=$?
	(cd "$D" && XDG_CACHE_HOME="$WORK/xdg-baked" cargo supergreen env CARGOGREEN_BASE_IMAGE 2>/dev/null | grep '^# base identity') >"$WORK/baked.ident"
	(cd "$D" && cargo supergreen env CARGOGREEN_BASE_IMAGE 2>/dev/null | grep '^# base identity') >"$WORK/main.ident"
	check "a new state dir reads the derived base's check from its files, no build, no probe build, the same identity (exit $rc; $(grep -o 'its check files read, no build ([0-9.]* ms)' "$WORK/baked.log"))" \
		bash -c "[ $rc -eq 0 ] && grep -q 'its check files read, no build' '$WORK/baked.log' && ! grep -q 'checked by a build' '$WORK/baked.log' && ! grep -q 'base/probe\.' '$WORK/baked.log' && grep -q 'sha256:[0-9a-f]\{64\}' '$WORK/baked.ident' && diff '$WORK/main.ident' '$WORK/baked.ident' >&2"
	# …but with another builder named, the probe asks that one (its files say nothing of it).
	(cd "$D" && XDG_CACHE_HOME="$WORK/xdg-baked2" BUILDX_BUILDER=default CARGOGREEN_LOG=info,engine=debug CARGOGREEN_LOG_PATH="$WORK/baked2.log" cargo green fetch >/dev/null 2>&1); rc=$?
	check "…BUILDX_BUILDER=default: no probe build either (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q 'its check files read, no build' '$WORK/baked2.log' && ! grep -q 'base/probe\.' '$WORK/baked2.log'"
	(cd "$D" && XDG_CACHE_HOME="$WORK/xdg-user" CARGOGREEN_BASE_IMAGE=docker-image://cargo-green-e2e/rust:same CARGOGREEN_LOG=info,engine=debug CARGOGREEN_LOG_PATH="$WORK/user.log" cargo green fetch >/dev/null 2>&1); rc=$?
	check "…a user's base image is checked by a build, whatever files it holds, and the engine probed (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q 'cargo-green-e2e/rust:same: checked by a build' '$WORK/user.log' && ! grep -q 'check files read' '$WORK/user.log' && grep -q 'base/probe\.' '$WORK/user.log'"
	mkdir -p "$WORK/fakectx"
	printf '#!/bin/sh\necho "rustc 1.0.0 (fake 2015-05-15)"\n' >"$WORK/fakectx/rustc"
	chmod +x "$WORK/fakectx/rustc"
	printf 'FROM %s\nCOPY rustc /usr/local/bin/rustc\n' "$os" >"$WORK/fakectx/Dockerfile"
	docker buildx build -q --load -t cargo-green-e2e/rust:fake "$WORK/fakectx" >/dev/null 2>"$WORK/fake-build.err"
	(cd "$D" && cargo clean -q && CARGOGREEN_BASE_IMAGE=docker-image://cargo-green-e2e/rust:fake cargo green build >/dev/null 2>"$WORK/base-fake.err"); rc=$?
	check "CARGOGREEN_BASE_IMAGE with another rustc: exit 5 ($rc), one line naming both versions" \
		bash -c "[ $rc -eq 5 ] && [ \$(wc -l <'$WORK/base-fake.err') -eq 1 ] && grep -q 'rustc 1.0.0 (fake 2015-05-15)' '$WORK/base-fake.err' && grep -qF \"\$(rustc -V)\" '$WORK/base-fake.err'"
	docker rmi -f cargo-green-e2e/rust:same cargo-green-e2e/rust:fake >/dev/null 2>&1
fi

if want errors; then
	C="$WORK/errors"
	copy_fixture "$C"
	(cd "$C" && DOCKER_HOST=unix:///nonexistent/docker.sock cargo green build >"$WORK/unreach.out" 2>"$WORK/unreach.err"); rc=$?
	check "engine unreachable: exit 3 ($rc), one line naming DOCKER_HOST and the fix" \
		bash -c "[ $rc -eq 3 ] && [ \$(wc -l <'$WORK/unreach.err') -eq 1 ] && grep -q 'DOCKER_HOST=unix:///nonexistent/docker.sock' '$WORK/unreach.err' && grep -q 'CARGOGREEN_RUNNER=none' '$WORK/unreach.err'"
	check "engine unreachable: no silent local build" test ! -e "$C/target/debug/app"

	(cd "$C" && CARGOGREEN_RUNNER=dokcer cargo green build >/dev/null 2>"$WORK/runner.err"); rc=$?
	check "a bad CARGOGREEN_RUNNER: exit 2, one line with a valid example" \
		bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$WORK/runner.err') -eq 1 ] && grep -qF 'CARGOGREEN_RUNNER=\"dokcer\" (from the environment): not a runner, expected docker, podman or none (e.g. CARGOGREEN_RUNNER=docker)' '$WORK/runner.err'"
	(cd "$C" && CARGOGREEN_BASE_IMAGE=rust:1 cargo green build >/dev/null 2>"$WORK/base.err"); rc=$?
	check "a bad CARGOGREEN_BASE_IMAGE: exit 2, one line" \
		bash -c "[ $rc -eq 2 ] && grep -q 'docker-image://' '$WORK/base.err' && [ \$(wc -l <'$WORK/base.err') -eq 1 ]"

	check "cargo supergreen -V (the alias) prints the version" bash -c "cargo supergreen -V | grep -q '^cargo-green '"
	cargo green supergreen frobnicate >/dev/null 2>"$WORK/sg.err"; rc=$?
	check "an unknown supergreen subcommand: exit 2, the valid ones listed" \
		bash -c "[ $rc -eq 2 ] && grep -q \"unknown subcommand 'frobnicate' (valid: \" '$WORK/sg.err'"

	# An engine failure that is not rustc's: a buildx that dies mid-build.
	mkdir -p "$WORK/fakedocker/cli-plugins"
	cat >"$WORK/fakedocker/cli-plugins/docker-buildx" <<-'FAKE'
	#!/bin/sh
	echo "#1 [internal] load build definition"
	echo "ERROR: failed to solve: simulated engine failure"
	exit 1
	FAKE
	chmod +x "$WORK/fakedocker/cli-plugins/docker-buildx"
	(cd "$C" && __CARGOGREEN_NO_STORE=1 DOCKER_CONFIG="$WORK/fakedocker" cargo green build >/dev/null 2>"$WORK/fake.err"); rc=$?
	check "an engine failure: cargo fails (exit $rc), the cause and the log path are named" \
		bash -c "[ $rc -ne 0 ] && grep -q 'simulated engine failure (full log: ' '$WORK/fake.err'"
	check "an engine failure leaves no output in target/" \
		bash -c "[ -z \"\$(ls '$C'/target/debug/deps/*.rlib 2>/dev/null)\" ] && [ -z \"\$(ls -A '$C/target/cargo-green/tmp' 2>/dev/null)\" ]"

	R="$WORK/runner-none"
	copy_fixture "$R"
	(cd "$R" && CARGOGREEN_RUNNER=none cargo green build >/dev/null 2>"$WORK/none.err" && ./target/debug/app >"$WORK/none.out")
	read -r N H M F P L E I <<<"$(stats "$WORK/none.err")"
	check "CARGOGREEN_RUNNER=none builds with the local rustc (${P:-0} local, ${N:-0} in BuildKit)" \
		bash -c "[ '${N:-1}' -eq 0 ] && [ '${P:-0}' -ge 30 ] && grep -q 'hello from build.rs' '$WORK/none.out'"

	# Switching runners on a built tree: units rebuilt locally lose their engine record.
	S="$WORK/switch"
	copy_fixture "$S"
	# (CARGOGREEN_INCREMENTAL=1: greet built in the engine, with its record)
	(cd "$S" && CARGOGREEN_INCREMENTAL=1 cargo green build -q 2>/dev/null)
	rec=$(ls "$S"/target/debug/deps/greet-*.green | head -n1)
	printf '\n// touched\n' >>"$S/greet/src/lib.rs"
	(cd "$S" && CARGOGREEN_RUNNER=none cargo green build >/dev/null 2>"$WORK/switch.err" && ./target/debug/app >"$WORK/switch.out"); rc=$?
	check "after CARGOGREEN_RUNNER=none rebuilds a unit locally, its engine record is gone" \
		bash -c "[ $rc -eq 0 ] && [ -n '$rec' ] && [ ! -e '$rec' ] && grep -q 'hello from build.rs' '$WORK/switch.out'"
	printf '\n// touched again\n' >>"$S/greet/build.rs"
	(cd "$S" && CARGOGREEN_RUNNER=none cargo green build >/dev/null 2>"$WORK/switch2.err"); rc=$?
	(cd "$S" && CARGOGREEN_RUNNER=none cargo green build >/dev/null 2>&1); rc2=$?
	check "a build script compiled for the engine is not run by CARGOGREEN_RUNNER=none without a word (exit $rc, then $rc2)" \
		bash -c "[ $rc -eq 0 ] || grep -q 'switching runners needs a fresh build' '$WORK/switch2.err'"
fi

# Every setting of the spec.
. "$ROOT/tests/e2e_settings.sh"
# Cache correctness: one input changed at a time.
. "$ROOT/tests/e2e_correct.sh"
# Faults, bad input and secrets: interrupts, leftovers, Dockerfile injection.
. "$ROOT/tests/e2e_faults.sh"
# CARGOGREEN_FINAL_PATH: one standalone Dockerfile, built again by plain docker.
. "$ROOT/tests/e2e_final.sh"
# Cache images through a real registry (group cache-registry).
. "$ROOT/tests/e2e_cache_registry.sh"
# …and a registry that misbehaves: slow, dying mid-push, 403, a full disk (group cache-registry-faults).
. "$ROOT/tests/e2e_cache_registry_faults.sh"
# The local store as users manage it: size limit, cache ls/rm/gc/stats, damaged entries (group cachemgmt).
. "$ROOT/tests/e2e_cachemgmt.sh"
# Exactness on real projects, one file per class (groups exact-*); faults
# (groups faults-*).
for f in "$ROOT"/tests/e2e_exact_*.sh "$ROOT"/tests/e2e_faults_*.sh; do
	[ -e "$f" ] && . "$f"
done
# Everyday commands next to plain cargo (group realworld).
. "$ROOT/tests/e2e_realworld.sh"
# Remote execution: DOCKER_HOST=ssh:// to an sshd and a second engine of its own (group remote).
. "$ROOT/tests/e2e_remote.sh"
# Why a unit missed, and verified hits (groups explain, verify).
. "$ROOT/tests/e2e_explain.sh"

if want ripgrep; then
	# A real-world project, as users install it.
	(cd "$WORK" && cargo green install --locked --root "$WORK/rg" ripgrep@14.1.1 >"$WORK/rg.out" 2>"$WORK/rg.err")
	read -r N H M F P L E I <<<"$(stats "$WORK/rg.err")"
	check "cargo green install ripgrep: rg --version runs (${N:-0} compiles in BuildKit)" \
		bash -c "'$WORK/rg/bin/rg' --version | grep -q '^ripgrep 14.1.1' && [ '${N:-0}' -ge 20 ] && [ '${F:-1}' -eq 0 ]"
fi

finish
