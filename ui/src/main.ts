// dualread web app entry: who is signed in, the navigation of her role, and the routes.
import './styles.css';
import { h, replace, toast } from './dom';
import { currentUser, linksOf, login, logout, mayOpen, type Area, type User } from './auth';
import { navigate, route, startRouter } from './router';
import { ROLES } from './i18n';
import { listSessions, openConsole } from './screens/l2_console';
import * as sec from './screens/secretariat';
import * as cim from './screens/cim';
import { portalPage, imagePage, sharePage } from './screens/portal';
import { printRuns } from './screens/letters';
import { overdue, reminders } from './screens/results';
import { identityCase, identityQueue, identityWoman } from './screens/identity';
import { indicators } from './screens/indicators';
import { accounts } from './screens/accounts';
import { benchPeerPage } from './bench_peer';

const main = document.getElementById('main')!;
const topbar = document.getElementById('topbar')!;
let user: User | null = null;

function renderTopbar(): void {
  if (!user) {
    replace(topbar, h('div.brand', null, 'dualread'));
    return;
  }
  const links = linksOf(user);
  replace(
    topbar,
    h('div.brand', null, 'dualread'),
    h('nav', { 'aria-label': 'Navigation principale' }, h('ul', null, links.map((l) => h('li', null, h('a', { href: l.href, 'data-link': true }, l.text))))),
    h(
      'div.who',
      null,
      user.role === 'open' ? h('span.tag.open', { title: "Le hub fonctionne sans contrôle d'accès (--open)" }, ROLES.open) : h('span', null, user.role === 'woman' ? ROLES.woman : `${user.name ?? user.login} · ${ROLES[user.role] ?? user.role}`),
      user.role !== 'open' ? h('button.ghost', { type: 'button', onclick: () => void signOut() }, 'Se déconnecter') : null,
    ),
  );
  const here = location.pathname;
  topbar.querySelectorAll('a[data-link]').forEach((a) => {
    if (here.startsWith(a.getAttribute('href')!)) a.setAttribute('aria-current', 'page');
  });
}

async function signOut(): Promise<void> {
  try {
    await logout();
  } catch (e) {
    toast((e as Error).message, 'error');
  }
  user = null;
  navigate('/connexion');
}

function loginPage(): void {
  renderTopbar();
  const loginIn = h('input#login', { name: 'login', autocomplete: 'username', required: true });
  const pwIn = h('input#password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const totpIn = h('input#totp', { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}' });
  const err = h('p.error', { role: 'alert' });
  const form = h(
    'form.card.narrow',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        err.textContent = '';
        try {
          user = await login(loginIn.value.trim(), pwIn.value, totpIn.value.trim() || undefined);
          navigate(homeOf(user), true);
        } catch (x) {
          err.textContent = (x as Error).message;
          pwIn.value = '';
          pwIn.focus();
        }
      },
    },
    h('h1', null, 'Connexion'),
    h('label.field', { for: 'login' }, 'Identifiant'),
    loginIn,
    h('label.field', { for: 'password' }, 'Mot de passe'),
    pwIn,
    h('label.field', { for: 'totp' }, 'Code à usage unique (si demandé)'),
    totpIn,
    err,
    h('button.primary', { type: 'submit' }, 'Se connecter'),
    h('p.hint', null, 'Patiente ou médecin ? ', h('a', { href: '/portail', 'data-link': true }, 'Accédez au portail')),
  );
  replace(main, form);
  loginIn.focus();
}

function homeOf(u: User): string {
  return linksOf(u)[0]?.href ?? '/portail';
}

// Staff pages need a signed-in user of a role that has the area.
function guard(area: Area, show: (params: string[]) => void | (() => void)) {
  return (params: string[]) => {
    if (!user) {
      navigate('/connexion', true);
      return;
    }
    if (!mayOpen(user, area, location.pathname)) {
      renderTopbar();
      replace(main, h('section.page', null, h('h1', null, 'Accès non autorisé'), h('p', null, "Votre rôle ne donne pas accès à cette page.")));
      return;
    }
    renderTopbar();
    return show(params);
  };
}

route(/^\/connexion$/, () => loginPage());
route(/^\/lecture$/, guard('lecture', () => listSessions(main, user?.rpps)));
route(/^\/lecture\/seance\/([^/]+)$/, guard('lecture', ([id]) => openConsole(main, id)));
route(/^\/secretariat\/arrivees$/, guard('secretariat', () => sec.arrivals(main)));
// A study UID goes in the query: with its dots, as a last path segment it reads as a file name.
const etude = () => new URLSearchParams(location.search).get('etude') ?? '';
route(/^\/secretariat\/examen$/, guard('secretariat', () => sec.examDetail(main, etude())));
route(/^\/secretariat\/seances$/, guard('secretariat', () => sec.sessions(main)));
route(/^\/secretariat\/cti$/, guard('secretariat', () => sec.ctiTracking(main)));
route(/^\/secretariat\/quarantaine$/, guard('secretariat', () => sec.quarantine(main)));
route(/^\/secretariat\/courriers$/, guard('secretariat', () => printRuns(main)));
route(/^\/secretariat\/retards$/, guard('secretariat', () => overdue(main)));
route(/^\/secretariat\/relances$/, guard('secretariat', () => reminders(main)));
route(/^\/secretariat\/identite$/, guard('secretariat', () => identityQueue(main)));
const idParam = () => new URLSearchParams(location.search).get('id') ?? '';
route(/^\/secretariat\/identite\/cas$/, guard('secretariat', () => identityCase(main, idParam())));
route(/^\/secretariat\/identite\/femme$/, guard('secretariat', () => identityWoman(main, idParam())));
route(/^\/secretariat\/indicateurs$/, guard('secretariat', () => indicators(main)));
route(/^\/admin\/comptes$/, guard('admin', () => accounts(main, user!)));
route(/^\/cim\/examens$/, guard('cim', () => cim.examList(main, user!)));
route(/^\/cim\/fiche$/, guard('cim', () => cim.l1FormPage(main, etude(), user!)));
route(/^\/cim\/cti$/, guard('cim', () => cim.ctiWorklist(main, user!)));
// Women and doctors see the portal only, never the staff navigation.
function portalTopbar(): void {
  if (user && (user.role === 'woman' || user.role === 'doctor')) renderTopbar();
  else replace(topbar, h('div.brand', null, 'dualread — portail'));
}
route(/^\/portail$/, () => {
  portalTopbar();
  portalPage(main, user, (u) => {
    user = u;
    renderTopbar();
  });
});
// One image: for the signed-in woman or doctor, or from a share link (?partage=<token>).
route(/^\/portail\/image$/, () => {
  const share = new URLSearchParams(location.search).get('partage');
  if (!share && !(user && (user.role === 'woman' || user.role === 'doctor'))) {
    navigate('/portail', true);
    return;
  }
  portalTopbar();
  return imagePage(main, share ? { href: `/share/${encodeURIComponent(share)}`, text: 'Retour à l’examen partagé' } : { href: '/portail', text: 'Retour à mes documents' });
});
// A share link opened in a browser: the hub answers its page, which shows that one exam.
route(/^\/share\/([^/]+)$/, ([token]) => {
  replace(topbar, h('div.brand', null, 'dualread — examen partagé'));
  sharePage(main, token);
});
// Bench peer (bench/viewer_bench.mjs): a generic Cornerstone3D page, not part of the app's screens.
route(/^\/banc\/visionneuse-generique$/, () => benchPeerPage(main));
route(/^\/?$/, () => navigate(user ? homeOf(user) : '/connexion', true));
route(/.*/, () => {
  renderTopbar();
  replace(main, h('section.page', null, h('h1', null, 'Page introuvable'), h('p', null, h('a', { href: '/', 'data-link': true }, "Retour à l'accueil"))));
});

(async () => {
  try {
    user = await currentUser();
  } catch (e) {
    replace(main, h('p.error', { role: 'alert' }, (e as Error).message));
    return;
  }
  document.body.dataset.mode = user?.role === 'open' ? 'open' : 'auth';
  startRouter();
})();
