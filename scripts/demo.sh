#!/usr/bin/env bash
# Installs everything, builds, generates synthetic screening data, starts the hub on the
# embedded default (SQLite + files under var/demo) and loads the demo data into it.
# The hub keeps running in the foreground: Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
DATA=${DUALREAD_DEMO_DATA:-var/demo}
HTTP_PORT=${DUALREAD_HTTP_PORT:-8080}
DICOM_PORT=${DUALREAD_DICOM_PORT:-11112}
mkdir -p "$DATA"
if [ ! -f "$DATA/synth/manifest.json" ]; then
  echo "Generating synthetic screening data (40 women, 2 rounds, some faulty files)..."
  build/dualread synth --out "$DATA/synth" --women 40 --rounds 2 --seed 2026 --size small \
    --faults missing-view,laterality-mismatch,identity-typo,for-processing --fault-rate 0.1
fi
# Access control: demo accounts (one per role) with random passwords, a gateway token, and the
# DICOM peers the demo uses. DUALREAD_DEMO_OPEN=1 runs without credentials instead.
USERS="$DATA/demo-users.txt"
if [ "${DUALREAD_DEMO_OPEN:-0}" != 1 ] && [ ! -s "$USERS" ]; then
  mkdir -p "$DATA/hub"
  umask 077
  : >"$USERS"
  while read -r login role extra; do
    pw=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-16)
    # shellcheck disable=SC2086
    echo "$pw" | build/dualread admin add-user --data "$DATA/hub" --login "$login" --role "$role" \
      $extra --password-stdin >/dev/null
    printf '%-16s %-15s %s\n' "$login" "$role" "$pw" >>"$USERS"
  done <<'ACCOUNTS'
admin administrator
coordinatrice coordinator
secretariat secretary
lectrice.l2 l2_radiologist --rpps 10000000002
radiologue.l1 l1_radiologist --cim CIM01 --rpps 10000000001
manip.cim01 technologist --cim CIM01
medecin doctor --rpps 10000000009
ACCOUNTS
  build/dualread admin add-token --data "$DATA/hub" --login gw.cim01 --role gateway --cim CIM01 |
    tail -1 >"$DATA/demo-gateway-token.txt"
  umask 022
fi
cat >"$DATA/demo.toml" <<'TOML'
[[dicom_peer]]            # the demo's storescu
aet = "DEMO_CIM"
hosts = ["127.0.0.1"]
services = ["store"]
[[dicom_peer]]            # findscu / movescu / getscu with their default AE titles
aet = "FINDSCU"
hosts = ["127.0.0.1"]
services = ["find"]
[[dicom_peer]]
aet = "MOVESCU"
hosts = ["127.0.0.1"]
services = ["find", "move"]
[[dicom_peer]]
aet = "GETSCU"
hosts = ["127.0.0.1"]
services = ["find", "get"]
TOML
# The register of invited women (addresses and named doctors, for the letters), as the
# health-insurance invitation file gives it; synth writes one for its women.
if [ -f "$DATA/synth/invitations.csv" ] && [ ! -f "$DATA/hub/.register-imported" ]; then
  mkdir -p "$DATA/hub"
  build/dualread import women --data "$DATA/hub" "$DATA/synth/invitations.csv" &&
    touch "$DATA/hub/.register-imported"
fi
OPEN_FLAG=()
[ "${DUALREAD_DEMO_OPEN:-0}" = 1 ] && OPEN_FLAG=(--open)
build/dualread hub --config "$DATA/demo.toml" --data "$DATA/hub" --http-port "$HTTP_PORT" \
  --dicom-port "$DICOM_PORT" "${OPEN_FLAG[@]}" &
HUB=$!
trap 'kill -TERM $HUB 2>/dev/null; wait $HUB' INT TERM EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "Sending the demo studies to the hub by DICOM (storescu)..."
storescu -aet DEMO_CIM -aec DUALREAD +sd +r -nh 127.0.0.1 "$DICOM_PORT" "$DATA/synth/studies" \
  || echo "some demo objects were refused on purpose (faulty cases): see the hub log above"
echo
if [ "${DUALREAD_DEMO_OPEN:-0}" != 1 ]; then
  echo "Demo accounts (login, role, password) - also in $USERS:"
  cat "$USERS"
  TOKEN=$(cat "$DATA/demo-gateway-token.txt")
  echo "Gateway token (CIM01): $TOKEN"
  echo "Log in from the web app, or with curl:"
  echo "  curl -c jar -H 'Content-Type: application/json' -d '{\"login\":\"coordinatrice\",\"password\":\"...\"}' http://127.0.0.1:$HTTP_PORT/api/auth/login"
  echo "  curl -b jar 'http://127.0.0.1:$HTTP_PORT/api/exams?status=incomplete'"
  echo "  curl -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$HTTP_PORT/dicomweb/studies"
fi
echo "Hub running with demo data:"
echo "  web app:    http://127.0.0.1:$HTTP_PORT/ (log in with an account above)"
echo "  DICOM:      AE DUALREAD on 127.0.0.1:$DICOM_PORT"
echo "Ctrl-C to stop."
wait $HUB
