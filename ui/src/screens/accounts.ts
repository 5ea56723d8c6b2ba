// Administrator: the accounts (GET /api/admin/users) and what she may do to each — create,
// change role and imaging centres, disable / enable, unlock, reset the password or the second
// factor, issue and revoke a gateway's bearer tokens. Secrets the hub generates (password, TOTP
// secret, token) are shown once in a panel and never kept by the page.

import { h, replace, toast, formatDate } from '../dom';
import { api, get, post, enc } from '../api';
import { ROLES, label } from '../i18n';
import type { User } from '../auth';

interface Account {
  login: string;
  role: string;
  cims: string[];
  rpps: string;
  display_name: string;
  totp: boolean;
  disabled: boolean;
  locked: boolean;
  locked_until: string | null;
  failed_logins: number;
  active_tokens: number;
  created_at: string;
  cert_cn: string;
}
interface TokenInfo {
  id: string;
  created_at: string;
  revoked: boolean;
}
interface Secrets {
  password?: string;
  totp_secret?: string;
  totp_uri?: string;
  token?: string;
  id?: string;
}

const ACCOUNT_ROLES = ['administrator', 'coordinator', 'secretary', 'l2_radiologist', 'l1_radiologist', 'technologist', 'gateway', 'doctor'];
const CIM_ROLES = ['l1_radiologist', 'technologist', 'gateway'];

const cimsOf = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((c) => c.trim())
    .filter(Boolean);

function state(a: Account): string {
  if (a.disabled) return 'Désactivé';
  if (a.locked) return `Verrouillé jusqu’à ${formatDate(a.locked_until)}`;
  return 'Actif';
}

function roleSelect(id: string, value: string): HTMLSelectElement {
  const s = h('select', { id, name: 'role' }, ACCOUNT_ROLES.map((r) => h('option', { value: r }, label(ROLES, r)))) as HTMLSelectElement;
  s.value = value;
  return s;
}

export function accounts(main: HTMLElement, me: User): void {
  const secretPanel = h('div', { 'aria-live': 'polite' });
  const editPanel = h('div');
  const list = h('div', { 'aria-live': 'polite' }, 'Chargement…');

  const showSecrets = (login: string, s: Secrets) => {
    const rows: [string, string][] = [];
    if (s.password) rows.push(['Mot de passe', s.password]);
    if (s.totp_secret) rows.push(['Secret TOTP', s.totp_secret]);
    if (s.totp_uri) rows.push(['Lien pour l’application d’authentification', s.totp_uri]);
    if (s.token) rows.push([`Jeton ${s.id ?? ''}`, s.token]);
    if (!rows.length) return;
    replace(
      secretPanel,
      h(
        'div.card.secret',
        { role: 'status', 'data-secret-for': login },
        h('h2', null, `À transmettre à ${login} — affiché une seule fois`),
        h('dl', null, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, h('code.mono', { 'data-secret': k }, v))])),
        h('button.ghost', { type: 'button', onclick: () => replace(secretPanel) }, 'J’ai transmis, masquer'),
      ),
    );
    (secretPanel.querySelector('button') as HTMLButtonElement | null)?.focus();
  };

  // Runs an action, shows its result and reloads the list.
  const act = async (what: string, run: () => Promise<Secrets | unknown>, login: string) => {
    try {
      const r = (await run()) as Secrets;
      toast(`${what} : ${login}`);
      if (r && typeof r === 'object') showSecrets(login, r);
      await load();
    } catch (e) {
      toast((e as Error).message, 'error');
    }
  };

  const base = (login: string) => `/api/admin/users/${enc(login)}`;

  const editForm = (a: Account) => {
    const role = roleSelect('edit-role', a.role);
    const cims = h('input#edit-cims', { value: a.cims.join(', '), placeholder: 'CIM01, CIM02' }) as HTMLInputElement;
    const rpps = h('input#edit-rpps', { value: a.rpps, inputmode: 'numeric', pattern: '[0-9]{11}' }) as HTMLInputElement;
    const name = h('input#edit-name', { value: a.display_name }) as HTMLInputElement;
    const cert = h('input#edit-cert', { value: a.cert_cn, maxlength: 64 }) as HTMLInputElement;
    replace(
      editPanel,
      h(
        'form.card',
        {
          'aria-label': `Modifier ${a.login}`,
          onsubmit: (e: Event) => {
            e.preventDefault();
            void act(
              'Compte modifié',
              () => api('PATCH', base(a.login), { role: role.value, cims: CIM_ROLES.includes(role.value) ? cimsOf(cims.value) : [], rpps: rpps.value.trim(), display_name: name.value.trim(), ...(a.role === 'gateway' ? { cert_cn: cert.value.trim() } : {}) }),
              a.login,
            ).then(() => replace(editPanel));
          },
        },
        h('h2', null, `Modifier ${a.login}`),
        h('label.field', { for: 'edit-role' }, 'Rôle'),
        role,
        h('label.field', { for: 'edit-cims' }, 'Centres d’imagerie (CIM), pour radiologue L1, manipulateur, passerelle'),
        cims,
        h('label.field', { for: 'edit-rpps' }, 'RPPS (11 chiffres)'),
        rpps,
        h('label.field', { for: 'edit-name' }, 'Nom affiché'),
        name,
        a.role === 'gateway' ? [h('label.field', { for: 'edit-cert' }, 'CN du certificat client (au lieu d’un jeton, en HTTPS)'), cert] : null,
        h('div.actions', null, h('button.primary', { type: 'submit' }, 'Enregistrer'), h('button.ghost', { type: 'button', onclick: () => replace(editPanel) }, 'Annuler')),
      ),
    );
    role.focus();
  };

  const tokensOf = async (a: Account) => {
    try {
      const r = await get<{ tokens: TokenInfo[] }>(`${base(a.login)}/tokens`);
      replace(
        editPanel,
        h(
          'section.card',
          { 'aria-label': `Jetons de ${a.login}` },
          h('h2', null, `Jetons de ${a.login}`),
          r.tokens.length
            ? h(
                'ul',
                null,
                r.tokens.map((t) =>
                  h(
                    'li',
                    null,
                    h('code.mono', null, t.id),
                    ` créé le ${formatDate(t.created_at)} `,
                    t.revoked
                      ? '(révoqué)'
                      : h('button.ghost', { type: 'button', onclick: () => void act('Jeton révoqué', () => api('DELETE', `${base(a.login)}/tokens/${enc(t.id)}`), a.login).then(() => tokensOf(a)) }, `Révoquer ${t.id}`),
                  ),
                ),
              )
            : h('p', null, 'Aucun jeton.'),
          h('button.ghost', { type: 'button', onclick: () => replace(editPanel) }, 'Fermer'),
        ),
      );
    } catch (e) {
      toast((e as Error).message, 'error');
    }
  };

  const row = (a: Account) => {
    const isGateway = a.role === 'gateway';
    const self = a.login === me.login;
    const button = (text: string, onclick: () => void, extra: Record<string, unknown> = {}) => h('button.ghost', { type: 'button', onclick, ...extra }, text);
    return h(
      'tr',
      { 'data-login': a.login, class: a.disabled ? 'disabled' : '' },
      h('th', { scope: 'row' }, h('span.mono', null, a.login), a.display_name ? h('div.hint', null, a.display_name) : null),
      h('td', null, label(ROLES, a.role)),
      h('td', null, a.cims.join(', ') || '—'),
      h('td', null, a.rpps || '—'),
      h('td', null, isGateway ? `${a.active_tokens} jeton(s)${a.cert_cn ? ` · certificat ${a.cert_cn}` : ''}` : a.totp ? 'Oui' : 'Non'),
      h('td', null, state(a)),
      h(
        'td.actions',
        null,
        button('Modifier', () => editForm(a), { 'aria-label': `Modifier ${a.login}` }),
        a.disabled
          ? button('Réactiver', () => void act('Compte réactivé', () => post(`${base(a.login)}/enable`), a.login), { 'aria-label': `Réactiver ${a.login}` })
          : button(
              'Désactiver',
              () => {
                if (self && !confirm('Désactiver votre propre compte ? Vous serez déconnectée.')) return;
                void act('Compte désactivé', () => post(`${base(a.login)}/disable`), a.login);
              },
              { 'aria-label': `Désactiver ${a.login}` },
            ),
        a.locked || a.failed_logins > 0 ? button('Déverrouiller', () => void act('Compte déverrouillé', () => post(`${base(a.login)}/unlock`), a.login), { 'aria-label': `Déverrouiller ${a.login}` }) : null,
        isGateway
          ? [
              button('Nouveau jeton', () => void act('Jeton émis', () => post(`${base(a.login)}/tokens`), a.login), { 'aria-label': `Nouveau jeton pour ${a.login}` }),
              button('Jetons', () => void tokensOf(a), { 'aria-label': `Jetons de ${a.login}` }),
            ]
          : [
              button('Nouveau mot de passe', () => void act('Mot de passe réinitialisé', () => post(`${base(a.login)}/password`), a.login), { 'aria-label': `Nouveau mot de passe pour ${a.login}` }),
              button('Nouveau TOTP', () => void act('Second facteur réinitialisé', () => post(`${base(a.login)}/totp`, { enabled: true }), a.login), { 'aria-label': `Nouveau TOTP pour ${a.login}` }),
              a.totp ? button('Retirer le TOTP', () => void act('Second facteur retiré', () => post(`${base(a.login)}/totp`, { enabled: false }), a.login), { 'aria-label': `Retirer le TOTP de ${a.login}` }) : null,
            ],
      ),
    );
  };

  async function load(): Promise<void> {
    try {
      const r = await get<{ accounts: Account[] }>('/api/admin/users');
      replace(
        list,
        h(
          'table.data.accounts',
          null,
          h('caption', null, `${r.accounts.length} compte(s)`),
          h('thead', null, h('tr', null, ['Identifiant', 'Rôle', 'CIM', 'RPPS', 'TOTP / jetons', 'État', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, r.accounts.map(row)),
        ),
      );
    } catch (e) {
      replace(list, h('p.error', { role: 'alert' }, (e as Error).message));
    }
  }

  // Creation form.
  const login = h('input#new-login', { name: 'login', required: true, pattern: '[a-z0-9][a-z0-9._\\-]{2,63}', autocomplete: 'off' }) as HTMLInputElement;
  const role = roleSelect('new-role', 'secretary');
  const cims = h('input#new-cims', { name: 'cims', placeholder: 'CIM01' }) as HTMLInputElement;
  const rpps = h('input#new-rpps', { name: 'rpps', inputmode: 'numeric', pattern: '[0-9]{11}' }) as HTMLInputElement;
  const name = h('input#new-name', { name: 'display_name' }) as HTMLInputElement;
  const totp = h('input#new-totp', { type: 'checkbox' }) as HTMLInputElement;
  const err = h('p.error', { role: 'alert' });
  const create = h(
    'form.card',
    {
      'aria-label': 'Nouveau compte',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        err.textContent = '';
        const gateway = role.value === 'gateway';
        try {
          const r = await post<Secrets>('/api/admin/users', {
            login: login.value.trim(),
            role: role.value,
            cims: CIM_ROLES.includes(role.value) ? cimsOf(cims.value) : [],
            rpps: rpps.value.trim() || undefined,
            display_name: name.value.trim() || undefined,
            generate_password: !gateway,
            totp: !gateway && totp.checked,
          });
          toast(`Compte créé : ${login.value.trim()}`);
          showSecrets(login.value.trim(), r);
          (create as HTMLFormElement).reset();
          role.value = 'secretary';
          await load();
        } catch (x) {
          err.textContent = (x as Error).message;
        }
      },
    },
    h('h2', null, 'Nouveau compte'),
    h('label.field', { for: 'new-login' }, 'Identifiant (minuscules, chiffres, . _ -)'),
    login,
    h('label.field', { for: 'new-role' }, 'Rôle'),
    role,
    h('label.field', { for: 'new-cims' }, 'Centres d’imagerie (CIM), pour radiologue L1, manipulateur, passerelle'),
    cims,
    h('label.field', { for: 'new-rpps' }, 'RPPS (11 chiffres ; obligatoire pour un médecin)'),
    rpps,
    h('label.field', { for: 'new-name' }, 'Nom affiché'),
    name,
    h('label.check', { for: 'new-totp' }, totp, ' Exiger un code à usage unique (TOTP)'),
    h('p.hint', null, 'Un mot de passe est généré et affiché une seule fois ; une passerelle reçoit ensuite un jeton.'),
    err,
    h('button.primary', { type: 'submit' }, 'Créer le compte'),
  );

  replace(main, h('section.page', null, h('h1', null, 'Comptes'), secretPanel, list, editPanel, create));
  void load();
}
