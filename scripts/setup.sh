#!/usr/bin/env bash
# setup.sh: on a fresh Debian 12 machine (as root), install what cargo-green
# needs, build and install it, start a BuildKit engine if none fits, then run
# the main job: `cargo green build` of a small real project, saying what it did.
#
#   scripts/setup.sh            everything, then the main job
#   scripts/setup.sh --no-job   everything but the main job (used by test.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}

say() { echo "setup: $*" >&2; }

need=()
# bwrap (bubblewrap): incremental units compile by the local rustc at the
# engine's fixed paths, in a mount namespace of their own (src/sandbox.c).
for cmd in cc:gcc make:make git:git bwrap:bubblewrap; do
	command -v "${cmd%%:*}" >/dev/null || need+=("${cmd#*:}")
done
# Libraries linked statically into cargo-green: SHA-256 (nettle) and JSON (jansson).
# libcurl's headers (the cache images' registry client; libcurl itself is
# loaded only when a cache image is set) and zstd (their entries are tar+zstd).
for pkg in nettle-dev libjansson-dev libcurl4-openssl-dev zstd; do
	dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ] || ! [ -e /var/lib/apt/lists/lock ] || [ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e lock -e partial)" ]; then
	say "apt-get update"
	apt-get update -qq >&2
fi
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
command -v cargo >/dev/null || { echo "setup: error: cargo is not on PATH (install Rust with rustup first)" >&2; exit 1; }

say "building cargo-green"
make -C "$ROOT" -s >&2
make -C "$ROOT" -s install PREFIX="$PREFIX" >&2
say "installed $(command -v cargo-green) ($("$PREFIX/bin/cargo-green" --version))"

# The engine: an existing one if it can do what we need, else our own.
engine_env=$("$ROOT/scripts/engine.sh") || { echo "setup: error: no engine (see above); fix that, then run setup.sh again" >&2; exit 1; }
eval "$engine_env"
export DOCKER_HOST
say "engine: DOCKER_HOST=$DOCKER_HOST (export it in your shell to use cargo green)"

[ "${1:-}" = "--no-job" ] && exit 0

# The main job: a small real project (a workspace with serde derive, anyhow,
# libc, a build script compiling C with the cc crate), built through BuildKit.
job=$(mktemp -d /tmp/cargo-green-job.XXXXXX)
cp -r "$ROOT/tests/fixture/." "$job/"
rm -rf "$job/target"
cd "$job"
say "main job: cargo green build in $job"
cargo green build
say "running the binary it built:"
./target/debug/app
say "again after cargo clean (every compile should be a BuildKit cache hit):"
cargo clean -q
cargo green build
say "done. Use it in any project: DOCKER_HOST=$DOCKER_HOST cargo green build"
