// Bench peer (bench/viewer_bench.mjs): a generic Cornerstone3D viewer set-up — the default
// WADO-RS image loader, study metadata from the DICOMweb server, one stack viewport per image —
// opening the given studies cold from any DICOMweb server (/banc/visionneuse-generique
// ?dicomweb=<root>&studies=a,b). It records the time from page start to every image rendered
// in window.__bench. Nothing of the app's own viewer code is used.

import { init as coreInit, RenderingEngine, Enums } from '@cornerstonejs/core';
import { init as loaderInit, wadors } from '@cornerstonejs/dicom-image-loader';

declare global {
  interface Window {
    __bench?: { ms?: number; images?: number; error?: string };
  }
}

type DicomJson = Record<string, { Value?: unknown[] }>;
const v = (ds: DicomJson, tag: string) => String(ds[tag]?.Value?.[0] ?? '');

async function main(grid: HTMLElement): Promise<void> {
  const params = new URLSearchParams(location.search);
  const root = (params.get('dicomweb') ?? `${location.origin}/dicomweb`).replace(/\/$/, '');
  const studies = (params.get('studies') ?? '').split(',').filter(Boolean);
  coreInit();
  loaderInit({ maxWebWorkers: Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2)) });
  const imageIds: string[] = [];
  for (const study of studies) {
    const res = await fetch(`${root}/studies/${study}/metadata`, { headers: { Accept: 'application/dicom+json' } });
    const metadata = (await res.json()) as DicomJson[];
    for (const ds of metadata) {
      if (v(ds, '00080060') !== 'MG' || v(ds, '00080068') === 'FOR PROCESSING') continue;
      const id = `wadors:${root}/studies/${study}/series/${v(ds, '0020000E')}/instances/${v(ds, '00080018')}/frames/1`;
      wadors.metaDataManager.add(id, ds as never);
      imageIds.push(id);
    }
  }
  const engine = new RenderingEngine('bench');
  const shown = imageIds.slice(0, 8);
  await Promise.all(
    shown.map(async (id, i) => {
      const el = document.createElement('div');
      el.style.position = 'relative';
      grid.appendChild(el);
      engine.enableElement({ viewportId: `vp${i}`, type: Enums.ViewportType.STACK, element: el });
      const vp = engine.getViewport(`vp${i}`) as unknown as { setStack: (ids: string[]) => Promise<string>; render: () => void };
      const rendered = new Promise<void>((r) => el.addEventListener(Enums.Events.IMAGE_RENDERED, () => r(), { once: true }));
      await vp.setStack([id]);
      vp.render();
      await rendered;
    }),
  );
  window.__bench = { ms: performance.now(), images: shown.length };
}

export function benchPeerPage(root: HTMLElement): void {
  const grid = document.createElement('div');
  grid.style.cssText = 'display:grid;grid-template-columns:repeat(4,1fr);grid-template-rows:1fr 1fr;gap:2px;height:100vh;background:#000';
  root.replaceChildren(grid);
  document.getElementById('topbar')?.remove();
  main(grid).catch((e) => (window.__bench = { error: String(e) }));
}
