// Secretariat screens: arrivals per CIM and per day with what is missing, one exam's file,
// planning of L2 sessions, tracking of CTI retakes, quarantine.

import { examProblemText } from '../field_errors';
import { h, replace, formatDate, toast } from '../dom';
import { get, post, enc, ApiError } from '../api';
import { ARCHIVE_STATUS, EXAM_STATES, CTI_REASONS, LETTER_KINDS_STAFF, label } from '../i18n';
import { recipientLabel } from './letters';
import type { ExamDetail, ExamSummary, ExamWorkflow, L1Form, ReadingSession } from '../types';
import { renderL1Form } from './l1_summary';

function page(title: string, ...body: (Node | string | null)[]): HTMLElement {
  return h('section.page', null, h('h1', null, title), ...body);
}

function errorBox(e: unknown): HTMLElement {
  return h('p.error', { role: 'alert' }, e instanceof Error ? e.message : String(e));
}

export async function allExams(): Promise<ExamSummary[]> {
  const out: ExamSummary[] = [];
  for (let offset = 0; offset < 20000; offset += 1000) {
    const r = await get<{ total: number; items: ExamSummary[] }>(`/api/exams?limit=1000&offset=${offset}`);
    out.push(...r.items);
    if (r.items.length < 1000 || out.length >= r.total) break;
  }
  return out;
}

export function cimsOf(exams: ExamSummary[]): string[] {
  return [...new Set(exams.map((e) => e.patient?.issuer || '').filter(Boolean))].sort();
}

interface LedgerDay {
  cim_id: string;
  day: string;
  sent: number;
}

// Sent counts come from the gateways' ledger when the hub has one (GET /api/ledger).
async function ledger(): Promise<LedgerDay[] | null> {
  try {
    const r = await get<{ items?: LedgerDay[] }>('/api/ledger');
    return Array.isArray(r?.items) ? r.items : null;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export function arrivals(main: HTMLElement): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(main, page('Arrivées par centre et par jour', h('p.hint', null, "Chaque ligne rapproche ce que le centre a envoyé de ce qui est arrivé complet. Ouvrez une ligne pour voir ce qui manque."), body));
  Promise.all([allExams(), ledger()])
    .then(([exams, sent]) => {
      const groups = new Map<string, ExamSummary[]>();
      for (const e of exams) {
        const key = `${e.patient?.issuer || 'inconnu'}|${(e.received_at ?? '').slice(0, 10)}`;
        (groups.get(key) ?? groups.set(key, []).get(key)!).push(e);
      }
      const sentOf = (cim: string, day: string) => sent?.find((s) => s.cim_id === cim && s.day === day)?.sent;
      const keys = [...groups.keys()].sort((a, b) => b.split('|')[1].localeCompare(a.split('|')[1]) || a.localeCompare(b));
      if (!keys.length) return replace(body, h('p', null, 'Aucun examen reçu.'));
      replace(
        body,
        sent === null ? h('p.hint', null, "Envoyés : le registre des envois des passerelles n'est pas encore disponible sur ce hub ; seuls les examens reçus sont comptés.") : null,
        h(
          'table.data',
          null,
          h('thead', null, h('tr', null, ['Centre', 'Jour', 'Envoyés', 'Reçus', 'Complets', 'Incomplets', 'À vérifier', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            null,
            keys.map((k) => {
              const [cim, day] = k.split('|');
              const list = groups.get(k)!;
              const n = (s: string) => list.filter((e) => e.status === s).length;
              const missing = list.filter((e) => e.status !== 'complete');
              const s = sentOf(cim, day);
              const detail = h(
                'tr.detail',
                { hidden: true },
                h(
                  'td',
                  { colspan: 8 },
                  missing.length
                    ? h(
                        'ul',
                        null,
                        missing.map((e) =>
                          h(
                            'li',
                            null,
                            h('a', { href: `/secretariat/examen?etude=${enc(e.study_uid)}`, 'data-link': true }, `${e.patient?.name ?? 'Patiente'} — ${formatDate(e.study_date)}`),
                            ' : ',
                            [...(e.missing ?? []).map((m) => `${m} manquante`), ...(e.problems ?? []).map(examProblemText)].join(' ; ') || label(ARCHIVE_STATUS, e.status),
                          ),
                        ),
                      )
                    : h('p', null, 'Tous les examens de ce jour sont complets.'),
                ),
              );
              const toggle = h('button.link', { type: 'button', 'aria-expanded': 'false' }, missing.length ? `Voir ce qui manque (${missing.length})` : 'Détail');
              toggle.addEventListener('click', () => {
                detail.hidden = !detail.hidden;
                toggle.setAttribute('aria-expanded', String(!detail.hidden));
              });
              const row = h(
                'tr',
                { class: missing.length ? 'has-missing' : '' },
                h('td', null, cim),
                h('td', null, formatDate(day)),
                h('td', null, s === undefined ? '—' : String(s)),
                h('td', null, String(list.length)),
                h('td', null, String(n('complete'))),
                h('td', null, String(n('incomplete'))),
                h('td', null, String(n('needs-review'))),
                h('td', null, toggle),
              );
              return [row, detail];
            }),
          ),
        ),
      );
    })
    .catch((e) => replace(body, errorBox(e)));
}

export function examDetail(main: HTMLElement, uid: string): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(main, page('Dossier d’examen', body));
  Promise.all([get<ExamDetail>(`/api/exams/${enc(uid)}`), get<ExamWorkflow>(`/api/exams/${enc(uid)}/workflow`).catch(() => null)])
    .then(async ([exam, wf]) => {
      const letters = h('div.exam-letters', { 'aria-live': 'polite' });
      const form = wf?.l1_form ? (await get<{ form: L1Form }>(`/api/exams/${enc(uid)}/l1-form`)).form : null;
      replace(
        body,
        h(
          'dl.facts',
          null,
          h('dt', null, 'Patiente'),
          h('dd', null, `${exam.patient?.name ?? '—'} (née le ${formatDate(exam.patient?.birth_date)})`),
          h('dt', null, 'Centre'),
          h('dd', null, exam.patient?.issuer ?? '—'),
          h('dt', null, 'Date de l’examen'),
          h('dd', null, formatDate(exam.study_date)),
          h('dt', null, 'Images'),
          h('dd', null, `${exam.instance_count ?? exam.images.length} (${label(ARCHIVE_STATUS, exam.status)})`),
          h('dt', null, 'État'),
          h('dd', null, wf ? label(EXAM_STATES, wf.state) : 'pas encore dans le circuit'),
        ),
        wf?.missing.length ? h('div.callout', null, h('h2', null, 'Ce qui manque'), h('ul', null, wf.missing.map((m) => h('li', { title: m }, examProblemText(m))))) : null,
        exam.missing?.length ? h('p.warn', null, `Incidences manquantes : ${exam.missing.join(', ')}`) : null,
        exam.problems?.length ? h('p.warn', null, `Problèmes : ${exam.problems.map(examProblemText).join(' ; ')}`) : null,
        h('h2', null, 'Images reçues'),
        h('ul.inline', null, exam.images.map((i) => h('li', null, i.view?.code ?? 'autre'))),
        form ? renderL1Form(form) : h('p', null, 'Fiche L1 non reçue.'),
        wf?.history.length
          ? [
              h('h2', null, 'Historique'),
              h(
                'table.data',
                null,
                h('thead', null, h('tr', null, ['Date', 'Étape', 'Détail'].map((t) => h('th', { scope: 'col' }, t)))),
                h('tbody', null, wf.history.map((x) => h('tr', null, h('td', null, formatDate(x.at)), h('td', null, label(EXAM_STATES, x.to)), h('td', null, x.detail ?? x.event)))),
              ),
            ]
          : null,
        h('p', null, h('a', { href: `/api/exams/${enc(uid)}/cda`, download: `fiche-${uid}.xml` }, 'Télécharger la fiche (HL7 CDA)')),
        letters,
      );
      get<{ items: { id: string; kind: string; recipient: string; run_id: string; created_at: string }[] }>(`/api/letters?exam=${enc(uid)}`)
        .then(({ items }) =>
          replace(
            letters,
            h('h2', null, 'Courriers'),
            items.length
              ? h('ul', null, items.map((l) => h('li', null, h('a', { href: `/api/letters/${enc(l.id)}/pdf`, target: '_blank', rel: 'noopener' }, `${label(LETTER_KINDS_STAFF, l.kind)} — ${recipientLabel(l.recipient)}`), ` (tirage ${l.run_id}, ${formatDate(l.created_at)})`)))
              : h('p', null, 'Aucun courrier imprimé pour cet examen.'),
          ),
        )
        .catch((e) => replace(letters, errorBox(e)));
    })
    .catch((e) => replace(body, errorBox(e)));
}

export function sessions(main: HTMLElement): void {
  const list = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  const result = h('div', { 'aria-live': 'polite' });
  const dealBtn = h('button.primary', { type: 'button' }, 'Constituer les séances avec les examens en attente');
  dealBtn.addEventListener('click', async () => {
    dealBtn.disabled = true;
    try {
      const r = await post<{ sessions: ReadingSession[]; undealt: { exam_id: string; reason: string }[] }>('/api/sessions/deal', {});
      replace(
        result,
        h('p', null, `${r.sessions.length} séance(s) constituée(s).`),
        r.undealt.length ? [h('h2', null, 'Examens non attribués'), h('ul', null, r.undealt.map((u) => h('li', null, `${u.exam_id} : ${u.reason}`)))] : null,
      );
      load();
    } catch (e) {
      replace(result, errorBox(e));
    } finally {
      dealBtn.disabled = false;
    }
  });
  const load = () =>
    get<{ items: ReadingSession[] }>('/api/sessions')
      .then(({ items }) =>
        replace(
          list,
          items.length
            ? h(
                'table.data',
                null,
                h('thead', null, h('tr', null, ['Séance', 'Lecteur', 'Créée le', 'Taille', 'Lus', 'Rendus', 'État'].map((t) => h('th', { scope: 'col' }, t)))),
                h('tbody', null, items.map((s) => h('tr', null, h('td', null, s.id), h('td', null, s.reader?.name ?? s.reader?.rpps), h('td', null, formatDate(s.created_at)), h('td', null, String(s.size ?? '')), h('td', null, String(s.read ?? 0)), h('td', null, String(s.skipped ?? 0)), h('td', null, s.status === 'done' ? 'Terminée' : 'Ouverte')))),
              )
            : h('p', null, 'Aucune séance.'),
        ),
      )
      .catch((e) => replace(list, errorBox(e)));
  replace(main, page('Séances de deuxième lecture', h('p', null, dealBtn), result, list));
  void load();
}

interface CtiItem {
  request_id: string;
  exam_id: string;
  requested_on: string;
  days_open: number;
  reminder_due: boolean;
  items: { view?: string; reason?: string; comment?: string }[];
}

export function ctiTable(rows: (CtiItem & { cim: string })[], examLink: (id: string) => string): HTMLElement {
  if (!rows.length) return h('p', null, 'Aucune demande de CTI ouverte.');
  return h(
    'table.data',
    null,
    h('thead', null, h('tr', null, ['Centre', 'Examen', 'Demandé le', 'Ouvert depuis', 'Incidences à refaire'].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          { class: r.reminder_due ? 'overdue' : '' },
          h('td', null, r.cim),
          h('td', null, h('a', { href: examLink(r.exam_id), 'data-link': true }, r.exam_id)),
          h('td', null, formatDate(r.requested_on)),
          h('td', null, `${r.days_open} j${r.reminder_due ? ' — relance due' : ''}`),
          h('td', null, r.items.map((i) => `${i.view ?? ''} (${label(CTI_REASONS, i.reason ?? '')})`).join(', ')),
        ),
      ),
    ),
  );
}

export async function ctiRows(cims: string[]): Promise<(CtiItem & { cim: string })[]> {
  const lists = await Promise.all(cims.map((c) => get<{ items: CtiItem[] }>(`/api/cti?cim=${enc(c)}`).then((r) => r.items.map((i) => ({ ...i, cim: c })))));
  return lists.flat().sort((a, b) => b.days_open - a.days_open);
}

export function ctiTracking(main: HTMLElement): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(main, page('Suivi des clichés à refaire (CTI)', body));
  allExams()
    .then((exams) => ctiRows(cimsOf(exams)))
    .then((rows) => replace(body, ctiTable(rows, (id) => `/secretariat/examen?etude=${enc(id)}`)))
    .catch((e) => replace(body, errorBox(e)));
}

export function quarantine(main: HTMLElement): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(main, page('Quarantaine', h('p.hint', null, "Objets mis de côté à l'arrivée (conflit d'identifiant ou d'identité) : ils ne sont rattachés à aucun dossier tant qu'un humain n'a pas tranché."), body));
  get<{ items: { id: number; sop_instance_uid: string; study_uid: string; reason: string; source: string; received_at: string; size: number }[] }>('/api/quarantine?limit=1000')
    .then(({ items }) =>
      replace(
        body,
        items.length
          ? h(
              'table.data',
              null,
              h('thead', null, h('tr', null, ['Reçu le', 'Étude', 'Instance', 'Motif', 'Source'].map((t) => h('th', { scope: 'col' }, t)))),
              h('tbody', null, items.map((q) => h('tr', null, h('td', null, formatDate(q.received_at)), h('td.mono', null, q.study_uid), h('td.mono', null, q.sop_instance_uid), h('td', null, q.reason), h('td', null, q.source)))),
            )
          : h('p', null, 'Rien en quarantaine.'),
      ),
    )
    .catch((e) => {
      replace(body, errorBox(e));
      toast((e as Error).message, 'error');
    });
}
