// An image at screen resolution, shown while its full frame comes: the hub's reduced frame
// (GET .../frames/1/reduced?viewport=W,H, the stored values averaged over k x k boxes so that
// every screen pixel still gets at least one of them) loaded into Cornerstone's cache as an
// image of its own, under the full image's imageId + "/reduced". Its DICOM metadata is the
// full image's with the reduced rows and columns and k times the pixel spacing, so it covers
// the same physical extent: fit, zoom, pan and window carry over when the full frame replaces
// it. A few hundred kilobytes instead of 20 MB per mammogram: the first exam of a session is on
// screen before its full frames have even arrived.
// Module-level state (page singleton); the page's main thread only.

import { cache, imageLoader } from '@cornerstonejs/core';
import { wadors } from '@cornerstonejs/dicom-image-loader';
import { provide } from './frame_fetch';

const EXPLICIT_LITTLE = '1.2.840.10008.1.2.1';
type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

const reduced = new Map<string, Promise<string | null>>(); // full imageId -> reduced imageId

// The full image's metadata for a rendition of `rows` x `columns`, k stored pixels per pixel.
function reducedMetadata(full: DicomJson, rows: number, columns: number, k: number): DicomJson {
  const out: DicomJson = { ...full };
  out['00280010'] = { vr: 'US', Value: [rows] };
  out['00280011'] = { vr: 'US', Value: [columns] };
  delete out['00280008']; // one frame
  let spacing = false;
  for (const tag of ['00280030', '00181164', '00182010']) {
    const v = full[tag]?.Value?.map(Number);
    if (v && v.length === 2 && v.every((x) => Number.isFinite(x) && x > 0)) {
      out[tag] = { vr: 'DS', Value: v.map((x) => x * k) };
      spacing = true;
    }
  }
  // Without a spacing Cornerstone takes 1: the full image's pixels, k times larger here.
  if (!spacing) out['00280030'] = { vr: 'DS', Value: [k, k] };
  return out;
}

function header(res: Response, name: string): number {
  const v = Number(res.headers.get(name));
  return Number.isInteger(v) && v > 0 ? v : 0;
}

async function fetchReduced(imageId: string, width: number, height: number): Promise<string | null> {
  const full = wadors.metaDataManager.get(imageId) as DicomJson | undefined;
  if (!full) return null;
  // The hub's factor (reduced_frame.h): 1 means the rendition would be the frame itself.
  const rows = Number(full['00280010']?.Value?.[0]);
  const columns = Number(full['00280011']?.Value?.[0]);
  if (!(Math.max(Math.floor(columns / width), Math.floor(rows / height)) >= 2)) return null;
  const url = `${imageId.replace(/^wadors:/, '')}/reduced?viewport=${width},${height}`;
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) return null; // colour, a codec the hub lacks...: the full frame is shown instead
  const r = {
    rows: header(res, 'X-Dualread-Rows'),
    columns: header(res, 'X-Dualread-Columns'),
    k: header(res, 'X-Dualread-Factor'),
    bits: header(res, 'X-Dualread-Bits-Allocated'),
  };
  const body = await res.arrayBuffer();
  if (!r.rows || !r.columns || !r.k || (r.bits !== 8 && r.bits !== 16) || body.byteLength !== (r.rows * r.columns * r.bits) / 8) return null;
  const id = `${imageId}/reduced`;
  wadors.metaDataManager.add(id, reducedMetadata(full, r.rows, r.columns, r.k) as never);
  provide(id, { pixelData: new Uint8Array(body), transferSyntaxUid: EXPLICIT_LITTLE });
  await imageLoader.loadAndCacheImage(id);
  if (!reduced.has(imageId)) {
    dropReduced(imageId); // released while it came
    return null;
  }
  return id;
}

// The image's rendition for a viewport of width x height screen pixels, loaded into the cache:
// its imageId, or null when there is none (the caller shows the full frame). Asked again for
// the same image, the first request's answer.
export function loadReduced(imageId: string, width: number, height: number): Promise<string | null> {
  let p = reduced.get(imageId);
  if (!p) {
    p = fetchReduced(imageId, Math.max(1, Math.round(width)), Math.max(1, Math.round(height))).catch(() => null);
    reduced.set(imageId, p);
  }
  return p;
}

// True when the full frame is in the cache or being decoded into it (no rendition needed).
export function fullLoaded(imageId: string): boolean {
  return !!cache.getImageLoadObject(imageId);
}

// Forgets the rendition of the image (replaced by the full frame, or the exam released).
export function dropReduced(imageId: string): void {
  const id = `${imageId}/reduced`;
  reduced.delete(imageId);
  if (cache.getImageLoadObject(id)) cache.removeImageLoadObject(id, { force: true });
  wadors.metaDataManager.remove(id);
}
