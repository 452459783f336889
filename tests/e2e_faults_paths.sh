# Faults (issue 11's fault suite): odd paths beyond the project's own (which
# e2e exact-bs covers): the target dir (CARGO_TARGET_DIR) and the local store
# (XDG_CACHE_HOME) under paths with a space, quotes, '$', '#', a comma and
# non-ASCII, an interrupted build there, then builds. Sourced by tests/e2e.sh
# (group faults-paths).

# paths_ok RC N FAILED MISSED OUT: exit 0, at least 30 compiles in the engine,
# none failed, none MISSED (by the store, when it should serve them all), the
# program's output right. (A function: these paths are no shell words.)
paths_ok() { [ "$1" -eq 0 ] && [ "$2" -ge 30 ] && [ "$3" -eq 0 ] && [ "$4" -eq 0 ] && grep -q 'hello from build.rs' "$5"; }

if want faults-paths; then
	OP="$WORK/paths/My Projects/it's \"q\" \$HOME #1 é,x"
	copy_fixture "$OP/p"
	export CARGO_TARGET_DIR="$OP/target dir \$T 'é'" XDG_CACHE_HOME="$OP/cache \"c\" \$C ü" CARGO_INCREMENTAL=0
	# Interrupted once the engine works on it (SIGINT to the group, as Ctrl-C).
	(cd "$OP/p" && exec setsid cargo green build >/dev/null 2>"$OP/intr.err") & bpid=$!
	for _ in $(seq 600); do
		[ "$(ls "$CARGO_TARGET_DIR"/cargo-green/df 2>/dev/null | wc -l)" -ge 4 ] && break
		sleep 0.1
	done
	kill -INT -- "-$bpid" 2>/dev/null
	wait "$bpid"; rc_int=$?
	left=$(ls -A "$CARGO_TARGET_DIR/cargo-green/tmp" 2>/dev/null | head -n3 | tr '\n' ' ')
	check "faults-paths: a target dir and a store at paths with a space, quotes, \$, # and é: Ctrl-C mid-build ends it (exit $rc_int), nothing left in its tmp (${left:-nothing})" \
		bash -c "[ $rc_int -eq 130 ] && [ -z '$left' ]"
	(cd "$OP/p" && cargo green build 2>"$OP/build.err" && "$CARGO_TARGET_DIR/debug/app" >"$OP/app.out"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$OP/build.err")"
	check "faults-paths: …then a build succeeds (exit $rc, ${N:-0} compiles in the engine), the binary right" \
		paths_ok $rc "${N:-0}" "${F:-1}" 0 "$OP/app.out"
	(cd "$OP/p" && cargo clean -q && cargo green build 2>"$OP/warm.err" && "$CARGO_TARGET_DIR/debug/app" >"$OP/warm.out"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$OP/warm.err")"
	check "faults-paths: …after cargo clean the store at its odd path serves every compile (${L:-0} of ${N:-0}, exit $rc), the binary right" \
		paths_ok $rc "${N:-0}" 0 $((${N:-1} - ${L:-0})) "$OP/warm.out"
	unset CARGO_TARGET_DIR XDG_CACHE_HOME CARGO_INCREMENTAL
	rm -rf "$WORK/paths"
fi
