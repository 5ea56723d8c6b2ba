// Secretariat: the daily print run of letters (POST /api/print-runs) and the runs already made,
// each with its combined PDF for the duplex printer and folding machine and its letters one by
// one. A run marks the results it printed as sent, so it asks for a confirmation first.

import { h, replace, formatDate } from '../dom';
import { get, post, enc } from '../api';
import { LETTER_KINDS_STAFF, label } from '../i18n';

interface RunSummary {
  run_id: string;
  letters: number;
  refused: number;
  pages: number;
  sheets?: number;
  blank_pages?: number;
  by_kind?: Record<string, { letters: number; pages: number }>;
  refused_items?: { id: string | null; kind: string; exam_id?: string; reason: string }[];
  results_sent?: string[];
  combined_pdf?: boolean | null;
  created_at?: string;
}
interface RunRow {
  run_id: string;
  created_at: string;
  actor: string;
  letters: number;
  refused: number;
  pages: number;
  combined_pdf: boolean;
}
interface LetterRow {
  id: string;
  run_id: string;
  exam_id: string;
  woman_id: string;
  kind: string;
  recipient: string;
  pages: number;
}

export function recipientLabel(r: string): string {
  const [who, id] = r.split(':');
  if (who === 'woman') return 'La patiente';
  if (who === 'doctor') return `Son médecin (RPPS ${id})`;
  if (who === 'l1') return `Radiologue L1 (RPPS ${id})`;
  if (who === 'cim') return `Centre d’imagerie ${id}`;
  return r;
}

const examLink = (id: string) => h('a', { href: `/secretariat/examen?etude=${enc(id)}`, 'data-link': true, class: 'mono' }, id);

function summaryBlock(s: RunSummary): HTMLElement {
  const kinds = Object.entries(s.by_kind ?? {});
  return h(
    'div.card.run-summary',
    { 'data-run': s.run_id },
    h('h2', null, `Tirage ${s.run_id}`),
    s.letters
      ? h('p', null, `${s.letters} courrier(s), ${s.pages} page(s) à imprimer${s.blank_pages ? ` dont ${s.blank_pages} blanche(s) pour le recto verso` : ''}${s.sheets ? `, ${s.sheets} feuille(s)` : ''}. ${s.results_sent?.length ?? 0} résultat(s) marqué(s) comme envoyé(s).`)
      : h('p', null, 'Aucun courrier n’était dû : rien n’a été imprimé.'),
    kinds.length ? h('ul', null, kinds.map(([k, v]) => h('li', null, `${label(LETTER_KINDS_STAFF, k)} : ${v.letters} courrier(s), ${v.pages} page(s)`))) : null,
    s.refused_items?.length
      ? h(
          'div.callout',
          null,
          h('h3', null, `${s.refused_items.length} courrier(s) non imprimé(s)`),
          h('p', null, 'Leur examen reste dû et apparaît dans les résultats en retard ; corrigez la cause puis relancez un tirage.'),
          h('ul', null, s.refused_items.map((r) => h('li', null, `${label(LETTER_KINDS_STAFF, r.kind)} — `, r.exam_id ? examLink(r.exam_id) : '', ` : ${r.reason}`))),
        )
      : null,
    s.combined_pdf ? h('p', null, h('a.button.primary', { href: `/api/print-runs/${enc(s.run_id)}/pdf`, target: '_blank', rel: 'noopener' }, 'Ouvrir le PDF à imprimer')) : null,
  );
}

function lettersTable(items: LetterRow[]): HTMLElement {
  if (!items.length) return h('p', null, 'Aucun courrier dans ce tirage.');
  return h(
    'table.data.letters',
    null,
    h('thead', null, h('tr', null, ['Courrier', 'Type', 'Destinataire', 'Examen', 'Pages', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      null,
      items.map((l) =>
        h(
          'tr',
          { 'data-letter': l.id },
          h('td.mono', null, l.id),
          h('td', null, label(LETTER_KINDS_STAFF, l.kind)),
          h('td', null, recipientLabel(l.recipient)),
          h('td', null, examLink(l.exam_id)),
          h('td', null, String(l.pages)),
          h('td', null, h('a', { href: `/api/letters/${enc(l.id)}/pdf`, target: '_blank', rel: 'noopener', 'aria-label': `Ouvrir le courrier ${l.id}` }, 'Ouvrir')),
        ),
      ),
    ),
  );
}

export function printRuns(main: HTMLElement): void {
  const result = h('div', { 'aria-live': 'polite' });
  const list = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  const start = h('button.primary#run-start', { type: 'button' }, 'Lancer le tirage du jour');
  const confirm = h('div.confirm', { hidden: true, role: 'group', 'aria-label': 'Confirmation du tirage' });
  const load = () =>
    get<{ items: RunRow[] }>('/api/print-runs')
      .then(({ items }) =>
        replace(
          list,
          items.length
            ? h(
                'table.data.runs',
                null,
                h('thead', null, h('tr', null, ['Tirage', 'Fait le', 'Par', 'Courriers', 'Non imprimés', 'Pages', 'PDF', ''].map((t) => h('th', { scope: 'col' }, t)))),
                h(
                  'tbody',
                  null,
                  items.map((r) => {
                    const detail = h('tr.detail', { hidden: true }, h('td', { colspan: 8 }, 'Chargement…'));
                    const toggle = h('button.link', { type: 'button', 'aria-expanded': 'false' }, 'Voir les courriers');
                    toggle.addEventListener('click', () => {
                      detail.hidden = !detail.hidden;
                      toggle.setAttribute('aria-expanded', String(!detail.hidden));
                      if (!detail.hidden)
                        get<{ items: LetterRow[] }>(`/api/letters?run=${enc(r.run_id)}`)
                          .then(({ items: letters }) => replace(detail.firstChild as HTMLElement, lettersTable(letters)))
                          .catch((e) => replace(detail.firstChild as HTMLElement, h('p.error', { role: 'alert' }, (e as Error).message)));
                    });
                    return [
                      h(
                        'tr',
                        { 'data-run': r.run_id, class: r.refused ? 'has-missing' : '' },
                        h('td.mono', null, r.run_id),
                        h('td', null, formatDate(r.created_at)),
                        h('td', null, r.actor),
                        h('td', null, String(r.letters)),
                        h('td', null, String(r.refused)),
                        h('td', null, String(r.pages)),
                        h('td', null, r.combined_pdf ? h('a', { href: `/api/print-runs/${enc(r.run_id)}/pdf`, target: '_blank', rel: 'noopener', 'aria-label': `PDF du tirage ${r.run_id}` }, 'PDF') : '—'),
                        h('td', null, r.letters ? toggle : ''),
                      ),
                      detail,
                    ];
                  }),
                ),
              )
            : h('p', null, 'Aucun tirage pour le moment.'),
        ),
      )
      .catch((e) => replace(list, h('p.error', { role: 'alert' }, (e as Error).message)));
  const go = h('button.primary#run-confirm', { type: 'button' }, 'Confirmer le tirage');
  const cancel = h('button#run-cancel', { type: 'button' }, 'Annuler');
  replace(confirm, h('p', null, 'Le tirage imprime tous les courriers dus et marque leurs résultats comme envoyés. Continuer ?'), go, ' ', cancel);
  start.addEventListener('click', () => {
    confirm.hidden = false;
    start.hidden = true;
    go.focus();
  });
  cancel.addEventListener('click', () => {
    confirm.hidden = true;
    start.hidden = false;
    start.focus();
  });
  go.addEventListener('click', async () => {
    go.disabled = true;
    replace(result, h('p', null, 'Tirage en cours…'));
    try {
      const s = await post<RunSummary>('/api/print-runs', {});
      replace(result, summaryBlock(s));
      await load();
    } catch (e) {
      replace(result, h('p.error', { role: 'alert' }, `Le tirage n’a pas été fait : ${(e as Error).message}`));
    } finally {
      go.disabled = false;
      confirm.hidden = true;
      start.hidden = false;
    }
  });
  replace(
    main,
    h(
      'section.page',
      null,
      h('h1', null, 'Courriers'),
      h('p.hint', null, 'Le tirage du jour rassemble les courriers dus — résultats aux femmes et à leurs médecins, rappels, avis de CTI et accusés aux centres — dans un PDF unique pour l’imprimante recto verso et la plieuse.'),
      h('p', null, start),
      confirm,
      result,
      h('h2', null, 'Tirages'),
      list,
    ),
  );
  void load();
}
