#!/usr/bin/env bash
# engine.sh: find a BuildKit engine that cargo-green can use, or start one.
#
# Usage: scripts/engine.sh [--print-env]
#
# What cargo-green needs of the engine: `docker buildx build` with named build
# contexts (--build-context) and a local exporter (--output type=local).
#
# 1. If $DOCKER_HOST (or the default socket) answers and can do that, it is used.
# 2. Otherwise a private engine is installed and started, idempotently:
#    dockerd 26 (BuildKit 0.13), buildx 0.13 and containerd 1.7 from Debian 13's
#    packages, unpacked under $CARGOGREEN_ENGINE_PREFIX with Debian 12's runc,
#    listening on unix://$CARGOGREEN_ENGINE_RUN/docker.sock.
#    Its build cache is bounded: BuildKit's garbage collector (docker's
#    builder.gc) keeps at most $CARGOGREEN_ENGINE_CACHE_SIZE (default 20GB),
#    least recently used records pruned first, after builds and periodically.
#    The value is written into the daemon's config when it starts (an engine
#    already running keeps the one it started with).
#
# The last line printed on stdout is `export DOCKER_HOST=...`; everything else
# goes to stderr. Exit 0 when the engine is ready, non-zero with a reason.
set -euo pipefail

PREFIX=${CARGOGREEN_ENGINE_PREFIX:-/opt/cargo-green/engine}
RUN=${CARGOGREEN_ENGINE_RUN:-/run/cargo-green}
DATA=${CARGOGREEN_ENGINE_DATA:-/var/lib/cargo-green/docker}
ENGINE_CACHE=${CARGOGREEN_ENGINE_CACHE_SIZE:-20GB}
SOCK="$RUN/docker.sock"
OURS="unix://$SOCK"

say() { echo "engine.sh: $*" >&2; }
die() { echo "engine.sh: error: $*" >&2; exit 1; }

plugin_dir() { echo "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"; }

# Can the engine at $1 build with a named context and export locally?
probe() {
	local host=$1 tmp rc=0
	tmp=$(mktemp -d)
	mkdir -p "$tmp/ctx" "$tmp/out"
	echo ok >"$tmp/ctx/probe"
	printf 'FROM scratch\nCOPY --from=probe probe /probe\n' >"$tmp/Dockerfile"
	DOCKER_HOST=$host timeout 60 docker buildx build --progress=quiet \
		--build-context probe="$tmp/ctx" -f "$tmp/Dockerfile" \
		--output "type=local,dest=$tmp/out" "$tmp/ctx" >/dev/null 2>"$tmp/err" || rc=$?
	if [ $rc -eq 0 ] && [ "$(cat "$tmp/out/probe" 2>/dev/null)" = ok ]; then
		rm -rf "$tmp"; return 0
	fi
	say "engine at $host cannot build with named contexts: $(tail -n1 "$tmp/err" 2>/dev/null)"
	rm -rf "$tmp"
	return 1
}

install_packages() {
	local need=()
	command -v runc >/dev/null || need+=(runc)
	command -v iptables >/dev/null || need+=(iptables)
	command -v ip >/dev/null || need+=(iproute2)
	command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
	command -v docker >/dev/null || need+=(docker-cli)
	[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
	if [ ${#need[@]} -gt 0 ]; then
		say "installing ${need[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
	fi
}

fetch_engine() {
	[ -x "$PREFIX/usr/sbin/dockerd" ] && [ -x "$PREFIX/usr/libexec/docker/cli-plugins/docker-buildx" ] && return 0
	say "downloading dockerd 26, buildx 0.13, containerd 1.7 (Debian 13 packages)"
	local apt mirror
	apt=$(mktemp -d)
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
		| grep -E '^(deb |URIs:)' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)
	[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
	echo "deb $mirror trixie main" >"$apt/sources.list"
	local opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Get::List-Cleanup=0")
	apt-get "${opts[@]}" update -qq >&2
	(cd "$apt/debs" && apt-get "${opts[@]}" download docker.io docker-buildx containerd >&2)
	rm -rf "$PREFIX.new"
	mkdir -p "$PREFIX.new"
	for deb in "$apt"/debs/*.deb; do dpkg -x "$deb" "$PREFIX.new"; done
	# Debian 13's runc needs glibc 2.38: Debian 12's runc (on PATH) is used instead.
	rm -f "$PREFIX.new/usr/sbin/runc" "$PREFIX.new/usr/bin/runc"
	rm -rf "$PREFIX"
	mv "$PREFIX.new" "$PREFIX"
	rm -rf "$apt"
}

link_buildx() {
	local dir
	dir=$(plugin_dir)
	mkdir -p "$dir"
	if ! [ -e "$dir/docker-buildx" ] || ! docker buildx version >/dev/null 2>&1; then
		ln -sfn "$PREFIX/usr/libexec/docker/cli-plugins/docker-buildx" "$dir/docker-buildx"
	fi
}

# The engine's own bridge, so that RUN --network=default (base stages that
# install packages) reaches the outside, without touching the Docker chains
# of any other daemon on the machine: dockerd runs with --iptables=false and
# the three rules it needs are ours. Prints the --bridge= value to use.
BRIDGE=${CARGOGREEN_ENGINE_BRIDGE:-cgreen0}
SUBNET=${CARGOGREEN_ENGINE_SUBNET:-10.199.251}
bridge() {
	if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
		if ! { ip link add "$BRIDGE" type bridge && ip addr add "$SUBNET.1/24" dev "$BRIDGE"; } >&2 2>&1; then
			say "cannot create the bridge $BRIDGE: builds get no network but none or host"
			echo none
			return 0
		fi
	fi
	ip link set "$BRIDGE" up >&2 2>&1 || true
	iptables -t nat -C POSTROUTING -s "$SUBNET.0/24" ! -o "$BRIDGE" -j MASQUERADE 2>/dev/null \
		|| iptables -t nat -A POSTROUTING -s "$SUBNET.0/24" ! -o "$BRIDGE" -j MASQUERADE >&2 2>&1 || true
	iptables -C FORWARD -i "$BRIDGE" -j ACCEPT 2>/dev/null \
		|| iptables -I FORWARD 1 -i "$BRIDGE" -j ACCEPT >&2 2>&1 || true
	iptables -C FORWARD -o "$BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null \
		|| iptables -I FORWARD 1 -o "$BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT >&2 2>&1 || true
	[ "$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null)" = 1 ] || echo 1 >/proc/sys/net/ipv4/ip_forward 2>/dev/null || true
	echo "$BRIDGE"
}

start_engine() {
	local br
	br=$(bridge)
	if [ -S "$SOCK" ] && DOCKER_HOST=$OURS timeout 10 docker version >/dev/null 2>&1; then
		# Running with the bridge we want? Else restart it (its data stays).
		local pid
		pid=$(cat "$RUN/docker.pid" 2>/dev/null || true)
		if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--bridge=$br "; then
			return 0
		fi
		say "restarting dockerd on $OURS with --bridge=$br"
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
	fi
	mkdir -p "$RUN" "$DATA" "$(dirname "$DATA")/exec"
	# The classic image store: a cold build is 17% faster than with the
	# containerd image store (shared/ENGINE.md), which only BuildKit's own
	# registry cache export needed; cargo-green does not use that.
	# Measured and left as they are (README, Benchmarks): crun as the default
	# runtime (BuildKit in dockerd runs `runc` from PATH whatever the daemon's
	# runtimes; crun 1.8.1 in its place cannot run its containers), a bounded
	# builder.history (every build is recorded all the same; engine CPU B/A
	# 0.92-1.06 over 3 pairs) and DOCKER_TMPDIR on tmpfs (0.93-1.07): no gain.
	# BuildKit's build cache at most ENGINE_CACHE: records unused for a week
	# go first, then the least recently used of all (docker's builder.gc;
	# the base image is an image, not build cache: it stays).
	case $ENGINE_CACHE in
	*[!0-9A-Za-z.]* | "") die "CARGOGREEN_ENGINE_CACHE_SIZE='$ENGINE_CACHE' is not a size (e.g. CARGOGREEN_ENGINE_CACHE_SIZE=20GB)" ;;
	esac
	cat >"$(dirname "$DATA")/daemon.json" <<-JSON
	{"features":{"containerd-snapshotter":false},
	 "builder":{"gc":{"enabled":true,"defaultKeepStorage":"$ENGINE_CACHE",
	  "policy":[{"keepStorage":"$ENGINE_CACHE","filter":["unused-for=168h"]},{"keepStorage":"$ENGINE_CACHE","all":true}]}}}
	JSON
	# dockerd gives its embedded BuildKit 10 s to start and exits when that is
	# not enough (seen once in CI, cause unknown: "context deadline
	# exceeded"); its state is kept, so a second start is quicker. The last
	# try goes without the bridge (builds then get no network but none or host).
	local try log
	log="$(dirname "$DATA")/dockerd.log"
	for try in 1 2 3; do
		[ "$try" = 3 ] && [ "$br" != none ] && { say "dockerd did not start twice with --bridge=$br; trying without it"; br=none; }
		say "starting dockerd on $OURS (try $try, --bridge=$br)"
		rm -f "$SOCK"
		PATH="$PREFIX/usr/bin:$PREFIX/usr/sbin:$PATH" setsid nohup dockerd \
			--config-file "$(dirname "$DATA")/daemon.json" \
			--data-root "$DATA" --exec-root "$(dirname "$DATA")/exec" \
			-H "$OURS" --pidfile "$RUN/docker.pid" \
			--containerd-namespace cargo-green --containerd-plugins-namespace cargo-green-plugins \
			--bridge="$br" --iptables=false \
			>>"$log" 2>&1 </dev/null &
		local pid=$! i
		for i in $(seq 1 180); do
			if [ -S "$SOCK" ] && DOCKER_HOST=$OURS timeout 10 docker version >/dev/null 2>&1; then return 0; fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill "$pid" 2>/dev/null || true
		for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
		say "dockerd stopped on try $try: $(tail -n1 "$log")"
	done
	tail -n 30 "$log" >&2 || true
	die "dockerd did not start; see $log"
}

main() {
	if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "$OURS" ] && command -v docker >/dev/null \
		&& docker buildx version >/dev/null 2>&1 && probe "$DOCKER_HOST"; then
		say "using the engine at DOCKER_HOST=$DOCKER_HOST"
		echo "export DOCKER_HOST=$DOCKER_HOST"
		return 0
	fi
	install_packages
	fetch_engine
	link_buildx
	start_engine
	probe "$OURS" || die "the engine at $OURS cannot build with named contexts; see $(dirname "$DATA")/dockerd.log"
	say "engine ready at DOCKER_HOST=$OURS ($(DOCKER_HOST=$OURS docker version -f '{{.Server.Version}}'), buildx $(docker buildx version | awk '{print $2}'))"
	echo "export DOCKER_HOST=$OURS"
}

main "$@"
