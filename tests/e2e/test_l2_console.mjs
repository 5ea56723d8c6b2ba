// L2 reading console, main path, in Debian's Chromium: a session of the latest exams of 4 women
// with priors. Checks the hanging (4 current views rendered, chest walls meeting in the
// middle: right breast dense side on the right of its cell, left breast on the left), the L1
// form shown with the images, a negative (N), a positive with a finding (P), a CTI (C), the
// workflow states the hub ends in, the end-of-session summary, the prior comparison, and the
// secretariat, CIM and portal pages — with no console error and no page error at all.
import path from 'node:path';
import { run, tmpDir, startHub, synth, storescu, signLatestExams, api, launchBrowser, watch, screenshot, edgeBrightness, check, log, SOURCE_DIR, L2_RPPS } from './lib.mjs';

run(async () => {
  const dir = tmpDir('dualread-e2e-l2-');
  const hub = await startHub(dir, { staticDir: path.join(SOURCE_DIR, 'ui/dist') });
  synth(path.join(dir, 'synth'), 5, { rounds: 2 });
  storescu(hub.dicom, path.join(dir, 'synth/studies'));
  const examIds = await signLatestExams(hub.base);
  check(examIds.length >= 3, `at least 3 exams signed, got ${examIds.length}`);
  const dealt = await api(hub.base, 'POST', '/api/sessions/deal', {});
  check(dealt.sessions.length === 1, `one session dealt: ${JSON.stringify(dealt)}`);
  const session = dealt.sessions[0].id;
  log(`session ${session} with ${dealt.sessions[0].size} exams`);

  const context = await launchBrowser();
  const page = await context.newPage();
  const problems = [];
  watch(page, problems);

  await page.goto(`${hub.base}/lecture`);
  await page.getByRole('link', { name: 'Lire' }).first().click();
  await page.waitForSelector('.console[data-state="ready"]', { timeout: 60000 });
  // The L1 form and the images are on screen together.
  check(await page.locator('#l1-title').isVisible(), 'L1 form visible with the images');
  for (const v of ['RCC', 'LCC', 'RMLO', 'LMLO']) {
    const rendered = await page.getAttribute(`[data-cell="cur-${v}"] .vp-element`, 'data-rendered');
    check(rendered && rendered.includes('/frames/1'), `${v} rendered`);
  }
  await screenshot(page, 'l2-console-current');
  for (const v of ['RCC', 'RMLO']) {
    const b = await edgeBrightness(page, `cur-${v}`);
    check(b && b.mean > 5, `${v} is not blank (${JSON.stringify(b)})`);
    check(b.right > b.left, `${v}: right breast, chest wall on the right of its cell (${JSON.stringify(b)})`);
  }
  for (const v of ['LCC', 'LMLO']) {
    const b = await edgeBrightness(page, `cur-${v}`);
    check(b && b.mean > 5, `${v} is not blank`);
    check(b.left > b.right, `${v}: left breast, chest wall on the left of its cell (${JSON.stringify(b)})`);
  }

  // Prior comparison and back.
  await page.keyboard.press('a');
  await page.waitForSelector('[data-cell="pri-RCC"] .vp-element[data-rendered]', { timeout: 30000 });
  await screenshot(page, 'l2-console-compare');
  const pb = await edgeBrightness(page, 'pri-LCC');
  check(pb && pb.left > pb.right, 'prior LCC chest wall on the left');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.viewer[data-layout="current"]');
  await page.keyboard.press('i');
  await page.keyboard.press('t');
  await screenshot(page, 'l2-console-invert-1to1');
  await page.keyboard.press('i');
  await page.keyboard.press('f');

  // 1: negative.
  const first = await page.getAttribute('.console', 'data-exam');
  await page.keyboard.press('n');
  await page.waitForFunction((id) => document.querySelector('.console')?.dataset.exam !== id && document.querySelector('.console')?.dataset.state === 'ready', first);
  const wf1 = await api(hub.base, 'GET', `/api/exams/${first}/workflow`);
  check(wf1.state === 'negative_result', `first exam negative_result, is ${wf1.state}`);

  // 2: positive with a finding, keyboard only.
  const second = await page.getAttribute('.console', 'data-exam');
  await page.keyboard.press('p');
  await page.waitForSelector('dialog.modal[open]');
  await page.selectOption('dialog select[name="side"]', 'left');
  await page.selectOption('dialog select[name="type"]', 'mass');
  await page.selectOption('dialog select[name="quadrant"]', 'upper_outer');
  await page.fill('dialog input[name="size"]', '12');
  await screenshot(page, 'l2-console-finding');
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => document.querySelector('.console')?.dataset.exam !== id && document.querySelector('.console')?.dataset.state === 'ready', second);
  const wf2 = await api(hub.base, 'GET', `/api/exams/${second}/workflow`);
  check(wf2.state === 'recall_bdd', `positive exam recalled (recall_bdd), is ${wf2.state}`);

  // 3: CTI on the RMLO for motion blur.
  const third = await page.getAttribute('.console', 'data-exam');
  await page.keyboard.press('c');
  await page.waitForSelector('dialog.modal[open]');
  await page.selectOption('dialog select[name="view"]', 'RMLO');
  await page.selectOption('dialog select[name="reason"]', 'motion_blur');
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => document.querySelector('.console')?.dataset.exam !== id && document.querySelector('.console')?.dataset.state === 'ready', third);
  const wf3 = await api(hub.base, 'GET', `/api/exams/${third}/workflow`);
  check(wf3.state === 'cti_requested', `CTI exam cti_requested, is ${wf3.state}`);

  // The rest: negative, until the summary.
  for (let i = 3; i < examIds.length; i++) {
    const id = await page.getAttribute('.console', 'data-exam');
    await page.keyboard.press('n');
    await page.waitForFunction((x) => document.querySelector('.summary') || (document.querySelector('.console')?.dataset.exam !== x && document.querySelector('.console')?.dataset.state === 'ready'), id);
  }
  await page.waitForSelector('.summary', { timeout: 30000 });
  await screenshot(page, 'l2-session-summary');
  const summary = await api(hub.base, 'GET', `/api/sessions/${session}/summary`);
  check(summary.reads === examIds.length && summary.positives === 1 && summary.ctis === 1, `summary: ${JSON.stringify(summary)}`);
  check((await page.textContent('.summary')).includes(second), 'the discordant exam is listed in the summary');

  // Secretariat, CIM and portal pages render from the same hub.
  await page.goto(`${hub.base}/secretariat/arrivees`);
  await page.waitForSelector('table.data');
  await screenshot(page, 'secretariat-arrivals');
  await page.goto(`${hub.base}/secretariat/cti`);
  await page.waitForSelector('table.data');
  check((await page.textContent('table.data')).includes(third), 'CTI tracking lists the CTI exam');
  await screenshot(page, 'secretariat-cti');
  await page.goto(`${hub.base}/secretariat/examen?etude=${second}`);
  await page.waitForSelector('#l1-title');
  await screenshot(page, 'secretariat-exam');
  await page.goto(`${hub.base}/secretariat/seances`);
  await page.waitForSelector('table.data');
  await page.goto(`${hub.base}/secretariat/quarantaine`);
  await page.waitForSelector('main h1');
  await page.goto(`${hub.base}/cim/examens`);
  await page.waitForSelector('table.data');
  await screenshot(page, 'cim-exams');
  await page.goto(`${hub.base}/cim/cti`);
  await page.waitForSelector('table.data');
  // CIM: the L1 form of a prior (unsigned) exam on a tablet: inline errors, then signature.
  const { items } = await api(hub.base, 'GET', '/api/exams?limit=1000');
  const unsigned = items.find((e) => !examIds.includes(e.study_uid));
  await page.setViewportSize({ width: 1024, height: 1366 });
  await page.goto(`${hub.base}/cim/fiche?etude=${unsigned.study_uid}`);
  await page.waitForSelector('form.l1-form');
  await page.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  await page.waitForSelector('.field-error');
  await screenshot(page, 'cim-l1-form-errors');
  check((await page.locator('.field-error').count()) > 0, 'missing fields are shown inline');
  // Portal on a phone: the sign-in form refuses a code no letter carries (the full portal path
  // is in test_portal.mjs).
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${hub.base}/portail`);
  await page.fill('#portal-code', 'ABCD-1234');
  await page.fill('#portal-birth', '1960-05-01');
  await page.getByRole('button', { name: 'Accéder à mes documents' }).click();
  await page.waitForSelector('.portal .error:not(:empty)');
  await screenshot(page, 'portal-phone');

  check(problems.length === 0, `no console or page error: ${problems.join('\n')}`);
  log(`session ${session} read with the keyboard; reader ${L2_RPPS}`);
});
