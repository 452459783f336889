# Faults (issue 11's fault suite): the engine killed mid-build, then started
# again. A second engine of this test's own (scripts/engine.sh on private
# paths, no bridge), killed by its pid. Sourced by tests/e2e.sh (group
# faults-engine).

# engine2_pids: dockerd's pid and its children (its containerd).
engine2_pids() {
	local d
	d=$(cat "$E2/run/docker.pid" 2>/dev/null) || return 0
	echo "$d $(ps -o pid= --ppid "$d" 2>/dev/null | tr '\n' ' ')"
}
# engine2_signal SIG: signal the engine's processes and wait until they are gone.
engine2_signal() {
	local p pids
	pids=$(engine2_pids)
	for p in $pids; do kill "-$1" "$p" 2>/dev/null; done
	for _ in $(seq 1 60); do
		[ -n "$(for p in $pids; do kill -0 "$p" 2>/dev/null && echo "$p"; done)" ] || break
		sleep 0.5
	done
}
# engine2_stop: stopped, and what a killed one left mounted under $E2 undone.
engine2_stop() {
	local m
	engine2_signal TERM
	for m in $(grep -F " $E2/" /proc/mounts | awk '{print $2}' | sort -r); do umount -l "$m" 2>/dev/null; done
}
engine2_start() {
	CARGOGREEN_ENGINE_RUN="$E2/run" CARGOGREEN_ENGINE_DATA="$E2/data/docker" CARGOGREEN_ENGINE_BRIDGE="" \
		DOCKER_HOST="unix://$E2/run/docker.sock" "$ROOT/scripts/engine.sh" >/dev/null 2>"$E2/start.log"
}

if want faults-engine; then
	E2="$WORK/engine2"
	mkdir -p "$E2"
	if engine2_start; then
		FE="$E2/p"
		copy_fixture "$FE"
		export2="DOCKER_HOST=unix://$E2/run/docker.sock XDG_CACHE_HOME=$E2/xdg CARGO_INCREMENTAL=0"
		# The base first (minutes on a new engine), then a cold build killed once the engine works on it.
		(cd "$FE" && env $export2 cargo green fetch >/dev/null 2>"$E2/fetch.err"); rc=$?
		check "faults-engine: a second engine of the test's own, its base made (exit $rc)" test "$rc" -eq 0
		(cd "$FE" && exec env $export2 cargo green build >/dev/null 2>"$E2/killed.err") & bpid=$!
		for _ in $(seq 1 120); do
			[ "$(ls "$FE"/target/cargo-green/df 2>/dev/null | wc -l)" -ge 3 ] && break
			sleep 0.5
		done
		engine2_signal KILL
		wait "$bpid"; rc=$?
		check "faults-engine: the engine killed mid-build: the build fails (exit $rc), saying the engine went away or cannot be reached, naming DOCKER_HOST and how to start it" \
			bash -c "[ $rc -ne 0 ] && grep -E '^ *cargo-green: error: ' '$E2/killed.err' | grep -E 'went away|cannot reach the BuildKit engine' | grep -F 'DOCKER_HOST=unix://$E2/run/docker.sock' | grep -q 'scripts/engine.sh'"
		check "faults-engine: …every cargo-green line of it is one of those explanations, no raw transport error" \
			bash -c "grep -Eq '^ *cargo-green: error: ' '$E2/killed.err' && ! grep -E '^ *cargo-green: error: ' '$E2/killed.err' | grep -vE 'went away|cannot reach the BuildKit engine' | grep -q ."
		if engine2_start; then
			(cd "$FE" && env $export2 cargo green build >/dev/null 2>"$E2/again.err" && ./target/debug/app >"$E2/app.out"); rc=$?
			check "faults-engine: the engine started again, the next build succeeds (exit $rc), the binary right" \
				bash -c "[ $rc -eq 0 ] && grep -q 'hello from build.rs' '$E2/app.out'"
		else
			fail "faults-engine: the second engine starts again" "$(tail -n3 "$E2/start.log")"
		fi
	else
		fail "faults-engine: prerequisite: a second engine (scripts/engine.sh on private paths)" "$(tail -n3 "$E2/start.log")"
	fi
	engine2_stop
fi
