#!/usr/bin/env bash
# test.sh: the whole test suite, from a fresh Debian 12 machine (as root):
# installs prerequisites and the engine (scripts/setup.sh --no-job), then
# `make check`: unit tests, the same under ASan/UBSan, the stage renderer's
# fuzz target (libFuzzer, with clang), and the end-to-end tests against the
# real engine and real crates.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/setup.sh" --no-job
# The e2e tests also check CARGOGREEN_RUNNER=podman against Debian's podman.
if ! command -v podman >/dev/null; then
	echo "test.sh: installing podman (for the CARGOGREEN_RUNNER=podman test)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >&2
fi
# The exact-sys tests build -sys crates against the host's own libraries.
for p in libsqlite3-dev zlib1g-dev libssl-dev; do
	if ! dpkg -s "$p" >/dev/null 2>&1; then
		echo "test.sh: installing $p (for the exact-sys tests)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >&2
	fi
done
# The cache-registry tests run Debian's registry, with htpasswd auth.
for p in docker-registry apache2-utils; do
	if ! dpkg -s "$p" >/dev/null 2>&1; then
		echo "test.sh: installing $p (for the cache-registry tests)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >&2
	fi
done
# The remote tests run an sshd of their own (and the ssh client, its agent).
if ! [ -x /usr/sbin/sshd ] || ! command -v ssh-agent >/dev/null; then
	echo "test.sh: installing openssh-server and openssh-client (for the remote tests)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-client >&2
fi
# The fuzz target runs under libFuzzer with clang (else a plain random loop).
if ! command -v clang >/dev/null; then
	echo "test.sh: installing clang (libFuzzer, for make fuzz)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >&2
fi
engine_env=$("$ROOT/scripts/engine.sh" 2>/dev/null) || { echo "test.sh: error: no engine; run scripts/engine.sh to see why" >&2; exit 1; }
eval "$engine_env"
export DOCKER_HOST
make -C "$ROOT" check
