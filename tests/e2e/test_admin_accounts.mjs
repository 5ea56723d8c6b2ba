// The administrator's accounts screen, in Debian's Chromium, on a hub with access control on:
// her navigation leads to it; she creates an L1 radiologist of two CIMs (the generated password
// is shown once and works), disables and re-enables the secretary (who then cannot, then can,
// log in), resets a password, creates a gateway and issues it a token (that authenticates),
// revokes it, and changes a role — by keyboard for one of the actions. A coordinator never sees
// the screen and the hub refuses her its API.
import path from 'node:path';
import { run, tmpDir, addUser, startHub, apiLogin, launchBrowser, watch, screenshot, staffLogin, check, log, SOURCE_DIR, PASSWORD } from './lib.mjs';

async function secretOf(page, login, key) {
  const panel = page.locator(`[data-secret-for="${login}"]`);
  await panel.waitFor();
  return (await panel.locator(`[data-secret="${key}"]`).textContent()).trim();
}

async function canLogin(base, login, password) {
  try {
    await apiLogin(base, login, password);
    return true;
  } catch {
    return false;
  }
}

run(async () => {
  const dir = tmpDir('dualread-e2e-admin-');
  addUser(dir, { login: 'admin', role: 'administrator', name: 'Informatique' });
  addUser(dir, { login: 'sec', role: 'secretary', name: 'Secrétariat' });
  addUser(dir, { login: 'coord', role: 'coordinator' });
  const hub = await startHub(dir, { open: false, staticDir: path.join(SOURCE_DIR, 'ui/dist') });

  const problems = [];
  const browser = await launchBrowser({ viewport: { width: 1500, height: 1000 } });
  const page = await browser.newPage();
  // The refused creation below is a 400 the browser logs.
  watch(page, problems, [['/api/admin/users', 400]]);

  await staffLogin(page, hub.base, 'admin');
  const nav = await page.locator('#topbar nav a').allTextContents();
  check(nav[0] === 'Comptes', `the administrator's first screen is the accounts: ${nav}`);
  await page.locator('#topbar nav').getByRole('link', { name: 'Comptes', exact: true }).click();
  await page.waitForSelector('table.accounts tr[data-login="sec"]');

  // Create an L1 radiologist of two centres; the generated password is shown once and works.
  await page.fill('#new-login', 'dr.martin');
  await page.selectOption('#new-role', 'l1_radiologist');
  await page.fill('#new-cims', 'CIM01, CIM02');
  await page.fill('#new-rpps', '10000000011');
  await page.fill('#new-name', 'Dr Martin');
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  const pw = await secretOf(page, 'dr.martin', 'Mot de passe');
  check(pw.length >= 20, `a generated password is shown (${pw.length} characters)`);
  await page.waitForSelector('tr[data-login="dr.martin"]');
  const rowText = await page.textContent('tr[data-login="dr.martin"]');
  check(rowText.includes('Radiologue L1') && rowText.includes('CIM01, CIM02'), `new row: ${rowText}`);
  check(await canLogin(hub.base, 'dr.martin', pw), 'the new radiologist logs in with the generated password');
  await screenshot(page, 'admin-accounts-created', { fullPage: true });
  await page.getByRole('button', { name: 'J’ai transmis, masquer' }).click();

  // A bad request (a technologist without her centre) is refused with the hub's sentence, and
  // nothing is created.
  await page.fill('#new-login', 'tech.two');
  await page.selectOption('#new-role', 'technologist');
  await page.fill('#new-cims', '');
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  await page.waitForFunction(() => /CIM|centre/i.test(document.querySelector('form[aria-label="Nouveau compte"] .error')?.textContent ?? ''));
  check((await page.locator('tr[data-login="tech.two"]').count()) === 0, 'no account made of a refused request');
  await page.fill('#new-cims', '');
  await page.fill('#new-login', '');

  // Disable the secretary, by keyboard: focus the button and press Enter.
  const disable = page.getByRole('button', { name: 'Désactiver sec', exact: true });
  await disable.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('tr[data-login="sec"]')?.textContent?.includes('Désactivé'));
  check(!(await canLogin(hub.base, 'sec', PASSWORD)), 'a disabled secretary cannot log in');
  await page.getByRole('button', { name: 'Réactiver sec', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('tr[data-login="sec"]')?.textContent?.includes('Actif'));
  check(await canLogin(hub.base, 'sec', PASSWORD), 'enabled again, she logs in');

  // Reset her password: the new one is shown once, the old one stops working.
  await page.getByRole('button', { name: 'Nouveau mot de passe pour sec', exact: true }).click();
  const newPw = await secretOf(page, 'sec', 'Mot de passe');
  check(await canLogin(hub.base, 'sec', newPw), 'the reset password works');
  check(!(await canLogin(hub.base, 'sec', PASSWORD)), 'the old password no longer works');

  // A gateway and its token.
  await page.fill('#new-login', 'gw.cim01');
  await page.selectOption('#new-role', 'gateway');
  await page.fill('#new-cims', 'CIM01');
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  await page.waitForSelector('tr[data-login="gw.cim01"]');
  await page.getByRole('button', { name: 'Nouveau jeton pour gw.cim01', exact: true }).click();
  const panel = page.locator('[data-secret-for="gw.cim01"] [data-secret^="Jeton"]');
  await panel.waitFor();
  const token = (await panel.textContent()).trim();
  const me = await fetch(`${hub.base}/api/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
  check(me.ok, `the issued token authenticates the gateway (${me.status})`);
  await screenshot(page, 'admin-accounts-token', { fullPage: true });
  await page.getByRole('button', { name: 'Jetons de gw.cim01', exact: true }).click();
  await page.locator('section[aria-label="Jetons de gw.cim01"] button', { hasText: 'Révoquer' }).first().click();
  await page.waitForSelector('section[aria-label="Jetons de gw.cim01"] li:has-text("(révoqué)")');
  const after = await fetch(`${hub.base}/api/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
  check(after.status === 401, `the revoked token is refused (${after.status})`);

  // Change the coordinator into a secretary.
  await page.getByRole('button', { name: 'Modifier coord', exact: true }).click();
  await page.selectOption('#edit-role', 'secretary');
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.waitForFunction(() => document.querySelector('tr[data-login="coord"]')?.textContent?.includes('Secrétariat'));
  await screenshot(page, 'admin-accounts', { fullPage: true });

  // A non-administrator: no such screen, and the API refuses her.
  const sec = await apiLogin(hub.base, 'sec', newPw);
  const r = await fetch(`${hub.base}/api/admin/users`, { headers: { Cookie: sec.cookie, Accept: 'application/json' } });
  check(r.status === 403, `the secretary is refused the accounts API (${r.status})`);
  const page2 = await (await launchBrowser()).newPage();
  watch(page2, problems);
  await page2.goto(`${hub.base}/connexion`);
  await page2.fill('#login', 'sec');
  await page2.fill('#password', newPw);
  await page2.click('form button[type="submit"]');
  await page2.waitForSelector('#topbar nav');
  check(!(await page2.locator('#topbar nav a').allTextContents()).includes('Comptes'), 'no accounts screen in her navigation');
  await page2.goto(`${hub.base}/admin/comptes`);
  await page2.waitForSelector('text=Accès non autorisé');

  check(problems.length === 0, `no browser errors: ${problems.join('\n')}`);
  log('accounts screen: create, refuse, disable/enable by keyboard, password reset, gateway token issued and revoked, role changed');
});
