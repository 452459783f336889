# Remote execution (issue 14): DOCKER_HOST=ssh://HOST compiles on the remote
# engine, the outputs come back and run here, over one ssh connection per run.
# The "remote": an sshd of this test's own (Debian's openssh-server) on
# 127.0.0.1, its own host key, config and authorized_keys, whose sessions
# see DOCKER_HOST pointing at a second engine of the test's own
# (scripts/engine.sh on private paths). The client: the real ssh with a
# config of the test's (an `ssh` first on PATH adding -F, as a user's
# ~/.ssh/config would) and an ssh agent holding the key. Connections are
# counted in the sshd's own log. Sourced by tests/e2e.sh (group remote).

# rm_engine_*: the second engine, stopped by its pids, what it mounted undone.
rm_engine_stop() {
	local d pids p m
	d=$(cat "$RM/engine/run/docker.pid" 2>/dev/null) || return 0
	pids="$d $(ps -o pid= --ppid "$d" 2>/dev/null | tr '\n' ' ')"
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 1 60); do
		[ -n "$(for p in $pids; do kill -0 "$p" 2>/dev/null && echo "$p"; done)" ] || break
		sleep 0.5
	done
	for m in $(grep -F " $RM/engine/" /proc/mounts | awk '{print $2}' | sort -r); do umount -l "$m" 2>/dev/null; done
}
# rm_conns: connections the sshd accepted so far.
rm_conns() { grep -c 'Accepted publickey' "$RM/sshd.log" 2>/dev/null || echo 0; }
# rm_green LOG ARGS...: cargo green ARGS in the current dir against ssh://greenbox ($RM_HOST), local
# store and state in $RM_XDG (default $RM/xdg), stdout in LOG.out.
# RM_HOST= (set, empty): DOCKER_HOST unset, for docker's contexts.
rm_green() {
	local log=$1 host=${RM_HOST-ssh://greenbox}
	local -a he=(-u DOCKER_HOST)
	[ -n "$host" ] && he=(DOCKER_HOST="$host")
	shift
	env "${he[@]}" PATH="$RM/bin:$PATH" SSH_AUTH_SOCK="$RM/agent.sock" TMPDIR="$RM/tmp" XDG_CACHE_HOME="${RM_XDG:-$RM/xdg}" \
		CARGO_INCREMENTAL=0 cargo green "$@" >"$log.out" 2>"$log"
}
# rm_bytes: "UP DOWN", bytes the sshd's port P took and gave so far (iptables
# counters of the test's own rules, IP headers included).
rm_bytes() {
	local up down
	up=$(iptables -w -nvxL INPUT 2>/dev/null | awk -v c="cg-e2e-up-$P" 'index($0, c) { print $2 }')
	down=$(iptables -w -nvxL INPUT 2>/dev/null | awk -v c="cg-e2e-down-$P" 'index($0, c) { print $2 }')
	echo "${up:-0} ${down:-0}"
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
# rm_free_port: a TCP port nothing listens on at 127.0.0.1.
rm_free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}
# rm_running PID: the process runs (not gone, not a zombie waiting for its reaper).
rm_running() { [ -e "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }
# rm_left: what runs left in the private temporary dir (forward dirs) and ssh masters of the test's.
rm_left() {
	local p
	ls "$RM/tmp" | grep '^cargo-green-remote\.'
	for p in $(ps -eo pid=,args= | grep -F -- "-S$RM/tmp/" | grep -v grep | awk '{print $1}'); do
		rm_running "$p" && echo "ssh $p"
	done
}

if want remote; then
	RM="$WORK/remote"
	mkdir -p "$RM/bin" "$RM/tmp" "$RM/ssh"
	chmod 700 "$RM" "$RM/ssh"
	rm_ok=1
	for t in sshd ssh ssh-agent ssh-keygen ssh-add; do
		command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { fail "remote: prerequisite: $t (apt-get install openssh-server openssh-client; scripts/test.sh does)"; rm_ok=0; }
	done
	if [ $rm_ok = 1 ]; then
		# The second engine, playing the remote machine's.
		CARGOGREEN_ENGINE_RUN="$RM/engine/run" CARGOGREEN_ENGINE_DATA="$RM/engine/data/docker" \
			DOCKER_HOST="unix://$RM/engine/run/docker.sock" "$ROOT/scripts/engine.sh" >/dev/null 2>"$RM/engine.log" \
			|| { fail "remote: prerequisite: a second engine (scripts/engine.sh on private paths)" "$(tail -n3 "$RM/engine.log")"; rm_ok=0; }
	fi
	if [ $rm_ok = 1 ]; then
		E2HOST="unix://$RM/engine/run/docker.sock"
		P=$(rm_free_port)
		P2=$(rm_free_port)
		P3=$(rm_free_port)
		NOPORT=$(rm_free_port)
		ssh-keygen -q -t ed25519 -N '' -f "$RM/ssh/host_key"
		ssh-keygen -q -t ed25519 -N '' -f "$RM/ssh/id_user" -C e2e-user
		ssh-keygen -q -t ed25519 -N '' -f "$RM/ssh/id_other" -C e2e-other
		cp "$RM/ssh/id_user.pub" "$RM/ssh/authorized_keys"
		# Port P: a host whose sessions reach the second engine; P2: the same
		# host without docker on its PATH.
		cat >"$RM/ssh/sshd_config" <<-EOF
		ListenAddress 127.0.0.1
		Port $P
		Port $P2
		Port $P3
		HostKey $RM/ssh/host_key
		PidFile $RM/ssh/sshd.pid
		AuthorizedKeysFile $RM/ssh/authorized_keys
		StrictModes no
		UsePAM no
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		AllowStreamLocalForwarding yes
		LogLevel VERBOSE
		SetEnv DOCKER_HOST=$E2HOST
		Match LocalPort $P2
			SetEnv PATH=/nonexistent
		Match LocalPort $P3
			SetEnv DOCKER_HOST=unix://$RM/old/d.sock
		EOF
		mkdir -p /run/sshd
		/usr/sbin/sshd -f "$RM/ssh/sshd_config" -E "$RM/sshd.log"
		# Bytes on the wire: counters on the sshd's port (loopback: INPUT sees both ways).
		iptables -w -I INPUT -p tcp -d 127.0.0.1 --dport "$P" -m comment --comment "cg-e2e-up-$P" \
			&& iptables -w -I INPUT -p tcp -s 127.0.0.1 --sport "$P" -m comment --comment "cg-e2e-down-$P" \
			|| fail "remote: prerequisite: iptables counters on port $P"
		{
			echo "[127.0.0.1]:$P $(cat "$RM/ssh/host_key.pub")"
			echo "[127.0.0.1]:$P2 $(cat "$RM/ssh/host_key.pub")"
			echo "[127.0.0.1]:$P3 $(cat "$RM/ssh/host_key.pub")"
		} >"$RM/ssh/known_hosts"
		: >"$RM/ssh/known_hosts.empty"
		cat >"$RM/ssh/config" <<-EOF
		Host greenbox
			HostName 127.0.0.1
			Port $P
			User $(id -un)
		Host nodocker
			HostName 127.0.0.1
			Port $P2
			User $(id -un)
		Host wrongkey
			HostName 127.0.0.1
			Port $P
			User $(id -un)
			IdentityAgent none
			IdentityFile $RM/ssh/id_other
		Host oldbox
			HostName 127.0.0.1
			Port $P3
			User $(id -un)
		Host strange
			HostName 127.0.0.1
			Port $P
			User $(id -un)
			UserKnownHostsFile $RM/ssh/known_hosts.empty
		Host *
			UserKnownHostsFile $RM/ssh/known_hosts
			StrictHostKeyChecking yes
		EOF
		printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$RM/ssh/config" >"$RM/bin/ssh"
		chmod +x "$RM/bin/ssh"
		eval "$(ssh-agent -a "$RM/agent.sock")" >/dev/null
		RM_AGENT=$SSH_AGENT_PID
		unset SSH_AGENT_PID
		SSH_AUTH_SOCK="$RM/agent.sock" ssh-add -q "$RM/ssh/id_user"
		for _ in $(seq 1 20); do [ -s "$RM/ssh/sshd.pid" ] && break; sleep 0.2; done
		PATH="$RM/bin:$PATH" SSH_AUTH_SOCK="$RM/agent.sock" ssh -o BatchMode=yes greenbox true 2>"$RM/ssh-try.err"
		check "remote: prerequisite: ssh greenbox logs in (the test's sshd on 127.0.0.1:$P, its agent)" test $? -eq 0
	fi
	if [ $rm_ok = 1 ]; then
		RA="$WORK/remote/a"
		copy_fixture "$RA"
		# The base image first (a cargo command that compiles nothing): its bytes apart.
		read -r u0 d0 <<<"$(rm_bytes)"
		(cd "$RA" && rm_green "$RM/base.err" metadata --format-version 1); rc=$?
		read -r u1 d1 <<<"$(rm_bytes)"
		bup=$((u1 - u0))
		# Its OS part by the remote host's own mmdebstrap and docker import;
		# its toolchain downloaded there from static.rust-lang.org when the
		# remote reaches it (this host is the remote), else the local one's
		# files sent (543 MB; with the OS tarball too it was 1036 MB).
		rel=$(rustc -vV | sed -n 's/^release: //p')
		if curl -fsI --max-time 20 "https://static.rust-lang.org/dist/channel-rust-$rel.toml" >/dev/null 2>&1; then
			check "remote: the base image is made on the remote engine, its OS there, its toolchain (rustc $rel) from static.rust-lang.org there: nothing of it sent ($rc; $(mb $bup) MB up, $(mb $((d1 - d0))) MB down)" \
				bash -c "[ $rc -eq 0 ] && DOCKER_HOST=$E2HOST docker image ls --format '{{.Repository}}' | grep -q '^cargo-green-rust' && grep -q 'making the base OS image .* on the remote host' '$RM/base.err' && grep -q 'its toolchain (rustc $rel) from static.rust-lang.org' '$RM/base.err' && ! grep -q 'from the local toolchain' '$RM/base.err' && [ $bup -lt 20000000 ]"
		else
			check "remote: the base image is made on the remote engine, its OS there, the local toolchain sent (static.rust-lang.org unreachable) ($rc; $(mb $bup) MB up, $(mb $((d1 - d0))) MB down)" \
				bash -c "[ $rc -eq 0 ] && DOCKER_HOST=$E2HOST docker image ls --format '{{.Repository}}' | grep -q '^cargo-green-rust' && grep -q 'making the base OS image .* on the remote host' '$RM/base.err' && grep -q 'from the local toolchain' '$RM/base.err' && [ $bup -lt 700000000 ]"
		fi
		c0=$(rm_conns)
		read -r u0 d0 <<<"$(rm_bytes)"
		(cd "$RA" && rm_green "$RM/cold.err" build); rc=$?
		read -r u1 d1 <<<"$(rm_bytes)"
		c1=$(rm_conns)
		read -r N H M F P_ L E I <<<"$(stats "$RM/cold.err")"
		check "remote: DOCKER_HOST=ssh://greenbox cargo green build of the fixture, cold (base image made on the remote first), exits 0 ($rc)" test "$rc" -eq 0
		check "remote: …every compile went to the engine and was built there (${N:-0} compiles, ${M:-0} built, ${I:-0} locally)" \
			test "${N:-0}" -ge 30 -a "${M:-0}" -eq "${N:-0}" -a "${F:-1}" -eq 0 -a "${I:-1}" -eq 0
		ids=$(ls "$RA/target/cargo-green/df" 2>/dev/null | sort -u)
		on_remote=$(DOCKER_HOST=$E2HOST docker buildx du --verbose 2>/dev/null | grep -o '\[o-[^ ]*' | sed 's/^\[o-//' | sort -u)
		missing=$(comm -23 <(echo "$ids") <(echo "$on_remote") | grep -c .)
		check "remote: …each unit's output stage is in the remote engine's build cache ($(echo "$ids" | grep -c .) units, $missing missing)" \
			test "$(echo "$ids" | grep -c .)" -ge 30 -a "$missing" -eq 0
		check "remote: …over one ssh connection for the whole run ($((c1 - c0)))" test $((c1 - c0)) -eq 1
		# What must move: the outputs coming back (kept per unit in target/cargo-green/out).
		outb=$(du -sb "$RA/target/cargo-green/out" 2>/dev/null | cut -f1)
		up=$((u1 - u0)) down=$((d1 - d0))
		check "remote: …bytes on the wire, cold: $(mb $up) MB up + $(mb $down) MB down for $(mb "${outb:-0}") MB of outputs ($(awk -v a=$((up + down)) -v b="${outb:-1}" 'BEGIN { printf "%.2f", a / b }')×, at most 1.5×; was 2.45×)" \
			test "${outb:-0}" -gt 0 -a $(((up + down) * 2)) -le $((${outb:-0} * 3))
		# Each unit built there holds its closure as stages the engine has
		# (built-on in its record), not their outputs sent up again.
		recs=$(find "$RA/target/debug" -name '*.green' | sort)
		marked=$(grep -l '^built-on [0-9a-f]\{16\}$' $recs 2>/dev/null | grep -c .)
		appdf=$(ls "$RA"/target/cargo-green/df/app-*/Dockerfile 2>/dev/null | head -n1)
		estages=$(grep -c '^FROM scratch AS e-' "$appdf" 2>/dev/null)
		check "remote: …every unit's record says the engine built it so ($marked of $(echo "$recs" | grep -c .)), and app's Dockerfile holds its closure as stages ($estages e- stages, no deps context)" \
			bash -c "[ $marked -ge 30 ] && [ $marked -eq $(echo "$recs" | grep -c .) ] && [ ${estages:-0} -ge 10 ] && ! grep -q ' AS d-app' '$appdf'"
		(cd "$RA" && ./target/debug/app >"$RM/app.out" 2>&1)
		check "remote: …the binary runs here" grep -q 'hello from build.rs' "$RM/app.out"
		left=$(rm_left)
		check "remote: …the connection is closed and its private dir removed when cargo is done" test -z "$left"

		(cd "$RA" && cargo clean -q)
		c0=$(rm_conns)
		(cd "$RA" && rm_green "$RM/warm.err" build); rc=$?
		c1=$(rm_conns)
		read -r N H M F P_ L E I <<<"$(stats "$RM/warm.err")"
		check "remote: after cargo clean, the local store serves every compile ($H of $N) and no ssh connection is opened ($((c1 - c0)))" \
			test "$rc" -eq 0 -a "${N:-0}" -ge 30 -a "${L:-0}" -eq "${N:-0}" -a $((c1 - c0)) -eq 0

		c0=$(rm_conns)
		(cd "$RA" && rm_green "$RM/test.err" test); rc=$?
		c1=$(rm_conns)
		check "remote: cargo green test compiles the tests there and they pass here (exit $rc, $((c1 - c0)) connection)" \
			bash -c "[ $rc -eq 0 ] && grep -q 'test result: ok' '$RM/test.err.out' && [ $((c1 - c0)) -le 1 ]"

		# An edit of a workspace crate: the engine already has the closure of
		# its dependents, and is sent only what differs (BuildKit's transfer of
		# the deps context, in app's engine log, against the closure's size).
		echo "// an edit" >>"$RA/greet/src/lib.rs"
		(cd "$RA" && rm_green "$RM/edit.err" build); rc=$?
		# (the app unit this build made: the newest of app's logs; the tests' are older)
		sent=$(grep -h 'transferring deps: .* done' "$(ls -t "$RA"/target/cargo-green/log/app-*.log | head -n1)" 2>/dev/null | tail -n1 |
			awk '{v=$4; m=1; if (v ~ /kB$/) m=1e3; else if (v ~ /MB$/) m=1e6; else if (v ~ /GB$/) m=1e9; sub(/[kMG]?B$/, "", v); printf "%d", v * m}')
		closure=$(for d in "$RA"/target/cargo-green/deps/[0-9]*/; do du -sb "$d" | cut -f1; done | sort -n | tail -n1)
		check "remote: after an edit of greet, app's deps context goes by difference (${sent:-?} bytes sent, closure ${closure:-?})" \
			test "$rc" -eq 0 -a -n "$sent" -a "${closure:-0}" -gt 10000000 -a "${sent:-999999999}" -lt $((${closure:-0} / 5))

		# Two runs at once, each needing the engine (own local stores): each its own connection.
		for x in b c; do copy_fixture "$RM/$x"; done
		c0=$(rm_conns)
		(cd "$RM/b" && RM_XDG="$RM/xdg-b" rm_green "$RM/b.err" check) &
		pb=$!
		(cd "$RM/c" && RM_XDG="$RM/xdg-c" rm_green "$RM/c.err" check) &
		pc=$!
		wait $pb; rb=$?
		wait $pc; rcc=$?
		c1=$(rm_conns)
		left=$(rm_left)
		check "remote: two runs at once both succeed ($rb, $rcc), over a connection each ($((c1 - c0))), both closed after" \
			bash -c "[ $rb -eq 0 ] && [ $rcc -eq 0 ] && [ $((c1 - c0)) -eq 2 ] && [ -z '$left' ]"

		# Ctrl-C while the engine works: the connection closed, nothing left.
		copy_fixture "$RM/int"
		(cd "$RM/int" && exec setsid env PATH="$RM/bin:$PATH" SSH_AUTH_SOCK="$RM/agent.sock" TMPDIR="$RM/tmp" \
			XDG_CACHE_HOME="$RM/xdg-int" DOCKER_HOST=ssh://greenbox CARGO_INCREMENTAL=0 __CARGOGREEN_NO_CACHE=1 \
			cargo green build >/dev/null 2>"$RM/int.err") &
		pint=$!
		for _ in $(seq 1 200); do ls "$RM"/tmp/cargo-green-remote.*/master.pid >/dev/null 2>&1 && break; sleep 0.1; done
		master=$(cat "$RM"/tmp/cargo-green-remote.*/master.pid 2>/dev/null)
		sleep 2
		kill -INT -- -"$pint" 2>/dev/null
		wait $pint; rc=$?
		left=$(rm_left)
		alive=no
		[ -n "$master" ] && rm_running "$master" && alive=yes
		check "remote: Ctrl-C during a build: it ends by the signal ($rc), its ssh connection (pid ${master:-none}) closed, its dir removed" \
			bash -c "[ $rc -eq 130 ] && [ -n '$master' ] && [ $alive = no ] && [ -z '$left' ]"

		# The connection lost mid-build: the sshd's session process killed.
		copy_fixture "$RM/lost"
		(cd "$RM/lost" && RM_XDG="$RM/xdg-lost" __CARGOGREEN_NO_CACHE=1 rm_green "$RM/lost.err" build) &
		pl=$!
		for _ in $(seq 1 200); do [ "$(ls "$RM/lost/target/cargo-green/df" 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.1; done
		for p in $(ps -o pid= --ppid "$(cat "$RM/ssh/sshd.pid")"); do kill "$p"; done
		wait $pl; rc=$?
		errs=$(grep -c 'cargo-green: error: ' "$RM/lost.err")
		lost=$(grep -c 'cargo-green: error: .*lost the engine at DOCKER_HOST=ssh://greenbox while .*: ssh: ' "$RM/lost.err")
		left=$(rm_left)
		check "remote: the connection lost mid-build: the build fails ($rc), each error ($lost of $errs) one line naming DOCKER_HOST and that ssh's connection ended" \
			test "$rc" -ne 0 -a "$errs" -ge 1 -a "$lost" -eq "$errs"
		check "remote: …nothing half-written: no landing left in target/cargo-green/tmp, the connection closed, the dir removed" \
			bash -c "[ -z '$left' ] && ! ls '$RM'/lost/target/cargo-green/tmp/ 2>/dev/null | grep -q ."

		# Errors: before anything is built, one line naming DOCKER_HOST and ssh's own words, exit 3.
		# rm_error_case NAME DOCKER_HOST EXIT TEXT
		rm_error_case() {
			local name=$1 host=$2 code=$3 want=$4 rc left
			copy_fixture "$RM/e-$name"
			(cd "$RM/e-$name" && RM_HOST=$host rm_green "$RM/e-$name.err" build); rc=$?
			left=$(rm_left)
			check "remote: error, $name: exit $code ($rc), one line naming DOCKER_HOST=$host and the cause ($want), nothing built" \
				bash -c "[ $rc -eq $code ] && [ \$(wc -l <'$RM/e-$name.err') -eq 1 ] && grep -q '^cargo-green: error: .*DOCKER_HOST=$host' '$RM/e-$name.err' && grep -qF -- '$want' '$RM/e-$name.err' && [ ! -d '$RM/e-$name/target/debug' ] && [ -z '$left' ]"
		}
		rm_error_case unknown-host ssh://nosuchhost.invalid 3 "Could not resolve hostname nosuchhost.invalid"
		rm_error_case refused "ssh://$(id -un)@127.0.0.1:$NOPORT" 3 "port $NOPORT: Connection refused"
		rm_error_case wrong-key ssh://wrongkey 3 "Permission denied (publickey)"
		rm_error_case unknown-host-key ssh://strange 3 "Host key verification failed"
		rm_error_case no-docker ssh://nodocker 3 "has no docker CLI (bash: line 1: docker: command not found)"
		rm_error_case not-ssh "ssh://a:b:c" 2 "is not an ssh address"
		# The same without the forward: docker's own ssh, its cause found in buildx's output.
		copy_fixture "$RM/e-cli"
		(cd "$RM/e-cli" && RM_HOST=ssh://nodocker __CARGOGREEN_NO_SSH_FORWARD=1 rm_green "$RM/e-cli.err" build); rc=$?
		check "remote: error through docker's own ssh (no forward): exit 3 ($rc), one line with the remote's words" \
			bash -c "[ $rc -eq 3 ] && [ \$(wc -l <'$RM/e-cli.err') -eq 1 ] && grep -qF 'DOCKER_HOST=ssh://nodocker has no docker CLI (bash: line 1: docker: command not found)' '$RM/e-cli.err'"

		# A small real crates.io project, lexopt 0.3.0 (no dependencies: cheap),
		# over ssh: its example installed (--locked), run, and its tests, compiled
		# there and run here, with plain cargo's outputs and exit codes.
		c0=$(rm_conns)
		(cd "$RM" && rm_green "$RM/inst.err" install --locked --root "$RM/inst" --example hello lexopt@0.3.0); rc=$?
		c1=$(rm_conns)
		read -r N H M F P_ L E I <<<"$(stats "$RM/inst.err")"
		"$RM/inst/bin/hello" -n 2 world >"$RM/inst.run" 2>&1
		check "remote: cargo green install --locked --example hello lexopt@0.3.0: exit 0 ($rc), compiled there (${N:-0} compiles, ${I:-?} local), over one connection ($((c1 - c0))), the binary runs here" \
			bash -c "[ $rc -eq 0 ] && [ ${N:-0} -ge 2 ] && [ ${I:-1} -eq 0 ] && [ $((c1 - c0)) -eq 1 ] && [ \"\$(cat '$RM/inst.run')\" = \"\$(printf 'Hello world\nHello world')\" ]"
		LX="$RM/lexopt"
		src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/lexopt-0.3.0 2>/dev/null | head -n1)
		cp -r "$src" "$LX" && chmod -R u+w "$LX" && cp -r "$LX" "$RM/lexopt-plain"
		# rm_vs NAME ARGS...: cargo ARGS plainly and cargo green ARGS over ssh: stdout, the last stderr line that is not cargo-green's, exit code.
		rm_vs() {
			local name=$1 c0 c1
			shift
			(cd "$RM/lexopt-plain" && cargo "$@" >"$RM/$name.plain.out" 2>"$RM/$name.plain.err"; echo $? >"$RM/$name.plain.rc")
			c0=$(rm_conns)
			(cd "$LX" && rm_green "$RM/$name.green.err" "$@"; echo $? >"$RM/$name.green.rc")
			c1=$(rm_conns)
			echo $((c1 - c0)) >"$RM/$name.conns"
			mv "$RM/$name.green.err.out" "$RM/$name.green.out"
			# (cargo -q: no summary line; the run's totals as the plugin writes them)
			echo "$(run_stat compiles) $(run_stat incremental)" >"$RM/$name.stats"
		}
		rm_same() { # NAME: the same stdout (test timings aside), last own stderr line and exit code
			local n=$1
			[ "$(cat "$RM/$n.plain.rc")" = "$(cat "$RM/$n.green.rc")" ] &&
				diff <(sed 's/finished in [0-9.]*s/finished/' "$RM/$n.plain.out") <(sed 's/finished in [0-9.]*s/finished/' "$RM/$n.green.out") >/dev/null &&
				[ "$(grep -v '^cargo-green' "$RM/$n.plain.err" | grep -v '^ *\(Compiling\|Finished\|Running\|Doc-tests\|Blocking\|Locking\|Downloaded\|Updating\)' | tail -n1)" = \
				  "$(grep -v '^cargo-green' "$RM/$n.green.err" | grep -v '^ *\(Compiling\|Finished\|Running\|Doc-tests\|Blocking\|Locking\|Downloaded\|Updating\)' | tail -n1)" ]
		}
		rm_vs run-ok run -q --example hello -- -n 2 world
		rm_vs run-bad run -q --example hello -- --bogus
		rm_vs test test -q
		read -r N I <"$RM/run-ok.stats"
		rm_same run-ok; same=$?
		check "remote: cargo green run --example hello of lexopt: compiled there (${N:-0} compiles, ${I:-?} local, $(cat "$RM/run-ok.conns") connection), its output and exit code ($(cat "$RM/run-ok.green.rc")) as plain cargo's" \
			bash -c "[ $same -eq 0 ] && [ ${N:-0} -ge 2 ] && [ ${I:-1} -eq 0 ] && [ $(cat "$RM/run-ok.conns") -eq 1 ]"
		rm_same run-bad; same=$?
		check "remote: …its failure (--bogus): the program's error and exit code ($(cat "$RM/run-bad.green.rc")) as plain cargo's, nothing to compile, no connection ($(cat "$RM/run-bad.conns"))" \
			bash -c "[ $same -eq 0 ] && [ $(cat "$RM/run-bad.green.rc") -ne 0 ] && [ $(cat "$RM/run-bad.conns") -eq 0 ]"
		read -r N I <"$RM/test.stats"
		rm_same test; same=$?
		check "remote: cargo green test of lexopt: compiled there (${N:-0} compiles, ${I:-?} local), the tests run here with plain cargo's results and exit code ($(cat "$RM/test.green.rc"))" \
			bash -c "[ $same -eq 0 ] && grep -q 'test result: ok' '$RM/test.green.out' && [ ${N:-0} -ge 1 ] && [ ${I:-1} -eq 0 ]"

		# Docker's own ways to name a remote, in a docker config dir of the
		# test's own: DOCKER_CONTEXT, `docker context use`, BUILDX_BUILDER
		# naming a context. Each goes through the run's one forward. (check
		# builds: the remote engine has their units from the two runs above;
		# each a store of its own, so every compile asks the engine.)
		DC="$RM/dockercfg"
		mkdir -p "$DC/cli-plugins"
		[ -x "$HOME/.docker/cli-plugins/docker-buildx" ] && ln -sf "$HOME/.docker/cli-plugins/docker-buildx" "$DC/cli-plugins/"
		DOCKER_CONFIG=$DC docker context create greenctx --docker host=ssh://greenbox >/dev/null 2>"$RM/ctx.err"
		DOCKER_CONFIG=$DC docker context create nodockerctx --docker host=ssh://nodocker >/dev/null 2>>"$RM/ctx.err"
		# rm_ctx_case NAME WHAT ENV...: a check build of a fresh copy with DOCKER_CONFIG=$DC and ENV: 0 and one connection, every compile on the engine.
		rm_ctx_case() {
			local name=$1 what=$2 rc c0 c1 N H M F P_ L E I left
			shift 2
			copy_fixture "$RM/$name"
			c0=$(rm_conns)
			(cd "$RM/$name" && export DOCKER_CONFIG=$DC RM_XDG="$RM/xdg-$name" && for a in "$@"; do export "${a?}"; done && rm_green "$RM/$name.err" check); rc=$?
			c1=$(rm_conns)
			read -r N H M F P_ L E I <<<"$(stats "$RM/$name.err")"
			left=$(rm_left)
			check "remote: $what, DOCKER_HOST ${RM_HOST:-unset}: cargo green check exits 0 ($rc), every compile on the remote engine (${N:-0}: $E engine hits, $M built, ${I:-?} local), over one ssh connection ($((c1 - c0))), closed after" \
				bash -c "[ $rc -eq 0 ] && [ ${N:-0} -ge 30 ] && [ $((${E:-0} + ${M:-0})) -eq ${N:-0} ] && [ ${I:-1} -eq 0 ] && [ $((c1 - c0)) -eq 1 ] && [ -z '$left' ]"
		}
		RM_HOST= rm_ctx_case ctx-env "DOCKER_CONTEXT=greenctx (ssh://greenbox)" DOCKER_CONTEXT=greenctx
		DOCKER_CONFIG=$DC docker context use greenctx >/dev/null 2>>"$RM/ctx.err"
		RM_HOST= rm_ctx_case ctx-current "docker context use greenctx"
		DOCKER_CONFIG=$DC docker context use default >/dev/null 2>>"$RM/ctx.err"
		# BUILDX_BUILDER naming a context wins over DOCKER_HOST (here the shared local engine's).
		RM_HOST=$DOCKER_HOST rm_ctx_case ctx-builder "BUILDX_BUILDER=greenctx" BUILDX_BUILDER=greenctx
		# rm_ctx_error NAME EXIT TEXT ENV...: one line with TEXT, exit EXIT, nothing built.
		rm_ctx_error() {
			local name=$1 code=$2 want=$3 rc
			shift 3
			copy_fixture "$RM/$name"
			(cd "$RM/$name" && export DOCKER_CONFIG=$DC && for a in "$@"; do export "${a?}"; done && rm_green "$RM/$name.err" build); rc=$?
			check "remote: $*: exit $code ($rc), one line: $want" \
				bash -c "[ $rc -eq $code ] && [ \$(wc -l <'$RM/$name.err') -eq 1 ] && grep -qF -- '$want' '$RM/$name.err' && [ ! -d '$RM/$name/target/debug' ] && [ -z \"\$(ls '$RM/tmp' | grep cargo-green-remote)\" ]"
		}
		# DOCKER_HOST wins over a context (docker's rule): its host has no docker, the context's has.
		RM_HOST=ssh://nodocker rm_ctx_error ctx-host-wins 3 \
			"the host of DOCKER_HOST=ssh://nodocker has no docker CLI (bash: line 1: docker: command not found)" DOCKER_CONTEXT=greenctx
		RM_HOST= rm_ctx_error ctx-named 3 \
			"the host of DOCKER_CONTEXT=nodockerctx (ssh://nodocker) has no docker CLI (bash: line 1: docker: command not found)" DOCKER_CONTEXT=nodockerctx
		RM_HOST= rm_ctx_error ctx-none 2 \
			"cargo-green: error: DOCKER_CONTEXT=nosuchctx names no docker context (see \`docker context ls\`" DOCKER_CONTEXT=nosuchctx
		# BUILDKIT_HOST: docker buildx does not read it for builds; said, not ignored.
		rm_ctx_error bk-host 2 \
			"cargo-green: error: BUILDKIT_HOST=tcp://127.0.0.1:$NOPORT is not read by docker buildx" BUILDKIT_HOST=tcp://127.0.0.1:$NOPORT
		# A builder of buildx's own on another driver cannot see the engine's base image.
		PATH="$RM/bin:$PATH" SSH_AUTH_SOCK="$RM/agent.sock" DOCKER_CONFIG=$DC \
			docker buildx create --name cg-dc --driver docker-container ssh://greenbox >/dev/null 2>>"$RM/ctx.err"
		rm_ctx_error builder-dc 2 \
			"cargo-green: error: BUILDX_BUILDER=cg-dc is a builder of the docker-container driver (at ssh://greenbox), which does not see the engine" BUILDX_BUILDER=cg-dc

		# A remote engine too old: Debian 12's own dockerd 20.10 (BuildKit 0.8, no
		# named contexts) behind the sshd's third port.
		if [ -x /usr/sbin/dockerd ] && /usr/sbin/dockerd --version | grep -q 'version 20\.'; then
			mkdir -p "$RM/old"
			echo '{}' >"$RM/old/daemon.json"
			(cd "$RM/old" && PATH=/usr/sbin:/usr/bin:/sbin:/bin exec setsid /usr/sbin/dockerd --config-file "$RM/old/daemon.json" \
				--data-root "$RM/old/data" --exec-root "$RM/old/exec" -H "unix://$RM/old/d.sock" --pidfile "$RM/old/d.pid" \
				--bridge=none --iptables=false >"$RM/old/log" 2>&1 &)
			for _ in $(seq 1 60); do DOCKER_HOST=unix://$RM/old/d.sock docker version >/dev/null 2>&1 && break; sleep 0.5; done
			rm_error_case old-engine ssh://oldbox 4 \
				"the engine at DOCKER_HOST=ssh://oldbox is too old: dockerd 20.10.24+dfsg1 embeds a BuildKit without named build contexts"
		else
			fail "remote: prerequisite: Debian 12's dockerd 20.10 at /usr/sbin/dockerd (apt-get install docker.io), the old engine"
		fi
	fi
	[ -n "${RM_AGENT:-}" ] && kill "$RM_AGENT" 2>/dev/null
	[ -s "$RM/ssh/sshd.pid" ] && kill "$(cat "$RM/ssh/sshd.pid")" 2>/dev/null
	rm_engine_stop
	if [ -s "${RM:-/nonexistent}/old/d.pid" ]; then
		op=$(cat "$RM/old/d.pid")
		opids="$op $(ps -o pid= --ppid "$op" 2>/dev/null | tr '\n' ' ')"
		for p in $opids; do kill -TERM "$p" 2>/dev/null; done
		for _ in $(seq 1 40); do kill -0 "$op" 2>/dev/null || break; sleep 0.5; done
		for m in $(grep -F " $RM/old/" /proc/mounts | awk '{print $2}' | sort -r); do umount -l "$m" 2>/dev/null; done
	fi
	if [ -n "${P:-}" ]; then
		iptables -w -D INPUT -p tcp -d 127.0.0.1 --dport "$P" -m comment --comment "cg-e2e-up-$P" 2>/dev/null
		iptables -w -D INPUT -p tcp -s 127.0.0.1 --sport "$P" -m comment --comment "cg-e2e-down-$P" 2>/dev/null
	fi
fi
