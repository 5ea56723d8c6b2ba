"""kill -9 of the hub in the middle of parallel C-STORE traffic: every image whose C-STORE
response said Success is still there after a restart, nothing half-received remains in staging,
the archive checks clean, and sending everything again succeeds without duplicates."""
import os
import re
import subprocess
import time

from harness import BIN, run, synth
from test_dimse import DimseCase, index_query, manifest_files, stored_sop_uids

SENDERS = 4


def acknowledged(log_text):
    """Files whose C-STORE-RSP said Success, from `storescu -v` output."""
    done, current = set(), None
    for line in log_text.splitlines():
        m = re.search(r"Sending file: (.+)$", line)
        if m:
            current = m.group(1).strip()
        elif "Received Store Response (Success)" in line and current:
            done.add(current)
            current = None
    return done


def fsck(data_dir):
    r = run([BIN, "fsck", "--data", data_dir], check=False)
    lines = r.stdout.splitlines()
    return (r.returncode, [l for l in lines if l.startswith("MISSING")],
            [l for l in lines if l.startswith("CORRUPT")],
            [l for l in lines if l.startswith("ORPHAN")], r.stdout + r.stderr)


class CrashRecoveryTest(DimseCase):

    def test_kill9_mid_store_loses_no_acknowledged_image(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=32, rounds=1, seed=11)
        files = manifest_files(data, manifest)
        self.assertGreaterEqual(len(files), 140)
        sop_of = {f[0]: f[1] for f in files}

        hub = self.start_hub()
        logs = [os.path.join(self.tmp, f"storescu{i}.log") for i in range(SENDERS)]
        procs = []
        for i in range(SENDERS):
            paths = [f[0] for f in files[i::SENDERS]]
            with open(logs[i], "w") as log:
                procs.append(subprocess.Popen(
                    ["storescu", "-v", "-aet", f"CIM{i:02d}_MG", "-aec", "DUALREAD",
                     "127.0.0.1", str(hub.dicom_port)] + paths,
                    stdout=log, stderr=subprocess.STDOUT))
        # Kill as soon as the index holds more than 30 images (readiness poll, not a delay).
        deadline = time.time() + 60
        stored_before = 0
        while time.time() < deadline:
            stored_before = index_query(hub.data_dir, "SELECT COUNT(*) FROM instances")[0][0]
            if stored_before > 30:
                break
            time.sleep(0.005)
        self.assertGreater(stored_before, 30, "the senders never got going")
        hub.kill9()
        for p in procs:
            p.wait(timeout=120)
        acked = set()
        for path in logs:
            with open(path) as f:
                acked |= {sop_of[p] for p in acknowledged(f.read())}
        self.assertGreater(len(acked), 0)
        self.assertLess(len(acked), len(files), "every image went through before the kill")

        # Restart on the same data directory.
        hub2 = self.start_hub()
        self.assertEqual(hub2.data_dir, hub.data_dir)
        self.assertEqual(acked - stored_sop_uids(hub2.data_dir), set(),
                         "acknowledged images lost by the crash")
        staging = os.path.join(hub2.data_dir, "staging")
        self.assertEqual(os.listdir(staging) if os.path.isdir(staging) else [], [],
                         "partial receptions left in staging after restart")
        self.assertEqual(hub2.stop(), 0)
        code, missing, corrupt, orphans, out = fsck(hub2.data_dir)
        self.assertEqual(missing, [], out)
        self.assertEqual(corrupt, [], out)
        if orphans:
            # A blob renamed into the store whose index transaction the kill prevented: harmless
            # (nothing references it) and adopted again when the sender retries, checked below.
            print(f"\nNOTE: {len(orphans)} orphan blob(s) after kill -9 (blob stored, index row "
                  f"not committed): {orphans}")
        else:
            self.assertEqual(code, 0, out)

        # Everything again: all succeed, no duplicates, and the archive is clean.
        hub3 = self.start_hub()
        r = run(["storescu", "-v", "+sd", "+r", "-aet", "CIM01_MG", "-aec", "DUALREAD",
                 "127.0.0.1", str(hub3.dicom_port), os.path.join(data, "studies")], check=False)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
        self.assertEqual(len(acknowledged(r.stdout + r.stderr)), len(files))
        rows = index_query(hub3.data_dir, "SELECT sop_uid FROM instances")
        self.assertEqual(len(rows), len(files))
        self.assertEqual({r[0] for r in rows}, set(sop_of.values()))
        self.assertEqual(index_query(hub3.data_dir, "SELECT COUNT(*) FROM quarantine")[0][0], 0)
        self.assertEqual(hub3.stop(), 0)
        code, missing, corrupt, orphans, out = fsck(hub3.data_dir)
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    import unittest
    unittest.main()
