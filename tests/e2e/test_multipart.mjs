// The web app's WADO-RS frame parser (ui/src/viewer/multipart.ts), which the reading console
// uses instead of Cornerstone's byte-by-byte scan: the frame's bytes exactly, its transfer
// syntax, bodies whose pixels happen to contain the delimiter, odd header lengths, a single-part
// answer, and clear errors on truncated or malformed answers. Also against the real hub: the
// frame the parser extracts is the instance's pixel data, byte for byte.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { importUiModule, run, tmpDir, startHub, synth, storescu, log, check } from './lib.mjs';


const enc = (s) => new TextEncoder().encode(s);
function body(boundary, partType, payload, { preamble = '' } = {}) {
  const head = enc(`${preamble}--${boundary}\r\nContent-Type: ${partType}\r\n\r\n`);
  const tail = enc(`\r\n--${boundary}--\r\n`);
  const out = new Uint8Array(head.length + payload.length + tail.length);
  out.set(head, 0);
  out.set(payload, head.length);
  out.set(tail, head.length + payload.length);
  return out.buffer;
}
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const throwsWith = (fn, words) => {
  try {
    fn();
  } catch (e) {
    return e.message.includes(words);
  }
  return false;
};

run(async () => {
  const dir = tmpDir('dualread-multipart-');
  const { firstPart, syntaxOf } = await importUiModule('viewer/multipart.ts', dir);
  const b = 'dualread-0a16-4';
  const ct = `multipart/related; type="application/octet-stream"; boundary=${b}`;

  // Pixels that contain the delimiter itself, several times, near the end too.
  const tricky = new Uint8Array([...enc(`x\r\n--${b}\r\ny`), 1, 2, 3, ...enc(`\r\n--${b}`), 9, 9]);
  let f = firstPart(ct, body(b, 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1', tricky));
  check(same(f.pixelData, tricky), 'pixels containing the delimiter are kept whole');
  check(f.transferSyntaxUid === '1.2.840.10008.1.2.1', 'transfer syntax from the part header');
  check(f.pixelData.byteOffset === 0, 'the frame starts at offset 0 (16-bit samples need an even offset)');

  // Odd header length, quoted boundary, a JPEG-LS part named by its media type.
  const payload = new Uint8Array(10001).map((_, i) => (i * 31) & 255);
  f = firstPart(`multipart/related; type="image/jls"; boundary="${b}"`, body(b, 'image/jls', payload, { preamble: '\r\n' }));
  check(same(f.pixelData, payload) && f.transferSyntaxUid === '1.2.840.10008.1.2.4.80', 'JPEG-LS part, quoted boundary, preamble');
  check(syntaxOf('image/jphc') === '3.2.840.10008.1.2.4.96' && syntaxOf('application/octet-stream') === '1.2.840.10008.1.2.1', 'media types without a transfer-syntax parameter');

  // A single-part answer is taken whole.
  f = firstPart('application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1', payload.buffer);
  check(same(f.pixelData, payload), 'single-part answer');

  // Bad answers: clear errors.
  const whole = new Uint8Array(body(b, 'application/octet-stream', payload));
  check(throwsWith(() => firstPart(ct, whole.slice(0, whole.length - 20).buffer), 'délimiteur de fin absent'), 'truncated answer refused');
  check(throwsWith(() => firstPart('multipart/related; type="application/octet-stream"', whole.buffer), 'sans délimiteur'), 'no boundary refused');
  check(throwsWith(() => firstPart(ct, enc('garbage').buffer), 'en-tête de partie absent'), 'no part header refused');
  log('parser cases pass');

  // Against the hub: the extracted frame is the stored pixel data, byte for byte.
  const hub = await startHub(dir);
  synth(path.join(dir, 'synth'), 1, { rounds: 1, size: 'small', seed: 3 });
  storescu(hub.dicom, path.join(dir, 'synth/studies'));
  const studies = await (await fetch(`${hub.base}/dicomweb/studies`, { headers: { Accept: 'application/dicom+json' } })).json();
  const study = studies[0]['0020000D'].Value[0];
  const instances = await (await fetch(`${hub.base}/dicomweb/studies/${study}/instances`, { headers: { Accept: 'application/dicom+json' } })).json();
  const inst = instances[0];
  const series = inst['0020000E'].Value[0];
  const sop = inst['00080018'].Value[0];
  const res = await fetch(`${hub.base}/dicomweb/studies/${study}/series/${series}/instances/${sop}/frames/1`, {
    headers: { Accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' },
  });
  f = firstPart(res.headers.get('Content-Type'), await res.arrayBuffer());
  const file = execFileSync('find', [path.join(dir, 'synth/studies'), '-name', '*.dcm']).toString().trim().split('\n')
    .find((p) => execFileSync('dcmdump', ['+P', '0008,0018', p]).toString().includes(sop));
  const rawDir = path.join(dir, 'raw');
  fs.mkdirSync(rawDir);
  execFileSync('dcmdump', ['+W', rawDir, '+P', '7fe0,0010', file]);
  const dumped = fs.readdirSync(rawDir).find((n) => n.endsWith('.raw'));
  const expected = new Uint8Array(fs.readFileSync(path.join(rawDir, dumped)));
  check(same(f.pixelData, expected), `frame bytes equal the instance's pixel data (${expected.length} bytes)`);
  check(f.transferSyntaxUid === '1.2.840.10008.1.2.1', 'stored syntax announced');
  log('hub frame parsed byte for byte');
});

