// One image on its own, for the portal (a woman's or a doctor's view of an exam) and the share
// link page, from a URL the hub scopes to the caller (/api/portal/images/{sop},
// /share/{token}/instances/{sop}). Shown first from the hub's reduced frame at the screen's
// resolution (`<url>/reduced?viewport=W,H`: a few hundred kilobytes where the DICOM file of a
// mammogram is 20-30 MB, which matters on a phone); fullResolution() then loads the whole DICOM
// file with Cornerstone3D's "wadouri" loader (also used directly when there is no reduced
// frame, e.g. a colour image). Fit, zoom, pan (drag), invert and a PNG export of what is shown
// at the image's own size. One viewport; destroy() gives it back to the rendering engine.

import { imageLoader, metaData, utilities } from '@cornerstonejs/core';
import { h, replace } from '../dom';
import { attachToolGroup, detachToolGroup, initCornerstone, setPrimaryTool, IMAGE_RENDERED, STACK, type StackViewport } from './cornerstone';
import { cacheReducedFrame, fetchReducedFrame, forgetImage, type DicomJson } from './reduced_fetch';

const VIEWPORT_ID = 'single-image';

export interface SingleImage {
  // Stored pixels per shown pixel in each direction: 1 at full resolution.
  readonly factor: number;
  // Replaces a screen-resolution image by the whole file (zoom, window and inversion kept).
  fullResolution(): Promise<void>;
  fit(): void;
  zoom(factor: number): void;
  toggleInvert(): void;
  // The image as PNG at its own pixel size, with the window and inversion shown.
  png(): Promise<Blob>;
  destroy(): void;
}

// The hub's reduced frame of `url` for a viewport of width x height screen pixels, decoded into
// the cache like any frame (so the photometric interpretation, the modality LUT and the window
// apply as for the file), with DICOM metadata made from the answer's headers. Null when the hub
// has none for this image (then the whole file is shown).
async function loadReducedImage(url: string, width: number, height: number): Promise<{ imageId: string; factor: number } | null> {
  const r = await fetchReducedFrame(url, width, height);
  if (!r) return null;
  const ds: DicomJson = {
    '00080060': { vr: 'CS', Value: ['MG'] },
    '00280002': { vr: 'US', Value: [1] },
    '00280004': { vr: 'CS', Value: [r.photometric] },
    '00280010': { vr: 'US', Value: [r.rows] },
    '00280011': { vr: 'US', Value: [r.columns] },
    '00280030': { vr: 'DS', Value: [r.factor, r.factor] },
    '00280100': { vr: 'US', Value: [r.bits] },
    '00280101': { vr: 'US', Value: [r.bits] },
    '00280102': { vr: 'US', Value: [r.bits - 1] },
    '00280103': { vr: 'US', Value: [r.signed ? 1 : 0] },
    '00281052': { vr: 'DS', Value: [r.rescale[1]] },
    '00281053': { vr: 'DS', Value: [r.rescale[0]] },
  };
  if (r.window) {
    ds['00281050'] = { vr: 'DS', Value: [r.window[0]] };
    ds['00281051'] = { vr: 'DS', Value: [r.window[1]] };
  }
  const imageId = `wadors:${new URL(url, location.origin).href}/reduced`;
  await cacheReducedFrame(imageId, ds, r);
  return { imageId, factor: r.factor };
}

// Shows the image at `url` (same origin) in `element` (which must have a size). Rejects with a
// French sentence when it cannot be loaded (refused, missing, not an image).
export async function showSingleImage(element: HTMLElement, url: string): Promise<SingleImage> {
  const engine = await initCornerstone();
  const fullId = `wadouri:${new URL(url, location.origin).href}`;
  const el = h('div.vp-element', { 'data-viewport': VIEWPORT_ID }) as HTMLDivElement;
  el.addEventListener('contextmenu', (e) => e.preventDefault());
  replace(element, el);
  engine.enableElement({ viewportId: VIEWPORT_ID, type: STACK, element: el, defaultOptions: { background: [0, 0, 0] } });
  attachToolGroup(VIEWPORT_ID);
  // Dragging moves the image (a finger on a phone): nobody here needs to change the window.
  setPrimaryTool('pan');
  const vp = engine.getViewport(VIEWPORT_ID) as StackViewport;
  const ids = new Set<string>();
  const destroy = () => {
    detachToolGroup(VIEWPORT_ID);
    try {
      engine.disableElement(VIEWPORT_ID);
    } catch {
      /* already gone */
    }
    for (const id of ids) forgetImage(id);
    setPrimaryTool('wl');
  };
  const failed = () => new Error("Cette image n'a pas pu être chargée (elle n'est peut-être plus disponible).");
  // Draws `imageId` with its window (and the camera of `keep`, resolution-independent, when given).
  // `invert` undefined: the image's own (MONOCHROME1 shows inverted).
  const draw = async (imageId: string, voi: { lower: number; upper: number } | null, invert: boolean | undefined, keep?: ReturnType<StackViewport['getViewPresentation']>) => {
    ids.add(imageId);
    const rendered = new Promise<void>((resolve) => el.addEventListener(IMAGE_RENDERED, () => resolve(), { once: true }));
    await vp.setStack([imageId]);
    vp.setProperties({ ...(invert === undefined ? {} : { invert }), ...(voi ? { voiRange: voi } : {}) });
    vp.setDisplayArea({ type: 'FIT', storeAsInitialCamera: true });
    if (keep) vp.setViewPresentation(keep);
    vp.render();
    await rendered;
    el.dataset.rendered = imageId;
  };
  // The image's own first window (0028,1050/1051: "NORMAL" on mammograms), as the reading
  // console shows it; the loader's default would be the full pixel range.
  const windowOf = (imageId: string) => {
    const v = metaData.get('voiLutModule', imageId) as { windowCenter?: number | number[]; windowWidth?: number | number[] } | undefined;
    const first = (x: number | number[] | undefined) => Number(Array.isArray(x) ? x[0] : x);
    const center = first(v?.windowCenter);
    const width = first(v?.windowWidth);
    return Number.isFinite(center) && width > 0 ? utilities.windowLevel.toLowHighRange(width, center) : null;
  };
  let factor = 1;
  let reduced: { imageId: string; factor: number } | null = null;
  try {
    const dpr = window.devicePixelRatio || 1;
    reduced = await loadReducedImage(url, el.clientWidth * dpr, el.clientHeight * dpr).catch(() => null);
    if (reduced) {
      factor = reduced.factor;
      await draw(reduced.imageId, windowOf(reduced.imageId), undefined);
    } else {
      await imageLoader.loadAndCacheImage(fullId); // the file and its metadata
      await draw(fullId, windowOf(fullId), undefined);
    }
  } catch {
    destroy();
    throw failed();
  }
  el.dataset.factor = String(factor);
  const onResize = () => {
    engine.resize(true, false);
  };
  window.addEventListener('resize', onResize);
  return {
    get factor() {
      return factor;
    },
    async fullResolution() {
      if (factor === 1) return;
      const keep = vp.getViewPresentation({ zoom: true, pan: true });
      const { invert, voiRange } = vp.getProperties();
      const shownId = reduced?.imageId;
      try {
        await imageLoader.loadAndCacheImage(fullId);
      } catch {
        throw failed();
      }
      // The reader's window and inversion (both images' values are after the modality LUT).
      const voi = voiRange ?? windowOf(fullId);
      await draw(fullId, voi, invert, keep);
      factor = 1;
      el.dataset.factor = '1';
      if (shownId) {
        forgetImage(shownId);
        ids.delete(shownId);
      }
    },
    fit() {
      vp.resetCamera({ resetZoom: true, resetPan: true });
      vp.setDisplayArea({ type: 'FIT', storeAsInitialCamera: true });
      vp.render();
    },
    zoom(factor: number) {
      vp.setZoom(vp.getZoom() * factor);
      vp.render();
    },
    toggleInvert() {
      vp.setProperties({ invert: !vp.getProperties().invert });
      vp.render();
    },
    async png() {
      return toPng(vp);
    },
    destroy() {
      window.removeEventListener('resize', onResize);
      destroy();
    },
  };
}

// The displayed image at its own size: grey levels through the viewport's window (VOI range) and
// inversion, colour images as they are.
function toPng(vp: StackViewport): Promise<Blob> {
  const img = vp.getCornerstoneImage();
  const { columns, rows } = img;
  const props = vp.getProperties();
  const canvas = document.createElement('canvas');
  canvas.width = columns;
  canvas.height = rows;
  const ctx = canvas.getContext('2d')!;
  const out = ctx.createImageData(columns, rows);
  const src = img.getPixelData() as ArrayLike<number>;
  const n = columns * rows;
  if (img.color) {
    const step = src.length >= n * 4 ? 4 : 3;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) out.data[i * 4 + c] = props.invert ? 255 - src[i * step + c] : src[i * step + c];
      out.data[i * 4 + 3] = 255;
    }
  } else {
    const scaled = Boolean(img.preScale?.scaled);
    const slope = scaled ? 1 : (img.slope ?? 1);
    const intercept = scaled ? 0 : (img.intercept ?? 0);
    const lower = props.voiRange?.lower ?? img.minPixelValue;
    const upper = props.voiRange?.upper ?? img.maxPixelValue;
    const span = Math.max(1e-6, upper - lower);
    for (let i = 0; i < n; i++) {
      let v = ((src[i] * slope + intercept - lower) / span) * 255;
      v = v < 0 ? 0 : v > 255 ? 255 : v;
      if (props.invert) v = 255 - v;
      out.data[i * 4] = out.data[i * 4 + 1] = out.data[i * 4 + 2] = v;
      out.data[i * 4 + 3] = 255;
    }
  }
  ctx.putImageData(out, 0, 0);
  return new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("L'image n'a pas pu être convertie en PNG."))), 'image/png'));
}

// Saves `blob` under `name` through the browser's download.
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
