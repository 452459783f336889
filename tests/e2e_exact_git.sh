# Exactness (issue 9, item 8): a build script asking git (as ripgrep's,
# vergen's, built's and shadow-rs's do) sees the repository plain cargo's
# would. Sourced by tests/e2e.sh (group exact-git).
#
# tests/exact/git: a build script running `git rev-parse HEAD` and
# `git status --porcelain`, its answers printed by the program.

# git_repo DIR: a repository of DIR's files, one commit with fixed
# identities and dates, so that two copies have the same hashes.
git_commit() {
	(cd "$1" && git add -A && GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
		git -c user.name=e2e -c user.email=e2e@example.invalid commit -qm "$2")
}
git_repo() { (cd "$1" && git init -q -b main) && git_commit "$1" one; }

if want exact-git; then
	GSRC="$ROOT/tests/exact/git"
	gp="$WORK/exact-git/plain" gg="$WORK/exact-git/green" gn="$WORK/exact-git/norepo"
	for d in "$gp" "$gg" "$gn"; do rm -rf "$d"; mkdir -p "$(dirname "$d")"; cp -r "$GSRC" "$d"; rm -rf "$d/target"; done
	git_repo "$gp" && git_repo "$gg"
	head=$(git -C "$gg" rev-parse HEAD)
	(cd "$gp" && CARGO_INCREMENTAL=0 cargo build -q 2>/dev/null && ./target/debug/gitrev >"$WORK/git-plain.out")
	check "exact-git: plain cargo's build script gets the commit from git (baseline)" grep -qx "head: $head" "$WORK/git-plain.out"
	(cd "$gg" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/git-green.err"); rc=$?
	(cd "$gg" && ./target/debug/gitrev >"$WORK/git-green.out" 2>&1)
	check "exact-git: through BuildKit, the build script's git sees the repository: the output of plain cargo (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'head: $head' '$WORK/git-green.out' && cmp -s '$WORK/git-plain.out' '$WORK/git-green.out'"
	read -r N H M F P L E I <<<"$(stats "$WORK/git-green.err")"
	check "exact-git: the build script ran in the engine (${N:-0} compiles in BuildKit, no local rustc but probes)" \
		bash -c "[ '${N:-0}' -ge 3 ] && ! sed -n 's/.*passed to the local rustc (\\([^)]*\\)).*/\\1/p' '$WORK/git-green.err' | tr ';' '\\n' | sed 's/^ *//' | grep -vxE 'probe|source on stdin \\(probe\\)' | grep -q ."
	run_df=$(ls "$gg"/target/cargo-green/df/run-gitrev-*/Dockerfile | head -n1)
	check "exact-git: only that run is keyed on the work tree (mounted at its host path)" \
		bash -c "grep -q 'target=$gg' '$run_df' && ! grep -l '$gg' '$gg'/target/cargo-green/df/gitrev-*/Dockerfile"

	# cargo clean, no source changed: every unit a hit (a source change
	# re-keys the build script's compile, whose context is its package).
	(cd "$gg" && cargo clean -q && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$WORK/git-clean.err" && ./target/debug/gitrev >"$WORK/git-green3.out"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/git-clean.err")"
	check "exact-git: after cargo clean all hits (${H:-0} of ${N:-0}), the same answer" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -ge 3 ] && [ '${H:-0}' -eq '${N:-0}' ] && cmp -s '$WORK/git-green.out' '$WORK/git-green3.out'"

	# A new commit: cargo reruns the build script (rerun-if-changed=.git/...) and it sees the new one.
	for d in "$gp" "$gg"; do printf '// two\n' >>"$d/src/main.rs"; git_commit "$d" two; done
	head2=$(git -C "$gg" rev-parse HEAD)
	(cd "$gp" && CARGO_INCREMENTAL=0 cargo build -q 2>/dev/null && ./target/debug/gitrev >"$WORK/git-plain2.out")
	(cd "$gg" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>&1 && ./target/debug/gitrev >"$WORK/git-green2.out"); rc=$?
	check "exact-git: after a new commit the binary has the new hash, as with plain cargo (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && [ '$head2' != '$head' ] && grep -qx 'head: $head2' '$WORK/git-green2.out' && cmp -s '$WORK/git-plain2.out' '$WORK/git-green2.out'"
	# Not in a repository: git says so, in the engine as on the host.
	(cd "$gn" && CARGO_INCREMENTAL=0 cargo build -q 2>/dev/null && ./target/debug/gitrev >"$WORK/git-norepo-plain.out" && rm -rf target)
	(cd "$gn" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>&1 && ./target/debug/gitrev >"$WORK/git-norepo.out"); rc=$?
	check "exact-git: outside a repository the build script's git finds none, as plain cargo's does (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'head: none' '$WORK/git-norepo.out' && cmp -s '$WORK/git-norepo-plain.out' '$WORK/git-norepo.out'"
fi
