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

// Imports a pure module of the web app (no DOM, no Cornerstone) from its TypeScript source,
// `rel` under ui/src (e.g. "viewer/multipart.ts"), through esbuild into `dir`.
export async function importUiModule(rel, dir) {
  const esbuild = require('esbuild');
  const src = fs.readFileSync(path.join(SOURCE_DIR, 'ui/src', rel), 'utf8');
  const { code } = await esbuild.transform(src, { loader: 'ts', format: 'esm' });
  const file = path.join(dir, path.basename(rel).replace(/\.ts$/, '.mjs'));
  fs.writeFileSync(file, code);
  return import(file);
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

// `open`: the hub runs --open (no credentials). Otherwise access control is on: create the
// accounts with addUser() before, and call the APIs with a session from apiLogin().
// `config`: more TOML appended to the hub's configuration.
// `programme`: more [programme] rules, e.g. {follow_up_reminder_days: 0}.
// `staticDir` (or DUALREAD_STATIC_DIR): another build of the web app, e.g. to compare two builds
// in the viewer bench.
export async function startHub(dir, { sessionSize = 100, staticDir = process.env.DUALREAD_STATIC_DIR, open = true, config = '', programme = {} } = {}) {
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
      ...Object.entries(programme).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
      '[[l2_reader]]',
      `rpps = "${L2_RPPS}"`,
      'name = "Dr Seconde Lecture"',
      'cim_ids = []',
      // storescu's calling AE title: without --open only configured peers may store.
      '[[dicom_peer]]',
      'aet = "E2ESCU"',
      'services = ["store"]',
      config,
      '',
    ].join('\n'),
  );
  const logFile = fs.openSync(path.join(dir, 'hub.log'), 'a');
  const args = ['--log-level', process.env.DUALREAD_LOG_LEVEL || 'warn', 'hub', '--config', cfg, '--data', path.join(dir, 'data'), '--http-port', String(http), '--dicom-port', String(dicom)];
  if (open) args.push('--open');
  const proc = spawn(BIN, args, { stdio: ['ignore', logFile, logFile] });
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

export const PASSWORD = 'e2e-correct-horse-battery';

// Creates an account in the hub's data directory with the real command (password on stdin).
export function addUser(dir, { login, role, cims = [], rpps, name }) {
  const args = ['--log-level', 'warn', 'admin', 'add-user', '--data', path.join(dir, 'data'), '--login', login, '--role', role, '--password-stdin'];
  for (const c of cims) args.push('--cim', c);
  if (rpps) args.push('--rpps', rpps);
  if (name) args.push('--name', name);
  execFileSync(BIN, args, { input: `${PASSWORD}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
}

// A session of `login` for API calls: {login, cookie, csrf}.
export async function apiLogin(base, login, password = PASSWORD) {
  const r = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ login, password }) });
  const text = await r.text();
  if (!r.ok) throw new Error(`login ${login}: ${r.status} ${text.slice(0, 300)}`);
  const cookie = (r.headers.getSetCookie?.() ?? [r.headers.get('set-cookie')]).map((c) => c.split(';')[0]).join('; ');
  return { login, cookie, csrf: JSON.parse(text).csrf_token };
}

function authHeaders(session, method) {
  if (!session) return {};
  const h = { Cookie: session.cookie };
  if (method !== 'GET' && method !== 'HEAD') h['X-CSRF-Token'] = session.csrf;
  return h;
}

// A raw request (any body, any Accept) with an optional session; returns the Response.
export async function request(base, method, p, { body, headers = {}, session } = {}) {
  return fetch(base + p, { method, headers: { ...authHeaders(session, method), ...headers }, body });
}

// A JSON call; `session` from apiLogin() when the hub is not --open.
export async function api(base, method, p, body, session) {
  const r = await fetch(base + p, {
    method,
    headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...authHeaders(session, method) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}${session ? ` as ${session.login}` : ''}: ${r.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

// Text of a PDF (poppler's pdftotext), spaces normalised.
export function pdfText(bytes) {
  const dir = tmpDir('dualread-pdf-');
  const file = path.join(dir, 'x.pdf');
  fs.writeFileSync(file, bytes);
  return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().split(/\s+/).join(' ');
}

// `faults`: e.g. "identity-typo" with `faultRate` (share of studies given each fault).
export function synth(out, women, { rounds = 2, size = 'small', seed = 7, faults, faultRate } = {}) {
  const args = ['--log-level', 'warn', 'synth', '--out', out, '--women', String(women), '--rounds', String(rounds), '--seed', String(seed), '--size', size];
  if (faults) args.push('--faults', faults, '--fault-rate', String(faultRate ?? 0.2));
  execFileSync(BIN, args, { stdio: 'inherit' });
}

export function storescu(port, dir) {
  execFileSync('storescu', ['-aet', 'E2ESCU', '-aec', 'DUALREAD', '+sd', '+r', '-nh', '127.0.0.1', String(port), dir], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 26 });
}

const iso = (d) => (/^\d{8}$/.test(d || '') ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : null);

// An L1 form for the exam, with the identity the images carry: negative, or positive after the
// immediate work-up (a mass, ACR 4, biopsy advised).
export function l1Form(exam, { positive = false } = {}) {
  const [birth = '', first = ''] = (exam.patient?.name || '').split('^');
  const mass = { type: 'mass', side: 'right', location: { quadrant: 'upper_outer', clock_hour: 10, depth: null }, size_mm: 12, description: '' };
  const assessment = (right) => (right && positive ? { birads: 4, findings: [mass] } : { birads: 1, findings: [] });
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
    mammography: { view_count: 4, extra_views: false, density: 'B', right: assessment(true), left: assessment(false) },
    bdi: positive
      ? { done: true, extra_views: false, ultrasound: true, ultrasound_result: 'masse irrégulière', needle_procedure: false, after: { right: assessment(true), left: assessment(false) } }
      : { done: false, extra_views: false, ultrasound: false, needle_procedure: false, after: { right: { birads: null, findings: [] }, left: { birads: null, findings: [] } } },
    conclusion: positive ? { result: 'positive', management: 'biopsy', comment: '' } : { result: 'negative', management: 'none', comment: '' },
    signature: { signed: false, signed_at: null },
  };
}

// Fills and signs the L1 form of every woman's latest mammography exam whose images are
// complete (at most `limit`); returns their ids. Exams held for identity review (the synthetic
// data has women whose name changed between rounds) stay with the secretariat. With access
// control: `lister` lists the exams (coordinator, secretary), `l1` fills and signs (an L1
// radiologist of every CIM, RPPS L1_RPPS); `positive(i)` makes the i-th exam L1-positive.
export async function signLatestExams(base, limit = Infinity, { lister, l1, positive = () => false } = {}) {
  const { items } = await api(base, 'GET', '/api/exams?limit=1000', undefined, lister);
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
  const positives = new Set();
  for (const e of latest.values()) {
    if (!(e.study_date || '').startsWith(lastYear)) continue;
    if (e.status !== 'complete' || ids.length >= limit) continue;
    const exam = await api(base, 'GET', `/api/exams/${e.study_uid}`, undefined, l1);
    const pos = Boolean(positive(ids.length));
    await api(base, 'PUT', `/api/exams/${e.study_uid}/l1-form`, l1Form(exam, { positive: pos }), l1);
    await api(base, 'POST', `/api/exams/${e.study_uid}/l1-form/sign`, { signer: { name: 'Dr Première Lecture', rpps: L1_RPPS } }, l1);
    ids.push(e.study_uid);
    if (pos) positives.add(e.study_uid);
  }
  // The workflow follows ingest on its own thread: an exam whose last images are still being
  // assessed is dispatched as soon as they are.
  const deadline = Date.now() + 60000;
  for (const id of ids) {
    for (;;) {
      const wf = await api(base, 'GET', `/api/exams/${id}/workflow`, undefined, lister);
      if (wf.state === (positives.has(id) ? 'l1_positive' : 'awaiting_l2')) break;
      check(Date.now() < deadline, `exam ${id} should move on after signing, is ${wf.state}: ${JSON.stringify(wf.missing)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return ids;
}

const contexts = [];

// A fresh browser profile (its own cookies). `phone`: a 390 px wide touch screen.
export async function launchBrowser({ phone = false, viewport = { width: 1600, height: 1000 } } = {}) {
  const profile = tmpDir('dualread-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    viewport: phone ? { width: 390, height: 844 } : viewport,
    ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    locale: 'fr-FR',
    acceptDownloads: true,
  });
  cleanups.push(() => context.close());
  contexts.push(context);
  return context;
}

// APIs the app calls that the hub does not have yet (it answers 404 and the app says so in
// words; the browser still logs the 404 as a console error): none any more.
const NOT_YET = [];
// Refusals the tests provoke on purpose (a wrong portal code or birth date), and the app asking
// who is signed in on a page opened without a session (the portal's sign-in, a share link):
// the browser logs them too.
const EXPECTED_REFUSALS = [
  ['/api/portal/login', 401],
  ['/api/auth/me', 401],
];

// Records console errors and uncaught page errors; `problems` must stay empty. `expected`: more
// [path, status] refusals the test provokes on purpose.
export function watch(page, problems, expected = []) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url || '';
    const path = url.split('?')[0];
    if (/status of 404/.test(msg.text()) && NOT_YET.some((p) => path.endsWith(p))) return;
    if ([...EXPECTED_REFUSALS, ...expected].some(([p, st]) => path.endsWith(p) && msg.text().includes(`status of ${st}`)))
      return;
    problems.push(`console: ${msg.text()} (${url})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
}

export async function screenshot(page, name, { fullPage = false } = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

// The bytes of the download that `action` (a click) starts.
export async function download(page, action) {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), action()]);
  const file = await d.path();
  return { name: d.suggestedFilename(), bytes: fs.readFileSync(file) };
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

// The accounts of a centre, created with `dualread admin add-user` before the hub starts.
export const ACCOUNTS = {
  coord: { role: 'coordinator', name: 'Dr Coordinatrice' },
  sec: { role: 'secretary', name: 'Secrétariat' },
  'radio.l2': { role: 'l2_radiologist', rpps: L2_RPPS, name: 'Dr Seconde Lecture' },
  admin: { role: 'administrator', name: 'Informatique' },
};

// One screening round through the real flows with access control on: accounts created with the
// real command (an L1 radiologist of every CIM, RPPS L1_RPPS), `dualread synth` data, the
// invitation file imported, the studies stored with storescu, L1 forms signed (`positive(i)`:
// L1-positive), sessions dealt by the secretariat and read over the API by the L2 radiologist
// (`l2Positive(i)`: a recall; the last `l2Unread` exams of each session left unread).
// `users`: more accounts {login: {role, rpps, cims}}.
// Returns {hub, manifest, sessions: {login: session}, signed, synthDir}.
export async function prepareRound(dir, { women = 4, rounds = 1, seed = 7, faults, faultRate, positive = () => false, l2Positive = () => false, l2Unread = 0, users = {}, config = '', programme = {}, staticDir = path.join(SOURCE_DIR, 'ui/dist') } = {}) {
  const synthDir = path.join(dir, 'synth');
  synth(synthDir, women, { rounds, seed, faults, faultRate });
  const manifest = JSON.parse(fs.readFileSync(path.join(synthDir, 'manifest.json'), 'utf8'));
  const cims = manifest.cims.map((c) => c.id);
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const all = { ...ACCOUNTS, 'radio.l1': { role: 'l1_radiologist', rpps: L1_RPPS, cims, name: 'Dr Première Lecture' }, ...users };
  for (const [login, u] of Object.entries(all)) addUser(dir, { login, ...u });
  const letters = [
    '[letters]',
    'crcdc_name = "CRCDC Auvergne-Rhône-Alpes"',
    'crcdc_address_lines = ["14 rue de l\'Épée"]',
    'crcdc_postal_code = "69003"',
    'crcdc_city = "Lyon"',
    ...manifest.cims.flatMap((c) => ['[[cim]]', `id = "${c.id}"`, `name = ${JSON.stringify(c.name)}`, 'address_lines = ["10 rue de la Radiologie"]', 'postal_code = "69001"', 'city = "Lyon"']),
  ].join('\n');
  const hub = await startHub(dir, { staticDir, open: false, programme, config: `${config}\n${letters}` });
  const sessions = { coord: await apiLogin(hub.base, 'coord'), sec: await apiLogin(hub.base, 'sec'), l1: await apiLogin(hub.base, 'radio.l1'), l2: await apiLogin(hub.base, 'radio.l2') };
  const { coord, sec, l1, l2 } = sessions;
  const csv = fs.readFileSync(path.join(synthDir, 'invitations.csv'));
  const imp = await request(hub.base, 'POST', '/api/register/import?file_name=invitations.csv', { body: csv, headers: { 'Content-Type': 'text/csv', Accept: 'application/json' }, session: coord });
  check(imp.ok, `invitation file imported: ${imp.status} ${await imp.text()}`);
  storescu(hub.dicom, path.join(synthDir, 'studies'));
  // Every study archived and assessed before the forms are signed.
  const deadline = Date.now() + 30000;
  for (;;) {
    const { items } = await api(hub.base, 'GET', '/api/exams?limit=1000', undefined, coord);
    if (items.length >= manifest.studies.length) break;
    check(Date.now() < deadline, `${items.length} of ${manifest.studies.length} studies archived`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const signed = await signLatestExams(hub.base, Infinity, { lister: coord, l1, positive });
  const dealt = await api(hub.base, 'POST', '/api/sessions/deal', {}, sec);
  let i = 0;
  for (const s of dealt.sessions) {
    for (let n = 0; n < (s.size ?? Infinity) - l2Unread; n++) {
      const next = await api(hub.base, 'GET', `/api/sessions/${s.id}/next`, undefined, l2);
      if (next.done) break;
      const pos = l2Positive(i++);
      const left = pos
        ? { birads: 4, findings: [{ type: 'architectural_distortion', side: 'left', location: { quadrant: 'upper_outer', clock_hour: 1, depth: null }, size_mm: 9, description: '' }] }
        : { birads: 1, findings: [] };
      await api(hub.base, 'POST', `/api/sessions/${s.id}/readings`, { reader: { rpps: L2_RPPS, name: 'Dr Seconde Lecture' }, right: { birads: 1, findings: [] }, left, density: null, cti: [], comment: '', signed: true }, l2);
    }
  }
  log(`round ready: ${manifest.studies.length} studies, ${signed.length} signed, ${i} read in L2`);
  return { hub, manifest, sessions, signed, synthDir };
}

// The invitation file's rows by INS (the register: GP, birth date...).
export function invitationRows(synthDir) {
  const [head, ...lines] = fs.readFileSync(path.join(synthDir, 'invitations.csv'), 'utf8').trim().split('\n');
  const cols = head.split(';');
  return new Map(lines.map((l) => {
    const v = l.split(';');
    return [v[0], Object.fromEntries(cols.map((c, i) => [c, v[i]]))];
  }));
}

// Logs in through the staff sign-in page.
export async function staffLogin(page, base, login) {
  await page.goto(`${base}/connexion`);
  await page.fill('#login', login);
  await page.fill('#password', PASSWORD);
  await page.click('form button[type="submit"]');
  await page.waitForSelector('#topbar nav');
}
