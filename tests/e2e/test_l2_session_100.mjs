// A full L2 session of 100 exams (each with a prior round) read in Chromium by an automated
// reader pressing N, as a second reader would: every exam must show its 4 views and its L1
// form, the session must end on its summary with 100 negative readings, and the page must log
// no console error and no page error. The decoded-image cache must stay bounded (images of
// exams already read are released). The hub serves the web app from its default place
// (<build>/../ui/dist). Small images keep it under 3 minutes on 2 cores.
import path from 'node:path';
import { run, tmpDir, startHub, synth, storescu, signLatestExams, api, launchBrowser, watch, screenshot, check, log } from './lib.mjs';

const EXAMS = Number(process.env.E2E_SESSION_EXAMS || 100);

run(async () => {
  const dir = tmpDir('dualread-e2e-100-');
  const hub = await startHub(dir, { sessionSize: EXAMS });
  synth(path.join(dir, 'synth'), Math.ceil(EXAMS * 1.2), { rounds: 2, seed: 11 });
  storescu(hub.dicom, path.join(dir, 'synth/studies'));
  const examIds = await signLatestExams(hub.base, EXAMS);
  check(examIds.length === EXAMS, `${EXAMS} exams signed, got ${examIds.length}`);
  const dealt = await api(hub.base, 'POST', '/api/sessions/deal', {});
  check(dealt.sessions.length === 1 && dealt.sessions[0].size === EXAMS, `one session of ${EXAMS}: ${JSON.stringify(dealt.sessions.map((s) => s.size))}`);
  const session = dealt.sessions[0].id;
  log(`data ready, session ${session}`);

  const context = await launchBrowser();
  const page = await context.newPage();
  const problems = [];
  watch(page, problems);
  await page.goto(`${hub.base}/lecture/seance/${session}`);

  const seen = [];
  const t0 = Date.now();
  for (let i = 0; i < EXAMS; i++) {
    await page.waitForFunction((prev) => {
      const c = document.querySelector('.console');
      return c && c.dataset.state === 'ready' && c.dataset.exam !== prev;
    }, seen[seen.length - 1] ?? '', { timeout: 30000 });
    const exam = await page.getAttribute('.console', 'data-exam');
    const rendered = await page.$$eval('.viewer .vp-element[data-rendered]', (els) => els.length);
    check(rendered === 4, `exam ${i + 1} (${exam}): 4 views rendered, got ${rendered}`);
    check(await page.locator('#l1-title').isVisible(), `exam ${i + 1}: L1 form shown with the images`);
    if (i === 0 || i === EXAMS - 1) await screenshot(page, `l2-session-100-exam-${i + 1}`);
    seen.push(exam);
    check(problems.length === 0, `no error up to exam ${i + 1}: ${problems.join('\n')}`);
    await page.keyboard.press('n');
  }
  await page.waitForSelector('.summary', { timeout: 30000 });
  await screenshot(page, 'l2-session-100-summary');
  const elapsed = (Date.now() - t0) / 1000;
  const stats = await page.evaluate(() => window.__dualread);
  const summary = await api(hub.base, 'GET', `/api/sessions/${session}/summary`);
  check(summary.reads === EXAMS && summary.negatives === EXAMS && summary.pending === 0, `summary: ${JSON.stringify(summary)}`);
  check(new Set(seen).size === EXAMS, 'every exam shown once');
  check(stats.errors.length === 0, `console recorded no failure: ${stats.errors.join('\n')}`);
  const maxCache = Math.max(...stats.timings.map((t) => t.cacheBytes));
  const ms = stats.timings.slice(1).map((t) => t.ms).sort((a, b) => a - b);
  log(`${EXAMS} exams read in ${elapsed.toFixed(1)} s; next-exam p50 ${ms[Math.floor(ms.length / 2)].toFixed(0)} ms, p95 ${ms[Math.floor(ms.length * 0.95)].toFixed(0)} ms; max decoded cache ${(maxCache / 1048576).toFixed(1)} MB`);
  // Current + prior of the exam on screen and of the next two: 3 x 8 small images; never the
  // whole session.
  const perExam = stats.timings[0].cacheBytes || 1;
  check(maxCache <= perExam * 6, `decoded-image cache bounded (max ${maxCache} bytes, first exam ${perExam})`);
  check(problems.length === 0, `no console or page error: ${problems.join('\n')}`);
});
