// Identity vigilance for the secretariat (/api/identity/*): the queue of identities the hub
// would not attach on its own, one case side by side (the traits received against each candidate
// woman, trait by trait), its resolution (attach to a woman or create a new one, always with a
// reason), and the merge of two women's files with its exact undoing. Nothing is decided here
// without a person saying why; the hub keeps the decision in the audit trail.

import { h, replace, formatDate, toast } from '../dom';
import { get, post, put, enc, ApiError } from '../api';
import { IDENTITY_FIELDS, IDENTITY_REASONS, MATCHES, label } from '../i18n';

interface Incoming {
  source: 'dicom' | 'form';
  cim?: string;
  ipp?: string;
  family_name?: string;
  birth_name?: string;
  used_name?: string;
  first_names?: string;
  birth_date?: string;
  sex?: string;
  ins?: string;
}
interface IdentityCase {
  id: number;
  source: string;
  reason: string;
  explanation: string;
  status: 'open' | 'resolved';
  created_at: string;
  candidates: number[];
  studies: string[];
  exams: string[];
  incoming: Incoming;
  resolution?: { action: 'attach' | 'create'; woman_id?: number; why: string };
  resolved_by?: string;
  resolved_at?: string;
  reassessment?: Reassessment;
}
// The matcher's verdict on an open case after a correction of a candidate woman.
interface Reassessment {
  at: string;
  correction_id: number;
  undo: boolean;
  outcome: 'attach' | 'create' | 'queue';
  woman_id: number | null;
  status: string;
  reason: string;
  explanation: string;
}
interface Traits {
  birth_name: string;
  first_names: string;
  used_names: string[];
  birth_date: string;
  sex: string;
  birth_place: string;
  ins: string;
  status: string;
}
interface Correction {
  id: number;
  corrected_by: string;
  corrected_at: string;
  why: string;
  before: Traits;
  after: Traits;
  changed: string[];
  in_force: boolean;
  undoable: boolean;
  undone?: { by: string; at: string; why: string };
}
interface WomanIdentity {
  id: number;
  ins: string;
  status: string;
  birth_name: string;
  first_names: string;
  birth_date: string;
  sex: string;
  used_names: string[];
  ipps: { cim: string; ipp: string }[];
  merged_into: number | null;
  birth_place?: string;
  corrections?: Correction[];
  merges?: { id: number; survivor: number; absorbed: number; merged_at: string; in_force: boolean }[];
}
interface Candidate {
  woman: WomanIdentity;
  fields: { field: string; incoming: string; woman: string; match: string }[];
  coherent: boolean;
  swapped_names: boolean;
}
interface MergeView {
  id: number;
  survivor: number;
  absorbed: number;
  moved: { ipps?: { cim: string; ipp: string }[]; names?: string[]; patients?: number[]; exams?: string[] };
  merged_by: string;
  merged_at: string;
  why: string;
  in_force: boolean;
  undone?: { by: string; at: string; why: string };
}

const SOURCES: Record<string, string> = { dicom: 'Images (DICOM)', form: 'Fiche L1' };
const SEX: Record<string, string> = { F: 'Féminin', M: 'Masculin', O: 'Autre' };
const STATUS: Record<string, string> = { verified: 'vérifiée', provisional: 'provisoire', unknown: 'inconnue' };

function errorBox(e: unknown): HTMLElement {
  return h('p.error', { role: 'alert' }, e instanceof Error ? e.message : String(e));
}

function traitText(field: string, v: string): string {
  if (field === 'birth_date') return formatDate(v);
  if (field === 'sex') return label(SEX, v);
  return v || '—';
}

function incomingName(i: Incoming): string {
  const family = i.family_name || i.birth_name || '';
  return `${family}${i.used_name && i.used_name !== family ? ` (usage : ${i.used_name})` : ''} ${i.first_names ?? ''}`.trim() || '—';
}

function womanName(w: WomanIdentity): string {
  return `${w.birth_name}${w.used_names.length ? ` (usage : ${w.used_names.join(', ')})` : ''} ${w.first_names}`.trim();
}

function womanLink(id: number): HTMLElement {
  return h('a', { href: `/secretariat/identite/femme?id=${id}`, 'data-link': true }, `femme n° ${id}`);
}

// The queue, and the tool to merge two women.
export function identityQueue(main: HTMLElement): void {
  const status = h('select#case-status', null, h('option', { value: 'open' }, 'À traiter'), h('option', { value: 'resolved' }, 'Traités'), h('option', { value: 'all' }, 'Tous'));
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  const load = () => {
    replace(body, 'Chargement…');
    get<{ items: IdentityCase[]; total: number }>(`/api/identity/cases?status=${status.value}&limit=500`)
      .then(({ items, total }) =>
        replace(
          body,
          h('p', null, `${total} cas.`),
          items.length
            ? h(
                'table.data.cases',
                null,
                h('thead', null, h('tr', null, ['N°', 'Ouvert le', 'Source', 'Motif', 'Identité reçue', 'Née le', 'Candidates', 'État', ''].map((t) => h('th', { scope: 'col' }, t)))),
                h(
                  'tbody',
                  null,
                  items.map((c) =>
                    h(
                      'tr',
                      { 'data-case': c.id },
                      h('td', null, String(c.id)),
                      h('td', null, formatDate(c.created_at)),
                      h('td', null, `${label(SOURCES, c.source)}${c.incoming.cim ? ` · ${c.incoming.cim}` : ''}`),
                      h('td', null, label(IDENTITY_REASONS, c.reason)),
                      h('td', null, incomingName(c.incoming)),
                      h('td', null, formatDate(c.incoming.birth_date)),
                      h('td', null, String(c.candidates.length)),
                      h('td', null, c.status === 'open' ? 'À traiter' : c.resolution?.action === 'create' ? 'Nouvelle femme créée' : 'Rattaché'),
                      h('td', null, h('a.button', { href: `/secretariat/identite/cas?id=${c.id}`, 'data-link': true, 'aria-label': `Examiner le cas ${c.id}` }, 'Examiner')),
                    ),
                  ),
                ),
              )
            : h('p', null, status.value === 'open' ? 'Aucune identité en attente : tout a été rapproché.' : 'Aucun cas.'),
        ),
      )
      .catch((e) => replace(body, errorBox(e)));
  };
  status.addEventListener('change', load);
  replace(
    main,
    h(
      'section.page',
      null,
      h('h1', null, 'Identités à vérifier'),
      h('p.hint', null, 'Le hub n’a rattaché ces images ou fiches à aucune femme : un doute (autre nom, autre IPP, traits qui diffèrent) demande une décision humaine. Les examens concernés attendent.'),
      h('label.field.inline', { for: 'case-status' }, 'Afficher', status),
      body,
      mergeTool(),
    ),
  );
  load();
}

function identityColumn(w: WomanIdentity): HTMLElement {
  return h(
    'dl.facts',
    null,
    h('dt', null, 'Nom de naissance'),
    h('dd', null, w.birth_name || '—'),
    h('dt', null, 'Noms d’usage'),
    h('dd', null, w.used_names.join(', ') || '—'),
    h('dt', null, 'Prénoms'),
    h('dd', null, w.first_names || '—'),
    h('dt', null, 'Née le'),
    h('dd', null, formatDate(w.birth_date)),
    h('dt', null, 'Sexe'),
    h('dd', null, label(SEX, w.sex)),
    h('dt', null, 'INS'),
    h('dd.mono', null, w.ins ? `${w.ins} (${w.status === 'verified' ? 'vérifié' : 'provisoire'})` : '—'),
    h('dt', null, 'Lieu de naissance'),
    h('dd', null, w.birth_place || '—'),
    h('dt', null, 'IPP'),
    h('dd', null, w.ipps.map((p) => `${p.cim} ${p.ipp}`).join(', ') || '—'),
    w.merged_into ? [h('dt', null, 'Fusionnée dans'), h('dd', null, womanLink(w.merged_into))] : null,
  );
}

function whyField(id: string, text: string): [HTMLElement, HTMLTextAreaElement] {
  const ta = h('textarea', { id, name: 'why', rows: 2, required: true, maxlength: 500 }) as HTMLTextAreaElement;
  return [h('label.field', { for: id }, text, ta), ta];
}

// Merging two women: both identities side by side first, then the merge with a reason.
function mergeTool(): HTMLElement {
  const a = h('input#merge-survivor', { type: 'number', min: 1, inputmode: 'numeric', required: true });
  const b = h('input#merge-absorbed', { type: 'number', min: 1, inputmode: 'numeric', required: true });
  const [whyLabel, why] = whyField('merge-why', 'Motif de la fusion (conservé dans le journal)');
  const compare = h('div.side-by-side', { 'aria-live': 'polite' });
  const out = h('div', { 'aria-live': 'polite' });
  const mergeBtn = h('button.danger#merge-go', { type: 'button', disabled: true }, 'Fusionner');
  const showBoth = async () => {
    mergeBtn.disabled = true;
    replace(out);
    if (!a.value || !b.value || a.value === b.value) {
      replace(compare, h('p.error', { role: 'alert' }, 'Donnez les numéros de deux femmes différentes.'));
      return;
    }
    try {
      const [wa, wb] = await Promise.all([get<WomanIdentity>(`/api/identity/women/${enc(a.value)}`), get<WomanIdentity>(`/api/identity/women/${enc(b.value)}`)]);
      replace(
        compare,
        h('div.col', null, h('h3', null, `Conservée : femme n° ${wa.id}`), identityColumn(wa)),
        h('div.col', null, h('h3', null, `Rattachée : femme n° ${wb.id}`), identityColumn(wb)),
      );
      mergeBtn.disabled = false;
    } catch (e) {
      replace(compare, errorBox(e instanceof ApiError && e.status === 404 ? new Error('Cette femme est inconnue du registre.') : e));
    }
  };
  mergeBtn.addEventListener('click', async () => {
    if (!why.value.trim()) {
      why.setAttribute('aria-invalid', 'true');
      replace(out, h('p.error', { role: 'alert' }, 'Indiquez le motif de la fusion.'));
      why.focus();
      return;
    }
    why.removeAttribute('aria-invalid');
    mergeBtn.disabled = true;
    try {
      const m = await post<MergeView>('/api/identity/merges', { survivor: Number(a.value), absorbed: Number(b.value), why: why.value.trim() });
      toast(`Fusion n° ${m.id} enregistrée.`);
      replace(out, mergeBlock(m, () => undefined));
    } catch (e) {
      replace(out, errorBox(e));
      mergeBtn.disabled = false;
    }
  });
  return h(
    'section.merge-tool',
    null,
    h('h2', null, 'Fusionner deux dossiers'),
    h('p.hint', null, 'Quand deux numéros désignent la même femme : les IPP, noms et examens de la seconde passent à la première. La fusion peut être annulée exactement.'),
    h(
      'form.filters',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          void showBoth();
        },
      },
      h('label.field', { for: 'merge-survivor' }, 'Femme conservée (n°)', a),
      h('label.field', { for: 'merge-absorbed' }, 'Femme rattachée (n°)', b),
      h('button#merge-compare', { type: 'submit' }, 'Comparer'),
    ),
    compare,
    whyLabel,
    h('p', null, mergeBtn),
    out,
  );
}

function mergeBlock(m: MergeView, onChange: (m: MergeView) => void): HTMLElement {
  const box = h('div.card.merge', { 'data-merge': m.id });
  const render = (v: MergeView) => {
    const [whyLabel, why] = whyField(`undo-why-${v.id}`, 'Motif de l’annulation');
    const err = h('p.error', { role: 'alert' });
    const undo = h('button.danger', { type: 'button' }, 'Annuler cette fusion');
    undo.addEventListener('click', async () => {
      if (!why.value.trim()) {
        err.textContent = 'Indiquez le motif de l’annulation.';
        why.focus();
        return;
      }
      undo.disabled = true;
      try {
        const after = await post<MergeView>(`/api/identity/merges/${v.id}/undo`, { why: why.value.trim() });
        toast(`Fusion n° ${v.id} annulée.`);
        render(after);
        onChange(after);
      } catch (e) {
        err.textContent = (e as Error).message;
        undo.disabled = false;
      }
    });
    replace(
      box,
      h('h3', null, `Fusion n° ${v.id}`),
      h('p', null, 'La ', womanLink(v.absorbed), ' est rattachée à la ', womanLink(v.survivor), ` — par ${v.merged_by} le ${formatDate(v.merged_at)} : « ${v.why} ».`),
      h('p', null, `Déplacé : ${v.moved.ipps?.length ?? 0} IPP, ${v.moved.names?.length ?? 0} nom(s), ${v.moved.exams?.length ?? 0} examen(s).`),
      v.in_force
        ? [whyLabel, err, h('p', null, undo)]
        : h('p.status-undone', null, `Annulée par ${v.undone?.by ?? '—'} le ${formatDate(v.undone?.at)} : « ${v.undone?.why ?? ''} ».`),
    );
  };
  render(m);
  return box;
}

// What the hub would decide now that a candidate's identity was corrected: a proposal only.
function reassessmentNote(r: Reassessment): HTMLElement {
  const what =
    r.outcome === 'attach' && r.woman_id
      ? ['les traits reçus correspondent désormais exactement à la ', womanLink(r.woman_id), ` (identité ${label(STATUS, r.status)}) : vérifiez et confirmez le rattachement ci-dessous.`]
      : r.outcome === 'create'
        ? ['les traits reçus ne ressemblent plus à aucune femme du registre.']
        : [`un doute demeure (${label(IDENTITY_REASONS, r.reason)}).`];
  return h('div.callout.reassessment', { role: 'status' }, h('p', null, `Après ${r.undo ? 'l’annulation de ' : ''}la correction n° ${r.correction_id} (${formatDate(r.at)}) : `, ...what));
}

// One case, side by side: what arrived, against each candidate woman; then the decision.
export function identityCase(main: HTMLElement, id: string): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(main, h('section.page', null, h('p', null, h('a', { href: '/secretariat/identite', 'data-link': true }, '← File des identités')), h('h1', null, `Identité à vérifier — cas n° ${id}`), body));
  if (!/^\d{1,18}$/.test(id)) {
    replace(body, errorBox(new Error('Numéro de cas invalide.')));
    return;
  }
  const load = () =>
    get<{ case: IdentityCase; candidates: Candidate[] }>(`/api/identity/cases/${id}`)
      .then((v) => render(v.case, v.candidates))
      .catch((e) => replace(body, errorBox(e)));
  const render = (c: IdentityCase, candidates: Candidate[]) => {
    const i = c.incoming;
    const incoming = h(
      'div.col.incoming',
      null,
      h('h2', null, `Reçu (${label(SOURCES, c.source)})`),
      h(
        'dl.facts',
        null,
        h('dt', null, 'Nom'),
        h('dd', null, i.family_name || i.birth_name || '—'),
        i.used_name ? [h('dt', null, 'Nom d’usage'), h('dd', null, i.used_name)] : null,
        h('dt', null, 'Prénoms'),
        h('dd', null, i.first_names || '—'),
        h('dt', null, 'Née le'),
        h('dd', null, formatDate(i.birth_date)),
        h('dt', null, 'Sexe'),
        h('dd', null, label(SEX, i.sex ?? '')),
        h('dt', null, 'INS'),
        h('dd.mono', null, i.ins || '—'),
        h('dt', null, 'Centre, IPP'),
        h('dd', null, [i.cim, i.ipp].filter(Boolean).join(' ') || '—'),
        h('dt', null, 'Examens en attente'),
        h('dd', null, c.exams.length || c.studies.length ? [...new Set([...c.exams, ...c.studies])].map((s) => h('div', null, h('a.mono', { href: `/secretariat/examen?etude=${enc(s)}`, 'data-link': true }, s))) : '—'),
      ),
    );
    const [whyLabel, why] = whyField('case-why', 'Motif de la décision (conservé dans le journal)');
    const recordName = h('input#record-name', { type: 'checkbox', checked: c.reason === 'name-change' });
    const err = h('p.error', { role: 'alert' });
    const decide = async (body: Record<string, unknown>, btn: HTMLButtonElement) => {
      err.textContent = '';
      if (!why.value.trim()) {
        why.setAttribute('aria-invalid', 'true');
        err.textContent = 'Indiquez le motif de la décision.';
        why.focus();
        return;
      }
      btn.disabled = true;
      try {
        const r = await post<{ case: IdentityCase; candidates: Candidate[]; woman: WomanIdentity }>(`/api/identity/cases/${c.id}/resolve`, { ...body, why: why.value.trim(), record_name: recordName.checked });
        toast(body.action === 'create' ? `Nouvelle femme n° ${r.woman.id} créée.` : `Rattaché à la femme n° ${r.woman.id}.`);
        render(r.case, r.candidates);
      } catch (e) {
        err.textContent = (e as Error).message;
        btn.disabled = false;
      }
    };
    const attachButtons = candidates
      .filter((cand) => !cand.woman.merged_into)
      .map((cand) => {
        const attach = h('button.primary', { type: 'button', 'data-attach': cand.woman.id }, `Rattacher à la femme n° ${cand.woman.id}`);
        attach.addEventListener('click', () => void decide({ action: 'attach', woman_id: cand.woman.id }, attach));
        return attach;
      });
    const candidateCols = candidates.map((cand) => {
      const w = cand.woman;
      return h(
        'div.col.candidate',
        { 'data-woman': w.id },
        h('h2', null, 'Candidate : ', womanLink(w.id)),
        h('p', null, womanName(w)),
        h(
          'table.data.traits',
          null,
          h('thead', null, h('tr', null, ['Trait', 'Reçu', 'Femme', 'Concordance'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            null,
            cand.fields.map((f) =>
              h(
                'tr',
                { class: `match-${f.match}` },
                h('th', { scope: 'row' }, label(IDENTITY_FIELDS, f.field)),
                h('td', null, traitText(f.field, f.incoming)),
                h('td', null, traitText(f.field, f.woman)),
                h('td', null, h('span.match', null, label(MATCHES, f.match))),
              ),
            ),
          ),
        ),
        cand.swapped_names ? h('p.warn', null, 'Nom et prénoms semblent inversés.') : null,
        w.merged_into ? h('p.warn', null, 'Fusionnée dans la ', womanLink(w.merged_into), ' : rattachez à celle-ci.') : null,
      );
    });
    const create = h('button', { type: 'button', id: 'case-create' }, 'Aucune : créer une nouvelle femme');
    create.addEventListener('click', () => void decide({ action: 'create' }, create));
    replace(
      body,
      h('p', null, h('strong', null, label(IDENTITY_REASONS, c.reason)), ` · ouvert le ${formatDate(c.created_at)}`),
      h('details', null, h('summary', null, 'Détail technique du rapprochement'), h('p.mono', null, c.explanation)),
      c.status === 'open' && c.reassessment ? reassessmentNote(c.reassessment) : null,
      h('div.side-by-side', null, incoming, candidateCols.length ? candidateCols : h('div.col', null, h('p', null, 'Aucune femme candidate dans le registre.'))),
      c.status === 'open'
        ? h(
            'section.decision',
            null,
            h('h2', null, 'Décision'),
            whyLabel,
            h('label.check', { for: 'record-name' }, recordName, 'Enregistrer le nom reçu comme nom d’usage de la femme (mariage, etc.)'),
            err,
            h('div.actions', null, attachButtons, create),
          )
        : h(
            'div.callout.resolved',
            null,
            h('h2', null, 'Cas traité'),
            h('p', null, c.resolution?.action === 'create' ? 'Une nouvelle femme a été créée : ' : 'Rattaché à la ', c.resolution?.woman_id ? womanLink(c.resolution.woman_id) : '—', ` — par ${c.resolved_by ?? '—'} le ${formatDate(c.resolved_at)}.`),
            h('p', null, `Motif : « ${c.resolution?.why ?? ''} »`),
          ),
    );
  };
  void load();
}

// The fields of a correction, in the order of the form, with their French names.
const TRAIT_LABELS: Record<string, string> = {
  birth_name: 'Nom de naissance',
  first_names: 'Prénoms',
  used_names: 'Noms d’usage',
  birth_date: 'Date de naissance',
  sex: 'Sexe',
  birth_place: 'Lieu de naissance (code INSEE)',
  ins: 'INS (NIR)',
  status: 'Statut de l’identité',
  why: 'Motif',
};

// The hub's field errors of a correction, in French (the rules of domain/identity_correction).
function fieldMessage(field: string, message: string): string {
  const f = field.replace(/\[\d+\]$/, '');
  if (f === 'ins') {
    if (/key/.test(message)) return 'la clé du NIR est fausse : un chiffre est probablement mal saisi';
    if (/contradicts/.test(message)) return 'le NIR contredit le sexe ou la date de naissance';
    return '15 caractères : 13 chiffres (2A/2B pour la Corse) et la clé';
  }
  const fr: Record<string, string> = {
    birth_name: 'au moins une lettre, 80 caractères au plus',
    first_names: 'au moins une lettre, 80 caractères au plus',
    used_names: 'des noms d’au moins une lettre, 10 au plus',
    birth_date: 'une date réelle, entre 1900 et aujourd’hui',
    sex: 'F, M ou O',
    birth_place: '5 caractères : 2 chiffres (ou 2A/2B) puis 3 chiffres',
    status: 'une identité « vérifiée » demande son INS',
    why: 'indiquez le motif',
  };
  return fr[f] ?? message;
}

function traitValue(field: string, t: Traits): string {
  if (field === 'used_names') return t.used_names.join(', ') || '—';
  if (field === 'birth_date') return formatDate(t.birth_date);
  if (field === 'sex') return label(SEX, t.sex);
  if (field === 'status') return label(STATUS, t.status);
  return (t as unknown as Record<string, string>)[field] || '—';
}

function isoDate(yyyymmdd: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(yyyymmdd);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : yyyymmdd;
}

// "Corriger l'identité": the whole identity, pre-filled, and a reason. The hub names each wrong
// field; a correction that would make her another woman is refused with a merge proposal.
function correctionForm(w: WomanIdentity, onDone: () => void): HTMLElement {
  const input = (id: string, value: string, attrs: Record<string, unknown> = {}) => h('input', { id, name: id, value, ...attrs }) as HTMLInputElement;
  const birthName = input('fix-birth_name', w.birth_name, { required: true, maxlength: 80, autocomplete: 'off' });
  const firstNames = input('fix-first_names', w.first_names, { required: true, maxlength: 200, autocomplete: 'off' });
  const usedNames = input('fix-used_names', w.used_names.join(', '), { maxlength: 400, autocomplete: 'off', 'aria-describedby': 'fix-used_names-hint' });
  const birthDate = input('fix-birth_date', isoDate(w.birth_date), { type: 'date', required: true, min: '1900-01-01' });
  const sex = h('select#fix-sex', { name: 'sex' }, Object.entries(SEX).map(([v, t]) => h('option', { value: v, selected: v === w.sex }, t))) as HTMLSelectElement;
  const birthPlace = input('fix-birth_place', w.birth_place ?? '', { maxlength: 5, inputmode: 'text', autocomplete: 'off', pattern: '(\\d{2}|2A|2B)\\d{3}' });
  const ins = input('fix-ins', w.ins, { maxlength: 15, inputmode: 'numeric', autocomplete: 'off', class: 'mono' });
  const status = h('select#fix-status', { name: 'status' }, Object.entries(STATUS).map(([v, t]) => h('option', { value: v, selected: v === w.status }, t))) as HTMLSelectElement;
  const [whyLabel, why] = whyField('fix-why', 'Motif de la correction (conservé dans l’historique et le journal)');
  const controls: Record<string, HTMLElement> = { birth_name: birthName, first_names: firstNames, used_names: usedNames, birth_date: birthDate, sex, birth_place: birthPlace, ins, status, why };
  const out = h('div#fix-result', { 'aria-live': 'polite' });
  const submit = h('button.primary#fix-submit', { type: 'submit' }, 'Enregistrer la correction');
  const field = (id: string, control: HTMLElement, hint?: HTMLElement) => h('label.field', { for: id }, TRAIT_LABELS[id.replace('fix-', '')], control, hint ?? null);
  const form = h(
    'form.correction#fix-form',
    {
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        Object.values(controls).forEach((c) => c.removeAttribute('aria-invalid'));
        replace(out);
        if (!why.value.trim()) {
          why.setAttribute('aria-invalid', 'true');
          replace(out, h('p.error', { role: 'alert' }, 'Indiquez le motif de la correction.'));
          why.focus();
          return;
        }
        submit.disabled = true;
        try {
          const r = await put<{ woman: WomanIdentity; correction_id: number; reassessed: (Reassessment & { case_id: number })[] }>(`/api/identity/women/${w.id}`, {
            birth_name: birthName.value,
            first_names: firstNames.value,
            used_names: usedNames.value.split(',').map((n) => n.trim()).filter(Boolean),
            birth_date: birthDate.value,
            sex: sex.value,
            birth_place: birthPlace.value.trim().toUpperCase(),
            ins: ins.value.replace(/\s/g, ''),
            status: status.value,
            why: why.value.trim(),
          });
          const exact = r.reassessed.filter((a) => a.outcome === 'attach' && a.woman_id === w.id).length;
          toast(`Correction n° ${r.correction_id} enregistrée.` + (r.reassessed.length ? ` ${r.reassessed.length} cas réexaminé(s), ${exact} correspondant(s) désormais à elle : à confirmer dans la file.` : ''));
          onDone();
        } catch (e) {
          submit.disabled = false;
          if (!(e instanceof ApiError)) return replace(out, errorBox(e));
          const first = e.errors.find((fe) => controls[fe.field.replace(/\[\d+\]$/, '')]);
          e.errors.forEach((fe) => controls[fe.field.replace(/\[\d+\]$/, '')]?.setAttribute('aria-invalid', 'true'));
          const conflict = (e.body ?? {}) as { proposed_merge?: { survivor: number; absorbed: number }; conflicts?: { woman_id: number; why: string }[] };
          replace(
            out,
            h(
              'div.error',
              { role: 'alert' },
              h('p', null, e.status === 409 && conflict.proposed_merge ? 'Correction refusée : avec ces traits, ce serait une autre femme du registre. Rien n’a été modifié.' : 'Correction refusée : rien n’a été modifié.'),
              e.errors.length
                ? h('ul', null, e.errors.map((fe) => h('li', { title: fe.message }, `${TRAIT_LABELS[fe.field.replace(/\[\d+\]$/, '')] ?? fe.field} : ${fieldMessage(fe.field, fe.message)}`)))
                : conflict.conflicts?.length
                  ? h('ul', null, conflict.conflicts.map((c) => h('li', null, womanLink(c.woman_id), / INS/.test(c.why) ? ' a le même INS.' : ' a les mêmes nom de naissance, prénoms, date de naissance et sexe.')))
                  : h('p', null, e.message),
              conflict.proposed_merge
                ? h('p.proposal', null, 'Proposition : si c’est la même personne, fusionner la ', womanLink(conflict.proposed_merge.absorbed), ' dans la ', womanLink(conflict.proposed_merge.survivor), ' (outil « Fusionner deux dossiers » de la ', h('a', { href: '/secretariat/identite', 'data-link': true }, 'file des identités'), ').')
                : null,
            ),
          );
          (first ? controls[first.field.replace(/\[\d+\]$/, '')] : out).focus?.();
        }
      },
    },
    h(
      'div.grid',
      null,
      field('fix-birth_name', birthName),
      field('fix-first_names', firstNames),
      field('fix-used_names', usedNames, h('small.hint#fix-used_names-hint', null, 'séparés par des virgules')),
      field('fix-birth_date', birthDate),
      field('fix-sex', sex),
      field('fix-birth_place', birthPlace),
      field('fix-ins', ins),
      field('fix-status', status),
    ),
    whyLabel,
    h('p', null, submit),
    out,
  );
  const toggle = h('button#fix-open', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'fix-panel' }, 'Corriger l’identité');
  const panel = h('div#fix-panel', { hidden: true }, h('p.hint', null, 'Par exemple quand la première étude reçue portait une faute de frappe : la femme a été créée avec, et ses études correctes attendent dans la file. La correction est conservée et peut être annulée ; les cas ouverts qui la concernent sont réexaminés, mais restent à confirmer.'), form);
  toggle.addEventListener('click', () => {
    const open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) birthName.focus();
  });
  return h('section.correct', null, h('h2', null, 'Corriger l’identité'), w.merged_into ? h('p', null, 'Fusionnée dans la ', womanLink(w.merged_into), ' : corrigez celle-ci.') : [h('p', null, toggle), panel]);
}

// Her corrections, newest first; the latest in force can be undone with a reason.
function correctionHistory(w: WomanIdentity, onDone: () => void): HTMLElement {
  const list = w.corrections ?? [];
  if (!list.length) return h('section.corrections', null, h('h2', null, 'Historique des corrections'), h('p', null, 'Aucune correction.'));
  return h(
    'section.corrections',
    null,
    h('h2', null, 'Historique des corrections'),
    list.map((c) => {
      const box = h('div.card.correction', { 'data-correction': c.id });
      const rows = c.changed.map((f) => h('tr', null, h('th', { scope: 'row' }, TRAIT_LABELS[f] ?? f), h('td', null, traitValue(f, c.before)), h('td', null, traitValue(f, c.after))));
      let undoBlock: HTMLElement | HTMLElement[] | null = null;
      if (c.undone) {
        undoBlock = h('p.status-undone', null, `Annulée par ${c.undone.by} le ${formatDate(c.undone.at)} : « ${c.undone.why} ».`);
      } else if (c.undoable) {
        const [whyLabel, why] = whyField(`fix-undo-why-${c.id}`, 'Motif de l’annulation');
        const err = h('p.error', { role: 'alert' });
        const undo = h('button.danger', { type: 'button', 'data-undo': c.id }, 'Annuler cette correction');
        undo.addEventListener('click', async () => {
          if (!why.value.trim()) {
            why.setAttribute('aria-invalid', 'true');
            err.textContent = 'Indiquez le motif de l’annulation.';
            why.focus();
            return;
          }
          undo.disabled = true;
          try {
            await post(`/api/identity/women/${w.id}/corrections/${c.id}/undo`, { why: why.value.trim() });
            toast(`Correction n° ${c.id} annulée.`);
            onDone();
          } catch (e) {
            err.textContent = (e as Error).message;
            undo.disabled = false;
          }
        });
        undoBlock = [whyLabel, err, h('p', null, undo)];
      } else {
        undoBlock = h('p.hint', null, 'Une correction plus récente est en vigueur : annulez-la d’abord.');
      }
      replace(
        box,
        h('h3', null, `Correction n° ${c.id}`),
        h('p', null, `Par ${c.corrected_by} le ${formatDate(c.corrected_at)} : « ${c.why} ».`),
        h('table.data', null, h('thead', null, h('tr', null, ['Champ', 'Avant', 'Après'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, rows)),
        undoBlock,
      );
      return box;
    }),
  );
}

// A woman's identity: its correction (with history and undo) and her merges (each can be undone).
export function identityWoman(main: HTMLElement, id: string): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(main, h('section.page', null, h('p', null, h('a', { href: '/secretariat/identite', 'data-link': true }, '← File des identités')), h('h1', null, `Identité de la femme n° ${id}`), body));
  if (!/^\d{1,18}$/.test(id)) {
    replace(body, errorBox(new Error('Numéro de femme invalide.')));
    return;
  }
  const load = () =>
    get<WomanIdentity>(`/api/identity/women/${id}`)
      .then(async (w) => {
        const merges = await Promise.all((w.merges ?? []).map((m) => get<MergeView>(`/api/identity/merges/${m.id}`)));
        replace(
          body,
          h('p', null, womanName(w)),
          identityColumn(w),
          correctionForm(w, () => void load()),
          correctionHistory(w, () => void load()),
          h('h2', null, 'Fusions'),
          merges.length ? merges.map((m) => mergeBlock(m, () => void load())) : h('p', null, 'Aucune fusion.'),
        );
      })
      .catch((e) => replace(body, errorBox(e)));
  void load();
}
