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
build/dualread hub --data "$DATA/hub" --http-port "$HTTP_PORT" --dicom-port "$DICOM_PORT" --open &
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
echo "Hub running with demo data:"
echo "  exams:      curl http://127.0.0.1:$HTTP_PORT/api/exams?status=incomplete"
echo "  DICOMweb:   curl http://127.0.0.1:$HTTP_PORT/dicomweb/studies"
echo "  DICOM:      AE DUALREAD on 127.0.0.1:$DICOM_PORT"
echo "Ctrl-C to stop."
wait $HUB
