#!/usr/bin/env bash
# Configures and builds dualread into build/ (Release with debug info). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
# Object files compiled for another checkout of the same sources are reused (ccache).
export CCACHE_BASEDIR="$PWD"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$jobs"
# The web app (ui/) into ui/dist, which the hub serves: npm ci when the lock file changed, vite
# build when a source changed since the last build.
if [ -f ui/package.json ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "dualread build: npm is missing, the web app cannot be built: run scripts/install-deps.sh" >&2
    exit 1
  fi
  (
    cd ui
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
      # The versions are those of package-lock.json. Not `npm ci`: npm 11 refuses this lock file
      # because it lists only the Linux x64 build of rollup's optional per-platform packages.
      npm install --no-save --no-audit --no-fund --loglevel=error
    fi
    if [ ! -f dist/index.html ] || [ -n "$(find src index.html vite.config.ts package-lock.json -newer dist/index.html -print -quit)" ]; then
      echo "dualread build: building the web app (ui/dist)"
      npx --no-install tsc --noEmit
      npx --no-install vite build --logLevel error
    fi
  )
fi
