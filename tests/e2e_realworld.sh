# e2e_realworld.sh: what a Rust developer sees of cargo green next to plain
# cargo on everyday commands (sourced by tests/e2e.sh, group "realworld").
#
# tests/realworld/quiet: a binary app over a path crate dep (outside any
# workspace), printing its arguments on stdout and one line on stderr.
# tests/realworld/rustc: a build script asking $RUSTC --version (as anyhow's).

if want realworld; then
	RWFIX="$ROOT/tests/realworld"
	copy_rw() { rm -rf "$2"; mkdir -p "$2"; cp -r "$RWFIX/$1/." "$2"; }

	# cargo -q / CARGO_TERM_QUIET=true: stdout and stderr are the program's and
	# rustc's only, with cargo green too (no summary line after the program's output).
	QP="$WORK/rw-quiet-plain" QG="$WORK/rw-quiet-green"
	copy_rw quiet "$QP"
	copy_rw quiet "$QG"
	# (a comment of this run's own: the first build compiles, as plain cargo's does)
	for d in "$QP" "$QG"; do printf '\n// e2e run %s\n' "$(basename "$WORK")" >>"$d/dep/src/lib.rs"; done
	(cd "$QP/app" && cargo run -q -- one -q >"$WORK/rw-quiet-plain.out" 2>"$WORK/rw-quiet-plain.err"); rc_plain=$?
	(cd "$QG/app" && cargo green run -q -- one -q >"$WORK/rw-quiet-green.out" 2>"$WORK/rw-quiet-green.err"); rc=$?
	check "cargo green run -q -- ARGS: the program's stdout and stderr alone, as cargo run -q's (exit $rc vs $rc_plain)" \
		bash -c "[ $rc -eq 0 ] && [ $rc_plain -eq 0 ] && grep -qx ONE '$WORK/rw-quiet-green.out' && grep -qx -- -Q '$WORK/rw-quiet-green.out' &&
			cmp -s '$WORK/rw-quiet-plain.out' '$WORK/rw-quiet-green.out' && cmp -s '$WORK/rw-quiet-plain.err' '$WORK/rw-quiet-green.err'"
	for d in "$QP" "$QG"; do printf '\n// edited\n' >>"$d/dep/src/lib.rs"; done
	(cd "$QP/app" && CARGO_TERM_QUIET=true cargo build >/dev/null 2>"$WORK/rw-tq-plain.err"); rc_plain=$?
	(cd "$QG/app" && CARGO_TERM_QUIET=true cargo green build >/dev/null 2>"$WORK/rw-tq-green.err"); rc=$?
	check "CARGO_TERM_QUIET=true cargo green build: nothing on stderr, as plain cargo (exit $rc vs $rc_plain)" \
		bash -c "[ $rc -eq 0 ] && [ $rc_plain -eq 0 ] && [ ! -s '$WORK/rw-tq-plain.err' ] && [ ! -s '$WORK/rw-tq-green.err' ]"
	for d in "$QP" "$QG"; do printf '\n// edited again\n' >>"$d/dep/src/lib.rs"; done
	(cd "$QG/app" && cargo green build >/dev/null 2>"$WORK/rw-loud-green.err"); rc=$?
	check "…and without -q the summary line is there (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q '^cargo-green: .* compiles\{0,1\} in BuildKit' '$WORK/rw-loud-green.err'"

	# A build script's $RUSTC is the toolchain's rustc cargo uses, not
	# whatever "rustc" PATH finds (rustup's proxy: with a rust-toolchain.toml
	# it may choose or install another toolchain). A "rustc" first on PATH
	# that is not it shows which one the script ran (in /var/tmp: the
	# sandbox has a /tmp of its own, where PATH would find nothing).
	RP="$WORK/rw-rustc-plain" RG="$WORK/rw-rustc-green"
	copy_rw rustc "$RP"
	copy_rw rustc "$RG"
	for d in "$RP" "$RG"; do printf '\n// e2e run %s\n' "$(basename "$WORK")" >>"$d/build.rs"; done
	fakebin=$(mktemp -d /var/tmp/cargo-green-e2e-rw.XXXXXX)
	printf '#!/bin/sh\necho "rustc 0.0.0 (not the toolchain cargo uses)"\n' >"$fakebin/rustc"
	chmod +x "$fakebin/rustc"
	real_rustc="$(rustc --print sysroot)/bin/rustc"
	(cd "$RP" && RUSTC="$real_rustc" PATH="$fakebin:$PATH" cargo run -q >"$WORK/rw-rustc-plain.out" 2>"$WORK/rw-rustc-plain.err"); rc_plain=$?
	(cd "$RG" && RUSTC="$real_rustc" PATH="$fakebin:$PATH" cargo green run -q >"$WORK/rw-rustc-green.out" 2>"$WORK/rw-rustc-green.err"); rc=$?
	check "a build script run in its sandbox asks the toolchain's rustc, as with plain cargo ($(cat "$WORK/rw-rustc-green.out" 2>/dev/null); exit $rc vs $rc_plain)" \
		bash -c "[ $rc -eq 0 ] && [ $rc_plain -eq 0 ] && grep -qF \"\$('$real_rustc' --version)\" '$WORK/rw-rustc-plain.out' && cmp -s '$WORK/rw-rustc-plain.out' '$WORK/rw-rustc-green.out'"
	rm -rf "$fakebin"
	check "…its run went through cargo-green (compiled and run locally, recorded)" \
		bash -c "ls '$RG'/target/debug/build/rv-*/build-script-run.green >/dev/null"
	# cargo build --target TRIPLE (CI's habit): cargo marks target/TRIPLE as a
	# target dir too; the build scripts and proc-macros are in target/debug.
	TP="$WORK/rw-target-plain" TG="$WORK/rw-target-green"
	copy_fixture "$TP"
	copy_fixture "$TG"
	triple=$(rustc -vV | sed -n 's/^host: //p')
	(cd "$TP" && cargo build -q --target "$triple" 2>"$WORK/rw-target-plain.err" && "./target/$triple/debug/app" >"$WORK/rw-target-plain.out"); rc_plain=$?
	(cd "$TG" && cargo green build --target "$triple" 2>"$WORK/rw-target-green.err" && "./target/$triple/debug/app" >"$WORK/rw-target-green.out"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/rw-target-green.err")"
	check "cargo green build --target $triple builds (build scripts and proc-macros for the host) and runs as plain cargo's (exit $rc vs $rc_plain, ${N:-0} in BuildKit)" \
		bash -c "[ $rc -eq 0 ] && [ $rc_plain -eq 0 ] && [ ${N:-0} -ge 30 ] && [ -s '$WORK/rw-target-green.out' ] && cmp -s '$WORK/rw-target-plain.out' '$WORK/rw-target-green.out'"
fi
