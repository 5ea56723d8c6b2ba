// The first part of a WADO-RS multipart/related answer (PS3.18 8.7.3) — a frame's bytes and its
// transfer syntax — found without scanning the bytes: the part's headers are at the start and
// the closing delimiter in the last bytes. Pure functions (no DOM, no Cornerstone), tested by
// tests/e2e/test_multipart.mjs.

const EXPLICIT_LITTLE = '1.2.840.10008.1.2.1';
// Media types without a transfer-syntax parameter (PS3.18 Table 8.7.3-2).
const SYNTAX_BY_TYPE: Record<string, string> = {
  'image/jpeg': '1.2.840.10008.1.2.4.50',
  'image/jls': '1.2.840.10008.1.2.4.80',
  'image/x-jls': '1.2.840.10008.1.2.4.80',
  'image/jll': '1.2.840.10008.1.2.4.70',
  'image/jp2': '1.2.840.10008.1.2.4.90',
  'image/jpx': '1.2.840.10008.1.2.4.92',
  'image/jphc': '3.2.840.10008.1.2.4.96',
  'image/x-dicom-rle': '1.2.840.10008.1.2.5',
  'image/dicom-rle': '1.2.840.10008.1.2.5',
  'application/octet-stream': EXPLICIT_LITTLE,
};

export interface Frame {
  pixelData: Uint8Array;
  transferSyntaxUid: string;
}

export function syntaxOf(contentType: string): string {
  const [type, ...params] = contentType.split(';').map((s) => s.trim());
  for (const p of params) {
    const [k, v] = p.split('=');
    if (k?.trim().toLowerCase() === 'transfer-syntax' && v) return v.trim().replace(/"/g, '');
  }
  return SYNTAX_BY_TYPE[type.toLowerCase()] ?? EXPLICIT_LITTLE;
}

function indexOf(bytes: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  outer: for (let i = from; i + needle.length <= to; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function lastIndexOf(bytes: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = bytes.length - needle.length; i >= from; i--) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const ascii = (s: string) => new TextEncoder().encode(s);

// The first part of a multipart/related body (the frame): its bytes and its transfer syntax.
// A single-part answer is taken whole. Throws on a body that is not what the header announced.
export function firstPart(contentType: string, body: ArrayBuffer): Frame {
  const bytes = new Uint8Array(body);
  if (!/^multipart\//i.test(contentType)) return { pixelData: bytes, transferSyntaxUid: syntaxOf(contentType) };
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new Error('réponse WADO-RS sans délimiteur multipart');
  const delimiter = ascii(`--${m[1]}`);
  const start = indexOf(bytes, delimiter, 0, Math.min(bytes.length, 4096));
  const headerEnd = start < 0 ? -1 : indexOf(bytes, ascii('\r\n\r\n'), start, Math.min(bytes.length, start + 4096));
  if (headerEnd < 0) throw new Error('réponse WADO-RS tronquée : en-tête de partie absent');
  const headers = new TextDecoder().decode(bytes.subarray(start, headerEnd));
  const partType = /^content-type:\s*(.+)$/im.exec(headers)?.[1]?.trim() ?? 'application/octet-stream';
  const bodyStart = headerEnd + 4;
  // The part ends at the next delimiter; for a single-frame answer that is the closing one, in
  // the last bytes of the body. Searched backwards from the end, then forwards as a last resort.
  const closing = ascii(`\r\n--${m[1]}`);
  let end = lastIndexOf(bytes, closing, Math.max(bodyStart, bytes.length - 1024));
  if (end < 0) end = indexOf(bytes, closing, bodyStart, bytes.length);
  if (end < 0) throw new Error('réponse WADO-RS tronquée : délimiteur de fin absent');
  // A copy at offset 0: the decoder reads 16-bit samples, which need an even offset.
  return { pixelData: bytes.slice(bodyStart, end), transferSyntaxUid: syntaxOf(partType) };
}
