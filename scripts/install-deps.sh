#!/usr/bin/env bash
# Installs every Debian package dualread needs to build, run and test.
# Idempotent: safe to run again; it only installs what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates
  clang libclang-rt-14-dev clang-format
  libdcmtk-dev dcmtk
  libboost-dev libssl-dev openssl libsqlite3-dev sqlite3
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libsodium-dev libhpdf-dev libmstch-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  orthanc orthanc-dicomweb python3-pydicom python3-yaml
  poppler-utils fonts-dejavu-core libxml2-utils iproute2 procps psmisc
  chromium
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "dualread setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "dualread setup: all Debian packages already installed"
fi
# The web app builds with Node and npm (ui/): Debian's when no Node is installed already.
if ! command -v npm >/dev/null 2>&1; then
  echo "dualread setup: installing Node.js and npm for the web app"
  apt-get update -q
  apt-get install -y -q --no-install-recommends nodejs npm
fi
# Orthanc's Debian package starts a system service on port 4242/8042; tests start their own.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now orthanc >/dev/null 2>&1 || true; fi
pkill -x Orthanc >/dev/null 2>&1 || true
