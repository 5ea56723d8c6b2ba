// One image on its own, for the portal (a woman's or a doctor's view of an exam) and the share
// link page: the whole DICOM file fetched from a URL the hub scopes to the caller
// (/api/portal/images/{sop}, /share/{token}/instances/{sop}) and shown with Cornerstone3D's
// "wadouri" loader, fit to the screen, with zoom, pan (drag), invert and a PNG export rendered
// at the image's own size. One viewport; destroy() gives it back to the rendering engine.

import { cache, metaData, utilities } from '@cornerstonejs/core';
import { h, replace } from '../dom';
import { attachToolGroup, detachToolGroup, initCornerstone, setPrimaryTool, IMAGE_RENDERED, STACK, type StackViewport } from './cornerstone';

const VIEWPORT_ID = 'single-image';

export interface SingleImage {
  fit(): void;
  zoom(factor: number): void;
  toggleInvert(): void;
  // The image as PNG at its own pixel size, with the window and inversion shown.
  png(): Promise<Blob>;
  destroy(): void;
}

// Shows the image at `url` (same origin) in `element` (which must have a size). Rejects with a
// French sentence when it cannot be loaded (refused, missing, not an image).
export async function showSingleImage(element: HTMLElement, url: string): Promise<SingleImage> {
  const engine = await initCornerstone();
  const imageId = `wadouri:${new URL(url, location.origin).href}`;
  const el = h('div.vp-element', { 'data-viewport': VIEWPORT_ID }) as HTMLDivElement;
  el.addEventListener('contextmenu', (e) => e.preventDefault());
  replace(element, el);
  engine.enableElement({ viewportId: VIEWPORT_ID, type: STACK, element: el, defaultOptions: { background: [0, 0, 0] } });
  attachToolGroup(VIEWPORT_ID);
  // Dragging moves the image (a finger on a phone): nobody here needs to change the window.
  setPrimaryTool('pan');
  const vp = engine.getViewport(VIEWPORT_ID) as StackViewport;
  const destroy = () => {
    detachToolGroup(VIEWPORT_ID);
    try {
      engine.disableElement(VIEWPORT_ID);
    } catch {
      /* already gone */
    }
    cache.removeImageLoadObject(imageId, { force: true });
    setPrimaryTool('wl');
  };
  try {
    await vp.setStack([imageId]);
  } catch {
    destroy();
    throw new Error("Cette image n'a pas pu être chargée (elle n'est peut-être plus disponible).");
  }
  // The image's own first window (0028,1050/1051: "NORMAL" on mammograms), as the reading
  // console shows it; the loader's default would be the full pixel range.
  const voi = metaData.get('voiLutModule', imageId) as { windowCenter?: number | number[]; windowWidth?: number | number[] } | undefined;
  const first = (v: number | number[] | undefined) => Number(Array.isArray(v) ? v[0] : v);
  const center = first(voi?.windowCenter);
  const width = first(voi?.windowWidth);
  // Rendered with the window and the fit below (not the loader's first frame).
  const rendered = new Promise<void>((resolve) => el.addEventListener(IMAGE_RENDERED, () => resolve(), { once: true }));
  if (Number.isFinite(center) && width > 0) vp.setProperties({ voiRange: utilities.windowLevel.toLowHighRange(width, center) });
  vp.setDisplayArea({ type: 'FIT', storeAsInitialCamera: true });
  vp.render();
  await rendered;
  el.dataset.rendered = imageId;
  const onResize = () => {
    engine.resize(true, false);
  };
  window.addEventListener('resize', onResize);
  return {
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
