# e2e_correct.sh: cache correctness (sourced by tests/e2e.sh, group "correctness").
# Change one input (a source byte, a variable read with env!/option_env!, a
# feature, RUSTFLAGS): exactly the compiles cargo asks for run again, the
# program shows the change, and the bytes equal a fresh build's (every unit's
# own work done anew: __CARGOGREEN_NO_CACHE) with the same inputs elsewhere.
# Every build with CARGO_INCREMENTAL=0, as in CI: each unit goes through the
# engine, whose cache is under test (by default an incremental unit is
# compiled by the local rustc, with its host paths in its bytes).

if want correctness; then
	K="$WORK/correct"
	copy_settings "$K"
	# kbuild ENV... -- ARGS...: cargo green build -p probe in $K; its report in $WORK/k.out
	kbuild() {
		local envs=()
		while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
		[ "${1:-}" = -- ] && shift
		(cd "$K" && env CARGO_INCREMENTAL=0 "${envs[@]}" cargo green build -p probe "$@" >/dev/null 2>"$WORK/k.err" && ./target/debug/probe >"$WORK/k.out")
	}
	# fresh ENV... -- ARGS...: the same, built anew in another directory; 0 if the binaries are equal
	fresh() {
		local F="$WORK/fresh" envs=()
		while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
		[ "${1:-}" = -- ] && shift
		copy_settings "$F"
		cp "$K/probe/src/main.rs" "$F/probe/src/main.rs"
		(cd "$F" && env CARGO_INCREMENTAL=0 __CARGOGREEN_NO_CACHE=1 "${envs[@]}" cargo green build -p probe "$@" >/dev/null 2>"$WORK/f.err") &&
			cmp -s "$F/target/debug/probe" "$K/target/debug/probe"
	}
	kbuild; rc=$?
	check "probe builds (exit $rc)" [ $rc -eq 0 ]

	# A variable read with option_env!: cargo rebuilds the crate; the value must reach it.
	kbuild GREEN_PLAIN=one; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/k.err")"
	check "an option_env! variable set: exactly 1 compile again, the program shows it (exit $rc, ${N:-?} compiles)" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -eq 1 ] && grep -qx 'plain=one' '$WORK/k.out'"
	check "... and its bytes are a fresh build's" fresh GREEN_PLAIN=one
	kbuild GREEN_PLAIN=two; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/k.err")"
	check "the variable changed: exactly 1 compile again, the new value (exit $rc, ${N:-?} compiles)" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -eq 1 ] && grep -qx 'plain=two' '$WORK/k.out'"
	check "... and its bytes are a fresh build's" fresh GREEN_PLAIN=two

	# A feature: the package's build script and crate again, nothing else.
	kbuild GREEN_PLAIN=two -- --features loud; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/k.err")"
	check "a feature turned on: the package's 3 units again (exit $rc, ${N:-?} compiles)" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -eq 3 ] && grep -qx 'loud=true' '$WORK/k.out'"
	check "... and its bytes are a fresh build's" fresh GREEN_PLAIN=two -- --features loud

	# RUSTFLAGS: every unit again.
	kbuild GREEN_PLAIN=two RUSTFLAGS=--cfg=green_flag -- --features loud; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/k.err")"
	check "RUSTFLAGS changed: every unit again (exit $rc, ${N:-?} compiles)" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -eq 3 ] && grep -qx 'flag=true' '$WORK/k.out'"
	check "... and its bytes are a fresh build's" fresh GREEN_PLAIN=two RUSTFLAGS=--cfg=green_flag -- --features loud

	# One source byte.
	sed -i 's/println!("flag={}"/println!("flag:{}"/' "$K/probe/src/main.rs"
	kbuild GREEN_PLAIN=two RUSTFLAGS=--cfg=green_flag -- --features loud; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/k.err")"
	check "one source byte changed: exactly 1 compile again (exit $rc, ${N:-?} compiles)" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -eq 1 ] && grep -qx 'flag:true' '$WORK/k.out'"
	check "... and its bytes are a fresh build's" fresh GREEN_PLAIN=two RUSTFLAGS=--cfg=green_flag -- --features loud

	# Back to the first inputs: everything from the caches, the first bytes.
	cp "$SET/probe/src/main.rs" "$K/probe/src/main.rs"
	kbuild; rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/k.err")"
	check "back to the first inputs: all hits, the first program (exit $rc, ${H:-?} of ${N:-?} cached)" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -ge 1 ] && [ '${H:-0}' -eq '${N:-1}' ] && grep -qx 'plain=unset' '$WORK/k.out' && grep -qx 'flag=false' '$WORK/k.out'"
fi
