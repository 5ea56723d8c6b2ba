// The portal of women and doctors, in Debian's Chromium, on a hub with access control on: a
// screening round made through the real flows (accounts, invitation file, storescu, L1 and L2
// over the API, the daily print run); the woman's access code is read from her letter's PDF.
// On a 390 px phone she is refused with a wrong birth date, then signs in, reads and downloads
// her letter, opens an image (rendered, not blank), downloads it as PNG and as DICOM, shares the
// exam; she cannot reach another woman's letter or image (403, on the audit trail). The share
// link opens a page with that one exam for anyone holding it. A doctor sees only the woman who
// named her, the letter addressed to her and the images; another doctor sees nobody.
import path from 'node:path';
import { run, tmpDir, prepareRound, invitationRows, api, apiLogin, request, pdfText, launchBrowser, watch, screenshot, download, check, log } from './lib.mjs';

const OTHER_DOCTOR = '19999999999';

// Waits until the single viewer shows its image, then the mean brightness of its canvas
// (0 = black): a rendered mammogram is not blank.
async function viewerBrightness(page) {
  await page.waitForSelector('.single-viewer .vp-element[data-rendered]', { timeout: 30000 });
  const mean = () =>
    page.evaluate(() => {
      const c = document.querySelector('.single-viewer canvas');
      if (!c) return null;
      const { width, height } = c;
      const d = c.getContext('2d').getImageData(0, 0, width, height).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 16) sum += d[i];
      return sum / (d.length / 16);
    });
  const deadline = Date.now() + 5000;
  let m = await mean();
  while ((m === null || m <= 5) && Date.now() < deadline) {
    await page.waitForTimeout(100);
    m = await mean();
  }
  return m;
}

async function noHorizontalScroll(page, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  check(w <= 391, `${what}: the page fits 390 px (scroll width ${w})`);
}

run(async () => {
  const dir = tmpDir('dualread-e2e-portal-');
  // Woman A names her GP (doc); woman B does not name anybody.
  const synthRows = { women: 3, rounds: 1, seed: 23 };
  const round = await prepareRound(dir, {
    ...synthRows,
    users: { doc: { role: 'doctor', rpps: '10000000100', name: 'Dr Jean Dupré' }, doc2: { role: 'doctor', rpps: OTHER_DOCTOR, name: 'Dr Autre' } },
  });
  const { hub, manifest, sessions, synthDir } = round;
  const { coord, sec } = sessions;
  const register = invitationRows(synthDir);
  // Woman A: the one whose GP has the doctor account; B: another one.
  const studyA = manifest.studies.find((s) => register.get(s.woman_ins)?.gp_rpps === '10000000100');
  const studyB = manifest.studies.find((s) => s !== studyA);
  check(studyA && studyB, 'two women in the round, one with GP 10000000100');
  const examA = await api(hub.base, 'GET', `/api/exams/${studyA.study_uid}`, undefined, coord);
  const examB = await api(hub.base, 'GET', `/api/exams/${studyB.study_uid}`, undefined, coord);
  const womanA = String(examA.patient.woman_id);
  const womanB = String(examB.patient.woman_id);
  await api(hub.base, 'PUT', `/api/women/${womanA}/doctors`, { doctors: [{ rpps: '10000000100', name: 'Dr Jean Dupré' }] }, sec);

  // The daily print run: the letters and their access codes.
  const printed = await api(hub.base, 'POST', '/api/print-runs', {}, sec);
  check(printed.letters >= 4 && printed.refused === 0, `letters printed: ${JSON.stringify(printed).slice(0, 400)}`);
  const lettersOf = async (study) => (await api(hub.base, 'GET', `/api/letters?exam=${study}`, undefined, sec)).items;
  const letterA = (await lettersOf(studyA.study_uid)).find((l) => l.recipient === 'woman');
  const letterADoc = (await lettersOf(studyA.study_uid)).find((l) => l.recipient === 'doctor:10000000100');
  const letterB = (await lettersOf(studyB.study_uid)).find((l) => l.recipient === 'woman');
  check(letterA && letterADoc && letterB, 'letters to woman A, her GP and woman B');
  const pdf = await request(hub.base, 'GET', `/api/letters/${letterA.id}/pdf`, { headers: { Accept: 'application/pdf' }, session: sec });
  const letterText = pdfText(Buffer.from(await pdf.arrayBuffer()));
  const code = /Code d.accès : ([A-Z0-9-]+)/.exec(letterText)?.[1];
  check(code, `the access code is printed in her letter: ${letterText.slice(0, 300)}`);
  const birth = register.get(studyA.woman_ins).birth_date; // YYYY-MM-DD
  log(`woman ${womanA}: code from her letter ${letterA.id}`);

  // --- The woman, on her phone.
  const problems = [];
  const phone = await launchBrowser({ phone: true });
  const page = await phone.newPage();
  watch(page, problems);
  await page.goto(`${hub.base}/portail`);
  await page.waitForSelector('#portal-code');
  await page.fill('#portal-code', code.toLowerCase().replace(/-/g, ' '));
  await page.fill('#portal-birth', '1950-01-01');
  await page.click('#portal-woman button[type="submit"]');
  await page.waitForFunction(() => /incorrects/.test(document.querySelector('#portal-woman .error')?.textContent ?? ''));
  await screenshot(page, 'portal-woman-refused');
  await noHorizontalScroll(page, 'portal sign-in');
  // The second try with the keyboard only: the date field, Enter.
  await page.focus('#portal-birth');
  await page.fill('#portal-birth', birth);
  await page.keyboard.press('Enter');
  await page.waitForSelector('ul.docs li.doc');
  const title = await page.textContent('h1');
  check(/^Bonjour /.test(title), `greeted by name: ${title}`);
  check((await page.locator('li.doc').count()) === 1, 'one letter: hers');
  check((await page.locator(`li.exam[data-study="${studyA.study_uid}"]`).count()) === 1, 'her exam is listed');
  check((await page.locator(`[data-study="${studyB.study_uid}"]`).count()) === 0, "another woman's exam is not");
  await screenshot(page, 'portal-woman-documents', { fullPage: true });
  await noHorizontalScroll(page, 'portal documents');

  // Her letter: read (same PDF as printed) and downloaded.
  const got = await download(page, () => page.click(`li.doc[data-letter="${letterA.id}"] a[download]`));
  check(got.bytes.subarray(0, 5).toString() === '%PDF-', 'the letter downloads as a PDF');
  check(pdfText(got.bytes).includes(code), 'it is her letter (with her code)');
  const readHref = await page.getAttribute(`li.doc[data-letter="${letterA.id}"] a[target="_blank"]`, 'href');
  check(readHref === `/api/portal/letters/${letterA.id}/pdf`, `"Lire" opens her letter: ${readHref}`);

  // An image, on the phone.
  await page.click(`li.exam[data-study="${studyA.study_uid}"] a.image-link[data-view="RCC"]`);
  const b = await viewerBrightness(page);
  check(b !== null && b > 5, `the image is rendered, not blank (mean ${b})`);
  await screenshot(page, 'portal-woman-image');
  await noHorizontalScroll(page, 'portal image');
  await page.getByRole('button', { name: 'Agrandir' }).click();
  await page.keyboard.press('i');
  const png = await download(page, () => page.getByRole('button', { name: /PNG/ }).click());
  check(png.bytes.subarray(1, 4).toString() === 'PNG', 'the image downloads as PNG');
  const rcc = studyA.files.find((f) => f.view === 'RCC');
  check(png.bytes.readUInt32BE(16) === rcc.cols && png.bytes.readUInt32BE(20) === rcc.rows, `the PNG has the image's own size ${rcc.cols}x${rcc.rows}`);
  const dcm = await download(page, () => page.getByRole('link', { name: /DICOM/ }).click());
  check(dcm.bytes.subarray(128, 132).toString() === 'DICM', 'the original DICOM file downloads');
  await page.getByRole('link', { name: /Retour à mes documents/ }).click();
  await page.waitForSelector('li.exam');

  // Who consulted her file: what the L2 radiologist and she herself did, in French.
  await page.getByText('Qui a consulté votre dossier').click();
  await page.waitForSelector('.access-history ul.history li');
  const history = await page.$$eval('.access-history ul.history li', (els) => els.map((e) => e.textContent));
  check(history.some((t) => t.includes('Vous avez consulté vos images')), `she sees her own reading of her image: ${history.slice(0, 5).join(' | ')}`);
  check(history.some((t) => /Radiologue L2 \(.+\) a (consulté|fait passer)/.test(t)), `she sees the second reader: ${history.join(' | ')}`);
  check(history.every((t) => !/\b(read|retrieve|portal\.|auth\.|system|hub|transition)\b|@/.test(t)), `no audit code shown: ${history.join(' | ')}`);
  await screenshot(page, 'portal-woman-access-history', { fullPage: true });
  await noHorizontalScroll(page, 'portal access history');

  // She shares the exam with a doctor.
  await page.click(`li.exam[data-study="${studyA.study_uid}"] button`);
  await page.waitForSelector('input.share-url');
  const shareUrl = await page.inputValue('input.share-url');
  check(shareUrl.startsWith(`${hub.base}/share/`), `share link: ${shareUrl}`);
  await screenshot(page, 'portal-woman-share', { fullPage: true });

  // Never another woman's data: refused and recorded.
  const as = (p, accept = 'application/json') => page.request.get(`${hub.base}${p}`, { headers: { Accept: accept } });
  check((await as(`/api/portal/letters/${letterB.id}/pdf`, 'application/pdf')).status() === 403, "another woman's letter: 403");
  check((await as(`/api/portal/letters/${letterADoc.id}/pdf`, 'application/pdf')).status() === 403, "her doctor's letter: 403");
  const sopB = studyB.files[0].sop_uid;
  check((await as(`/api/portal/images/${sopB}`, 'application/dicom')).status() === 403, "another woman's image: 403");
  check((await as(`/api/women/${womanB}/exams`)).status() === 403, "another woman's exams: 403");
  check((await as(`/dicomweb/studies/${studyB.study_uid}/metadata`, 'application/dicom+json')).status() === 403, "another woman's DICOMweb: 403");
  check((await as('/api/letters?exam=' + studyA.study_uid)).status() === 403, "the secretariat's letter list: 403");
  const auditA = (await api(hub.base, 'GET', `/api/audit?woman=${womanA}&limit=200`, undefined, coord)).entries.map((e) => e.action);
  for (const a of ['portal.documents', 'portal.letter', 'portal.image']) check(auditA.includes(a), `${a} audited for woman A`);
  const auditB = (await api(hub.base, 'GET', `/api/audit?woman=${womanB}&limit=200`, undefined, coord)).entries;
  const refused = auditB.filter((e) => e.action === 'portal.refused' && e.actor === `woman:${womanA}`);
  check(refused.length === 2, `her two attempts on woman B's data are on the record (${refused.length})`);

  // --- The share link, opened by someone without any account.
  const anon = await launchBrowser({ phone: true });
  const sp = await anon.newPage();
  // (A made-up token is tried at the end: 404 on purpose.)
  watch(sp, problems, [['/share/not-a-real-token', 404]]);
  await sp.goto(shareUrl);
  await sp.waitForSelector('ul.images a.image-link');
  check((await sp.textContent('h1')) === 'Examen partagé', 'the share page');
  await screenshot(sp, 'portal-share-page', { fullPage: true });
  await sp.click('a.image-link[data-view="LMLO"]');
  const sb = await viewerBrightness(sp);
  check(sb !== null && sb > 5, `the shared image is rendered, not blank (mean ${sb})`);
  await screenshot(sp, 'portal-share-image');
  await sp.goto(`${hub.base}/share/not-a-real-token`);
  await sp.waitForFunction(() => /inconnu/.test(document.querySelector('.error')?.textContent ?? ''));

  // --- Her doctor, on a desktop.
  const desk = await launchBrowser({ viewport: { width: 1280, height: 900 } });
  const dp = await desk.newPage();
  watch(dp, problems);
  await dp.goto(`${hub.base}/portail`);
  await dp.fill('#doc-login', 'doc');
  await dp.fill('#doc-pw', 'e2e-correct-horse-battery');
  await dp.click('#portal-doctor button[type="submit"]');
  await dp.waitForSelector('li.patient');
  const patients = await dp.locator('li.patient').evaluateAll((els) => els.map((e) => e.getAttribute('data-woman')));
  check(patients.length === 1 && patients[0] === womanA, `the doctor sees only woman A: ${patients}`);
  check((await dp.locator(`li.doc[data-letter="${letterADoc.id}"]`).count()) === 1, 'the letter addressed to her');
  check((await dp.locator(`li.doc[data-letter="${letterA.id}"]`).count()) === 0, "not the woman's own letter");
  check((await dp.textContent(`li.doc[data-letter="${letterADoc.id}"] .doc-title`)) === 'Résultat négatif de votre patiente', 'the letter is named in French');
  await screenshot(dp, 'portal-doctor-patients', { fullPage: true });
  await dp.click('a.image-link[data-view="LCC"]');
  const db = await viewerBrightness(dp);
  check(db !== null && db > 5, `the doctor's image is rendered (mean ${db})`);
  await screenshot(dp, 'portal-doctor-image');
  check((await dp.request.get(`${hub.base}/api/portal/images/${sopB}`)).status() === 403, "the doctor: woman B's image 403");
  check((await dp.request.get(`${hub.base}/api/portal/letters/${letterA.id}/pdf`, { headers: { Accept: 'application/pdf' } })).status() === 403, "the doctor: the woman's own letter 403");

  // Another doctor: nobody named her.
  const doc2 = await apiLogin(hub.base, 'doc2');
  const d2 = await api(hub.base, 'GET', '/api/portal/documents', undefined, doc2);
  check(d2.women.length === 0, 'another doctor sees nobody');
  check((await request(hub.base, 'GET', `/api/portal/images/${studyA.files[0].sop_uid}`, { session: doc2 })).status === 403, 'another doctor: 403 on her image');

  check(problems.length === 0, `no console or page error:\n${problems.join('\n')}`);
});
