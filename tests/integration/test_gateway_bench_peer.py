"""The gateway benchmark's peers in CI size: one small synthetic exam over a shaped 8 Mbit/s
link between two network namespaces, delivered by the gateway, by storescu, and by Orthanc's
peer transfer (a CIM-side Orthanc pushing to a hub-side Orthanc with POST /peers/hub/store, as
sent and transcoded to JPEG-LS). It checks that each peer really delivers the whole exam over
the link and that the measurement is sane, not the figures themselves (the full-size run is
bench/gateway_bench.py on a quiet machine). Needs root (ip netns) and Orthanc; skipped
otherwise. About 30 s."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../bench"))
import gateway_bench  # noqa: E402
from gateway_harness import Link  # noqa: E402
from harness import HubTestCase, synth  # noqa: E402


@unittest.skipUnless(Link.available(), "needs root and ip netns")
@unittest.skipUnless(os.path.exists(gateway_bench.ORTHANC), "Orthanc is not installed")
class GatewayBenchPeerTest(HubTestCase):

    def test_gateway_storescu_and_orthanc_peer_transfer_on_the_same_link(self):
        t0 = time.time()
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=1, rounds=1, seed=31, size="small")
        studies = sorted({s["study_uid"] for s in manifest["studies"]})
        study_dirs = [os.path.join(data, "studies", s) for s in studies]
        raw = sum(gateway_bench.raw_bytes(d) for d in study_dirs)
        row = gateway_bench.measure("8mbit", os.path.join(self.tmp, "work"), study_dirs, raw,
                                    streams=2, orthanc_modes=("plain", "jpegls"))
        print(f"\nbench peers (CI size): {row}")
        for name in ("gateway", "storescu", "orthanc_plain", "orthanc_jpegls"):
            r = row[name]
            self.assertGreater(r["s"], 0, name)
            # Everything crossed the shaped link (headers included), never faster than it.
            self.assertGreater(r["wire_MB"], 0.05, name)
            self.assertLess(r["utilisation"], 1.05, name)
        # Uncompressed peers send at least the raw bytes; JPEG-LS copies (the gateway's and
        # Orthanc's transcoded ones) fewer.
        self.assertGreater(row["orthanc_plain"]["wire_over_raw"], 0.95)
        self.assertGreater(row["storescu"]["wire_over_raw"], 0.95)
        self.assertLess(row["orthanc_jpegls"]["wire_over_raw"], 0.9)
        self.assertLess(row["gateway"]["wire_over_raw"], 0.9)
        self.assertLess(time.time() - t0, 90)


if __name__ == "__main__":
    unittest.main()
