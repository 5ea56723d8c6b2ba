// The L2 console's first exam shown at screen resolution, then at full resolution, in Debian's
// Chromium with full-size synthetic mammograms. The full frames are held back by the test:
// meanwhile the four views are on screen from the hub's reduced frames (hanging orientation
// right, the "résolution écran" notice on each), the reader changes the window of one view and
// zooms another; when the full frames are let through every view is replaced at full
// resolution and keeps what the reader did. Then the failure paths: a hub that has no reduced
// frame (406) shows the full frames directly; a full frame whose download fails (the console's
// fetch and the loader's own request) is tried again a second later; one that cannot come at
// all leaves the view at screen resolution with a warning not to zoom, and the reader cannot
// sign. Last, a mammogram shared by link opened on a phone: its reduced frame first, the whole
// file on demand.
import path from 'node:path';
import { run, tmpDir, startHub, synth, storescu, signLatestExams, api, launchBrowser, watch, screenshot, edgeBrightness, check, log, SOURCE_DIR } from './lib.mjs';

const FULL_FRAME = /\/frames\/1$/;

async function resolutions(page) {
  return page.$$eval('.viewer .vp-cell[data-cell^="cur-"]', (cells) => cells.map((c) => c.dataset.resolution ?? ''));
}

async function openSession(page, base, session) {
  await page.goto(`${base}/lecture/seance/${session}`);
  await page.waitForSelector('.console[data-state="ready"]', { timeout: 60000 });
}

run(async () => {
  const dir = tmpDir('dualread-e2e-screenres-');
  const hub = await startHub(dir, { staticDir: path.join(SOURCE_DIR, 'ui/dist') });
  synth(path.join(dir, 'synth'), 2, { rounds: 2, size: 'full', seed: 5 });
  storescu(hub.dicom, path.join(dir, 'synth/studies'));
  const examIds = await signLatestExams(hub.base, 2);
  check(examIds.length === 2, `2 exams signed, got ${examIds.length}`);
  const dealt = await api(hub.base, 'POST', '/api/sessions/deal', {});
  const session = dealt.sessions[0].id;

  // 1. Full frames held: the exam is on screen from the reduced frames.
  {
    const context = await launchBrowser();
    const page = await context.newPage();
    const problems = [];
    watch(page, problems);
    const held = [];
    let reducedBytes = 0;
    page.on('response', async (r) => {
      if (r.url().includes('/reduced?viewport=')) reducedBytes += Number(r.headers()['content-length'] ?? 0);
    });
    let hold = true;
    await page.route(FULL_FRAME, (route) => (hold ? held.push(route) : route.continue()));
    await openSession(page, hub.base, session);
    check((await resolutions(page)).every((r) => r === 'screen'), `4 views at screen resolution first: ${await resolutions(page)}`);
    check(reducedBytes > 0 && reducedBytes < 4 * 2 * 1024 * 1024, `4 reduced frames, ${reducedBytes} bytes in all (a full one is about 20 MB)`);
    check(await page.locator('.viewer [data-cell="cur-RCC"] .vp-resolution.screen').isVisible(), 'the screen-resolution notice is shown');
    check(await page.locator('#l1-title').isVisible(), 'the L1 form is shown with the images');
    for (const v of ['RCC', 'RMLO']) {
      const b = await edgeBrightness(page, `cur-${v}`);
      check(b && b.mean > 5 && b.right > b.left, `${v} at screen resolution: chest wall on the right (${JSON.stringify(b)})`);
    }
    for (const v of ['LCC', 'LMLO']) {
      const b = await edgeBrightness(page, `cur-${v}`);
      check(b && b.mean > 5 && b.left > b.right, `${v} at screen resolution: chest wall on the left (${JSON.stringify(b)})`);
    }
    await screenshot(page, 'l2-console-screen-resolution');

    // The reader works before the full frames come: window on RCC (left drag), zoom on LMLO
    // (right drag).
    const untouched = (await edgeBrightness(page, 'cur-LCC')).mean;
    const before = { rcc: (await edgeBrightness(page, 'cur-RCC')).mean, lmlo: (await edgeBrightness(page, 'cur-LMLO')).mean };
    const drag = async (cell, button, dx, dy) => {
      const box = await page.locator(`.viewer [data-cell="${cell}"] .vp-element`).boundingBox();
      const x = box.x + box.width / 2;
      const y = box.y + box.height / 2;
      await page.mouse.move(x, y);
      await page.mouse.down({ button });
      for (let i = 1; i <= 10; i++) await page.mouse.move(x + (dx * i) / 10, y + (dy * i) / 10);
      await page.mouse.up({ button });
    };
    await drag('cur-RCC', 'left', -250, -150);
    await drag('cur-LMLO', 'right', 0, -150);
    await page.waitForTimeout(300);
    const during = { rcc: (await edgeBrightness(page, 'cur-RCC')).mean, lmlo: (await edgeBrightness(page, 'cur-LMLO')).mean };
    check(Math.abs(during.rcc - before.rcc) > 8, `the window changed RCC (${before.rcc.toFixed(1)} -> ${during.rcc.toFixed(1)})`);
    check(Math.abs(during.lmlo - before.lmlo) > 8, `the zoom changed LMLO (${before.lmlo.toFixed(1)} -> ${during.lmlo.toFixed(1)})`);
    check(held.length >= 4, `the full frames were asked for meanwhile (${held.length})`);

    // Let the full frames through.
    hold = false;
    for (const r of held) await r.continue();
    await page.waitForFunction(() => [...document.querySelectorAll('.viewer .vp-cell[data-cell^="cur-"]')].every((c) => c.dataset.resolution === 'full'), null, { timeout: 60000 });
    check(!(await page.locator('.viewer [data-cell="cur-RCC"] .vp-resolution.screen').isVisible()), 'the notice is gone at full resolution');
    const after = { rcc: (await edgeBrightness(page, 'cur-RCC')).mean, lmlo: (await edgeBrightness(page, 'cur-LMLO')).mean, lcc: (await edgeBrightness(page, 'cur-LCC')).mean };
    check(Math.abs(after.rcc - during.rcc) < Math.abs(during.rcc - before.rcc) / 3, `RCC kept its window at full resolution (${during.rcc.toFixed(1)} -> ${after.rcc.toFixed(1)})`);
    check(Math.abs(after.lmlo - during.lmlo) < Math.abs(during.lmlo - before.lmlo) / 3, `LMLO kept its zoom at full resolution (${during.lmlo.toFixed(1)} -> ${after.lmlo.toFixed(1)})`);
    check(Math.abs(after.lcc - untouched) < 3, `LCC looks the same at both resolutions (${untouched.toFixed(1)} vs ${after.lcc.toFixed(1)})`);
    await screenshot(page, 'l2-console-full-resolution');
    const t = await page.evaluate(() => window.__dualread.timings[0]);
    check(t.fullMs > t.ms, `timed: shown ${t.ms.toFixed(0)} ms, full resolution ${t.fullMs?.toFixed(0)} ms`);
    log(`first exam shown at screen resolution in ${t.ms.toFixed(0)} ms, full resolution when let through`);
    // The next exam was prefetched at full resolution: no rendition needed.
    const first = await page.getAttribute('.console', 'data-exam');
    await page.waitForTimeout(3000);
    await page.keyboard.press('n');
    await page.waitForFunction((id) => document.querySelector('.console')?.dataset.exam !== id && document.querySelector('.console')?.dataset.state === 'ready', first, { timeout: 60000 });
    check((await resolutions(page)).every((r) => r === 'full'), `next exam directly at full resolution: ${await resolutions(page)}`);
    check(problems.length === 0, `no console or page error: ${problems.join('; ')}`);
    await context.close();
  }

  // 2. A hub without reduced frames (406): the full frames, directly, without an error shown.
  {
    const context = await launchBrowser();
    const page = await context.newPage();
    const problems = [];
    watch(page, problems, [['/reduced', 406]]);
    let refused = 0;
    await page.route(/\/reduced\?viewport=/, (route) => {
      refused++;
      route.fulfill({ status: 406, contentType: 'application/json', body: '{"error":"no reduced frame here"}' });
    });
    await openSession(page, hub.base, session);
    check(refused >= 1, `the reduced frames were asked for (${refused})`);
    check((await resolutions(page)).every((r) => r === 'full'), `without reduced frames, full resolution at once: ${await resolutions(page)}`);
    check((await page.textContent('.errors')).trim() === '', 'no error shown to the reader');
    check(problems.length === 0, `no console or page error but the 406: ${problems.join('; ')}`);
    await context.close();
  }

  // 3. Full frames failing for a moment (a link's hiccup): the console's fetch and the loader's
  // own request both fail, the next try a second later succeeds; every view at full resolution.
  {
    const context = await launchBrowser();
    const page = await context.newPage();
    const tries = new Map();
    await page.route(FULL_FRAME, (route) => {
      const url = route.request().url();
      tries.set(url, (tries.get(url) ?? 0) + 1);
      if (tries.get(url) > 2) return route.continue();
      return route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"hub busy"}' });
    });
    await openSession(page, hub.base, session);
    await page.waitForFunction(() => [...document.querySelectorAll('.viewer .vp-cell[data-cell^="cur-"]')].every((c) => c.dataset.resolution === 'full'), null, { timeout: 60000 });
    // (The prior's frames, prefetched after the views, may be at any try by then.)
    const counts = [...tries.values()];
    check(counts.filter((n) => n >= 3).length >= 4, `the 4 views' full frames failed twice and came on a later try (requests per frame: ${counts.join(', ')})`);
    await context.close();
  }

  // 4. A full frame that cannot come: the view stays at screen resolution and says so.
  {
    const context = await launchBrowser();
    const page = await context.newPage();
    await page.route(FULL_FRAME, (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"hub busy"}' }));
    await openSession(page, hub.base, session);
    await page.waitForFunction(() => [...document.querySelectorAll('.viewer .vp-cell[data-cell^="cur-"]')].every((c) => c.dataset.resolution === 'failed'), null, { timeout: 60000 });
    check(await page.locator('.viewer [data-cell="cur-LCC"] .vp-resolution.failed').isVisible(), 'the warning is shown');
    check((await page.textContent('.viewer [data-cell="cur-LCC"] .vp-resolution.failed')).includes('ne pas agrandir'), 'the warning tells the reader not to zoom');
    await screenshot(page, 'l2-console-full-resolution-failed');
    // No verdict on images not seen at full resolution: the exam stays, the reader is told.
    const exam = await page.getAttribute('.console', 'data-exam');
    await page.keyboard.press('n');
    await page.waitForSelector('#toast.show.error', { timeout: 5000 });
    check((await page.textContent('#toast')).includes('pleine résolution'), 'the reader is told why she cannot sign');
    await page.waitForTimeout(500);
    check((await page.getAttribute('.console', 'data-exam')) === exam, 'the exam stays on screen');
    const wf = await api(hub.base, 'GET', `/api/exams/${exam}/workflow`);
    check(!['negative_result', 'result_sent'].includes(wf.state), `nothing signed (${wf.state})`);
    await context.close();
  }
  // 5. A full-size mammogram shared by link, on a phone: the screen's resolution first (a few
  // hundred kilobytes), the whole file on demand.
  {
    const wf = await api(hub.base, 'GET', `/api/exams/${examIds[0]}/workflow`);
    const link = await api(hub.base, 'POST', `/api/exams/${examIds[0]}/share-links`, { valid_hours: 1 });
    check(link.url && wf, `share link ${link.url}`);
    const context = await launchBrowser({ phone: true });
    const page = await context.newPage();
    const problems = [];
    watch(page, problems);
    const bytes = { reduced: 0, file: 0 };
    page.on('response', (r) => {
      const n = Number(r.headers()['content-length'] ?? 0);
      if (/\/reduced\?viewport=/.test(r.url())) bytes.reduced += n;
      else if (/\/instances\/[0-9.]+$/.test(r.url())) bytes.file += n;
    });
    await page.goto(`${hub.base}${link.url}`);
    await page.click('a.image-link[data-view="LCC"]');
    await page.waitForSelector('.single-viewer .vp-element[data-rendered]', { timeout: 60000 });
    const factor = Number(await page.getAttribute('.single-viewer .vp-element', 'data-factor'));
    check(factor >= 2, `shown at the phone's resolution (factor ${factor})`);
    check(bytes.reduced > 0 && bytes.reduced < 3 * 1024 * 1024 && bytes.file === 0, `only the reduced frame came: ${JSON.stringify(bytes)}`);
    const singleMean = () =>
      page.evaluate(() => {
        const c = document.querySelector('.single-viewer canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 16) sum += d[i];
        return sum / (d.length / 16);
      });
    const screenMean = await singleMean();
    check(screenMean > 5, `the image at screen resolution is not blank (mean ${screenMean.toFixed(1)})`);
    check(await page.getByRole('button', { name: 'Pleine résolution' }).isVisible(), 'the full-resolution button is offered');
    await screenshot(page, 'portal-share-image-screen-resolution');
    await page.getByRole('button', { name: 'Pleine résolution' }).click();
    await page.waitForFunction(() => document.querySelector('.image-page .hint[aria-live]')?.textContent === 'Image affichée en pleine résolution.', null, { timeout: 60000 });
    check((await page.getAttribute('.single-viewer .vp-element', 'data-factor')) === '1', 'now at full resolution');
    check(bytes.file > 10 * 1024 * 1024, `then the whole file (${bytes.file} bytes)`);
    const fullMean = await singleMean();
    check(Math.abs(fullMean - screenMean) < 5, `the same picture at full resolution (mean ${screenMean.toFixed(1)} then ${fullMean.toFixed(1)})`);
    check(!(await page.getByRole('button', { name: 'Pleine résolution' }).isVisible()), 'the button is gone');
    check(problems.length === 0, `no console or page error: ${problems.join('; ')}`);
    await context.close();
  }
  log(`screen resolution first, then full: ${examIds.length} exams`);
});
