// Shared helpers of the browser end-to-end tests: a real hub started with --open on free
// loopback ports, synthetic studies sent with DCMTK storescu, L1 forms filled and signed through
// the REST API, sessions dealt, and Debian's Chromium driven by playwright-core (never a
// downloaded browser). Every process started here is stopped by cleanup(), even on failure.

import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SOURCE_DIR = process.env.DUALREAD_SOURCE_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const BIN = process.env.DUALREAD_BIN || path.join(SOURCE_DIR, 'build/dualread');
export const ARTIFACTS = process.env.DUALREAD_E2E_ARTIFACTS || path.join(SOURCE_DIR, 'build/e2e-artifacts');
export const CHROMIUM = process.env.DUALREAD_CHROMIUM || '/usr/bin/chromium';
export const L2_RPPS = '10000000002';
export const L1_RPPS = '10000000001';

const require = createRequire(path.join(SOURCE_DIR, 'ui/package.json'));
const { chromium } = require('playwright-core');

const cleanups = [];
export async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch {
      /* keep cleaning */
    }
  }
}

export function tmpDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (!process.env.KEEP_TMP) cleanups.unshift(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function log(...a) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
}

export function check(cond, message) {
  if (!cond) throw new Error(`FAILED: ${message}`);
}

export async function startHub(dir, { sessionSize = 100, staticDir } = {}) {
  const http = await freePort();
  const dicom = await freePort();
  const cfg = path.join(dir, 'hub.toml');
  fs.writeFileSync(
    cfg,
    [
      '[hub]',
      staticDir ? `static_dir = ${JSON.stringify(staticDir)}` : '',
      '[programme]',
      `l2_session_size = ${sessionSize}`,
      '[[l2_reader]]',
      `rpps = "${L2_RPPS}"`,
      'name = "Dr Seconde Lecture"',
      'cim_ids = []',
      '',
    ].join('\n'),
  );
  const logFile = fs.openSync(path.join(dir, 'hub.log'), 'a');
  const proc = spawn(BIN, ['--log-level', 'warn', 'hub', '--config', cfg, '--data', path.join(dir, 'data'), '--http-port', String(http), '--dicom-port', String(dicom), '--open'], { stdio: ['ignore', logFile, logFile] });
  let exited = null;
  proc.on('exit', (code) => (exited = code));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        if (exited !== null) return resolve();
        proc.once('exit', resolve);
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 20000).unref();
      }),
  );
  const base = `http://127.0.0.1:${http}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    if (exited !== null) throw new Error(`hub exited (${exited}):\n${fs.readFileSync(path.join(dir, 'hub.log'), 'utf8').slice(-4000)}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error('hub did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, http, dicom, dir };
}

export async function api(base, method, p, body) {
  const r = await fetch(base + p, {
    method,
    headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

export function synth(out, women, { rounds = 2, size = 'small', seed = 7 } = {}) {
  execFileSync(BIN, ['--log-level', 'warn', 'synth', '--out', out, '--women', String(women), '--rounds', String(rounds), '--seed', String(seed), '--size', size], { stdio: 'inherit' });
}

export function storescu(port, dir) {
  execFileSync('storescu', ['-aet', 'E2ESCU', '-aec', 'DUALREAD', '+sd', '+r', '-nh', '127.0.0.1', String(port), dir], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 26 });
}

const iso = (d) => (/^\d{8}$/.test(d || '') ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : null);

// A negative L1 form for the exam, with the identity the images carry.
export function l1Form(exam) {
  const [birth = '', first = ''] = (exam.patient?.name || '').split('^');
  const assessment = () => ({ birads: 1, findings: [] });
  return {
    format_version: 1,
    identification: {
      ins: '',
      screening_number: `SN-${exam.study_uid.slice(-8)}`,
      birth_name: birth,
      first_names: first || 'Anne',
      birth_date: iso(exam.patient?.birth_date),
      cim_id: exam.patient?.issuer || '',
      mammogram_date: iso(exam.study_date),
      l1_radiologist: { rpps: L1_RPPS, name: 'Dr Première Lecture' },
      technologist: 'MERM',
    },
    clinical: {
      history: { benign_surgery: false, breast_reduction: false, prosthesis: false, previous_biopsy: false, personal_breast_cancer: false },
      family_history: { breast_cancer: false, ovarian_cancer: false, closest_degree: null },
      hormone_therapy: false,
      menopause: 'postmenopausal',
      symptoms: [],
      exam: { right: { result: 'normal' }, left: { result: 'normal' } },
    },
    mammography: { view_count: 4, extra_views: false, density: 'B', right: assessment(), left: assessment() },
    bdi: { done: false, extra_views: false, ultrasound: false, needle_procedure: false, after: { right: { birads: null, findings: [] }, left: { birads: null, findings: [] } } },
    conclusion: { result: 'negative', management: 'none', comment: '' },
    signature: { signed: false, signed_at: null },
  };
}

// Fills and signs the L1 form of every woman's latest mammography exam whose images are
// complete (at most `limit`); returns their ids. Exams held for identity review (the synthetic
// data has women whose name changed between rounds) stay with the secretariat.
export async function signLatestExams(base, limit = Infinity) {
  const { items } = await api(base, 'GET', '/api/exams?limit=1000');
  const latest = new Map();
  for (const e of items) {
    if (!(e.modalities || 'MG').includes('MG')) continue;
    const key = e.patient?.woman_id ?? `${e.patient?.issuer}/${e.patient?.patient_id}`;
    const cur = latest.get(key);
    if (!cur || (e.study_date || '') > (cur.study_date || '')) latest.set(key, e);
  }
  // Only the latest round: an older exam left as a woman's latest (her newer one held for
  // identity review) would be read without its prior.
  const lastYear = items.reduce((m, e) => ((e.study_date || '') > m ? e.study_date : m), '').slice(0, 4);
  const ids = [];
  for (const e of latest.values()) {
    if (!(e.study_date || '').startsWith(lastYear)) continue;
    if (e.status !== 'complete' || ids.length >= limit) continue;
    const exam = await api(base, 'GET', `/api/exams/${e.study_uid}`);
    await api(base, 'PUT', `/api/exams/${e.study_uid}/l1-form`, l1Form(exam));
    await api(base, 'POST', `/api/exams/${e.study_uid}/l1-form/sign`, { signer: { name: 'Dr Première Lecture', rpps: L1_RPPS } });
    ids.push(e.study_uid);
  }
  // The workflow follows ingest on its own thread: an exam whose last images are still being
  // assessed is dispatched as soon as they are.
  const deadline = Date.now() + 60000;
  for (const id of ids) {
    for (;;) {
      const wf = await api(base, 'GET', `/api/exams/${id}/workflow`);
      if (wf.state === 'awaiting_l2') break;
      check(Date.now() < deadline, `exam ${id} should await L2 after signing, is ${wf.state}: ${JSON.stringify(wf.missing)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return ids;
}

const contexts = [];

export async function launchBrowser() {
  const profile = tmpDir('dualread-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    viewport: { width: 1600, height: 1000 },
    locale: 'fr-FR',
  });
  cleanups.push(() => context.close());
  contexts.push(context);
  return context;
}

// The portal's list of a woman's documents is not in the hub yet: it answers 404 and the app says
// so in words; the browser still logs the 404 as a console error.
const NOT_YET = ['/api/portal/documents'];
// Refusals the tests provoke on purpose (a wrong portal code): the browser logs them too.
const EXPECTED_REFUSALS = [['/api/portal/login', 401]];

// Records console errors and uncaught page errors; `problems` must stay empty.
export function watch(page, problems) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url || '';
    const path = url.split('?')[0];
    if (/status of 404/.test(msg.text()) && NOT_YET.some((p) => path.endsWith(p))) return;
    if (EXPECTED_REFUSALS.some(([p, st]) => path.endsWith(p) && msg.text().includes(`status of ${st}`)))
      return;
    problems.push(`console: ${msg.text()} (${url})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

// Brightness of the leftmost and rightmost tenth of a viewport's canvas, to check which side
// the chest wall (the dense side of a mammogram) is on, and that the image is not blank.
export async function edgeBrightness(page, cellId) {
  return page.evaluate((id) => {
    const canvas = document.querySelector(`[data-cell="${id}"] canvas`);
    if (!canvas) return null;
    const ctx = canvas.getContext('2d');
    const { width, height } = canvas;
    const data = ctx.getImageData(0, 0, width, height).data;
    const band = Math.max(1, Math.floor(width / 10));
    let left = 0;
    let right = 0;
    let all = 0;
    let n = 0;
    for (let y = 0; y < height; y += 2) {
      for (let x = 0; x < width; x += 1) {
        const v = data[(y * width + x) * 4];
        all += v;
        n++;
        if (x < band) left += v;
        else if (x >= width - band) right += v;
      }
    }
    const per = (height / 2) * band;
    return { left: left / per, right: right / per, mean: all / n, width, height };
  }, cellId);
}

export async function run(main) {
  const t0 = Date.now();
  try {
    await main();
    log(`passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await cleanup();
    console.log('1 passed, 0 failed');
    process.exit(0);
  } catch (e) {
    console.error(e && e.stack ? e.stack : e);
    // What the page showed when it failed, next to the other screenshots.
    for (const [i, page] of contexts.flatMap((c) => c.pages()).entries()) {
      try {
        console.error(`failure screenshot: ${await screenshot(page, `failure-${path.basename(process.argv[1], '.mjs')}-${i}`)}`);
      } catch {
        /* page gone */
      }
    }
    await cleanup();
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
