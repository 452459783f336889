#!/usr/bin/env bash
# test.sh: the whole test suite, from a fresh Debian 12 machine (as root):
# installs prerequisites and the engine (scripts/setup.sh --no-job), then
# `make check`: unit tests, the same under ASan/UBSan, and the end-to-end tests
# against the real engine and real crates.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/setup.sh" --no-job
eval "$("$ROOT/scripts/engine.sh" 2>/dev/null)"
export DOCKER_HOST
make -C "$ROOT" check
