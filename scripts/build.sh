#!/usr/bin/env bash
# Configures and builds dualread into build/ (Release with debug info). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
# Object files compiled for another checkout of the same sources are reused (ccache).
export CCACHE_BASEDIR="$PWD"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$jobs"
