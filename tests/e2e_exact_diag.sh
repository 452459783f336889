# Exactness (issue 9, items 6 and 9): diagnostics, stats and settings as the
# user reads them. Sourced by tests/e2e.sh (group exact-diag).
#
# tests/exact/diag: a workspace (ws/) whose binary app depends on member, a
# workspace member, and on odep, a path crate outside the workspace (odep/).
#   - a compile error in odep or member: the diagnostics are plain cargo's,
#     byte for byte (human, coloured, --message-format=json's rendered field),
#     and the stats line counts the failed compile;
#   - a tree built by plain cargo: one line names why compiles go to the local
#     rustc, and the fix;
#   - [package.metadata.green] of a member: its own units only, from anywhere;
#     a bad value stops the build from anywhere.

# diag_copy DIR: a fresh copy of the fixture at DIR (DIR/ws, DIR/odep)
diag_copy() { rm -rf "$1"; mkdir -p "$(dirname "$1")"; cp -r "$ROOT/tests/exact/diag" "$1"; rm -rf "$1/ws/target"; }
# diag_rendered FILE: the rendered field of each compiler message of a --message-format=json output
diag_rendered() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    try: m = json.loads(l)
    except ValueError: continue
    if m.get("reason") == "compiler-message": sys.stdout.write(m["message"]["rendered"])' "$1"
}
# diag_df COPY CRATE: the Dockerfile of CRATE's compile in the copy's target dir
diag_df() { cat "$1"/ws/target/cargo-green/df/"$2"-*/Dockerfile; }
export -f diag_df
# diag_same NAME CMD...: run CMD (a cargo subcommand line) with plain cargo and cargo green,
# -j1 (one order of messages), CARGO_INCREMENTAL=0 (every unit in the engine), in $dp/ws and $dg/ws; compare what the user reads, each copy's
# own directory as DIR. The outputs stay in $WORK/diag-NAME.{plain,green}.
diag_same() {
	local name=$1; shift
	(cd "$dp/ws" && env CARGO_INCREMENTAL=0 "$@" >"$WORK/diag-$name.plain.out" 2>"$WORK/diag-$name.plain.err"); echo $? >"$WORK/diag-$name.plain.rc"
	local g=() a
	for a in "$@"; do g+=("$a"); [ "$a" = cargo ] && [ ${#g[@]} -gt 0 ] && g+=(green); done
	(cd "$dg/ws" && env CARGO_INCREMENTAL=0 "${g[@]}" >"$WORK/diag-$name.green.out" 2>"$WORK/diag-$name.green.err"); echo $? >"$WORK/diag-$name.green.rc"
	for k in plain green; do
		local d=$dp; [ $k = green ] && d=$dg
		{ cat "$WORK/diag-$name.$k.rc"; diagnostics "$WORK/diag-$name.$k.err" | grep -v 'Compiling\|Finished'
		  diag_rendered "$WORK/diag-$name.$k.out"; } | sed "s|$d|DIR|g" >"$WORK/diag-$name.$k"
	done
	diff "$WORK/diag-$name.plain" "$WORK/diag-$name.green" >&2
}

if want exact-diag; then
	dp="$WORK/exact-diag/plain" dg="$WORK/exact-diag/cg"
	diag_copy "$dp"
	diag_copy "$dg"

	# --- a compile error in a path crate outside the workspace ---
	for d in "$dp" "$dg"; do sed -i 's/x + 1/x + "1"/' "$d/odep/src/lib.rs"; done
	diag_same odep cargo build -j1; same=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/diag-odep.green.err")"
	check "exact-diag: an error in a path crate outside the workspace: exit 101, its host path, the diagnostics of plain cargo" \
		bash -c "[ $same -eq 0 ] && [ \"\$(head -n1 '$WORK/diag-odep.green')\" = 101 ] && grep -q '^ --> DIR/odep/src/lib.rs:2:7' '$WORK/diag-odep.green' && ! grep -q /green/path '$WORK/diag-odep.green.err'"
	check "exact-diag: the stats line counts the failed compile (${F:-?} failed)" [ "${F:-0}" -eq 1 ]
	diag_same odep-color env CARGO_TERM_COLOR=always cargo build -j1; same=$?
	check "exact-diag: ... the same coloured (CARGO_TERM_COLOR=always)" \
		bash -c "[ $same -eq 0 ] && grep -q \$'\\e\\[0mDIR/odep/src/lib.rs:2:7' '$WORK/diag-odep-color.green'"
	diag_same odep-json cargo build -j1 --message-format=json; same=$?
	check "exact-diag: ... the same rendered field with --message-format=json" \
		bash -c "[ $same -eq 0 ] && grep -q '^ --> DIR/odep/src/lib.rs:2:7' '$WORK/diag-odep-json.green'"
	diag_same odep-json-color env CARGO_TERM_COLOR=always cargo build -j1 --message-format=json-diagnostic-rendered-ansi; same=$?
	check "exact-diag: ... and with --message-format=json-diagnostic-rendered-ansi" \
		bash -c "[ $same -eq 0 ] && grep -q \$'\\e\\[0mDIR/odep/src/lib.rs:2:7' '$WORK/diag-odep-json-color.green'"

	# --- a compile error in a workspace member ---
	for d in "$dp" "$dg"; do sed -i 's/x + "1"/x + 1/' "$d/odep/src/lib.rs"; sed -i 's/x \* 2/x * "2"/' "$d/ws/member/src/lib.rs"; done
	diag_same member cargo build -j1; same=$?
	check "exact-diag: an error in a workspace member: the diagnostics of plain cargo" \
		bash -c "[ $same -eq 0 ] && grep -q '^ --> member/src/lib.rs:2:7' '$WORK/diag-member.green'"
	diag_same member-json env CARGO_TERM_COLOR=always cargo build -j1 --message-format=json-diagnostic-rendered-ansi; same=$?
	check "exact-diag: ... and coloured, as JSON" bash -c "[ $same -eq 0 ] && grep -q 'member/src/lib.rs' '$WORK/diag-member-json.green'"
	for d in "$dp" "$dg"; do sed -i 's/x \* "2"/x * 2/' "$d/ws/member/src/lib.rs"; done

	# --- a tree built by plain cargo, then cargo green: say why and what to do, once ---
	# (CARGO_INCREMENTAL=0: app goes to the engine, over what plain cargo built)
	ds="$WORK/exact-diag/stale"
	diag_copy "$ds"
	(cd "$ds/ws" && CARGO_INCREMENTAL=0 cargo build -q 2>/dev/null && touch app/src/main.rs && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/diag-stale.err"); rc=$?
	n=$(grep -c '^cargo-green: 1 compile went to the local rustc because its dependencies were built by plain cargo, not cargo green: run `cargo clean` once' "$WORK/diag-stale.err")
	check "exact-diag: after plain cargo, one line says compiles went to the local rustc and the fix, cargo clean (exit $rc, $n lines)" \
		bash -c "[ $rc -eq 0 ] && [ $n -eq 1 ] && grep -q 'a dependency was not built by cargo-green (plain cargo built it)' '$WORK/diag-stale.err'"
	(cd "$ds/ws" && cargo clean -q && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/diag-clean.err"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/diag-clean.err")"
	check "exact-diag: ... and after cargo clean, no such line, every compile in BuildKit (exit $rc, ${N:-0} compiles)" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -eq 3 ] && ! grep -q 'built by plain cargo' '$WORK/diag-clean.err'"
	# Dependencies cargo green itself compiled locally (incremental, the
	# default: in its sandbox, stored), then app in the engine
	# (CARGOGREEN_INCREMENTAL=1): over their stored outputs, no pass at all.
	(cd "$ds/ws" && cargo clean -q && cargo green build -q 2>/dev/null && touch app/src/main.rs &&
		CARGOGREEN_INCREMENTAL=1 cargo green build >/dev/null 2>"$WORK/diag-local.err"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/diag-local.err")"
	check "exact-diag: over dependencies cargo green compiled locally in their sandbox, app in BuildKit, no pass, no plain-cargo line (exit $rc, ${N:-0} compiles)" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -ge 1 ] && ! grep -q 'not built by cargo-green' '$WORK/diag-local.err' && ! grep -q 'plain cargo' '$WORK/diag-local.err'"
	# The same without a sandbox (compiled at host paths, not stored): app
	# goes to the local rustc, the reason in the stats line, no plain-cargo line.
	(cd "$ds/ws" && cargo clean -q && __CARGOGREEN_NO_SANDBOX=1 cargo green build -q 2>/dev/null && touch app/src/main.rs &&
		CARGOGREEN_INCREMENTAL=1 cargo green build >/dev/null 2>"$WORK/diag-local.err"); rc=$?
	check "exact-diag: over dependencies cargo green compiled locally without a sandbox: the reason in the stats line, no plain-cargo line (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q 'passed to the local rustc (.*a dependency was not built by cargo-green[;)]' '$WORK/diag-local.err' && ! grep -q 'plain cargo' '$WORK/diag-local.err'"

	# --- [package.metadata.green] of a member: a bad value stops the build from anywhere ---
	dm="$WORK/exact-diag/meta"
	diag_copy "$dm"
	printf '\n[package.metadata.green]\nwith-network = "everywhere"\n' >>"$dm/ws/member/Cargo.toml"
	want_err="cargo-green: error: with-network = \"everywhere\" in [package.metadata.green] of $dm/ws/member/Cargo.toml: not a network mode, expected none, default or host (e.g. with-network = \"default\")"
	for where in "root:$dm/ws:" "-p member:$dm/ws:-p member" "the app's directory:$dm/ws/app:"; do
		IFS=: read -r label dir args <<<"$where"
		(cd "$dir" && cargo green build $args >/dev/null 2>"$WORK/diag-bad.err"); rc=$?
		check "exact-diag: a bad value in a member's [package.metadata.green], built from $label: exit 2, one line, nothing built (exit $rc)" \
			bash -c "[ $rc -eq 2 ] && [ \"\$(cat '$WORK/diag-bad.err')\" = '$want_err' ] && [ ! -e '$dm/ws/target' ]"
	done

	# --- a member's valid settings: its own units only, whichever directory cargo starts from ---
	# member: set-envs; app: with-network (app's and odep's units, odep being built for app only).
	diag_copy "$dm"
	printf '\n[package.metadata.green]\nset-envs = [ "GREEN_DIAG_MEMBER" ]\n' >>"$dm/ws/member/Cargo.toml"
	printf '\n[package.metadata.green]\nwith-network = "default"\n' >>"$dm/ws/app/Cargo.toml"
	for where in "the root:$dm/ws:" "the app's directory:$dm/ws/app:" "the member's directory, -p app:$dm/ws/member:-p app"; do
		IFS=: read -r label dir args <<<"$where"
		rm -rf "$dm/ws/target"
		(cd "$dir" && CARGO_INCREMENTAL=0 GREEN_DIAG_MEMBER=yes cargo green build $args >/dev/null 2>"$WORK/diag-meta.err"); rc=$?
		read -r N H M F P L E I <<<"$(stats "$WORK/diag-meta.err")"
		check "exact-diag: built from $label, each unit has its own package's settings: the member's set-envs in its stage only, app's network in app's and odep's (exit $rc, ${N:-0} compiles)" \
			bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -eq 3 ] &&
				diag_df '$dm' member | grep -q '^  GREEN_DIAG_MEMBER=yes' && diag_df '$dm' member | grep -q 'RUN --network=none' &&
				diag_df '$dm' app | grep -q 'RUN --network=default' && ! diag_df '$dm' app | grep -q GREEN_DIAG_MEMBER &&
				diag_df '$dm' odep | grep -q 'RUN --network=default' && ! diag_df '$dm' odep | grep -q GREEN_DIAG_MEMBER"
	done

	# --- a member's add.apt reaches the -sys crate it depends on, from the root ---
	dy="$WORK/exact-diag/sys"
	rm -rf "$dy"; mkdir -p "$(dirname "$dy")"; cp -r "$ROOT/tests/settings" "$dy"; rm -rf "$dy/target"
	printf '\n[package.metadata.green]\nadd.apt = [ "libsqlite3-dev" ]\n' >>"$dy/sys/Cargo.toml"
	(cd "$dy" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/diag-sys.err" && ./target/debug/sys >"$WORK/diag-sys.out"); rc=$?
	check "exact-diag: from a virtual workspace's root, a member's add.apt is in the base of its -sys dependency, not of the other member (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q '^sqlite 3' '$WORK/diag-sys.out' &&
			grep -q '^FROM cargo-green-base:' $dy/target/cargo-green/df/run-libsqlite3-sys-*/Dockerfile &&
			grep -q '^FROM cargo-green-rust:' $dy/target/cargo-green/df/probe-*/Dockerfile"
	(cd "$dy" && cargo clean -q && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/diag-sys2.err"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/diag-sys2.err")"
	check "exact-diag: ... both bases are pinned: after cargo clean, every compile a local-store hit (exit $rc, ${L:-0} of ${N:-0})" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -ge 5 ] && [ '${L:-0}' -eq '${N:-0}' ]"
fi
