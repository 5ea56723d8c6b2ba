#!/usr/bin/env python3
"""The durability floor of this machine's disk: copy the benchmark's files into a scratch
directory with one fsync per file (what any receiver that acknowledges only durable images must
do at least), and report MB/s. No DICOM involved.

  python3 bench/fsync_floor.py DIR_WITH_DCM_FILES [--work /var/tmp/dualread-bench/floor]
"""
import argparse
import glob
import os
import shutil
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("--work", default="/var/tmp/dualread-bench/floor")
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.src, "**/*.dcm"), recursive=True))
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    total = 0
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        with open(f, "rb") as src:
            data = src.read()
        fd = os.open(os.path.join(args.work, f"{i}.dcm"), os.O_WRONLY | os.O_CREAT, 0o640)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        total += len(data)
    secs = time.perf_counter() - t0
    print(f"{len(files)} files, {total / 1e9:.2f} GB written with fsync per file in {secs:.2f} s "
          f"= {total / secs / 1e6:.0f} MB/s")
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
