// Secretariat: results whose deadline has passed or is near (GET /api/results/overdue) and the
// reminders due in the follow-up of positive cases (GET /api/follow-up/reminders).

import { h, replace, formatDate } from '../dom';
import { get, enc } from '../api';
import { EXAM_STATES, FOLLOW_UP_ORIGINS, FOLLOW_UP_STATUS, label } from '../i18n';

interface OverdueItem {
  exam_id: string;
  woman_id: string;
  cim_id: string;
  state: string;
  mammogram_date: string;
  due: string;
  days_left: number;
  overdue: boolean;
}
interface ReminderItem {
  exam_id: string;
  woman_id: string;
  cim_id: string;
  origin: string;
  positive_on: string;
  status: string;
  due_on: string;
  number: number;
}

const examLink = (id: string) => h('a.mono', { href: `/secretariat/examen?etude=${enc(id)}`, 'data-link': true }, id);

function delay(i: OverdueItem): string {
  if (i.days_left < 0) return `en retard de ${-i.days_left} j`;
  if (i.days_left === 0) return 'échéance aujourd’hui';
  return `dans ${i.days_left} j`;
}

export function overdue(main: HTMLElement): void {
  const soon = h('input#due-soon', { type: 'checkbox', checked: true });
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  const load = () => {
    replace(body, 'Chargement…');
    get<{ today: string; deadline_days: number; overdue: number; items: OverdueItem[] }>(`/api/results/overdue?due_soon=${soon.checked}`)
      .then((r) =>
        replace(
          body,
          h('p', null, `Délai réglementaire : ${r.deadline_days} jours après la mammographie. ${r.overdue} résultat(s) en retard au ${formatDate(r.today)}.`),
          r.items.length
            ? h(
                'table.data.overdue-list',
                null,
                h('thead', null, h('tr', null, ['Examen', 'Centre', 'Femme n°', 'Mammographie', 'Échéance', 'Retard', 'Où en est l’examen'].map((t) => h('th', { scope: 'col' }, t)))),
                h(
                  'tbody',
                  null,
                  r.items.map((i) =>
                    h(
                      'tr',
                      { class: i.overdue ? 'overdue' : '', 'data-exam': i.exam_id },
                      h('td', null, examLink(i.exam_id)),
                      h('td', null, i.cim_id),
                      h('td', null, i.woman_id || '—'),
                      h('td', null, formatDate(i.mammogram_date)),
                      h('td', null, formatDate(i.due)),
                      h('td', null, i.overdue ? h('strong', null, delay(i)) : delay(i)),
                      h('td', null, label(EXAM_STATES, i.state)),
                    ),
                  ),
                ),
              )
            : h('p', null, soon.checked ? 'Aucun résultat en retard ni proche de l’échéance.' : 'Aucun résultat en retard.'),
        ),
      )
      .catch((e) => replace(body, h('p.error', { role: 'alert' }, (e as Error).message)));
  };
  soon.addEventListener('change', load);
  replace(
    main,
    h(
      'section.page',
      null,
      h('h1', null, 'Résultats en retard'),
      h('p.hint', null, 'Les examens dont le résultat n’est pas encore parti, les plus en retard d’abord. Un courrier non imprimé (adresse manquante…) laisse son examen ici.'),
      h('label.check', { for: 'due-soon' }, soon, 'Inclure les échéances des prochains jours'),
      body,
    ),
  );
  load();
}

export function reminders(main: HTMLElement): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(
    main,
    h(
      'section.page',
      null,
      h('h1', null, 'Relances du suivi des positifs'),
      h('p.hint', null, 'Les cas positifs dont rien n’est revenu à temps (bilan, biopsie, anatomopathologie) : à relancer auprès du radiologue ou du médecin.'),
      body,
    ),
  );
  get<{ today: string; items: ReminderItem[] }>('/api/follow-up/reminders')
    .then((r) =>
      replace(
        body,
        r.items.length
          ? h(
              'table.data.reminders',
              null,
              h('thead', null, h('tr', null, ['Examen', 'Centre', 'Femme n°', 'Positif le', 'Origine', 'En attente de', 'Relance', 'Due le'].map((t) => h('th', { scope: 'col' }, t)))),
              h(
                'tbody',
                null,
                r.items.map((i) =>
                  h(
                    'tr',
                    { 'data-exam': i.exam_id },
                    h('td', null, examLink(i.exam_id)),
                    h('td', null, i.cim_id),
                    h('td', null, i.woman_id || '—'),
                    h('td', null, formatDate(i.positive_on)),
                    h('td', null, label(FOLLOW_UP_ORIGINS, i.origin)),
                    h('td', null, label(FOLLOW_UP_STATUS, i.status)),
                    h('td', null, `n° ${i.number}`),
                    h('td', null, formatDate(i.due_on)),
                  ),
                ),
              ),
            )
          : h('p', null, `Aucune relance due au ${formatDate(r.today)}.`),
      ),
    )
    .catch((e) => replace(body, h('p.error', { role: 'alert' }, (e as Error).message)));
}
