# Exactness (issue 9, items 1-3): what a unit may read is what plain cargo's
# rustc and build scripts can read. Sourced by tests/e2e.sh (group exact-ws).
#
# tests/exact/ws: a workspace whose app includes another crate's file and a
# workspace file outside every package, finds a file through
# concat!(env!("CARGO_MANIFEST_DIR"), ...), prints env!("CARGO_MANIFEST_DIR"),
# env! of a shell variable and of a [env] entry of .cargo/config.toml, and has
# a build script reading ../../data; its integration tests use
# CARGO_BIN_EXE_app, CARGO_MANIFEST_DIR at run time and CARGO_TARGET_TMPDIR.
# CARGO_INCREMENTAL=0 (as in CI): every unit goes through the engine.

# reasons FILE: the reasons of the stats line's local rustc calls, one a line.
reasons() {
	sed -n 's/^cargo-green: .* passed to the local rustc (\([^)]*\)).*/\1/p' "$1" | tail -n1 | tr ';' '\n' | sed 's/^ *//' | grep -v '^$'
}
# only_probes FILE: every local rustc call of the run was a probe.
only_probes() {
	grep -q '^cargo-green: .* compiles\{0,1\} in BuildKit' "$1" || return 1
	! reasons "$1" | grep -vxE 'probe|source on stdin \(probe\)'
}

if want exact-ws; then
	WSRC="$ROOT/tests/exact/ws"
	wsp="$WORK/exact-ws/plain" wsg="$WORK/exact-ws/green" wso="$WORK/exact-ws/other/place"
	for d in "$wsp" "$wsg" "$wso"; do rm -rf "$d"; mkdir -p "$(dirname "$d")"; cp -r "$WSRC" "$d"; rm -rf "$d/target"; done
	export GREEN_WS_SHELL_VAR="from the shell"
	(cd "$wsp" && CARGO_INCREMENTAL=0 cargo build -q 2>/dev/null && ./target/debug/app >"$WORK/ws-plain.out")
	check "exact-ws: plain cargo builds the workspace fixture (baseline)" grep -q 'cli-from-other' "$WORK/ws-plain.out"

	(cd "$wsg" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/ws-green.err"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/ws-green.err")"
	check "exact-ws: cargo green builds it (exit $rc), every compile in BuildKit (${N:-0}), none failed" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -ge 4 ] && [ '${F:-1}' -eq 0 ]"
	check "exact-ws: no compile went to the local rustc but probes ($(reasons "$WORK/ws-green.err" | tr '\n' ','))" \
		only_probes "$WORK/ws-green.err"
	(cd "$wsg" && ./target/debug/app >"$WORK/ws-green.out" 2>&1)
	# Same program output but the manifest dir, which is each copy's own.
	sed "s|$wsp|DIR|" "$WORK/ws-plain.out" >"$WORK/ws-plain.norm"
	sed "s|$wsg|DIR|" "$WORK/ws-green.out" >"$WORK/ws-green.norm"
	check "exact-ws: include! of another crate's file, include_str! of a workspace file, a build script reading ../../data: the same program output as plain cargo" \
		bash -c "grep -q 'banner: a file of the workspace' '$WORK/ws-green.out' && grep -q 'build: read by build.rs' '$WORK/ws-green.out' && cmp -s '$WORK/ws-plain.norm' '$WORK/ws-green.norm'"
	check "exact-ws: env!(\"CARGO_MANIFEST_DIR\") is the host path, as with plain cargo" \
		grep -qx "manifest dir: $wsg/crates/app" "$WORK/ws-green.out"
	check "exact-ws: env! of a shell variable and of a .cargo/config.toml [env] entry, on the first build" \
		bash -c "grep -qx 'shell: from the shell' '$WORK/ws-green.out' && grep -qx 'config: from .cargo/config.toml' '$WORK/ws-green.out'"
	app_df=$(ls "$wsg"/target/cargo-green/df/app-*/Dockerfile | head -n1)
	other_df=$(ls "$wsg"/target/cargo-green/df/other-*/Dockerfile | head -n1)
	check "exact-ws: only the unit that reads its path is keyed on it; the others keep the fixed paths" \
		bash -c "grep -q 'target=$wsg' '$app_df' && grep -q 'target=/green/ws/crates/other' '$other_df' && ! grep -q '$wsg' '$other_df'"

	# Integration tests: CARGO_BIN_EXE_*, CARGO_MANIFEST_DIR at run time, CARGO_TARGET_TMPDIR.
	(cd "$wsp" && CARGO_INCREMENTAL=0 cargo test >"$WORK/ws-test-plain.out" 2>&1); rcp=$?
	(cd "$wsg" && CARGO_INCREMENTAL=0 cargo green test >"$WORK/ws-test-green.out" 2>"$WORK/ws-test-green.err"); rcg=$?
	cat "$WORK/ws-test-green.err" >>"$WORK/ws-test-green.out"
	check "exact-ws: cargo green test passes as cargo test does (exit $rcg vs $rcp; CARGO_BIN_EXE_app, CARGO_MANIFEST_DIR, CARGO_TARGET_TMPDIR)" \
		bash -c "[ $rcg -eq 0 ] && [ $rcp -eq 0 ] && diff <(grep -E '^test |test result' '$WORK/ws-test-plain.out' | sed 's/finished in .*//' | sort) <(grep -E '^test |test result' '$WORK/ws-test-green.out' | sed 's/finished in .*//' | sort) && grep -q 'test runs_the_binary ... ok' '$WORK/ws-test-green.out'"
	check "exact-ws: the tests' compiles went through BuildKit, no compile but probes to the local rustc" \
		only_probes "$WORK/ws-test-green.err"

	# After cargo clean: all hits, same bytes.
	sum_app() { sha256sum "$1/target/debug/app" | cut -d' ' -f1; }
	before=$(sum_app "$wsg")
	(cd "$wsg" && cargo clean -q && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/ws-clean.err"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/ws-clean.err")"
	check "exact-ws: after cargo clean every compile is a hit (${H:-0} of ${N:-0}), same binary" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -ge 4 ] && [ '${H:-0}' -eq '${N:-0}' ] && [ '$before' = '$(sum_app "$wsg")' ]"

	# A change to the workspace file a unit read: it is rebuilt, with the new content (not a stale hit).
	echo "banner: changed" >"$wsg/data/banner.txt"
	(cd "$wsg" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/ws-edit.err" && ./target/debug/app >"$WORK/ws-edit.out"); rc=$?
	check "exact-ws: a change to the included workspace file reaches the binary (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'banner: changed' '$WORK/ws-edit.out'"
	echo "read by build.rs, changed" >"$wsg/data/build-input.txt"
	(cd "$wsg" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/ws-edit2.err" && ./target/debug/app >"$WORK/ws-edit2.out"); rc=$?
	check "exact-ws: a change to the file the build script reads reaches the binary (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'build: read by build.rs, changed' '$WORK/ws-edit2.out'"
	GREEN_WS_SHELL_VAR="changed in the shell"
	(cd "$wsg" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/ws-edit3.err" && ./target/debug/app >"$WORK/ws-edit3.out"); rc=$?
	check "exact-ws: a new value of the shell variable env! read reaches the binary (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'shell: changed in the shell' '$WORK/ws-edit3.out'"

	# Another checkout: the units that do not read their path are hits.
	(cd "$wso" && GREEN_WS_SHELL_VAR="from the shell" CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/ws-other.err" && ./target/debug/app >"$WORK/ws-other.out"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/ws-other.err")"
	check "exact-ws: from another path: right output (manifest dir $wso/crates/app), the path-independent units hit (${H:-0} of ${N:-0})" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'manifest dir: $wso/crates/app' '$WORK/ws-other.out' && [ '${H:-0}' -ge 1 ]"

	# A genuine compile error is reported as plain cargo reports it, and does not stick a mode to the crate.
	for d in "$wsp" "$wsg"; do printf '\nfn broken() -> u32 { "no" }\n' >>"$d/crates/other/src/lib.rs"; done
	(cd "$wsp" && CARGO_INCREMENTAL=0 cargo build >/dev/null 2>"$WORK/ws-err-plain.err"); rcp=$?
	(cd "$wsg" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/ws-err-green.err"); rcg=$?
	diagnostics "$WORK/ws-err-plain.err" | sed "s|$wsp|DIR|g" >"$WORK/ws-err-plain.diag"
	diagnostics "$WORK/ws-err-green.err" | sed "s|$wsg|DIR|g" >"$WORK/ws-err-green.diag"
	check "exact-ws: a compile error in a member: exit 101 and the diagnostics of plain cargo ($rcg vs $rcp)" \
		bash -c "[ $rcg -eq 101 ] && [ $rcp -eq 101 ] && grep -q 'E0308' '$WORK/ws-err-green.diag' && diff '$WORK/ws-err-plain.diag' '$WORK/ws-err-green.diag'"
	unset GREEN_WS_SHELL_VAR
fi
