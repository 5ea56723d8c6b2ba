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
export type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

// One reduced frame as the hub answers it: the samples and, from the X-Dualread-* headers, their
// geometry and what a viewer without the DICOM file needs to show them.
export interface ReducedFrame {
  rows: number;
  columns: number;
  factor: number; // k stored pixels per rendition pixel, in each direction
  bits: 8 | 16;
  signed: boolean;
  photometric: 'MONOCHROME1' | 'MONOCHROME2';
  rescale: [number, number]; // slope, intercept
  window: [number, number] | null; // center, width
  bytes: Uint8Array;
}

function numbers(res: Response, name: string): number[] {
  return (res.headers.get(name) ?? '').split(',').map(Number);
}

// The reduced frame of `url` (a WADO-RS frame, a portal image or a shared image) for a viewport
// of width x height screen pixels; null when the hub has none (colour, a codec it lacks, an old
// hub) or the answer does not hold what its headers say.
export async function fetchReducedFrame(url: string, width: number, height: number): Promise<ReducedFrame | null> {
  const res = await fetch(`${url}/reduced?viewport=${Math.max(1, Math.round(width))},${Math.max(1, Math.round(height))}`, { credentials: 'same-origin' });
  if (!res.ok) return null;
  const [rows] = numbers(res, 'X-Dualread-Rows');
  const [columns] = numbers(res, 'X-Dualread-Columns');
  const [factor] = numbers(res, 'X-Dualread-Factor');
  const [bits] = numbers(res, 'X-Dualread-Bits-Allocated');
  const [slope = 1, intercept = 0] = numbers(res, 'X-Dualread-Rescale');
  const win = res.headers.has('X-Dualread-Window') ? numbers(res, 'X-Dualread-Window') : null;
  const body = await res.arrayBuffer();
  if (!(rows > 0 && columns > 0 && factor > 0) || (bits !== 8 && bits !== 16) || body.byteLength !== (rows * columns * bits) / 8) return null;
  return {
    rows,
    columns,
    factor,
    bits,
    signed: res.headers.get('X-Dualread-Signed') === '1',
    photometric: res.headers.get('X-Dualread-Photometric') === 'MONOCHROME1' ? 'MONOCHROME1' : 'MONOCHROME2',
    rescale: [slope || 1, intercept],
    window: win && win.length === 2 && win.every(Number.isFinite) ? [win[0], win[1]] : null,
    bytes: new Uint8Array(body),
  };
}

// Decodes `frame` into Cornerstone's cache as `imageId` (a "wadors:" id) with the DICOM
// metadata `ds`, through the DICOM image loader like any frame.
export async function cacheReducedFrame(imageId: string, ds: DicomJson, frame: ReducedFrame): Promise<void> {
  wadors.metaDataManager.add(imageId, ds as never);
  provide(imageId, { pixelData: frame.bytes, transferSyntaxUid: EXPLICIT_LITTLE });
  await imageLoader.loadAndCacheImage(imageId);
}

// Removes an image from the cache and its loader metadata.
export function forgetImage(imageId: string): void {
  if (cache.getImageLoadObject(imageId)) cache.removeImageLoadObject(imageId, { force: true });
  if (imageId.startsWith('wadors:')) wadors.metaDataManager.remove(imageId);
}

const reduced = new Map<string, Promise<string | null>>(); // full imageId -> reduced imageId

// The full image's metadata for a rendition of `rows` x `columns`, k stored pixels per pixel.
function reducedMetadata(full: DicomJson, r: ReducedFrame): DicomJson {
  const out: DicomJson = { ...full };
  out['00280010'] = { vr: 'US', Value: [r.rows] };
  out['00280011'] = { vr: 'US', Value: [r.columns] };
  delete out['00280008']; // one frame
  let spacing = false;
  for (const tag of ['00280030', '00181164', '00182010']) {
    const v = full[tag]?.Value?.map(Number);
    if (v && v.length === 2 && v.every((x) => Number.isFinite(x) && x > 0)) {
      out[tag] = { vr: 'DS', Value: v.map((x) => x * r.factor) };
      spacing = true;
    }
  }
  // Without a spacing Cornerstone takes 1: the full image's pixels, k times larger here.
  if (!spacing) out['00280030'] = { vr: 'DS', Value: [r.factor, r.factor] };
  return out;
}

async function fetchReduced(imageId: string, width: number, height: number): Promise<string | null> {
  const full = wadors.metaDataManager.get(imageId) as DicomJson | undefined;
  if (!full) return null;
  // The hub's factor (reduced_frame.h): 1 means the rendition would be the frame itself.
  const rows = Number(full['00280010']?.Value?.[0]);
  const columns = Number(full['00280011']?.Value?.[0]);
  if (!(Math.max(Math.floor(columns / width), Math.floor(rows / height)) >= 2)) return null;
  const r = await fetchReducedFrame(imageId.replace(/^wadors:/, ''), width, height);
  if (!r) return null; // the full frame is shown instead
  const id = `${imageId}/reduced`;
  await cacheReducedFrame(id, reducedMetadata(full, r), r);
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
  reduced.delete(imageId);
  forgetImage(`${imageId}/reduced`);
}
