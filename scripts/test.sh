#!/usr/bin/env bash
# Installs what the tests need, builds, and runs the whole test suite (unit, integration with
# real DCMTK tools and Orthanc on loopback, a short fuzzing run). Exit code 0 = all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
# Integration tests start their own servers on free loopback ports; two run at a time.
ctest --test-dir build --output-on-failure --no-tests=error -j2 --timeout 900 "$@"
