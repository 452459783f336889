# Faults (issue 11, item 2): an engine that takes connections and stops
# answering after the ping, at each kind of call: a question (the image
# lookup, buildx inspect), a compile (the stall check), and over tcp://.
# The engine is the real one behind tests/engine_proxy.py, a byte-for-byte
# forwarder that stops passing bytes on when told. Sourced by tests/e2e.sh
# (group faults-hang).

# proxy_start DIR LISTEN [ANSWER]: a proxy of the test engine's socket,
# listening at LISTEN (unix:PATH, tcp:0), frozen by DIR/freeze or after
# ANSWER connections; sets proxy_pid and proxy_at (its path or port).
proxy_start() {
	rm -f "$1/ready" "$1/freeze"
	python3 "$ROOT/tests/engine_proxy.py" "$2" "${DOCKER_HOST#unix://}" "$1/ready" "$1/freeze" "${3:--1}" </dev/null >/dev/null 2>&1 &
	proxy_pid=$!
	for _ in $(seq 100); do [ -s "$1/ready" ] && break; sleep 0.05; done
	proxy_at=$(cat "$1/ready" 2>/dev/null)
}
proxy_stop() { kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null; }
# hang_line ERRFILE RC TEXT DIR SECONDS MAX: one line holding TEXT, exit 3,
# within MAX seconds, nothing built in DIR.
hang_line() { [ "$2" -eq 3 ] && [ "$5" -le "$6" ] && [ "$(wc -l <"$1")" -eq 1 ] && grep -qF -- "cargo-green: error: $3" "$1" && test ! -e "$4/target/debug/app"; }

if want faults-hang; then
	G="$WORK/hang2"
	copy_fixture "$G/p"
	mkdir -p "$G/u"
	export XDG_CACHE_HOME="$G/xdg" CARGO_INCREMENTAL=0
	proxy_start "$G/u" "unix:$G/u/engine.sock"
	PH="unix://$G/u/engine.sock"
	(cd "$G/p" && DOCKER_HOST=$PH timeout 300 cargo green fetch >/dev/null 2>"$G/fetch.err"); rc=$?
	proxy_stop
	check "faults-hang: through the forwarder the engine answers: the base is probed and checked (exit $rc)" test "$rc" -eq 0

	# Ping answered (the first connection), then nothing: the image lookup.
	proxy_start "$G/u" "unix:$G/u/engine.sock" 1
	t0=$(date +%s)
	(cd "$G/p" && DOCKER_HOST=$PH timeout 120 cargo green build >/dev/null 2>"$G/image.err"); rc=$?
	t=$(($(date +%s) - t0))
	proxy_stop
	check "faults-hang: the ping answered, then the image lookup not: exit 3 ($rc) in ${t} s, one line naming DOCKER_HOST and the lookup" \
		hang_line "$G/image.err" $rc "the engine at DOCKER_HOST=$PH did not answer whether it has the image cargo-green-rust:" "$G/p" $t 40
	check "faults-hang: …the lookup's deadline is the ping's (10 s), the fix named" grep -qF '(GET /images/NAME/json) within 10 s: it is stuck; restart it (scripts/engine.sh)' "$G/image.err"

	# The same, a CLI question: BUILDX_BUILDER=default has buildx ask the engine.
	proxy_start "$G/u" "unix:$G/u/engine.sock" 1
	t0=$(date +%s)
	(cd "$G/p" && DOCKER_HOST=$PH BUILDX_BUILDER=default timeout 120 cargo green build >/dev/null 2>"$G/inspect.err"); rc=$?
	t=$(($(date +%s) - t0))
	proxy_stop
	check "faults-hang: the ping answered, then buildx inspect not: exit 3 ($rc) in ${t} s, one line naming DOCKER_HOST and the call" \
		hang_line "$G/inspect.err" $rc "the engine at DOCKER_HOST=$PH did not answer \`docker buildx inspect\` within 20 s: it is stuck" "$G/p" $t 60

	# A cold build, the engine stopping once it works on the compiles: the stall check.
	proxy_start "$G/u" "unix:$G/u/engine.sock"
	(cd "$G/p" && exec env DOCKER_HOST=$PH __CARGOGREEN_NO_CACHE=1 timeout 300 cargo green build >/dev/null 2>"$G/stall.err") & bpid=$!
	for _ in $(seq 600); do
		[ "$(ls "$G/p"/target/cargo-green/df 2>/dev/null | wc -l)" -ge 4 ] && break
		sleep 0.1
	done
	touch "$G/u/freeze"
	t0=$(date +%s)
	wait "$bpid"; rc=$?
	t=$(($(date +%s) - t0))
	left=$(pgrep -af -- "$G/p/target" | grep -v pgrep)
	proxy_stop
	check "faults-hang: the engine stops answering mid-build: the build fails (exit $rc) in ${t} s, each cargo-green line naming DOCKER_HOST, the stalled compile and how to restart" \
		bash -c "[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $t -le 150 ] && grep -q '^cargo-green: error: ' '$G/stall.err' && ! grep '^cargo-green: error: ' '$G/stall.err' | grep -vF 'the engine at DOCKER_HOST=$PH stopped answering while building o-' | grep -q . && grep -qF ': its progress did not grow for 30 s and it did not answer a ping within 10 s; restart it (scripts/engine.sh) and run the build again (full log: ' '$G/stall.err'"
	check "faults-hang: …no process of the build is left (its buildx calls stopped)" test -z "$left"
	proxy_start "$G/u" "unix:$G/u/engine.sock"
	(cd "$G/p" && DOCKER_HOST=$PH timeout 600 cargo green build >/dev/null 2>"$G/after.err" && ./target/debug/app >"$G/after.out"); rc=$?
	proxy_stop
	check "faults-hang: …answering again, the next build succeeds (exit $rc), the binary right" \
		bash -c "[ $rc -eq 0 ] && grep -q 'hello from build.rs' '$G/after.out'"

	# tcp:// : the ping over TCP, to the engine (answers) and to a frozen one.
	mkdir -p "$G/t"
	proxy_start "$G/t" "tcp:0"
	TH="tcp://127.0.0.1:$proxy_at"
	(cd "$G/p" && DOCKER_HOST=$TH timeout 300 cargo green fetch >/dev/null 2>"$G/tcp.err"); rc=$?
	proxy_stop
	check "faults-hang: DOCKER_HOST=tcp://127.0.0.1:PORT to the engine: pinged, probed, checked (exit $rc)" test "$rc" -eq 0
	proxy_start "$G/t" "tcp:0" 0
	TH="tcp://127.0.0.1:$proxy_at"
	t0=$(date +%s)
	(cd "$G/p" && rm -rf target && DOCKER_HOST=$TH timeout 120 cargo green build >/dev/null 2>"$G/tcphang.err"); rc=$?
	t=$(($(date +%s) - t0))
	proxy_stop
	check "faults-hang: a tcp:// engine that takes the connection and never answers: exit 3 ($rc) in ${t} s, one line naming DOCKER_HOST and the ping" \
		hang_line "$G/tcphang.err" $rc "the engine at DOCKER_HOST=$TH took the connection but did not answer within 10 s (GET /_ping): it is stuck" "$G/p" $t 25
	unset XDG_CACHE_HOME CARGO_INCREMENTAL
	rm -rf "$G/p" "$G/xdg"
fi
