// Fetches an image's frame from the hub's WADO-RS (multipart/related, any transfer syntax) and
// hands the bytes to Cornerstone's decoder through its compressed-frame registry, instead of the
// loader's own request. Why: the loader finds the end of the multipart body by scanning every
// byte of it in JavaScript on the page's main thread (about 60 ms per 20 MB mammogram, then a
// copy), while the same thread renders. Here the part's end is found from the end of the
// response, where PS3.18 puts the closing boundary, so a frame costs one copy.
// Module-level state (page singleton); the page's main thread only.

import { imageLoader, metaData, cache } from '@cornerstonejs/core';
import { firstPart, type Frame } from './multipart';

// Cornerstone's metadata module name for a frame's bytes ready to decode
// (@cornerstonejs/metadata MetadataModules.COMPRESSED_FRAME_DATA).
const COMPRESSED_FRAME_DATA = 'compressedFrameData';
const ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

const ready = new Map<string, Frame>(); // imageId -> bytes waiting for the decoder (taken once)
const inFlight = new Map<string, Promise<void>>();
let providerAdded = false;

function addProvider(): void {
  if (providerAdded) return;
  providerAdded = true;
  // Consulted by the wadors loader before it goes to the network; the bytes are given once.
  metaData.addProvider((type: string, imageId: string) => {
    if (type !== COMPRESSED_FRAME_DATA) return undefined;
    const f = ready.get(imageId);
    if (!f) return undefined;
    ready.delete(imageId);
    return f;
  }, 10000);
}

async function fetchFrame(imageId: string): Promise<void> {
  const url = imageId.replace(/^wadors:/, '');
  const res = await fetch(url, { headers: { Accept: ACCEPT }, credentials: 'same-origin' });
  if (!res.ok) throw new Error(`image non disponible (${res.status})`);
  const body = await res.arrayBuffer();
  ready.set(imageId, firstPart(res.headers.get('Content-Type') ?? '', body));
}

// The frame's download, started unless its bytes are here or on their way; a failed download
// leaves no bytes (the loader then makes its own request, which reports the error).
function download(imageId: string): Promise<void> | undefined {
  if (ready.has(imageId)) return undefined;
  let p = inFlight.get(imageId);
  if (!p) {
    p = fetchFrame(imageId)
      .catch(() => undefined)
      .finally(() => inFlight.delete(imageId));
    inFlight.set(imageId, p);
  }
  return p;
}

// Loads an image into Cornerstone's cache: fetched here, decoded by the loader's workers. If the
// image is already cached (or being loaded), nothing is fetched again.
export async function loadImage(imageId: string): Promise<void> {
  addProvider();
  const cached = cache.getImageLoadObject(imageId);
  if (cached) {
    await cached.promise;
    return;
  }
  await download(imageId);
  await imageLoader.loadAndCacheImage(imageId);
  ready.delete(imageId); // normally taken by the decoder already
}

// Gives the decoder the bytes of `imageId` fetched some other way (a reduced frame).
export function provide(imageId: string, frame: Frame): void {
  addProvider();
  ready.set(imageId, frame);
}

// Forgets fetched bytes not yet decoded (the exam was released before it was shown).
export function forget(imageId: string): void {
  ready.delete(imageId);
}
