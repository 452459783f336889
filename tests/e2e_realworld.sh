# e2e_realworld.sh: what a Rust developer sees of cargo green next to plain
# cargo on everyday commands (sourced by tests/e2e.sh, group "realworld").
#
# tests/realworld/quiet: a binary app over a path crate dep (outside any
# workspace), printing its arguments on stdout and one line on stderr.

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
		bash -c "[ $rc -eq 0 ] && grep -q '^cargo-green: .* compiles in BuildKit' '$WORK/rw-loud-green.err'"
fi
