# Faults (issue 11's fault suite): builds killed at random points, builds
# racing on one target dir and on one store. Each case: the next plain
# `cargo green build` succeeds with a correct binary, equal to a fresh
# build's. Sourced by tests/e2e.sh (group faults-kill).

# kill_build DIR SIG SECONDS OUT: a cold `cargo green build` in DIR, in a
# process group of its own (as a terminal's job), sent SIG after SECONDS.
kill_build() {
	# setsid, started without job control, is no group leader: it makes
	# its own session and group in place, so $! names the group.
	CARGO_INCREMENTAL=0 setsid bash -c 'cd "$1" && exec cargo green build' _ "$1" >"$4" 2>&1 &
	local pid=$!
	sleep "$3"
	kill "-$2" -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

if want faults-kill; then
	K="$WORK/kill"
	copy_fixture "$K/plain"
	(cd "$K/plain" && CARGO_INCREMENTAL=0 cargo build -q 2>/dev/null && ./target/debug/app >"$K/plain.out")
	# Private store and learned state, empty at first: the kills land in
	# cold builds, store saves included.
	export XDG_CACHE_HOME="$K/xdg"
	# A TMPDIR of its own: a killed plugin's statistics file lands there.
	mkdir -p "$K/tmpd"
	dead=$(sh -c 'echo $$')
	: >"$K/tmpd/other-tool.$dead"
	export TMPDIR="$K/tmpd"
	seed=${E2E_SEED:-$(date +%s)}
	note "faults-kill: seed $seed (E2E_SEED=$seed to repeat)"
	RANDOM=$seed
	for round in 1 2; do
		for sig in KILL INT; do
			d="$K/$sig-$round"
			copy_fixture "$d"
			t=$((2 + RANDOM % 12))
			kill_build "$d" "$sig" "$t" "$d.killed.log"
			(cd "$d" && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$d.err" && ./target/debug/app >"$d.out"); rc=$?
			check "faults-kill: SIG$sig after ${t}s of a cold build (round $round), then a build: exit $rc, the binary right" \
				bash -c "[ $rc -eq 0 ] && cmp -s '$K/plain.out' '$d.out'"
			(cd "$d" && outputs_sum "$d" >"$d.sums" && cargo clean -q && CARGO_INCREMENTAL=0 __CARGOGREEN_NO_STORE=1 cargo green build >/dev/null 2>&1 && outputs_sum "$d" >"$d.fresh.sums"); rc=$?
			check "faults-kill: …its outputs equal a build without the store's entries (exit $rc)" \
				bash -c "[ $rc -eq 0 ] && [ \$(wc -l <'$d.sums') -ge 10 ] && diff '$d.sums' '$d.fresh.sums'"
			rm -rf "$d"
		done
	done
	check "faults-kill: no statistics file of a killed run is left in TMPDIR, and nothing else there is touched" \
		bash -c "[ -e '$K/tmpd/other-tool.$dead' ] && [ -z \"\$(ls '$K/tmpd' | grep '^cargo-green-stats\.')\" ]"
	unset TMPDIR
	check "faults-kill: no half-saved entry is left in the store" \
		bash -c "[ -d '$K/xdg/cargo-green/store' ] && [ -z \"\$(find '$K/xdg/cargo-green/store' -name '*.tmp.*')\" ]"

	# Two builds at once on one target dir (cargo's lock serializes them),
	# and two copies at once sharing one store.
	copy_fixture "$K/one"
	(cd "$K/one" && CARGO_INCREMENTAL=0 cargo green build >"$K/one.1" 2>&1) & p1=$!
	(cd "$K/one" && CARGO_INCREMENTAL=0 cargo green build >"$K/one.2" 2>&1) & p2=$!
	wait $p1; r1=$?; wait $p2; r2=$?
	(cd "$K/one" && ./target/debug/app >"$K/one.out")
	check "faults-kill: two builds at once on one target dir both succeed (exit $r1, $r2), the binary right" \
		bash -c "[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && cmp -s '$K/plain.out' '$K/one.out'"
	export XDG_CACHE_HOME="$K/xdg-shared"
	copy_fixture "$K/c1"
	copy_fixture "$K/c2"
	(cd "$K/c1" && CARGO_INCREMENTAL=0 cargo green build >"$K/c1.log" 2>&1) & p1=$!
	(cd "$K/c2" && CARGO_INCREMENTAL=0 cargo green build >"$K/c2.log" 2>&1) & p2=$!
	wait $p1; r1=$?; wait $p2; r2=$?
	outputs_sum "$K/c1" >"$K/c1.sums"
	outputs_sum "$K/c2" >"$K/c2.sums"
	check "faults-kill: two copies built at once sharing one store: both succeed (exit $r1, $r2) with the same bytes" \
		bash -c "[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ \$(wc -l <'$K/c1.sums') -ge 10 ] && diff '$K/c1.sums' '$K/c2.sums'"
	(cd "$K/c1" && cargo clean -q && CARGO_INCREMENTAL=0 cargo green build >/dev/null 2>"$K/c1b.err" && ./target/debug/app >"$K/c1b.out"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$K/c1b.err")"
	check "faults-kill: …and that store then serves every compile (${L:-0} of ${N:-0}), the binary right" \
		bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -ge 30 ] && [ '${L:-0}' -eq '${N:-0}' ] && cmp -s '$K/plain.out' '$K/c1b.out'"
	unset XDG_CACHE_HOME
fi
