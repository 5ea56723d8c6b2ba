// The portal for women and their doctors, phone first. A woman signs in with the code printed
// on her letter and her birth date (no e-mail, no smartphone app); a doctor with her account.
// Documents and images are listed by the hub's portal API; nothing is shown that the hub did
// not send.

import { h, replace } from '../dom';
import { ApiError, get } from '../api';
import { portalLogin, login, type User } from '../auth';

interface PortalDocument {
  id: string;
  title: string;
  date?: string;
  url: string;
}

export function portalPage(main: HTMLElement, user: User | null, onLogin: (u: User) => void): void {
  if (user && (user.role === 'woman' || user.role === 'doctor')) return portalHome(main, user);
  const err = h('p.error', { role: 'alert' });
  const code = h('input#portal-code', { name: 'code', autocomplete: 'one-time-code', autocapitalize: 'characters', required: true });
  const birth = h('input#portal-birth', { name: 'birth_date', type: 'date', required: true, autocomplete: 'bday' });
  const woman = h(
    'form.card.narrow',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        err.textContent = '';
        if (!code.value.trim() || !birth.value) {
          err.textContent = 'Saisissez le code de votre courrier et votre date de naissance.';
          return;
        }
        try {
          const u = await portalLogin(code.value.trim(), birth.value);
          onLogin(u);
          portalHome(main, u);
        } catch (x) {
          err.textContent =
            x instanceof ApiError && x.status === 404
              ? "Le portail n'est pas encore ouvert sur ce serveur."
              : x instanceof ApiError && (x.status === 401 || x.status === 403)
                ? 'Code ou date de naissance incorrects.'
                : (x as Error).message;
        }
      },
    },
    h('h1', null, 'Vos résultats de dépistage'),
    h('p', null, 'Saisissez le code imprimé sur votre courrier et votre date de naissance.'),
    h('label.field', { for: 'portal-code' }, 'Code du courrier'),
    code,
    h('label.field', { for: 'portal-birth' }, 'Date de naissance'),
    birth,
    err,
    h('button.primary', { type: 'submit' }, 'Accéder à mes documents'),
  );
  const dErr = h('p.error', { role: 'alert' });
  const dLogin = h('input#doc-login', { autocomplete: 'username', required: true });
  const dPw = h('input#doc-pw', { type: 'password', autocomplete: 'current-password', required: true });
  const doctor = h(
    'form.card.narrow',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        dErr.textContent = '';
        try {
          const u = await login(dLogin.value.trim(), dPw.value);
          onLogin(u);
          portalHome(main, u);
        } catch (x) {
          dErr.textContent = x instanceof ApiError && x.status === 404 ? "L'accès des médecins n'est pas encore ouvert sur ce serveur." : (x as Error).message;
        }
      },
    },
    h('h2', null, 'Médecin'),
    h('label.field', { for: 'doc-login' }, 'Identifiant'),
    dLogin,
    h('label.field', { for: 'doc-pw' }, 'Mot de passe'),
    dPw,
    dErr,
    h('button', { type: 'submit' }, 'Se connecter'),
  );
  replace(main, h('section.portal', null, woman, doctor));
  code.focus();
}

function portalHome(main: HTMLElement, user: User): void {
  const list = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(main, h('section.portal.page', null, h('h1', null, user.role === 'doctor' ? 'Vos patientes' : 'Vos documents'), list));
  get<{ items: PortalDocument[] }>('/api/portal/documents')
    .then(({ items }) =>
      replace(
        list,
        items.length
          ? h('ul.documents', null, items.map((d) => h('li', null, h('a', { href: d.url, download: true }, d.title), d.date ? ` — ${d.date}` : '')))
          : h('p', null, 'Aucun document pour le moment.'),
      ),
    )
    .catch((e) =>
      replace(list, h('p', null, e instanceof ApiError && e.status === 404 ? 'Vos courriers et vos images seront affichés ici dès que le service sera ouvert par votre centre de dépistage.' : (e as Error).message)),
    );
}
