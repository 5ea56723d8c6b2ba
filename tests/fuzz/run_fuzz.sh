#!/usr/bin/env bash
# Runs the parsing fuzzer for N seconds from a seed corpus of real DICOM files (pydicom's test
# files, each small) plus a few malformed seeds. Fails on any crash or sanitizer report.
set -euo pipefail
bin=$1; corpus=$2; seconds=${3:-45}
mkdir -p "$corpus"
seeds=/usr/lib/python3/dist-packages/pydicom/data/test_files
if [ -d "$seeds" ]; then
  find "$seeds" -maxdepth 1 -name '*.dcm' -size -64k -exec cp -n {} "$corpus"/ \; 2>/dev/null || true
fi
cp -n "$(dirname "$0")"/regressions/* "$corpus"/ 2>/dev/null || true
printf 'not dicom' > "$corpus/seed-text"
head -c 200 /dev/zero > "$corpus/seed-zeros"
{ head -c 128 /dev/zero; printf 'DICM'; } > "$corpus/seed-preamble-only"
# Memory: rss_limit catches real blow-ups. malloc_limit is raised to 4 GB because DCMTK reserves
# a value's declared length (nothrow new, pages untouched) before reading it; the hub's length
# guard refuses impossible lengths first, and what slips past costs address space, not memory.
exec "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -malloc_limit_mb=4096 \
  -print_final_stats=1 "$corpus"
