// The portal for women and their doctors, phone first. A woman signs in with the code printed
// on her letter and her birth date (no e-mail, no app); a doctor with her account. The hub's
// portal API (/api/portal/*) answers from the signed-in person's own identity: a woman reads her
// letters and looks at and downloads her images, and may share one exam with a doctor by an
// expiring link; a doctor sees the women who named her. A share link (/share/{token}) opens a
// page showing that one exam. Nothing is shown that the hub did not send.

import { h, replace, formatDate, toast } from '../dom';
import { ApiError, get, post, enc } from '../api';
import { portalLogin, login, type User } from '../auth';
import { EXAM_STATES, LETTER_KINDS, ROLES, VIEW_NAMES, personName, label } from '../i18n';
import { showSingleImage, saveBlob, type SingleImage } from '../viewer/single_image';

export interface PortalLetter {
  id: string;
  kind: string;
  exam_id?: string;
  date?: string;
  pages?: number;
  url: string;
}
export interface PortalImage {
  sop_instance_uid: string;
  series_instance_uid?: string;
  view: string;
  role?: string;
  laterality?: string;
  url: string;
}
export interface PortalExam {
  study_uid: string;
  study_date?: string;
  institution?: string;
  cim_id?: string;
  description?: string;
  modalities?: string;
  images: PortalImage[];
}
interface PersonRef {
  id: string;
  name?: string;
  birth_date?: string;
}
interface WomanDocuments {
  role: 'woman';
  woman: PersonRef | null;
  letters: PortalLetter[];
  exams: PortalExam[];
}
interface DoctorDocuments {
  role: 'doctor';
  rpps: string;
  women: { woman: PersonRef; letters: PortalLetter[]; exams: PortalExam[] }[];
}

function loginError(x: unknown, wrong: string): string {
  if (x instanceof ApiError && (x.status === 401 || x.status === 403)) return wrong;
  if (x instanceof ApiError && x.status === 429) return 'Trop d’essais depuis votre connexion : patientez une minute avant de réessayer.';
  if (x instanceof ApiError && x.status === 0) return x.message;
  return `Le service ne répond pas comme prévu (${(x as Error).message}). Réessayez plus tard.`;
}

export function portalPage(main: HTMLElement, user: User | null, onLogin: (u: User) => void): void {
  if (user && (user.role === 'woman' || user.role === 'doctor')) return portalHome(main, user);
  const err = h('p.error', { role: 'alert' });
  const code = h('input#portal-code', { name: 'code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', required: true, 'aria-describedby': 'portal-code-hint' });
  const birth = h('input#portal-birth', { name: 'birth_date', type: 'date', required: true, autocomplete: 'bday', max: new Date().toISOString().slice(0, 10) });
  const woman = h(
    'form.card.narrow#portal-woman',
    {
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        err.textContent = '';
        if (!code.value.trim() || !birth.value) {
          err.textContent = 'Saisissez le code de votre courrier et votre date de naissance.';
          (code.value.trim() ? birth : code).focus();
          return;
        }
        try {
          const u = await portalLogin(code.value.trim(), birth.value);
          onLogin(u);
          portalHome(main, u);
        } catch (x) {
          err.textContent = loginError(x, 'Code ou date de naissance incorrects. Vérifiez le code imprimé sur votre courrier (les tirets sont facultatifs).');
          code.focus();
        }
      },
    },
    h('h1', null, 'Vos résultats de dépistage'),
    h('p', null, 'Saisissez le code imprimé sur votre courrier et votre date de naissance.'),
    h('label.field', { for: 'portal-code' }, 'Code du courrier'),
    code,
    h('p.hint#portal-code-hint', null, 'Par exemple ABCD-EFGH-JKMN-PQRS'),
    h('label.field', { for: 'portal-birth' }, 'Date de naissance'),
    birth,
    err,
    h('button.primary', { type: 'submit' }, 'Accéder à mes documents'),
  );
  const dErr = h('p.error', { role: 'alert' });
  const dLogin = h('input#doc-login', { autocomplete: 'username', required: true });
  const dPw = h('input#doc-pw', { type: 'password', autocomplete: 'current-password', required: true });
  const dTotp = h('input#doc-totp', { inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}' });
  const doctor = h(
    'form.card.narrow#portal-doctor',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        dErr.textContent = '';
        try {
          const u = await login(dLogin.value.trim(), dPw.value, dTotp.value.trim() || undefined);
          if (u.role !== 'doctor') {
            dErr.textContent = "Ce compte n'est pas un compte de médecin : utilisez la page de connexion du personnel.";
            return;
          }
          onLogin(u);
          portalHome(main, u);
        } catch (x) {
          dErr.textContent = loginError(x, (x as Error).message);
          dPw.value = '';
          dPw.focus();
        }
      },
    },
    h('h2', null, 'Vous êtes médecin'),
    h('p.hint', null, 'Vous voyez les examens des patientes qui vous ont désigné.'),
    h('label.field', { for: 'doc-login' }, 'Identifiant'),
    dLogin,
    h('label.field', { for: 'doc-pw' }, 'Mot de passe'),
    dPw,
    h('label.field', { for: 'doc-totp' }, 'Code à usage unique (si demandé)'),
    dTotp,
    dErr,
    h('button', { type: 'submit' }, 'Se connecter'),
  );
  replace(main, h('section.portal', null, woman, doctor));
  code.focus();
}

function letterItem(l: PortalLetter): HTMLElement {
  const title = label(LETTER_KINDS, l.kind);
  const name = `courrier-${(l.date ?? '').slice(0, 10)}-${l.id}.pdf`;
  return h(
    'li.doc',
    { 'data-letter': l.id },
    h('div.doc-title', null, title),
    h('div.hint', null, `Envoyé le ${formatDate(l.date)}${l.pages ? ` · ${l.pages} page${l.pages > 1 ? 's' : ''}` : ''}`),
    h(
      'div.doc-actions',
      null,
      h('a.button', { href: l.url, target: '_blank', rel: 'noopener', 'aria-label': `Lire : ${title}` }, 'Lire'),
      h('a.button', { href: l.url, download: name, 'aria-label': `Télécharger : ${title}` }, 'Télécharger'),
    ),
  );
}

function imageHref(img: PortalImage, exam: PortalExam, share?: string): string {
  const q = new URLSearchParams({ image: img.url, vue: img.view, date: exam.study_date ?? '' });
  if (share) q.set('partage', share);
  return `/portail/image?${q}`;
}

function imageName(view: string): string {
  return VIEW_NAMES[view] ? `${VIEW_NAMES[view]} (${view})` : view.startsWith('US') ? 'Échographie' : `Autre image (${view})`;
}

// The four standard views first, in the usual order, then the others.
function sortViews(images: PortalImage[]): PortalImage[] {
  const order = ['RCC', 'LCC', 'RMLO', 'LMLO'];
  const rank = (v: string) => (order.includes(v) ? order.indexOf(v) : order.length);
  return [...images].sort((a, b) => rank(a.view) - rank(b.view) || a.view.localeCompare(b.view));
}

function examItem(exam: PortalExam, canShare: boolean): HTMLElement {
  const shareBox = h('div.share', { 'aria-live': 'polite' });
  const shareBtn = canShare
    ? h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            shareBtn!.disabled = true;
            try {
              const r = await post<{ url: string; expires_at: string }>(`/api/exams/${enc(exam.study_uid)}/share-links`, { valid_hours: 72 });
              const link = `${location.origin}${r.url}`;
              const field = h('input.share-url', { value: link, readonly: true, 'aria-label': 'Lien de partage', onfocus: (e: Event) => (e.target as HTMLInputElement).select() });
              replace(
                shareBox,
                h('p', null, `Transmettez ce lien à votre médecin. Il donne accès à cet examen seulement, jusqu’au ${formatDate(r.expires_at)}.`),
                field,
                h(
                  'button',
                  {
                    type: 'button',
                    onclick: async () => {
                      try {
                        await navigator.clipboard.writeText(link);
                        toast('Lien copié.');
                      } catch {
                        field.select();
                        toast('Sélectionnez le lien et copiez-le.');
                      }
                    },
                  },
                  'Copier le lien',
                ),
              );
              field.focus();
            } catch (e) {
              replace(shareBox, h('p.error', { role: 'alert' }, `Le lien n’a pas pu être créé : ${(e as Error).message}`));
            } finally {
              shareBtn!.disabled = false;
            }
          },
        },
        'Partager avec un médecin',
      )
    : null;
  const shown = sortViews(exam.images);
  return h(
    'li.exam',
    { 'data-study': exam.study_uid },
    h('div.doc-title', null, `Mammographie du ${formatDate(exam.study_date)}`),
    exam.institution ? h('div.hint', null, exam.institution) : null,
    shown.length
      ? h(
          'ul.images',
          null,
          shown.map((img) => h('li', null, h('a.button.image-link', { href: imageHref(img, exam), 'data-link': true, 'data-view': img.view }, imageName(img.view)))),
        )
      : h('p.hint', null, 'Les images de cet examen ne sont pas encore arrivées.'),
    shareBtn ? h('div.doc-actions', null, shareBtn) : null,
    shareBox,
  );
}

interface AccessEntry {
  time: string;
  actor: string;
  role: string;
  action: string;
  object_type: string;
  detail: { to?: string } | string | null;
}

// Who did it, in words a woman understands.
function whoDid(e: AccessEntry, womanId: string): string {
  if (e.actor === `woman:${womanId}`) return 'Vous';
  if (e.actor.startsWith('share:')) return 'Une personne avec votre lien de partage';
  if (e.role === 'doctor') return `Votre médecin (${e.actor})`;
  const role = e.role.split('@')[0]; // "l1_radiologist@CIM01,CIM02": the role, its centres aside
  if (role === 'gateway') return 'Le centre d’imagerie (transmission des images)';
  if (role === 'system' || e.actor === 'hub') return 'Le système de dépistage (automatiquement)';
  return `${label(ROLES, role)} (${e.actor})`;
}

// What was done with her record (the hub's audit actions, grouped), as a past participle.
function whatWasDone(e: AccessEntry): string {
  const a = e.action;
  const to = typeof e.detail === 'object' && e.detail?.to;
  if (e.object_type === 'exam' && to) return `fait passer votre examen à « ${label(EXAM_STATES, to)} »`;
  if (/^(retrieve|portal\.image|share\.retrieve)/.test(a) || e.object_type === 'instance') return 'consulté vos images';
  if (a.startsWith('portal.letter') || a === 'list-letters' || e.object_type === 'letter') return 'consulté un courrier';
  if (a === 'share-link.create') return 'créé un lien de partage';
  if (a === 'share-link.revoke') return 'révoqué un lien de partage';
  if (a.startsWith('share.')) return 'ouvert votre lien de partage';
  if (a === 'read-access-history') return 'consulté cet historique';
  if (a === 'auth.login') return 'ouvert une session';
  if (a === 'auth.logout') return 'fermé sa session';
  if (a === 'auth.failed') return 'tenté une connexion, refusée';
  if (a.startsWith('auth.')) return 'tenté une connexion, bloquée après trop d’essais';
  if (a.includes('identity')) return 'vérifié votre identité';
  if (a === 'portal.documents') return 'consulté vos documents';
  if (a.includes('doctor')) return 'consulté ou modifié votre médecin traitant';
  if (a.startsWith('read') || a === 'search' || a === 'query') return 'consulté votre dossier';
  return 'traité votre dossier';
}

// One line of the history: "Vous avez consulté vos images", "Radiologue L2 (dupont) a consulté…".
function sentence(e: AccessEntry, womanId: string): string {
  const who = whoDid(e, womanId);
  const done = whatWasDone(e);
  return who === 'Vous' ? `Vous avez ${done.replace('fermé sa session', 'fermé votre session')}.` : `${who} a ${done}.`;
}

// "Qui a consulté mon dossier": the latest entries of the audit trail about her, loaded when she
// opens the section (reading it is itself recorded).
function accessHistory(womanId: string): HTMLElement {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  const details = h('details.access-history', null, h('summary', null, 'Qui a consulté votre dossier'), body) as HTMLDetailsElement;
  let loaded = false;
  details.addEventListener('toggle', () => {
    if (!details.open || loaded) return;
    loaded = true;
    get<{ entries: AccessEntry[] }>(`/api/women/${enc(womanId)}/access-history?limit=100`)
      .then((r) =>
        replace(
          body,
          r.entries.length
            ? h(
                'ul.history',
                null,
                r.entries.map((e) =>
                  h('li', null, h('time', { datetime: e.time }, new Date(e.time).toLocaleString('fr-FR', { dateStyle: 'short', timeStyle: 'short' })), ' — ', sentence(e, womanId)),
                ),
              )
            : h('p', null, 'Personne n’a encore consulté votre dossier.'),
          h('p.hint', null, 'Les 100 dernières consultations et étapes de votre dossier, les plus récentes en premier.'),
        ),
      )
      .catch((e) => replace(body, h('p.error', { role: 'alert' }, (e as Error).message)));
  });
  return details;
}

function portalHome(main: HTMLElement, user: User): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  const title = h('h1', null, user.role === 'doctor' ? 'Vos patientes' : 'Vos documents');
  replace(main, h('section.portal.page', null, title, body));
  get<WomanDocuments | DoctorDocuments>('/api/portal/documents')
    .then((d) => {
      if (d.role === 'woman') {
        if (d.woman?.name) title.textContent = `Bonjour ${personName(d.woman.name)}`;
        replace(
          body,
          h('h2', null, 'Vos courriers'),
          d.letters.length ? h('ul.docs', null, d.letters.map(letterItem)) : h('p', null, 'Aucun courrier pour le moment.'),
          h('h2', null, 'Vos images'),
          d.exams.length ? h('ul.docs', null, d.exams.map((e) => examItem(e, true))) : h('p', null, 'Aucun examen pour le moment.'),
          h('p.hint', null, 'Chaque consultation de vos documents est enregistrée. Une question sur vos résultats ? Adressez-vous à votre médecin ou au centre de dépistage dont les coordonnées figurent sur votre courrier.'),
          d.woman ? accessHistory(d.woman.id) : null,
        );
        return;
      }
      replace(
        body,
        d.women.length
          ? h(
              'ul.docs',
              null,
              d.women.map((w) =>
                h(
                  'li.patient',
                  { 'data-woman': w.woman.id },
                  h('h2', null, `${personName(w.woman.name)}`),
                  h('div.hint', null, `Née le ${formatDate(w.woman.birth_date)}`),
                  h('h3', null, 'Courriers qui vous sont adressés'),
                  w.letters.length ? h('ul.docs', null, w.letters.map(letterItem)) : h('p.hint', null, 'Aucun courrier.'),
                  h('h3', null, 'Examens'),
                  w.exams.length ? h('ul.docs', null, w.exams.map((e) => examItem(e, false))) : h('p.hint', null, 'Aucun examen.'),
                ),
              ),
            )
          : h('p', null, 'Aucune patiente ne vous a désigné pour le moment.'),
      );
    })
    .catch((e) => replace(body, h('p.error', { role: 'alert' }, e instanceof ApiError && e.status === 401 ? 'Votre session a expiré : reconnectez-vous.' : (e as Error).message)));
}

// One image, full screen on a phone: fit, zoom, move (drag), invert, download as PNG or as the
// original DICOM file.
export function imagePage(main: HTMLElement, back: { href: string; text: string }): () => void {
  const q = new URLSearchParams(location.search);
  const url = q.get('image') ?? '';
  const view = q.get('vue') ?? '';
  const date = q.get('date') ?? '';
  const status = h('p.hint', { 'aria-live': 'polite' }, 'Chargement de l’image…');
  const stage = h('div.single-viewer', { role: 'img', 'aria-label': `${imageName(view)}, mammographie du ${formatDate(date)}` });
  let viewer: SingleImage | null = null;
  let gone = false;
  const act = (f: (v: SingleImage) => void) => () => viewer && f(viewer);
  const base = `mammographie-${date || 'image'}-${view || 'vue'}`;
  const pngBtn = h(
    'button',
    {
      type: 'button',
      disabled: true,
      onclick: async () => {
        if (!viewer) return;
        try {
          saveBlob(await viewer.png(), `${base}.png`);
        } catch (e) {
          toast((e as Error).message, 'error');
        }
      },
    },
    'Télécharger l’image (PNG)',
  );
  // Shown at the screen's resolution first (light on a phone); the whole image on demand.
  const fullBtn = h(
    'button',
    {
      type: 'button',
      hidden: true,
      onclick: async () => {
        if (!viewer) return;
        fullBtn.setAttribute('disabled', '');
        status.textContent = 'Chargement de l’image en pleine résolution…';
        try {
          await viewer.fullResolution();
          fullBtn.hidden = true;
          status.textContent = 'Image affichée en pleine résolution.';
        } catch (e) {
          fullBtn.removeAttribute('disabled');
          replace(status, h('span.error', { role: 'alert' }, (e as Error).message));
        }
      },
    },
    'Pleine résolution',
  );
  const safeUrl = /^\/(api\/portal\/images|share\/[^/]+\/instances)\/[0-9.]+$/.test(url) ? url : '';
  const controls = h(
    'div.viewer-controls',
    { role: 'toolbar', 'aria-label': 'Affichage de l’image' },
    h('button', { type: 'button', onclick: act((v) => v.fit()), 'aria-keyshortcuts': 'F' }, 'Ajuster'),
    h('button', { type: 'button', onclick: act((v) => v.zoom(1.25)), 'aria-keyshortcuts': '+', 'aria-label': 'Agrandir' }, 'Agrandir +'),
    h('button', { type: 'button', onclick: act((v) => v.zoom(0.8)), 'aria-keyshortcuts': '-', 'aria-label': 'Réduire' }, 'Réduire −'),
    h('button', { type: 'button', onclick: act((v) => v.toggleInvert()), 'aria-keyshortcuts': 'I' }, 'Inverser'),
    fullBtn,
    pngBtn,
    safeUrl ? h('a.button', { href: safeUrl, download: `${base}.dcm` }, 'Fichier DICOM d’origine') : null,
  );
  replace(
    main,
    h(
      'section.portal.page.image-page',
      null,
      h('p', null, h('a', { href: back.href, 'data-link': true }, `← ${back.text}`)),
      h('h1', null, `${imageName(view)}`),
      h('p.hint', null, `Mammographie du ${formatDate(date)} · faites glisser pour déplacer l’image`),
      stage,
      status,
      controls,
    ),
  );
  const onKey = (e: KeyboardEvent) => {
    if (!viewer || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if (k === 'f') viewer.fit();
    else if (k === '+' || k === '=') viewer.zoom(1.25);
    else if (k === '-') viewer.zoom(0.8);
    else if (k === 'i') viewer.toggleInvert();
    else return;
    e.preventDefault();
  };
  document.addEventListener('keydown', onKey);
  if (!safeUrl) {
    replace(status, h('span.error', { role: 'alert' }, 'Adresse d’image invalide.'));
  } else {
    showSingleImage(stage, safeUrl)
      .then((v) => {
        if (gone) return v.destroy();
        viewer = v;
        pngBtn.disabled = false;
        fullBtn.hidden = v.factor === 1;
        status.textContent = v.factor === 1 ? 'Image affichée en pleine résolution.' : 'Image affichée à la résolution de votre écran : « Pleine résolution » pour les détails.';
      })
      .catch((e) => replace(status, h('span.error', { role: 'alert' }, (e as Error).message)));
  }
  return () => {
    gone = true;
    document.removeEventListener('keydown', onKey);
    viewer?.destroy();
    viewer = null;
  };
}

interface SharedExam {
  study_uid: string;
  expires_at: string;
  exam: { study_date?: string; institution?: string; patient?: { name?: string; birth_date?: string }; images?: { sop_instance_uid: string; view?: { code?: string } | null }[] };
  instances: { sop_instance_uid: string; url: string }[];
}

// The page of a share link: the one exam it gives, its images opening in the viewer.
export function sharePage(main: HTMLElement, token: string): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(main, h('section.portal.page', null, h('h1', null, 'Examen partagé'), body));
  get<SharedExam>(`/share/${enc(token)}`)
    .then((s) => {
      const viewOf = new Map((s.exam.images ?? []).map((i) => [i.sop_instance_uid, i.view?.code ?? 'OTHER']));
      const exam: PortalExam = {
        study_uid: s.study_uid,
        study_date: s.exam.study_date,
        institution: s.exam.institution,
        images: s.instances.map((i) => ({ sop_instance_uid: i.sop_instance_uid, view: viewOf.get(i.sop_instance_uid) ?? 'OTHER', url: i.url })),
      };
      replace(
        body,
        h('dl.facts', null, h('dt', null, 'Patiente'), h('dd', null, `${personName(s.exam.patient?.name)} (née le ${formatDate(s.exam.patient?.birth_date)})`), h('dt', null, 'Examen'), h('dd', null, `Mammographie du ${formatDate(exam.study_date)}`), exam.institution ? [h('dt', null, 'Centre'), h('dd', null, exam.institution)] : null, h('dt', null, 'Lien valable jusqu’au'), h('dd', null, formatDate(s.expires_at))),
        h('p.hint', null, 'Ce lien ne donne accès qu’à cet examen ; chaque consultation est enregistrée.'),
        h('ul.images', null, sortViews(exam.images).map((img) => h('li', null, h('a.button.image-link', { href: imageHref(img, exam, token), 'data-link': true, 'data-view': img.view }, imageName(img.view))))),
      );
    })
    .catch((e) =>
      replace(body, h('p.error', { role: 'alert' }, e instanceof ApiError && e.status === 404 ? 'Ce lien de partage est inconnu, a expiré ou a été révoqué. Demandez un nouveau lien à votre patiente.' : (e as Error).message)),
    );
}
