// Programme indicators (GET /api/indicators): the key figures of a period, per imaging centre
// and per reader, drawn as bar charts (inline SVG), the hub's alerts, and the CSV download for
// the yearly report. For the medical coordinator (and the administrator).

import { h, replace, formatDate } from '../dom';
import { get } from '../api';
import { barChart, type Bar } from '../charts';

interface Rate {
  numerator: number;
  denominator: number;
  value: number;
}
interface Delay {
  count: number;
  mean_days: number;
  median_days: number;
  max_days: number;
}
interface Group {
  exams: number;
  invited?: number;
  participation?: Rate;
  l1_positive_after_bdi: Rate;
  l2_read: number;
  cti: Rate;
  discordance: Rate;
  l2_recall: Rate;
  recall: Rate;
  cancers: number;
  detection_per_1000: number;
  ppv: Rate;
  delays: Record<'mammogram_to_received' | 'received_to_l2' | 'l2_to_result' | 'mammogram_to_result', Delay>;
  late_results: number;
  overdue_results: number;
}
interface Indicators {
  period: { from: string | null; to: string | null; cim: string | null };
  today: string;
  overall: Group;
  by_cim: Record<string, Group>;
  by_l1_reader: Record<string, Group>;
  by_l2_reader: Record<string, Group>;
  alerts: string[];
}

const pct = (r: Rate | undefined) => (r && r.denominator ? `${(r.value * 100).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} %` : '—');
const frac = (r: Rate | undefined) => (r && r.denominator ? ` (${r.numerator}/${r.denominator})` : '');
const days = (d: number) => `${d.toLocaleString('fr-FR', { maximumFractionDigits: 1 })} j`;

// The hub's alerts are its own sentences ("The recall rate is 9.1% (5/55), above the 7.0%
// limit."): said again in French when they have that form.
const ALERT_SUBJECTS: Record<string, string> = {
  'The recall rate': 'Le taux de rappel',
  'The CTI rate': 'Le taux de CTI',
  'The L1-positive rate after BDI': 'Le taux de positifs L1 après BDI',
  'The share of results later than the deadline': 'La part des résultats envoyés hors délai',
};
function alertFr(a: string): string {
  const m = /^(.*) is ([\d.]+)% \((\d+)\/(\d+)\), above the ([\d.]+)% limit\.$/.exec(a);
  if (!m || !ALERT_SUBJECTS[m[1]]) return a;
  const n = (s: string) => s.replace('.', ',');
  return `${ALERT_SUBJECTS[m[1]]} est de ${n(m[2])} % (${m[3]}/${m[4]}), au-dessus de la limite de ${n(m[5])} %.`;
}

function rateBars(groups: Record<string, Group>, pick: (g: Group) => Rate, name: (k: string) => string = (k) => k): Bar[] {
  return Object.entries(groups)
    .filter(([, g]) => pick(g).denominator > 0)
    .map(([k, g]) => ({ label: name(k), value: pick(g).value * 100, text: `${pct(pick(g))}${frac(pick(g))}` }));
}

function figure(title: string, svg: SVGSVGElement, table: HTMLElement): HTMLElement {
  return h('figure.chart-box', null, h('figcaption', null, title), svg, h('details', null, h('summary', null, 'Voir les valeurs'), table));
}

function valuesTable(head: string[], rows: (string | number)[][]): HTMLElement {
  return h('table.data', null, h('thead', null, h('tr', null, head.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, String(c)))))));
}

export function indicators(main: HTMLElement): void {
  const from = h('input#ind-from', { type: 'date' });
  const to = h('input#ind-to', { type: 'date' });
  const cim = h('select#ind-cim', null, h('option', { value: '' }, 'Tous les centres'));
  const csv = h('a.button#ind-csv', { href: '/api/indicators?format=csv', download: 'indicateurs.csv' }, 'Télécharger (CSV)');
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  const query = () => {
    const q = new URLSearchParams();
    if (from.value) q.set('from', from.value);
    if (to.value) q.set('to', to.value);
    if (cim.value) q.set('cim', cim.value);
    return q;
  };
  const load = () => {
    const q = query();
    const csvQ = new URLSearchParams(q);
    csvQ.set('format', 'csv');
    csv.href = `/api/indicators?${csvQ}`;
    csv.setAttribute('download', `indicateurs${q.toString() ? `-${[from.value, to.value, cim.value].filter(Boolean).join('_')}` : ''}.csv`);
    replace(body, 'Chargement…');
    get<Indicators>(`/api/indicators${q.toString() ? `?${q}` : ''}`)
      .then((d) => {
        if (cim.options.length === 1)
          for (const k of Object.keys(d.by_cim).sort()) cim.appendChild(h('option', { value: k }, k));
        render(body, d);
      })
      .catch((e) => replace(body, h('p.error', { role: 'alert' }, (e as Error).message)));
  };
  const form = h(
    'form.filters',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (from.value && to.value && from.value > to.value) {
          replace(body, h('p.error', { role: 'alert' }, 'La date de début doit précéder la date de fin.'));
          return;
        }
        load();
      },
    },
    h('label.field', { for: 'ind-from' }, 'Mammographies du', from),
    h('label.field', { for: 'ind-to' }, 'au', to),
    h('label.field', { for: 'ind-cim' }, 'Centre', cim),
    h('button.primary', { type: 'submit' }, 'Afficher'),
    csv,
  );
  replace(main, h('section.page', null, h('h1', null, 'Indicateurs du programme'), form, body));
  load();
}

const DELAY_STEPS = [
  ['mammogram_to_received', 'Mammographie → réception'],
  ['received_to_l2', 'Réception → L2'],
  ['l2_to_result', 'L2 → résultat'],
  ['mammogram_to_result', 'Mammographie → résultat'],
] as const;

function render(body: HTMLElement, d: Indicators): void {
  const o = d.overall;
  const period = d.period.from || d.period.to ? `${d.period.from ? `du ${formatDate(d.period.from)}` : ''}${d.period.to ? ` au ${formatDate(d.period.to)}` : ''}`.trim() : 'toute la période';
  const key: [string, string][] = [
    ['Examens', String(o.exams)],
    ...(o.invited !== undefined ? ([['Femmes invitées', String(o.invited)], ['Participation', `${pct(o.participation)}${frac(o.participation)}`]] as [string, string][]) : []),
    ['Positifs L1 après BDI', `${pct(o.l1_positive_after_bdi)}${frac(o.l1_positive_after_bdi)}`],
    ['Lus en deuxième lecture', String(o.l2_read)],
    ['Clichés à refaire (CTI)', `${pct(o.cti)}${frac(o.cti)}`],
    ['Discordance (L1 négatif, L2 positif)', `${pct(o.discordance)}${frac(o.discordance)}`],
    ['Taux de rappel', `${pct(o.recall)}${frac(o.recall)}`],
    ['Cancers', String(o.cancers)],
    ['Taux de détection', `${o.detection_per_1000.toLocaleString('fr-FR', { maximumFractionDigits: 2 })} ‰`],
    ['Valeur prédictive positive', `${pct(o.ppv)}${frac(o.ppv)}`],
    ['Résultats en retard (non envoyés)', String(o.overdue_results)],
    ['Résultats envoyés hors délai', String(o.late_results)],
  ];
  const byCim = d.by_cim;
  const exams: Bar[] = Object.entries(byCim).map(([k, g]) => ({ label: k, value: g.exams, text: String(g.exams) }));
  const delays: Bar[] = DELAY_STEPS.filter(([k]) => o.delays[k].count > 0)
    .map(([k, name]) => ({ label: name, value: o.delays[k].median_days, text: days(o.delays[k].median_days) }));
  const recall = rateBars(byCim, (g) => g.recall);
  const cti = rateBars(byCim, (g) => g.cti);
  const discordance = rateBars(d.by_l2_reader, (g) => g.discordance, (k) => `RPPS ${k}`);
  replace(
    body,
    h('p.hint', null, `Mammographies de ${period}${d.period.cim ? `, centre ${d.period.cim}` : ''} · calculé le ${formatDate(d.today)}`),
    d.alerts.length ? h('div.callout', { role: 'status' }, h('h2', null, 'Alertes'), h('ul', null, d.alerts.map((a) => h('li', null, alertFr(a))))) : null,
    h('dl.facts.key-figures', null, key.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
    h(
      'div.charts',
      null,
      figure('Examens par centre', barChart('Examens par centre', exams), valuesTable(['Centre', 'Examens'], Object.entries(byCim).map(([k, g]) => [k, g.exams]))),
      figure('Taux de rappel par centre', barChart('Taux de rappel par centre', recall), valuesTable(['Centre', 'Taux de rappel'], recall.map((b) => [b.label, b.text]))),
      figure('Clichés à refaire (CTI) par centre', barChart('Taux de CTI par centre', cti), valuesTable(['Centre', 'Taux de CTI'], cti.map((b) => [b.label, b.text]))),
      figure('Discordance par lecteur L2', barChart('Discordance par lecteur L2', discordance), valuesTable(['Lecteur', 'Discordance'], discordance.map((b) => [b.label, b.text]))),
      figure('Délais médians', barChart('Délais médians', delays), valuesTable(['Étape', 'Médiane', 'Moyenne', 'Maximum', 'Examens'], DELAY_STEPS.map(([k, name]) => [name, days(o.delays[k].median_days), days(o.delays[k].mean_days), days(o.delays[k].max_days), o.delays[k].count]))),
    ),
  );
}
