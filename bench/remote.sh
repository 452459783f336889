#!/usr/bin/env bash
# bench/remote.sh: cargo green on a remote engine over ssh, side by side with
# the same engine on its own unix socket. Run by `REMOTE=1 bench/run.sh` after
# its table, or alone. Reports; asserts nothing.
#
#   bench/remote.sh                          the fixture
#   REMOTE_PROJECTS="fixture ripgrep@14.1.1" RUNS=3 bench/remote.sh
#
# The remote, as in tests/e2e_remote.sh: an sshd of this script's own on
# 127.0.0.1 (its own host key, an ssh agent holding the key, a client config
# naming the host `greenbox`), whose sessions see DOCKER_HOST pointing at a
# second engine of its own (scripts/engine.sh on private paths). Bytes are
# the sshd port's iptables counters (IP headers included), connections the
# sshd's log. Per project:
#   socket cold   DOCKER_HOST=unix://(the second engine): its build cache
#                 pruned, an empty local store (the base image kept)
#   ssh cold      DOCKER_HOST=ssh://greenbox, the same: ratio to socket cold
#                 (target <= 1.2), bytes up and down, and their sum over the
#                 outputs that came back (target <= 1.5)
#   ssh warm      cargo clean, the store hot: its ssh connections (target 0)
#   ssh -C cold   the ssh cold build again with `Compression yes` for the host
#                 (what a user on a slow link can set in ~/.ssh/config)
# The base image is made on the remote once, first; its bytes are given apart.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
REMOTE_PROJECTS=${REMOTE_PROJECTS:-fixture}
# Every compile to the engine, the workspace's own crates too (as tests/e2e_remote.sh).
export CARGO_INCREMENTAL=0
RM="$WORK/remote"
mkdir -p "$RM/bin" "$RM/ssh" "$RM/tmp"
chmod 700 "$RM" "$RM/ssh"
E2HOST="unix://$RM/engine/run/docker.sock"

cleanup() {
	local d p
	trap - ERR
	[ -n "${AGENT:-}" ] && kill "$AGENT" 2>/dev/null
	[ -s "$RM/ssh/sshd.pid" ] && kill "$(cat "$RM/ssh/sshd.pid")" 2>/dev/null
	if [ -n "${P:-}" ]; then
		iptables -w -D INPUT -p tcp -d 127.0.0.1 --dport "$P" -m comment --comment "cg-bench-up-$P" 2>/dev/null
		iptables -w -D INPUT -p tcp -s 127.0.0.1 --sport "$P" -m comment --comment "cg-bench-down-$P" 2>/dev/null
	fi
	if d=$(cat "$RM/engine/run/docker.pid" 2>/dev/null); then
		for p in $d $(ps -o pid= --ppid "$d" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
		for _ in $(seq 1 60); do kill -0 "$d" 2>/dev/null || break; sleep 0.5; done
		for m in $(grep -F " $RM/engine/" /proc/mounts | awk '{print $2}' | sort -r); do umount -l "$m" 2>/dev/null; done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

say "remote: a second engine and an sshd on 127.0.0.1"
CARGOGREEN_ENGINE_RUN="$RM/engine/run" CARGOGREEN_ENGINE_DATA="$RM/engine/data/docker" DOCKER_HOST=$E2HOST \
	"$ROOT/scripts/engine.sh" >/dev/null 2>"$RM/engine.log" || { tail -n3 "$RM/engine.log" >&2; exit 1; }
while :; do
	P=$((20000 + RANDOM % 20000))
	ss -ltnH "sport = :$P" | grep -q . || break
done
ssh-keygen -q -t ed25519 -N '' -f "$RM/ssh/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$RM/ssh/id_user"
cp "$RM/ssh/id_user.pub" "$RM/ssh/authorized_keys"
cat >"$RM/ssh/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $P
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
EOF
mkdir -p /run/sshd
/usr/sbin/sshd -f "$RM/ssh/sshd_config" -E "$RM/sshd.log"
iptables -w -I INPUT -p tcp -d 127.0.0.1 --dport "$P" -m comment --comment "cg-bench-up-$P" 2>/dev/null
iptables -w -I INPUT -p tcp -s 127.0.0.1 --sport "$P" -m comment --comment "cg-bench-down-$P" 2>/dev/null
echo "[127.0.0.1]:$P $(cat "$RM/ssh/host_key.pub")" >"$RM/ssh/known_hosts"
cat >"$RM/ssh/config" <<EOF
Host greenbox-c
	Compression yes
Host greenbox greenbox-c
	HostName 127.0.0.1
	Port $P
	User $(id -un)
	UserKnownHostsFile $RM/ssh/known_hosts
	StrictHostKeyChecking yes
EOF
printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$RM/ssh/config" >"$RM/bin/ssh"
chmod +x "$RM/bin/ssh"
eval "$(ssh-agent -a "$RM/agent.sock")" >/dev/null
AGENT=$SSH_AGENT_PID
unset SSH_AGENT_PID
export SSH_AUTH_SOCK="$RM/agent.sock" PATH="$RM/bin:$PATH" TMPDIR="$RM/tmp"
ssh-add -q "$RM/ssh/id_user"
for _ in $(seq 1 20); do [ -s "$RM/ssh/sshd.pid" ] && break; sleep 0.2; done
ssh -o BatchMode=yes greenbox true

bytes() { # "UP DOWN" so far
	iptables -w -nvxL INPUT 2>/dev/null | awk -v u="cg-bench-up-$P" -v d="cg-bench-down-$P" \
		'index($0, u) { up = $2 } index($0, d) { down = $2 } END { print up + 0, down + 0 }'
}
conns() { grep -c 'Accepted publickey' "$RM/sshd.log" || true; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
prune() { DOCKER_HOST=$E2HOST docker builder prune -af >/dev/null; }

say "remote: the base image, made on the remote once"
mkdir -p "$WORK/base"
source_of fixture "$WORK/base"
read -r u0 d0 <<<"$(bytes)"
t=$(timed "$WORK/base" env DOCKER_HOST=ssh://greenbox XDG_CACHE_HOME="$RM/xdg-base" cargo green metadata --format-version 1)
read -r u1 d1 <<<"$(bytes)"
BASE_LINE="base image made on the remote: ${t}s, $(mb $((u1 - u0))) MB up, $(mb $((d1 - d0))) MB down"

TABLE="$WORK/remote-table.md"
{
	echo "| project | socket cold | ssh cold (× socket) | up | down | outputs | (up+down) / outputs | warm: ssh connections | ssh cold, Compression yes (× socket) | its (up+down) / outputs |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} >"$TABLE"
for p in $REMOTE_PROJECTS; do
	src="$WORK/remote-$p"
	mkdir -p "$src"
	source_of "$p" "$src"
	for k in sc gc up down out ratio warm zc zratio; do eval "$k=()"; done
	for run in $(seq 1 "$RUNS"); do
		say "remote $p run $run: cold on the engine's socket"
		rm -rf "$src/target" "$RM/xdg"
		prune
		sc+=("$(timed "$src" env DOCKER_HOST=$E2HOST XDG_CACHE_HOME="$RM/xdg" cargo green build)")
		say "remote $p run $run: cold over ssh"
		rm -rf "$src/target" "$RM/xdg"
		prune
		read -r u0 d0 <<<"$(bytes)"
		gc+=("$(timed "$src" env DOCKER_HOST=ssh://greenbox XDG_CACHE_HOME="$RM/xdg" cargo green build)")
		read -r u1 d1 <<<"$(bytes)"
		o=$(du -sb "$src/target/cargo-green/out" | cut -f1)
		up+=("$(mb $((u1 - u0)))")
		down+=("$(mb $((d1 - d0)))")
		out+=("$(mb "$o")")
		ratio+=("$(awk -v a=$((u1 - u0 + d1 - d0)) -v b="$o" 'BEGIN { printf "%.2f", a / b }')")
		# What went up, by context (BuildKit's own transfer counts, in the units' logs).
		grep -h 'transferring .*done' "$src"/target/cargo-green/log/*.log | awk '
			{ n = $3; v = $4; m = 1; if (v ~ /kB$/) m = 1e3; else if (v ~ /MB$/) m = 1e6; else if (v ~ /GB$/) m = 1e9
			  sub(/[kMG]?B$/, "", v); sub(/:$/, "", n)
			  if (n ~ /^src-build_script_build-/) k = "build-script runs (src-build_script_build-*)"
			  else if (n ~ /^src-/) k = "sources (src-*)"; else k = n
			  s[k] += v * m; t += v * m }
			END { for (k in s) printf "  %s: %.1f MB\n", k, s[k] / 1e6; printf "  (all: %.1f MB)\n", t / 1e6 }' | sort >"$WORK/up-$p-$run.txt"
		say "remote $p run $run: warm over ssh (cargo clean)"
		(cd "$src" && cargo clean -q)
		c0=$(conns)
		timed "$src" env DOCKER_HOST=ssh://greenbox XDG_CACHE_HOME="$RM/xdg" cargo green build >/dev/null
		warm+=($(($(conns) - c0)))
		say "remote $p run $run: cold over ssh, Compression yes"
		rm -rf "$src/target" "$RM/xdg"
		prune
		read -r u0 d0 <<<"$(bytes)"
		zc+=("$(timed "$src" env DOCKER_HOST=ssh://greenbox-c XDG_CACHE_HOME="$RM/xdg" cargo green build)")
		read -r u1 d1 <<<"$(bytes)"
		o=$(du -sb "$src/target/cargo-green/out" | cut -f1)
		zratio+=("$(awk -v a=$((u1 - u0 + d1 - d0)) -v b="$o" 'BEGIN { printf "%.2f", a / b }')")
	done
	read -r scm _ <<<"$(summary "${sc[@]}")"
	read -r gcm _ <<<"$(summary "${gc[@]}")"
	read -r zcm _ <<<"$(summary "${zc[@]}")"
	printf '| %s | %ss | %ss (%.2f×) | %s MB | %s MB | %s MB | %s× | %s | %ss (%.2f×) | %s× |\n' "$p" "$scm" "$gcm" "$(echo "$gcm / $scm" | bc -l)" \
		"$(summary "${up[@]}" | cut -d' ' -f1)" "$(summary "${down[@]}" | cut -d' ' -f1)" "$(summary "${out[@]}" | cut -d' ' -f1)" \
		"$(summary "${ratio[@]}" | cut -d' ' -f1)" "$(summary "${warm[@]}" | cut -d' ' -f1)" \
		"$zcm" "$(echo "$zcm / $scm" | bc -l)" "$(summary "${zratio[@]}" | cut -d' ' -f1)" >>"$TABLE"
done

echo
echo "cargo-green remote bench, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), RUNS=$RUNS; ssh to 127.0.0.1 (loopback: bytes, not a real link's time)"
echo "$BASE_LINE"
echo
cat "$TABLE"
for f in "$WORK"/up-*.txt; do
	echo
	echo "up by context, $(basename "$f" .txt | sed 's/^up-//'):"
	cat "$f"
done
