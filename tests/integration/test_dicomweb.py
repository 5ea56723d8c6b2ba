"""DICOMweb of the real `dualread hub` binary: STOW-RS with curl, QIDO-RS filters, WADO-RS
bit-exact retrieval, metadata, frames (native and compressed transfer syntaxes), bulk data, and
the REST exam view built from what was sent."""
import glob
import hashlib
import json
import os
import subprocess
import uuid

import harness

PYDICOM_FILES = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def multipart_body(parts, boundary, part_type="application/dicom"):
    out = b""
    for p in parts:
        out += b"--" + boundary.encode() + b"\r\n"
        if part_type:
            out += b"Content-Type: " + part_type.encode() + b"\r\n"
        out += b"\r\n" + p + b"\r\n"
    return out + b"--" + boundary.encode() + b"--\r\n"


def media_param(content_type, name):
    for piece in content_type.split(";")[1:]:
        k, _, v = piece.strip().partition("=")
        if k.strip().lower() == name:
            return v.strip().strip('"')
    return None


def split_multipart(content_type, body):
    """Parts of a multipart/related response as (headers dict, bytes)."""
    boundary = media_param(content_type, "boundary").encode()
    assert body.startswith(b"--" + boundary + b"\r\n"), body[:100]
    parts = []
    pos = len(boundary) + 4
    delim = b"\r\n--" + boundary
    while True:
        head_end = body.index(b"\r\n\r\n", pos)
        headers = {}
        for line in body[pos:head_end].split(b"\r\n"):
            k, _, v = line.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        end = body.index(delim, head_end + 4)
        parts.append((headers, body[head_end + 4:end]))
        pos = end + len(delim)
        if body[pos:pos + 2] == b"--":
            return parts
        assert body[pos:pos + 2] == b"\r\n"
        pos += 2


def value(obj, tag):
    v = obj.get(tag, {}).get("Value")
    return v[0] if v else None


class DicomwebTest(harness.HubTestCase):
    def setUp(self):
        super().setUp()
        self.hub = self.start_hub()

    def stow_curl(self, files, path="/dicomweb/studies"):
        """STOW-RS with curl, the body streamed from a file. Returns (status, json, headers)."""
        boundary = "curl-" + uuid.uuid4().hex
        body_path = os.path.join(self.tmp, "stow-" + uuid.uuid4().hex)
        with open(body_path, "wb") as out:
            parts = []
            for f in files:
                with open(f, "rb") as fh:
                    parts.append(fh.read())
            out.write(multipart_body(parts, boundary))
        headers_path = body_path + ".headers"
        p = harness.run(["curl", "-sS", "-o", body_path + ".out", "-D", headers_path,
                         "-w", "%{http_code}", "-X", "POST", "--data-binary", "@" + body_path,
                         "-H", f'Content-Type: multipart/related; type="application/dicom"; '
                               f'boundary="{boundary}"',
                         "-H", "Accept: application/dicom+json", self.hub.base + path])
        with open(body_path + ".out", "rb") as f:
            answer = f.read()
        with open(headers_path) as f:
            headers = f.read()
        return int(p.stdout), (json.loads(answer) if answer else None), headers

    def get(self, path, accept=None):
        return self.hub.request("GET", path, headers={"Accept": accept} if accept else {})

    def test_synthetic_studies_round_trip(self):
        data = os.path.join(self.tmp, "synth")
        manifest = harness.synth(data, women=2, rounds=1, seed=5)
        studies = manifest["studies"]
        self.assertGreaterEqual(len(studies), 2)
        full, partial = studies[0], studies[1]
        full_files = [os.path.join(data, f["path"]) for f in full["files"]]
        sent_sha = {}
        for f in full_files:
            with open(f, "rb") as fh:
                sent_sha[sha256(fh.read())] = f

        status, answer, _ = self.stow_curl(full_files)
        self.assertEqual(status, 200, answer)
        self.assertEqual(len(answer["00081199"]["Value"]), len(full_files))
        self.assertNotIn("00081198", answer)

        # The second study without its left MLO.
        standard = [f for f in partial["files"] if f["view"] in ("RCC", "LCC", "RMLO", "LMLO")]
        self.assertEqual(len(standard), 4, partial["files"])
        partial_files = [os.path.join(data, f["path"]) for f in partial["files"]
                         if f["view"] != "LMLO"]
        status, answer, _ = self.stow_curl(partial_files, "/dicomweb/studies/" + partial["study_uid"])
        self.assertEqual(status, 200, answer)

        # QIDO by PatientID, PatientName wildcard (case-insensitive), StudyDate range.
        q = self.hub.get_json("/dicomweb/studies?PatientID=" + full["patient_id"])
        self.assertEqual([value(s, "0020000D") for s in q], [full["study_uid"]])
        self.assertEqual(value(q[0], "00201208"), len(full_files))
        self.assertEqual(value(q[0], "00100010")["Alphabetic"], full["patient_name"])
        family = full["patient_name"].split("^")[0]
        q = self.hub.get_json("/dicomweb/studies?PatientName=" + family[:3].lower() + "*")
        self.assertIn(full["study_uid"], [value(s, "0020000D") for s in q])
        d = full["study_date"]
        q = self.hub.get_json(f"/dicomweb/studies?StudyDate={d}-{d}&includefield=all")
        self.assertIn(full["study_uid"], [value(s, "0020000D") for s in q])
        q = self.hub.get_json("/dicomweb/studies?StudyDate=19000101-19001231")
        self.assertEqual(q, [])
        series = self.hub.get_json(f"/dicomweb/studies/{full['study_uid']}/series")
        self.assertEqual(len(series), len({f["series_uid"] for f in full["files"]}))
        inst = self.hub.get_json(f"/dicomweb/studies/{full['study_uid']}/instances")
        self.assertEqual({value(i, "00080018") for i in inst},
                         {f["sop_uid"] for f in full["files"]})

        # WADO-RS: the study comes back bit-exact.
        st, headers, body = self.get("/dicomweb/studies/" + full["study_uid"],
                                     'multipart/related; type="application/dicom"')
        self.assertEqual(st, 200)
        parts = split_multipart(headers["Content-Type"], body)
        self.assertEqual({sha256(p) for _, p in parts}, set(sent_sha))

        # Metadata and frames of one image.
        f0 = full["files"][0]
        base = f"/dicomweb/studies/{full['study_uid']}/series/{f0['series_uid']}/instances/{f0['sop_uid']}"
        st, headers, body = self.get(base + "/metadata", "application/dicom+json")
        self.assertEqual(st, 200)
        md = json.loads(body)[0]
        self.assertEqual(value(md, "00080018"), f0["sop_uid"])
        self.assertEqual(value(md, "00280010"), f0["rows"])
        self.assertEqual(value(md, "00100010")["Alphabetic"], full["patient_name"])
        self.assertTrue(md["7FE00010"]["BulkDataURI"].endswith(base + "/bulkdata/7FE00010"))
        st, headers, body = self.get(base + "/frames/1",
                                     'multipart/related; type="application/octet-stream"; '
                                     'transfer-syntax=*')
        self.assertEqual(st, 200)
        frames = split_multipart(headers["Content-Type"], body)
        self.assertEqual(len(frames), 1)
        self.assertEqual(len(frames[0][1]), f0["rows"] * f0["cols"] * 2)

        # REST: the complete exam and the one missing a view.
        exam = self.hub.get_json("/api/exams/" + full["study_uid"])
        self.assertEqual(exam["missing"], [])
        self.assertEqual(sorted(exam["views"].keys())[:4] if len(exam["views"]) >= 4 else None,
                         sorted(exam["views"].keys())[:4])
        for v in ("RCC", "LCC", "RMLO", "LMLO"):
            self.assertIn(v, exam["views"])
        exam = self.hub.get_json("/api/exams/" + partial["study_uid"])
        self.assertEqual(exam["missing"], ["LMLO"])
        self.assertEqual(exam["status"], "incomplete")

    def _secondary_capture_copies(self, names=("MR_small_jpeg_ls_lossless.dcm", "JPEG2000.dcm",
                                               "MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm",
                                               "MR_small_bigendian.dcm", "JPGExtended.dcm",
                                               "SC_rgb_jpeg_dcmtk.dcm", "MR_small.dcm",
                                               "MR_small_implicit.dcm", "SC_rgb_small_odd.dcm")):
        """pydicom's test files in many transfer syntaxes, rewritten as Secondary Capture with
        fresh UIDs and one identity (the hub refuses CT/MR)."""
        import pydicom
        from pydicom.uid import generate_uid
        study = generate_uid()
        out = []
        for i, name in enumerate(names):
            src = os.path.join(PYDICOM_FILES, name)
            if not os.path.exists(src):
                continue
            ds = pydicom.dcmread(src)
            ds.SOPClassUID = SECONDARY_CAPTURE
            ds.file_meta.MediaStorageSOPClassUID = SECONDARY_CAPTURE
            ds.SOPInstanceUID = generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.StudyInstanceUID = study
            ds.SeriesInstanceUID = generate_uid()
            ds.PatientID = "PYDICOM-TS"
            ds.PatientName = "TEST^SYNTAX"
            ds.PatientBirthDate = "19600101"
            ds.PatientSex = "F"
            for kw in ("IssuerOfPatientID", "OtherPatientIDsSequence", "OtherPatientIDs"):
                if kw in ds:
                    delattr(ds, kw)
            ds.Modality = "OT"
            path = os.path.join(self.tmp, f"ts{i}-{name}")
            ds.save_as(path, write_like_original=True)
            out.append((name, path, pydicom.dcmread(path)))
        return study, out

    def test_transfer_syntaxes_frames_and_bit_exact_retrieval(self):
        from pydicom.encaps import generate_pixel_data_frame
        study, files = self._secondary_capture_copies()
        self.assertGreaterEqual(len(files), 8)
        status, answer, headers = self.stow_curl([p for _, p, _ in files])
        self.assertEqual(status, 200, headers)
        media = {"1.2.840.10008.1.2.4.80": "image/jls", "1.2.840.10008.1.2.4.90": "image/jp2",
                 "1.2.840.10008.1.2.4.91": "image/jp2", "1.2.840.10008.1.2.5": "image/dicom-rle",
                 "1.2.840.10008.1.2.4.50": "image/jpeg", "1.2.840.10008.1.2.4.51": "image/jpeg"}
        for name, path, ds in files:
            with self.subTest(name):
                ts = str(ds.file_meta.TransferSyntaxUID)
                base = (f"/dicomweb/studies/{study}/series/{ds.SeriesInstanceUID}"
                        f"/instances/{ds.SOPInstanceUID}")
                st, headers, body = self.get(base, 'multipart/related; type="application/dicom"; '
                                                   'transfer-syntax=*')
                self.assertEqual(st, 200)
                with open(path, "rb") as f:
                    self.assertEqual(sha256(split_multipart(headers["Content-Type"], body)[0][1]),
                                     sha256(f.read()), "WADO-RS must return the stored bytes")
                st, headers, body = self.get(base + "/metadata", "application/dicom+json")
                self.assertEqual(st, 200, body)
                md = json.loads(body)[0]
                self.assertEqual(value(md, "00080018"), ds.SOPInstanceUID)
                self.assertIn("BulkDataURI", md["7FE00010"])
                self.assertEqual(value(md, "00083002"), ts)

                frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
                st, headers, body = self.get(
                    base + "/frames/" + ",".join(str(i + 1) for i in range(frames)),
                    'multipart/related; type="application/octet-stream"; transfer-syntax=*')
                self.assertEqual(st, 200, body)
                parts = split_multipart(headers["Content-Type"], body)
                self.assertEqual(len(parts), frames)
                if ds.file_meta.TransferSyntaxUID.is_compressed:
                    expected = list(generate_pixel_data_frame(ds.PixelData, frames))
                    self.assertTrue(parts[0][0]["content-type"].startswith(media[ts]),
                                    parts[0][0]["content-type"])
                    self.assertIn("transfer-syntax=" + ts, parts[0][0]["content-type"])
                    for (h, got), want in zip(parts, expected):
                        # Fragments are padded to even length; the frame is the fragments.
                        self.assertEqual(got, want)
                else:
                    self.assertEqual(parts[0][0]["content-type"],
                                     "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1")
                    raw = ds.PixelData
                    if not ds.file_meta.TransferSyntaxUID.is_little_endian and ds.BitsAllocated == 16:
                        raw = b"".join(raw[i + 1:i + 2] + raw[i:i + 1] for i in range(0, len(raw), 2))
                    size = (ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated) // 8
                    for i, (h, got) in enumerate(parts):
                        self.assertEqual(got, raw[i * size:(i + 1) * size])

    def test_reduced_frame_is_the_same_from_every_transfer_syntax(self):
        """The console's reduced frame (dualread extension) of one signed 16-bit image stored
        native (little, big endian, implicit), RLE and JPEG-LS: the same box average as computed
        here from pydicom's pixels; JPEG 2000 (no decoder here) and colour get 406."""
        import struct
        names = ("MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm",
                 "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
                 "MR_small_jp2klossless.dcm", "SC_rgb_rle_2frame.dcm")
        study, files = self._secondary_capture_copies(names=names)
        status, answer, headers = self.stow_curl([p for _, p, _ in files])
        self.assertEqual(status, 200, answer)
        ref = next(ds for name, _, ds in files if name == "MR_small.dcm")
        rows, cols = ref.Rows, ref.Columns
        values = struct.unpack("<%dh" % (rows * cols), ref.PixelData)
        k = 3  # 64 x 64 in a 20 x 20 viewport: floor(64 / 20)
        expected = []
        for r0 in range(0, rows, k):
            for c0 in range(0, cols, k):
                box = [values[r * cols + c] for r in range(r0, min(rows, r0 + k))
                       for c in range(c0, min(cols, c0 + k))]
                expected.append((2 * sum(box) + len(box)) // (2 * len(box)))
        side = (64 + k - 1) // k
        for name, _, ds in files:
            with self.subTest(name):
                url = (f"/dicomweb/studies/{study}/series/{ds.SeriesInstanceUID}"
                       f"/instances/{ds.SOPInstanceUID}/frames/1/reduced?viewport=20,20")
                st, h, body = self.get(url)
                if name in ("MR_small_jp2klossless.dcm", "SC_rgb_rle_2frame.dcm"):
                    self.assertEqual(st, 406, body)
                    self.assertIn("error", json.loads(body))
                    continue
                self.assertEqual(st, 200, body)
                self.assertEqual((h["X-Dualread-Rows"], h["X-Dualread-Columns"],
                                  h["X-Dualread-Factor"]), (str(side), str(side), "3"))
                self.assertEqual(list(struct.unpack("<%dh" % (side * side), body)), expected)

    def test_deflated_transfer_syntax(self):
        import pydicom
        study, files = self._secondary_capture_copies(names=("image_dfl.dcm",))
        status, answer, headers = self.stow_curl([files[0][1]])
        self.assertEqual(status, 200, headers)
        ds = files[0][2]
        base = (f"/dicomweb/studies/{study}/series/{ds.SeriesInstanceUID}"
                f"/instances/{ds.SOPInstanceUID}")
        st, h, body = self.get(base)
        with open(files[0][1], "rb") as f:
            self.assertEqual(split_multipart(h["Content-Type"], body)[0][1], f.read())
        st, h, body = self.get(base + "/frames/1")
        self.assertEqual(st, 200)
        frame = split_multipart(h["Content-Type"], body)[0][1]
        self.assertEqual(frame, pydicom.dcmread(files[0][1]).PixelData[:len(frame)])

    def test_bulkdata_and_accept_negotiation(self):
        data = os.path.join(self.tmp, "synth")
        manifest = harness.synth(data, women=1, rounds=1, seed=8)
        s = manifest["studies"][0]
        f0 = s["files"][0]
        status, answer, _ = self.stow_curl([os.path.join(data, f0["path"])])
        self.assertEqual(status, 200, answer)
        base = f"/dicomweb/studies/{s['study_uid']}/series/{f0['series_uid']}/instances/{f0['sop_uid']}"
        st, headers, body = self.get(base + "/bulkdata/7FE00010",
                                     'multipart/related; type="application/octet-stream"')
        self.assertEqual(st, 200)
        self.assertEqual(len(split_multipart(headers["Content-Type"], body)[0][1]),
                         f0["rows"] * f0["cols"] * 2)
        for accept in ("application/dicom+xml", 'multipart/related; type="image/png"'):
            st, _, body = self.get(base, accept)
            self.assertEqual(st, 406, body)
            self.assertIn("error", json.loads(body))
        st, _, _ = self.get(base + "/frames/1", 'multipart/related; type="image/jls"')
        self.assertEqual(st, 406)
        st, _, body = self.get("/dicomweb/studies/1.2.3.4.5")
        self.assertEqual(st, 404)
        self.assertIn("error", json.loads(body))


if __name__ == "__main__":
    import unittest
    unittest.main()
