// The secretariat's and the coordinator's screens, in Debian's Chromium, on a hub with access
// control on and a screening round made through the real flows (two rounds of `dualread synth`
// women with identity typos, one L1-positive, one L2-positive). The secretary: her navigation
// (no indicators), the daily print run (summary, combined PDF, letters one by one), the overdue
// results, the follow-up reminders, the identity queue (a case side by side, refused without a
// reason, attached to the candidate; a second case made a new woman, then merged into the
// candidate and the merge undone; a woman's identity corrected: field errors, a conflict with a
// merge proposal, a correction kept in her history and undone). The coordinator: indicators
// with bar charts and the CSV. The administrator: only the screens the hub lets her use.
import { run, tmpDir, prepareRound, api, launchBrowser, watch, screenshot, download, staffLogin, pdfText, check, log } from './lib.mjs';

async function navTexts(page) {
  return page.locator('#topbar nav a').allTextContents();
}

// A link of the navigation bar (the pages have other links with the same words).
async function goNav(page, text) {
  await page.locator('#topbar nav').getByRole('link', { name: text, exact: true }).click();
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForSelector('#login');
}

run(async () => {
  const dir = tmpDir('dualread-e2e-sec-');
  const { hub, sessions } = await prepareRound(dir, {
    women: 6,
    rounds: 2,
    seed: 7,
    faults: 'identity-typo',
    faultRate: 0.25,
    positive: (i) => i === 0,
    l2Positive: (i) => i === 0,
    l2Unread: 1,
  });
  const { coord } = sessions;
  const openCases = (await api(hub.base, 'GET', '/api/identity/cases', undefined, coord)).items;
  check(openCases.length >= 2, `at least two identity cases to settle (${openCases.length})`);

  const problems = [];
  const browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
  const page = await browser.newPage();
  const refusals = []; // [path, status] the page provokes on purpose, added as they become known
  watch(page, problems, refusals);

  // --- The secretary.
  await staffLogin(page, hub.base, 'sec');
  const nav = await navTexts(page);
  for (const t of ['Arrivées', 'Courriers', 'Retards', 'Relances', 'Identités']) check(nav.includes(t), `secretary's navigation has ${t}: ${nav}`);
  check(!nav.includes('Indicateurs') && !nav.includes('Lecture L2'), `secretary's navigation has no indicators nor reading: ${nav}`);

  // The daily print run.
  await goNav(page, 'Courriers');
  await page.click('#run-start');
  await page.click('#run-confirm');
  await page.waitForSelector('.run-summary');
  const runId = await page.getAttribute('.run-summary', 'data-run');
  const summary = await page.textContent('.run-summary');
  check(/\d+ courrier\(s\)/.test(summary), `run summary: ${summary}`);
  await page.waitForSelector(`tr[data-run="${runId}"]`);
  await screenshot(page, 'secretariat-print-run', { fullPage: true });
  const combined = await page.request.get(`${hub.base}/api/print-runs/${runId}/pdf`, { headers: { Accept: 'application/pdf' } });
  check(combined.status() === 200, `combined PDF ${combined.status()}`);
  const combinedText = pdfText(await combined.body());
  check(combinedText.includes('Madame') && combinedText.includes('seconde lecture'), 'the combined PDF holds the letters');
  check((await page.getAttribute(`tr[data-run="${runId}"] a[href$="/pdf"]`, 'href')) === `/api/print-runs/${runId}/pdf`, 'the run row links its PDF');
  await page.click(`tr[data-run="${runId}"] button`);
  await page.waitForSelector('table.letters tr[data-letter]');
  const letterIds = await page.locator('table.letters tr[data-letter]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-letter')));
  const one = await page.request.get(`${hub.base}/api/letters/${letterIds[0]}/pdf`, { headers: { Accept: 'application/pdf' } });
  check(one.status() === 200 && (await one.body()).subarray(0, 5).toString() === '%PDF-', 'a single letter opens');
  await screenshot(page, 'secretariat-print-run-letters', { fullPage: true });
  log(`print run ${runId}: ${letterIds.length} letters`);

  // Overdue results: the exam left unread in its session is past its deadline.
  await goNav(page, 'Retards');
  await page.waitForSelector('table.overdue-list tr.overdue');
  check(/en retard de \d+ j/.test(await page.textContent('table.overdue-list tbody')), 'days late are shown');
  await screenshot(page, 'secretariat-overdue', { fullPage: true });

  // Follow-up reminders: the positives of today are not due before [programme]
  // follow_up_reminder_days (1 at least), so the page says none is due, as the hub does.
  await goNav(page, 'Relances');
  await page.waitForFunction(() => /Aucune relance due au \d\d\/\d\d\/\d{4}/.test(document.querySelector('main')?.textContent ?? ''));
  check((await api(hub.base, 'GET', '/api/follow-up/reminders', undefined, sessions.sec)).items.length === 0, 'the hub has no reminder due either');
  await screenshot(page, 'secretariat-reminders');

  // Identity queue: a case side by side, then attached to its candidate.
  await goNav(page, 'Identités');
  await page.waitForSelector('table.cases tr[data-case]');
  await screenshot(page, 'secretariat-identity-queue', { fullPage: true });
  const [first, second] = openCases;
  await page.click(`tr[data-case="${first.id}"] a`);
  await page.waitForSelector('.side-by-side .candidate');
  check((await page.locator('.side-by-side .incoming').count()) === 1, 'what arrived is shown');
  const candidate = first.candidates[0];
  check((await page.locator(`.candidate[data-woman="${candidate}"] table.traits tr`).count()) >= 5, 'the candidate trait by trait');
  await screenshot(page, 'secretariat-identity-case', { fullPage: true });
  await page.click(`button[data-attach="${candidate}"]`);
  await page.waitForFunction(() => /motif/.test(document.querySelector('.decision .error')?.textContent ?? ''));
  await page.fill('#case-why', 'Même femme : faute de frappe au centre, vérifiée par téléphone');
  await page.click(`button[data-attach="${candidate}"]`);
  await page.waitForSelector('.callout.resolved');
  await screenshot(page, 'secretariat-identity-resolved', { fullPage: true });
  const settled = await api(hub.base, 'GET', `/api/identity/cases/${first.id}`, undefined, coord);
  check(settled.case.status === 'resolved' && settled.case.resolution.woman_id === candidate, `case ${first.id} attached to woman ${candidate}: ${JSON.stringify(settled.case.resolution)}`);

  // A second case made a new woman by mistake: merged into the candidate, then the merge undone.
  await page.goto(`${hub.base}/secretariat/identite/cas?id=${second.id}`);
  await page.waitForSelector('#case-create');
  await page.fill('#case-why', 'Aucune candidate ne correspond selon le centre');
  await page.click('#case-create');
  await page.waitForSelector('.callout.resolved');
  const created = (await api(hub.base, 'GET', `/api/identity/cases/${second.id}`, undefined, coord)).case.resolution.woman_id;
  const target = second.candidates[0];
  await goNav(page, 'Identités');
  await page.fill('#merge-survivor', String(target));
  await page.fill('#merge-absorbed', String(created));
  await page.click('#merge-compare');
  await page.waitForSelector('.merge-tool .side-by-side .col >> nth=1');
  await page.fill('#merge-why', 'Doublon créé à tort : même INS et même date de naissance');
  await page.click('#merge-go');
  await page.waitForSelector('.card.merge');
  const mergeId = await page.getAttribute('.card.merge', 'data-merge');
  await screenshot(page, 'secretariat-identity-merge', { fullPage: true });
  await page.getByRole('button', { name: 'Annuler cette fusion' }).click();
  await page.waitForFunction(() => /motif/.test(document.querySelector('.card.merge .error')?.textContent ?? ''));
  await page.fill(`#undo-why-${mergeId}`, 'Fusion faite sur le mauvais dossier');
  await page.getByRole('button', { name: 'Annuler cette fusion' }).click();
  await page.waitForSelector('.card.merge .status-undone');
  const merge = await api(hub.base, 'GET', `/api/identity/merges/${mergeId}`, undefined, coord);
  check(merge.in_force === false && merge.survivor === target && merge.absorbed === created, `merge ${mergeId} undone: ${JSON.stringify(merge).slice(0, 300)}`);
  await screenshot(page, 'secretariat-identity-unmerged', { fullPage: true });

  // Correcting a woman's identity: field errors named, a correction that would make her another
  // woman refused with a merge proposal, then a real correction kept in her history and undone.
  const wTarget = await api(hub.base, 'GET', `/api/identity/women/${target}`, undefined, coord);
  const wCreated = await api(hub.base, 'GET', `/api/identity/women/${created}`, undefined, coord);
  refusals.push([`/api/identity/women/${created}`, 400], [`/api/identity/women/${created}`, 409]);
  await page.goto(`${hub.base}/secretariat/identite/femme?id=${created}`);
  await page.waitForSelector('#fix-open');
  check((await page.locator('#fix-panel').isHidden()), 'the correction form opens on demand');
  await page.focus('#fix-open');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#fix-form', { state: 'visible' });
  check((await page.evaluate(() => document.activeElement?.id)) === 'fix-birth_name', 'the keyboard lands in the form');
  await page.fill('#fix-ins', '265037512345602');
  await page.click('#fix-submit');
  await page.waitForFunction(() => /motif/.test(document.querySelector('#fix-result')?.textContent ?? ''));
  await page.fill('#fix-why', 'Vérifié sur la carte d’identité');
  await page.click('#fix-submit');
  await page.waitForFunction(() => /INS \(NIR\) : la clé du NIR est fausse/.test(document.querySelector('#fix-result')?.textContent ?? ''));
  check((await page.getAttribute('#fix-ins', 'aria-invalid')) === 'true', 'the wrong INS field is marked');
  await screenshot(page, 'secretariat-identity-correction-refused', { fullPage: true });
  // Her traits made identical to the candidate's: refused, a merge proposed, nothing merged.
  const sameIns = wTarget.ins && !wCreated.ins;
  if (sameIns || (!wTarget.ins && !wCreated.ins)) {
    await page.fill('#fix-birth_name', wTarget.birth_name);
    await page.fill('#fix-first_names', wTarget.first_names);
    await page.fill('#fix-birth_date', `${wTarget.birth_date.slice(0, 4)}-${wTarget.birth_date.slice(4, 6)}-${wTarget.birth_date.slice(6, 8)}`);
    await page.selectOption('#fix-sex', wTarget.sex);
    await page.fill('#fix-ins', wTarget.ins);
    await page.selectOption('#fix-status', wTarget.ins ? 'verified' : 'provisional');
    await page.click('#fix-submit');
    await page.waitForSelector('#fix-result .proposal');
    check((await page.textContent('#fix-result .proposal')).includes(`femme n° ${target}`), 'the merge proposal names the other woman');
    await screenshot(page, 'secretariat-identity-correction-conflict', { fullPage: true });
    const still = await api(hub.base, 'GET', `/api/identity/women/${created}`, undefined, coord);
    check(still.birth_name === wCreated.birth_name && still.merged_into === null, 'refused: nothing changed, nothing merged');
  } else {
    log(`women ${target} and ${created} have two INS: no conflict to show`);
  }
  // A real correction: her birth place, kept with before/after, then undone.
  await page.goto(`${hub.base}/secretariat/identite/femme?id=${target}`);
  await page.click('#fix-open');
  await page.fill('#fix-birth_place', '2A004');
  await page.fill('#fix-why', 'Lieu de naissance relevé sur la carte d’identité');
  await page.click('#fix-submit');
  await page.waitForSelector('.card.correction');
  const correctionId = await page.getAttribute('.card.correction', 'data-correction');
  check((await page.textContent('.card.correction table')).includes('2A004'), 'the history shows before and after');
  await screenshot(page, 'secretariat-identity-corrected', { fullPage: true });
  await page.click(`button[data-undo="${correctionId}"]`);
  await page.waitForFunction(() => /motif/.test(document.querySelector('.card.correction .error')?.textContent ?? ''));
  await page.fill(`#fix-undo-why-${correctionId}`, 'Saisi sur le mauvais dossier');
  await page.click(`button[data-undo="${correctionId}"]`);
  await page.waitForSelector('.card.correction .status-undone');
  const undone = await api(hub.base, 'GET', `/api/identity/women/${target}`, undefined, coord);
  check(undone.birth_place === wTarget.birth_place && undone.corrections[0].in_force === false, `correction ${correctionId} undone: ${JSON.stringify(undone.corrections[0]).slice(0, 300)}`);
  await screenshot(page, 'secretariat-identity-correction-undone', { fullPage: true });

  // Indicators are the coordinator's: the hub refuses them to the secretary, the app says so.
  await page.goto(`${hub.base}/secretariat/indicateurs`);
  await page.waitForSelector('h1');
  check((await page.textContent('h1')) === 'Accès non autorisé', 'no indicators for the secretary');
  check((await page.request.get(`${hub.base}/api/indicators`)).status() === 403, 'the hub refuses them too');
  await signOut(page);

  // --- The coordinator: indicators with charts and the CSV.
  await staffLogin(page, hub.base, 'coord');
  await goNav(page, 'Indicateurs');
  await page.waitForSelector('svg.chart rect.chart-bar');
  const bars = await page.locator('svg.chart rect.chart-bar').count();
  check(bars >= 4, `bars drawn (${bars})`);
  const figures = await page.textContent('dl.key-figures');
  check(/Examens\s*\d+/.test(figures) && figures.includes('Taux de rappel'), `key figures: ${figures}`);
  await screenshot(page, 'coordinator-indicators', { fullPage: true });
  const csv = await download(page, () => page.click('#ind-csv'));
  check(csv.bytes.toString().startsWith('scope;key;exams;'), `the CSV: ${csv.bytes.toString().slice(0, 80)}`);
  const cim = await page.locator('#ind-cim option').nth(1).getAttribute('value');
  await page.selectOption('#ind-cim', cim);
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.waitForFunction((c) => document.querySelector('p.hint')?.textContent?.includes(`centre ${c}`), cim);
  await signOut(page);

  // --- The administrator: no clinical screen in her navigation.
  await staffLogin(page, hub.base, 'admin');
  const adminNav = await navTexts(page);
  check(adminNav.includes('Courriers') && adminNav.includes('Indicateurs') && !adminNav.includes('Arrivées') && !adminNav.includes('Identités'), `administrator's navigation: ${adminNav}`);

  check(problems.length === 0, `no console or page error:\n${problems.join('\n')}`);
});
