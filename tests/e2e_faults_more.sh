# Faults (issue 11, items 6 and 2) and the local store's integrity. Sourced
# by tests/e2e.sh (group faults-more).

# one_line_usage NAME ERRFILE RC DIR PATTERN: exit 2, one line on stderr that
# holds PATTERN (fixed), nothing built in DIR.
usage_line() { [ "$2" -eq 2 ] && [ "$(wc -l <"$1")" -eq 1 ] && grep -qF -- "$4" "$1" && test ! -e "$3/target/debug"; }
one_line_usage() { check "faults-more: $1: exit 2 ($3), one line before anything is built" usage_line "$2" "$3" "$4" "$5"; }

if want faults-more; then
	V="$WORK/more"
	copy_fixture "$V/p"

	# Item 6: validation gaps, each one line with the fix, exit 2.
	big=$(head -c 100000 /dev/zero | tr '\0' a)
	(cd "$V/p" && CARGOGREEN_BASE_IMAGE="docker-image://$big" cargo green build >/dev/null 2>"$V/bigimage.err"); rc=$?
	one_line_usage "a 100 KB base-image" "$V/bigimage.err" $rc "$V/p" \
		"(from the environment): the image name is 100000 characters long, more than the engine's 255 (e.g. CARGOGREEN_BASE_IMAGE=docker-image://"

	(cd "$V/p" && BUILDX_BUILDER=no-such-builder cargo green build >/dev/null 2>"$V/builder.err"); rc=$?
	one_line_usage "a BUILDX_BUILDER that names no builder" "$V/builder.err" $rc "$V/p" \
		'BUILDX_BUILDER=no-such-builder names no builder (see `docker buildx ls`; unset BUILDX_BUILDER'

	(cd "$V/p" && CARGOGREEN_LOG=info CARGOGREEN_LOG_PATH="$V/no/such/dir/log.txt" cargo green build >/dev/null 2>"$V/logpath.err"); rc=$?
	one_line_usage "an unwritable CARGOGREEN_LOG_PATH" "$V/logpath.err" $rc "$V/p" \
		"CARGOGREEN_LOG_PATH=\"$V/no/such/dir/log.txt\" (from the environment): cannot open it to append the logs CARGOGREEN_LOG asks for: No such file or directory"
	(cd "$V/p" && CARGOGREEN_LOG_PATH="$V/no/such/dir/log.txt" cargo green build -q >/dev/null 2>"$V/logpath-off.err"); rc=$?
	check "faults-more: …and without CARGOGREEN_LOG that path is not opened: the build succeeds ($rc)" \
		bash -c "[ $rc -eq 0 ] && test -x '$V/p/target/debug/app'"
	rm -rf "$V/p/target"

	cp "$V/p/app/Cargo.toml" "$V/app.toml"
	printf '\n[package.metadata.green]\nset-envs = [1, 2]\n' >>"$V/p/app/Cargo.toml"
	(cd "$V/p" && cargo green build >/dev/null 2>"$V/setenvs.err"); rc=$?
	one_line_usage "set-envs = [1, 2]" "$V/setenvs.err" $rc "$V/p" \
		"set-envs in [package.metadata.green] of $V/p/app/Cargo.toml: must be an array of strings, but entry 1 is a number (e.g. set-envs = "
	cp "$V/app.toml" "$V/p/app/Cargo.toml"
	rm -rf "$V/p" # (the disk is shared: what is done goes; the logs stay)
fi

# A corrupted local store entry is a miss, never a landed file.
landed_sum() { (cd "$1/target/debug" && sha256sum app deps/* | sort -k2); }
# flip FILE: a few bytes changed in the middle, the size kept.
flip() { local n; n=$(stat -c %s "$1"); printf 'XXXX' | dd of="$1" bs=1 seek=$((n / 2)) conv=notrunc status=none; }
if want faults-more; then
	S="$WORK/more/store"
	copy_fixture "$S/p"
	export XDG_CACHE_HOME="$S/xdg" CARGO_INCREMENTAL=0
	(cd "$S/p" && cargo green build -q 2>"$S/fresh.err" && landed_sum "$S/p" >"$S/fresh.sum"); rc=$?
	(cd "$S/p" && cargo clean -q && cargo green build 2>"$S/warm.err"); rc2=$?
	read -r N0 H0 M0 F0 P0 L0 E0 I0 <<<"$(stats "$S/warm.err")"
	check "faults-more: store: a build fills a private store ($rc), the next after cargo clean hits it (${L0:-0} of ${N0:-0} local, $rc2)" \
		bash -c "[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ '${N0:-0}' -ge 30 ] && [ '${L0:-0}' -eq '${N0:-1}' ]"

	rlib=$(ls "$S"/xdg/cargo-green/store/*/*/green/target/debug/deps/libitoa-*.rlib | head -n1)
	dfile=$(ls "$S"/xdg/cargo-green/store/*/*/green/target/debug/deps/memchr-*.d | head -n1)
	truncate -s $(($(stat -c %s "$rlib") / 2)) "$rlib"
	flip "$dfile"
	(cd "$S/p" && cargo clean -q && CARGOGREEN_LOG=store=warn CARGOGREEN_LOG_PATH="$S/store.log" cargo green build 2>"$S/after.err" &&
		landed_sum "$S/p" >"$S/after.sum" && ./target/debug/app >"$S/after.out"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$S/after.err")"
	check "faults-more: store: a truncated rlib and a flipped .d in the store: the build succeeds ($rc), the program runs" \
		bash -c "[ $rc -eq 0 ] && grep -q 'hello from build.rs' '$S/after.out'"
	check "faults-more: store: …the landed files are a fresh build's, byte for byte (sha256sum of $(wc -l <"$S/fresh.sum") files)" \
		cmp -s "$S/fresh.sum" "$S/after.sum"
	check "faults-more: store: …those two units were not local hits (${L:-0} local of ${N:-0}, was ${L0:-0})" \
		bash -c "[ '${N:-0}' -eq '${N0:-1}' ] && [ '${L:-0}' -eq \$(( ${L0:-0} - 2 )) ]"
	check "faults-more: store: …the log names both damaged entries, removed" \
		bash -c "[ \$(grep -c 'local store entry .* is damaged: green/target/debug/deps/\(libitoa-.*\.rlib\|memchr-.*\.d\) is not as saved: removed, a miss' '$S/store.log') -eq 2 ]"
	(cd "$S/p" && cargo clean -q && cargo green build 2>"$S/again.err" && landed_sum "$S/p" >"$S/again.sum"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$S/again.err")"
	check "faults-more: store: …and saved whole again: the next build after cargo clean is all local hits (${L:-0} of ${N:-0}), the same bytes" \
		bash -c "[ $rc -eq 0 ] && [ '${L:-0}' -eq '${N0:-1}' ] && cmp -s '$S/fresh.sum' '$S/again.sum'"
	unset XDG_CACHE_HOME CARGO_INCREMENTAL
	rm -rf "$S/p" "$S/xdg"
fi

# Item 2: an engine that takes connections and never answers: one line, exit 3, in seconds.
if want faults-more; then
	H="$WORK/more/hang"
	copy_fixture "$H/p"
	cat >"$H/server.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(64)
open(sys.argv[2], "w").close()
held = []
while True:
    held.append(s.accept()[0])  # take the connection, never answer
PY
	python3 "$H/server.py" "$H/engine.sock" "$H/ready" &
	server=$!
	for _ in $(seq 50); do [ -e "$H/ready" ] && break; sleep 0.1; done
	t0=$(date +%s)
	(cd "$H/p" && DOCKER_HOST="unix://$H/engine.sock" timeout 120 cargo green build >/dev/null 2>"$H/hang.err"); rc=$?
	t=$(($(date +%s) - t0))
	kill "$server"
	wait "$server" 2>/dev/null
	check "faults-more: an engine socket that never answers: exit 3 ($rc) in ${t} s, one line naming DOCKER_HOST and what timed out" \
		bash -c "[ $rc -eq 3 ] && [ $t -le 30 ] && [ \$(wc -l <'$H/hang.err') -eq 1 ] && grep -qF 'the engine at DOCKER_HOST=unix://$H/engine.sock took the connection but did not answer within 10 s (GET /_ping): it is stuck' '$H/hang.err' && test ! -e '$H/p/target/debug'"
	# One that answers the API's ping and nothing else: the probe build's deadline.
	cat >"$H/ping.py" <<'PY'
import socket, sys, threading
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(64)
open(sys.argv[2], "w").close()
held = []
def serve(c):
    data = b""
    while b"\r\n\r\n" not in data:
        d = c.recv(4096)
        if not d:
            return
        data += d
    if data.split(b" ")[1].split(b"?")[0].endswith(b"/_ping"):
        c.sendall(b"HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK")
        c.close()
    else:
        held.append(c)  # anything else: never answered
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
PY
	python3 "$H/ping.py" "$H/ping.sock" "$H/ping.ready" &
	server=$!
	for _ in $(seq 50); do [ -e "$H/ping.ready" ] && break; sleep 0.1; done
	t0=$(date +%s)
	(cd "$H/p" && DOCKER_HOST="unix://$H/ping.sock" XDG_CACHE_HOME="$H/xdg" timeout 120 cargo green build >/dev/null 2>"$H/ping.err"); rc=$?
	t=$(($(date +%s) - t0))
	kill "$server"
	wait "$server" 2>/dev/null
	check "faults-more: an engine that answers its ping and nothing else: exit 3 ($rc) in ${t} s, one line naming DOCKER_HOST and the probe that timed out" \
		bash -c "[ $rc -eq 3 ] && [ $t -le 60 ] && [ \$(wc -l <'$H/ping.err') -eq 1 ] && grep -qF 'the engine at DOCKER_HOST=unix://$H/ping.sock did not finish probing what it can build within 30 s: it is stuck' '$H/ping.err' && test ! -e '$H/p/target/debug'"
	check "faults-more: …and the probe's directory is removed" bash -c "[ -d '$H/xdg/cargo-green/base' ] && [ -z \"\$(ls -d '$H'/xdg/cargo-green/base/probe.[0-9]* 2>/dev/null)\" ]"
	rm -rf "$H/p" "$H/xdg"
fi
