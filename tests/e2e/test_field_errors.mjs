// The hub's field errors shown in French (ui/src/field_errors.ts): the sentences a real hub
// answers to a malformed and to an incoherent L1 form, put and signed, each have a French
// sentence with its values (dates, sides, numbers) carried over, and none is left in English.
// So do what an exam still lacks and what is wrong with its images. Then the CIM's L1 form in
// Chromium shows a hub refusal in French.
import path from 'node:path';
import { importUiModule, run, tmpDir, startHub, synth, storescu, api, request, l1Form, launchBrowser, watch, screenshot, log, check } from './lib.mjs';


const ENGLISH = /\b(the|is|are|must|required|needs|breast|finding|not|give|field)\b/i;

async function errorsOf(base, method, p, body) {
  const r = await request(base, method, p, { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', Accept: 'application/json' } });
  const j = await r.json();
  // A refusal lists `errors`; a stored draft lists what is still to correct as `form_errors`.
  return { status: r.status, errors: [...(j.errors ?? []), ...(j.form_errors ?? [])] };
}

run(async () => {
  const dir = tmpDir('dualread-e2e-fielderrors-');
  const { frenchFieldError, examProblemText } = await importUiModule('field_errors.ts', dir);
  const hub = await startHub(dir);
  // Every study with a laterality contradiction and a missing view: the archive's problems.
  synth(path.join(dir, 'synth'), 2, { rounds: 1, faults: 'laterality-mismatch,missing-view', faultRate: 1 });
  storescu(hub.dicom, path.join(dir, 'synth/studies'));
  const { items } = await api(hub.base, 'GET', '/api/exams?limit=10');
  const exam = await api(hub.base, 'GET', `/api/exams/${items[0].study_uid}`);
  const study = exam.study_uid;

  // A malformed form (the JSON reader's sentences) and an incoherent one (the checks').
  const sentences = new Map(); // message -> field
  const collect = ({ errors }) => errors.forEach((e) => sentences.set(e.message, e.field));
  collect(await errorsOf(hub.base, 'PUT', `/api/exams/${study}/l1-form`, { format_version: 1, identification: { ins: 3 }, clinical: [], mammography: { view_count: 'four', density: 'Z' }, extra: true }));
  const bad = l1Form(exam);
  bad.identification.ins = '123';
  bad.identification.birth_name = '';
  bad.identification.first_names = '';
  bad.identification.mammogram_date = '1900-01-01';
  bad.identification.birth_date = '1950-05-01';
  bad.identification.l1_radiologist.rpps = '123';
  bad.clinical.history.personal_breast_cancer = true;
  bad.clinical.family_history.breast_cancer = true;
  bad.clinical.exam.right = { result: 'abnormal', finding: '' };
  bad.clinical.exam.left = { result: null };
  bad.mammography.view_count = 2;
  bad.mammography.density = null;
  bad.mammography.right = { birads: 4, findings: [] };
  bad.mammography.left = { birads: 1, findings: [{ type: 'mass', side: 'right', location: { quadrant: 'upper_outer', clock_hour: 3, depth: null }, size_mm: 400, description: '' }] };
  bad.bdi = { done: false, extra_views: false, ultrasound: true, needle_procedure: false, after: { right: { birads: 2, findings: [] }, left: { birads: null, findings: [] } } };
  bad.conclusion = { result: 'negative', management: 'biopsy', comment: '' };
  const put = await errorsOf(hub.base, 'PUT', `/api/exams/${study}/l1-form`, bad);
  collect(put);
  collect(await errorsOf(hub.base, 'POST', `/api/exams/${study}/l1-form/sign`, { signer: { name: 'Dr X', rpps: '10000000001' } }));
  check(sentences.size >= 15, `the hub gave ${sentences.size} different sentences`);
  const english = [];
  for (const [message, field] of sentences) {
    const fr = frenchFieldError(message);
    if (!fr || ENGLISH.test(fr)) english.push(`${field}: ${message} -> ${fr}`);
  }
  check(english.length === 0, `every sentence has a French one:\n${english.join('\n')}`);
  // What the exam still lacks (the workflow) and what is wrong with its images (the archive),
  // as the secretariat and the CIM see them.
  const wf = await api(hub.base, 'GET', `/api/exams/${study}/workflow`);
  const lines = [...wf.missing];
  for (const it of items) lines.push(...((await api(hub.base, 'GET', `/api/exams/${it.study_uid}`)).problems ?? []));
  check(lines.some((l) => l.startsWith('Reading form, ')) && lines.some((l) => l.startsWith('image ')), `missing and problems from the hub: ${lines.join(' | ')}`);
  const untranslated = lines.filter((l) => ENGLISH.test(examProblemText(l).replace(/« .* »/g, '')));
  check(untranslated.length === 0, `what is missing, in French:\n${untranslated.map((l) => `${l} -> ${examProblemText(l)}`).join('\n')}`);
  // Values are carried over.
  const dated = [...sentences.keys()].find((m) => m.startsWith('The mammogram date'));
  check(dated && frenchFieldError(dated) === 'La mammographie du 01/01/1900 n’est pas postérieure à la naissance (01/05/1950).', `dates: ${dated && frenchFieldError(dated)}`);
  check(frenchFieldError('Finding 1 is on the right breast but listed under the left breast.') === 'L’anomalie 1 est au sein droit mais saisie sous le sein gauche.', 'sides');
  check(frenchFieldError('The L2 reader\'s RPPS number "12" is not 11 digits.') === 'Le numéro RPPS du deuxième lecteur « 12 » n’a pas 11 chiffres.', 'an L2 sentence');
  check(frenchFieldError('Something the hub never said.') === null, 'an unknown sentence is not guessed');

  // The CIM's L1 form shows the hub's refusal in French.
  const context = await launchBrowser({ viewport: { width: 1024, height: 1366 } });
  const page = await context.newPage();
  const problems = [];
  watch(page, problems);
  await page.goto(`${hub.base}/cim/fiche?etude=${study}`);
  await page.waitForSelector('form.l1-form', { timeout: 30000 });
  await page.fill('#f-identification\\.birth_name', '');
  await page.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  await page.waitForSelector('.field-error', { timeout: 10000 });
  const shown = await page.$$eval('.field-error', (els) => els.map((e) => e.textContent));
  check(shown.length > 0 && shown.every((t) => !ENGLISH.test(t)), `the form's errors are in French: ${shown.join(' | ')}`);
  await screenshot(page, 'cim-l1-form-errors-french');
  check(problems.length === 0, `no console or page error but the refusals: ${problems.join('; ')}`);
  log(`${sentences.size} sentences of the hub in French; the form shows: ${shown[0]}`);
});
