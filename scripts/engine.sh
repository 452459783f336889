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
#
# The last line printed on stdout is `export DOCKER_HOST=...`; everything else
# goes to stderr. Exit 0 when the engine is ready, non-zero with a reason.
set -euo pipefail

PREFIX=${CARGOGREEN_ENGINE_PREFIX:-/opt/cargo-green/engine}
RUN=${CARGOGREEN_ENGINE_RUN:-/run/cargo-green}
DATA=${CARGOGREEN_ENGINE_DATA:-/var/lib/cargo-green/docker}
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

start_engine() {
	if [ -S "$SOCK" ] && DOCKER_HOST=$OURS timeout 10 docker version >/dev/null 2>&1; then
		return 0
	fi
	say "starting dockerd on $OURS"
	mkdir -p "$RUN" "$DATA" "$(dirname "$DATA")/exec"
	cat >"$(dirname "$DATA")/daemon.json" <<-JSON
	{"features":{"containerd-snapshotter":true}}
	JSON
	rm -f "$SOCK"
	PATH="$PREFIX/usr/bin:$PREFIX/usr/sbin:$PATH" setsid nohup dockerd \
		--config-file "$(dirname "$DATA")/daemon.json" \
		--data-root "$DATA" --exec-root "$(dirname "$DATA")/exec" \
		-H "$OURS" --pidfile "$RUN/docker.pid" \
		--containerd-namespace cargo-green --containerd-plugins-namespace cargo-green-plugins \
		--bridge=none --iptables=false \
		>"$(dirname "$DATA")/dockerd.log" 2>&1 </dev/null &
	local i
	for i in $(seq 1 120); do
		if [ -S "$SOCK" ] && DOCKER_HOST=$OURS docker version >/dev/null 2>&1; then return 0; fi
		sleep 0.5
	done
	tail -n 20 "$(dirname "$DATA")/dockerd.log" >&2 || true
	die "dockerd did not start; see $(dirname "$DATA")/dockerd.log"
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
