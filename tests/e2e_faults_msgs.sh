# Faults (issue 11, item 3): messages that name the cause. Sourced by
# tests/e2e.sh (group faults-msgs). Small full file systems are tmpfs mounts
# of this test's own (root, as in CI).

# tmpfs_full DIR SIZE: a fresh tmpfs of SIZE at DIR, too small for a build.
tmpfs_full() {
	mkdir -p "$1" && mount -t tmpfs -o "size=$2" tmpfs "$1"
}

if want faults-msgs; then
	M="$WORK/msgs"
	copy_fixture "$M/p"

	(cd "$M/p" && DOCKER_HOST=foo://x cargo green build >/dev/null 2>"$M/scheme.err"); rc=$?
	check "faults-msgs: a DOCKER_HOST of an unknown scheme: exit 3 ($rc), one line naming it, no (null)" \
		bash -c "[ $rc -eq 3 ] && [ \$(wc -l <'$M/scheme.err') -eq 1 ] && grep -q 'DOCKER_HOST=foo://x is not an engine address' '$M/scheme.err' && ! grep -q '(null)' '$M/scheme.err'"

	long=$(head -c 6000 /dev/zero | tr '\0' x)
	(cd "$M/p" && cargo green supergreen "$long" >/dev/null 2>"$M/long.err"); rc=$?
	check "faults-msgs: an error over 4096 bytes is whole: what is valid comes last (exit $rc, $(wc -c <"$M/long.err") bytes)" \
		bash -c "[ $rc -eq 2 ] && [ \$(wc -c <'$M/long.err') -gt 6000 ] && [ \$(wc -l <'$M/long.err') -eq 1 ] && grep -q \"' (valid: env, .*help)\$\" '$M/long.err'"

	(cd "$M/p" && CARGOGREEN_RUNNER=$'bad\nvalue\e[31m' cargo green build >/dev/null 2>"$M/ctl.err"); rc=$?
	check "faults-msgs: a bad value with a newline and an escape: one line, both quoted (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$M/ctl.err') -eq 1 ] && grep -qF 'bad\\nvalue\\x1b[31m' '$M/ctl.err' && ! grep -q \$'\\e' '$M/ctl.err'"

	# The target dir on a full disk: the cause and the place, nothing half-written.
	if tmpfs_full "$M/fulltarget" 4m; then
		(cd "$M/p" && CARGO_TARGET_DIR="$M/fulltarget/t" CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$M/fulltarget.err"); rc=$?
		check "faults-msgs: a target dir on a full disk: the build fails (exit $rc) saying no space left on device, and where" \
			bash -c "[ $rc -ne 0 ] && grep -qi 'no space left on device' '$M/fulltarget.err' && grep -q '$M/fulltarget' '$M/fulltarget.err'"
		umount "$M/fulltarget"
	else
		fail "faults-msgs: prerequisite: a tmpfs for the full target dir (root)"
	fi
	(cd "$M/p" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>&1 && ./target/debug/app >"$M/after.out"); rc=$?
	check "faults-msgs: …and the next build on a disk with room succeeds (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q 'hello from build.rs' '$M/after.out'"

	# The local store on a full disk: the build goes on, and says so once.
	if tmpfs_full "$M/fullstore" 1m; then
		rm -rf "$M/p/target"
		(cd "$M/p" && XDG_CACHE_HOME="$M/fullstore" CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$M/fullstore.err" && ./target/debug/app >"$M/fullstore.out"); rc=$?
		check "faults-msgs: a local store on a full disk: the build succeeds (exit $rc), one warning naming the store and the cause" \
			bash -c "[ $rc -eq 0 ] && grep -q 'hello from build.rs' '$M/fullstore.out' && [ \$(grep -c '^cargo-green: warning: cannot save in the local store ($M/fullstore/cargo-green/store/.*): No space left on device' '$M/fullstore.err') -eq 1 ]"
		umount "$M/fullstore"
	else
		fail "faults-msgs: prerequisite: a tmpfs for the full store (root)"
	fi

	# A base image made and stamped here, then removed from the engine (a
	# prune, another image store): made anew, not an error.
	copy_fixture "$M/gone"
	(cd "$M/gone" && CARGOGREEN_ADD_APT=zlib1g-dev CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$M/gone1.err"); rc1=$?
	gone=$(sed -n 's/^FROM \(cargo-green-base:[0-9a-f]*\) AS rust-base$/\1/p' "$M"/gone/target/cargo-green/df/*/Dockerfile 2>/dev/null | sort -u | head -n1)
	[ -n "$gone" ] && docker rmi -f "$gone" >/dev/null 2>&1
	(cd "$M/gone" && cargo clean -q && CARGOGREEN_ADD_APT=zlib1g-dev CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$M/gone2.err" && ./target/debug/app >"$M/gone.out"); rc=$?
	check "faults-msgs: a base image removed from the engine after it was made is made anew (exit $rc1, then $rc, ${gone:-no image} removed)" \
		bash -c "[ $rc1 -eq 0 ] && [ -n '$gone' ] && [ $rc -eq 0 ] && grep -q 'hello from build.rs' '$M/gone.out'"
fi
