// Viewer bench (issue 4): time from the verdict key to the next exam fully rendered (4 current
// views + the latest prior's 4, and its L1 form) over a 20-exam L2 session with prefetch, and
// the first exam cold (from navigation start), with full-size synthetic images on loopback.
// Peer, in the same run: the same first study (current + prior) opened cold by a generic
// Cornerstone3D set-up (default WADO-RS loader, one stack viewport per image: ui/bench.html)
// against Orthanc's DICOMweb plugin; and the same generic page against the hub, to separate
// server from client. Chromium is Debian's; each cold run uses a fresh profile (empty cache).
//
//   node bench/viewer_bench.mjs [--exams 20] [--size full] [--cold-runs 3] [--read-ms 1500]
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpDir, startHub, synth, storescu, signLatestExams, api, freePort, log, check, cleanup, SOURCE_DIR, CHROMIUM } from '../tests/e2e/lib.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const EXAMS = Number(arg('exams', 20));
const SIZE = arg('size', 'full');
const COLD_RUNS = Number(arg('cold-runs', 3));
// How long the automated reader looks at each exam before its verdict key. 1.5 s is far faster
// than any screening read (the prefetch and the out-of-sight render of the next exam compete
// with the key press); a longer value shows the console when they have finished.
const READ_MS = Number(arg('read-ms', 1500));
const require = createRequire(path.join(SOURCE_DIR, 'ui/package.json'));
const { chromium } = require('playwright-core');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const median = (xs) => pct(xs, 0.5);

async function browser(extra = []) {
  const profile = tmpDir('dualread-bench-chromium-');
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...extra], viewport: { width: 1920, height: 1080 } });
  return ctx;
}

async function startOrthanc(dir) {
  const http = await freePort();
  const dicom = await freePort();
  const odir = path.join(dir, 'orthanc');
  fs.mkdirSync(odir, { recursive: true });
  const cfg = { Name: 'peer', StorageDirectory: `${odir}/db`, IndexDirectory: `${odir}/db`, HttpPort: http, DicomPort: dicom, RemoteAccessAllowed: false, AuthenticationEnabled: false, Plugins: ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'], DicomWeb: { Enable: true, Root: '/dicom-web/' } };
  fs.writeFileSync(`${odir}/orthanc.json`, JSON.stringify(cfg));
  const logFd = fs.openSync(`${odir}/orthanc.log`, 'a');
  const proc = spawn('/usr/sbin/Orthanc', [`${odir}/orthanc.json`], { stdio: ['ignore', logFd, logFd] });
  const base = `http://127.0.0.1:${http}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/system`)).ok) return { base, proc };
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error('Orthanc did not start');
}

async function genericCold(url) {
  const ctx = await browser(['--disable-web-security']); // the page (hub origin) reads Orthanc's port
  try {
    const page = await ctx.newPage();
    await page.goto(url);
    await page.waitForFunction(() => window.__bench && (window.__bench.ms || window.__bench.error), null, { timeout: 120000 });
    const r = await page.evaluate(() => window.__bench);
    check(!r.error && r.images === 8, `generic viewer: ${JSON.stringify(r)}`);
    return r.ms;
  } finally {
    await ctx.close();
  }
}

async function main() {
  const dir = tmpDir('dualread-bench-viewer-');
  const hub = await startHub(dir, { sessionSize: EXAMS });
  const t = Date.now();
  synth(path.join(dir, 'synth'), Math.ceil(EXAMS * 1.2), { rounds: 2, size: SIZE, seed: 5 });
  storescu(hub.dicom, path.join(dir, 'synth/studies'));
  await signLatestExams(hub.base, EXAMS);
  const dealt = await api(hub.base, 'POST', '/api/sessions/deal', {});
  const session = dealt.sessions[0];
  log(`data ready in ${((Date.now() - t) / 1000).toFixed(0)} s: session ${session.id} of ${session.size} exams (${SIZE} images)`);
  const first = (await api(hub.base, 'GET', `/api/sessions/${session.id}`)).exams[0].exam_id;
  const wf = await api(hub.base, 'GET', `/api/exams/${first}/workflow`);
  const woman = await api(hub.base, 'GET', `/api/women/${wf.woman_id}/exams`);
  const prior = woman.exams.filter((e) => e.study_uid !== first).sort((a, b) => b.study_date.localeCompare(a.study_date))[0];
  const studies = [first, prior.study_uid];

  // dualread console: the first exam cold in fresh browser profiles (the exam stays the next to
  // read: nothing is signed), then once more at the start of the session read with prefetch.
  // Three moments of the first exam: on screen (4 current views, at screen resolution when
  // their full frames are not there yet), at full resolution, and with the latest prior's 4 views
  // decoded too (A then shows them at once).
  const consoleCold = [];
  const consoleFull = [];
  const consolePriors = [];
  const firstExamTimes = async (p) => {
    await p.waitForFunction(() => window.__dualread && window.__dualread.timings.length > 0 && window.__dualread.timings[0].priorsMs !== undefined, null, { timeout: 120000 });
    const t = await p.evaluate(() => window.__dualread.timings[0]);
    consoleCold.push(t.ms);
    consoleFull.push(t.fullMs);
    consolePriors.push(t.priorsMs);
    return t;
  };
  for (let i = 0; i < COLD_RUNS - 1; i++) {
    const c = await browser();
    const p = await c.newPage();
    await p.goto(`${hub.base}/lecture/seance/${session.id}`);
    await firstExamTimes(p);
    await c.close();
  }
  const ctx = await browser();
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${hub.base}/lecture/seance/${session.id}`);
  const firstTimes = await firstExamTimes(page);
  let prev = '';
  for (let i = 0; i < EXAMS; i++) {
    await page.waitForFunction((p) => {
      const c = document.querySelector('.console');
      return c && c.dataset.state === 'ready' && c.dataset.exam !== p;
    }, prev, { timeout: 120000 });
    prev = await page.getAttribute('.console', 'data-exam');
    const rendered = await page.$$eval('.viewer .vp-element[data-rendered]', (els) => els.length);
    check(rendered === 4, `4 views rendered for exam ${i + 1}`);
    // A reader looks at the images: give the prefetch of the next exams the time a reading takes
    // at the fastest (the bench measures "next shows at once", not a reader racing the network).
    await page.waitForTimeout(READ_MS);
    if (i < EXAMS - 1) await page.keyboard.press('n');
  }
  const stats = await page.evaluate(() => window.__dualread);
  await ctx.close();
  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
  check(firstTimes.screenFirst === 4 || SIZE !== 'full', `the first exam's 4 views were shown at screen resolution first (${firstTimes.screenFirst})`);
  const next = stats.timings.slice(1).map((x) => x.ms);
  const prefetched = stats.timings.slice(1).filter((x) => x.prefetched).length;
  const staged = stats.timings.slice(1).filter((x) => x.staged).length;
  const screenFirst = stats.timings.slice(1).filter((x) => x.screenFirst > 0).length;
  const apiMs = stats.timings.slice(1).map((x) => x.apiMs ?? 0);

  // Peer: the same study (current + prior), cold, generic Cornerstone3D set-up.
  const orthanc = await startOrthanc(dir);
  try {
    for (const uid of studies) {
      for (const f of fs.readdirSync(path.join(dir, 'synth/studies', uid))) {
        const r = await fetch(`${orthanc.base}/instances`, { method: 'POST', body: fs.readFileSync(path.join(dir, 'synth/studies', uid, f)) });
        check(r.ok, `Orthanc stored ${f}`);
      }
    }
    const peerOrthanc = [];
    const peerHub = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      peerOrthanc.push(await genericCold(`${hub.base}/banc/visionneuse-generique?dicomweb=${encodeURIComponent(`${orthanc.base}/dicom-web`)}&studies=${studies.join(',')}`));
      peerHub.push(await genericCold(`${hub.base}/banc/visionneuse-generique?studies=${studies.join(',')}`));
    }
    const fmt = (x) => `${x.toFixed(0)} ms`;
    const lines = [
      `viewer bench, ${new Date().toISOString()}, ${EXAMS}-exam session, ${SIZE} synthetic images, ${READ_MS} ms per reading, loopback, Debian Chromium headless (software rendering)`,
      `dualread console: verdict key -> next exam rendered (4 current views on screen with the L1 form; the latest prior's 4 decoded, shown by A): p50 ${fmt(median(next))}, p95 ${fmt(pct(next, 0.95))}, max ${fmt(Math.max(...next))} over ${next.length} exams (${prefetched} prefetched, ${staged} already rendered out of sight and swapped in, ${screenFirst} shown at screen resolution first; the hub's answer to "next": p50 ${fmt(median(apiMs))})`,
      `per exam (ms): ${next.map((x) => x.toFixed(0)).join(' ')}`,
      `dualread console: first exam cold from navigation start, median of ${consoleCold.length}: 4 current views on screen with the L1 form (at screen resolution) ${fmt(median(consoleCold))} (runs ${consoleCold.map(fmt).join(', ')}); all 4 at full resolution ${fmt(median(consoleFull))} (runs ${consoleFull.map(fmt).join(', ')}); and the latest prior's 4 decoded ${fmt(median(consolePriors))} (runs ${consolePriors.map(fmt).join(', ')})`,
      `peer, generic Cornerstone3D page (default WADO-RS loader) against Orthanc ${'DICOMweb'}: same study cold, median of ${COLD_RUNS}: ${fmt(median(peerOrthanc))} (runs ${peerOrthanc.map(fmt).join(', ')})`,
      `generic Cornerstone3D page against the hub: same study cold, median of ${COLD_RUNS}: ${fmt(median(peerHub))} (runs ${peerHub.map(fmt).join(', ')})`,
      `ratio next-exam p95 (prefetch) / peer cold: ${(pct(next, 0.95) / median(peerOrthanc)).toFixed(3)}; console cold on screen / peer cold: ${(median(consoleCold) / median(peerOrthanc)).toFixed(2)}; console cold with priors at full resolution / peer cold: ${(median(consolePriors) / median(peerOrthanc)).toFixed(2)}`,
    ];
    for (const l of lines) console.log(l);
  } finally {
    orthanc.proc.kill('SIGTERM');
  }
}

main()
  .then(() => cleanup())
  .catch(async (e) => {
    console.error(e);
    await cleanup();
    process.exit(1);
  });
