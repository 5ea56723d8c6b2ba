// Imaging-centre (CIM) screens, tablet first: the centre's exams with their state and what is
// missing, the L1 reading form with inline validation and signature, the CTI worklist.

import { examProblemText, fieldErrorText } from '../field_errors';
import { h, replace, formatDate, toast, type Child } from '../dom';
import { get, put, post, enc, ApiError, type FieldError } from '../api';
import { ARCHIVE_STATUS, BIRADS, CONCLUSIONS, DENSITIES, EXAM_STATES, FINDING_TYPES, MANAGEMENT, MENOPAUSE, QUADRANTS, SYMPTOMS, label } from '../i18n';
import type { ExamDetail, ExamSummary, ExamWorkflow, Finding, L1Form } from '../types';
import type { User } from '../auth';
import { allExams, cimsOf, ctiRows, ctiTable } from './secretariat';

function cimPicker(all: string[], user: User, onPick: (cim: string) => void): HTMLElement {
  const mine = user.role === 'open' ? all : user.cims;
  const sel = h('select#cim-pick', { onchange: () => onPick(sel.value) }, mine.map((c) => h('option', { value: c }, c)));
  queueMicrotask(() => mine[0] && onPick(mine[0]));
  return h('label.field.inline', { for: 'cim-pick' }, 'Centre ', sel);
}

export function examList(main: HTMLElement, user: User): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  const head = h('div');
  replace(main, h('section.page', null, h('h1', null, 'Examens du centre'), head, body));
  allExams()
    .then((exams) => {
      const show = async (cim: string) => {
        const mine = exams.filter((e) => e.patient?.issuer === cim).slice(0, 200);
        replace(body, 'Chargement…');
        const wfs = await Promise.all(mine.map((e) => get<ExamWorkflow>(`/api/exams/${enc(e.study_uid)}/workflow`).catch(() => null)));
        replace(
          body,
          mine.length
            ? h(
                'table.data.touch',
                null,
                h('thead', null, h('tr', null, ['Patiente', 'Date', 'Images', 'État', 'Ce qui manque', ''].map((t) => h('th', { scope: 'col' }, t)))),
                h(
                  'tbody',
                  null,
                  mine.map((e, i) => {
                    const wf = wfs[i];
                    return h(
                      'tr',
                      null,
                      h('td', null, e.patient?.name ?? '—'),
                      h('td', null, formatDate(e.study_date)),
                      h('td', null, label(ARCHIVE_STATUS, e.status)),
                      h('td', null, wf ? label(EXAM_STATES, wf.state) : 'Reçu'),
                      h('td', null, [...(e.missing ?? []).map((m) => `${m} manquante`), ...(wf?.missing ?? []).map(examProblemText)].join(' ; ') || '—'),
                      h('td', null, h('a.button', { href: `/cim/fiche?etude=${enc(e.study_uid)}`, 'data-link': true }, wf?.l1_signature ? 'Voir la fiche' : 'Fiche L1')),
                    );
                  }),
                ),
              )
            : h('p', null, 'Aucun examen pour ce centre.'),
        );
      };
      replace(head, cimPicker(cimsOf(exams), user, (c) => void show(c)));
    })
    .catch((e) => replace(body, h('p.error', { role: 'alert' }, (e as Error).message)));
}

export function ctiWorklist(main: HTMLElement, user: User): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  const head = h('div');
  replace(main, h('section.page', null, h('h1', null, 'Clichés à refaire (CTI)'), head, body));
  allExams()
    .then((exams) =>
      replace(
        head,
        cimPicker(cimsOf(exams), user, (c) =>
          ctiRows([c])
            .then((rows) => replace(body, ctiTable(rows, (id) => `/cim/fiche?etude=${enc(id)}`)))
            .catch((e) => replace(body, h('p.error', { role: 'alert' }, (e as Error).message))),
        ),
      ),
    )
    .catch((e) => replace(body, h('p.error', { role: 'alert' }, (e as Error).message)));
}

// ---- L1 form ----------------------------------------------------------------------------

const emptyAssessment = () => ({ birads: null as number | null, findings: [] as Finding[] });

export function newForm(exam: ExamDetail): L1Form {
  const [birth, first] = (exam.patient?.name ?? '').split('^');
  const bd = exam.patient?.birth_date ?? '';
  const iso = (d: string) => (/^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : null);
  return {
    format_version: 1,
    identification: {
      ins: exam.patient?.ins ?? '',
      screening_number: '',
      birth_name: birth ?? '',
      first_names: first ?? '',
      birth_date: iso(bd),
      cim_id: exam.patient?.issuer ?? '',
      mammogram_date: iso(exam.study_date ?? ''),
      l1_radiologist: { rpps: '', name: '' },
      technologist: '',
    },
    clinical: {
      history: { benign_surgery: false, breast_reduction: false, prosthesis: false, previous_biopsy: false, personal_breast_cancer: false },
      family_history: { breast_cancer: false, ovarian_cancer: false, closest_degree: null },
      hormone_therapy: null,
      menopause: 'unknown',
      symptoms: [],
      exam: { right: { result: null }, left: { result: null } },
    },
    mammography: { view_count: exam.images.filter((i) => i.view?.role === 'standard').length, extra_views: exam.images.some((i) => i.view?.role === 'extra'), density: null, right: emptyAssessment(), left: emptyAssessment() },
    bdi: { done: false, extra_views: false, ultrasound: false, needle_procedure: false, after: { right: emptyAssessment(), left: emptyAssessment() } },
    conclusion: { result: null, management: null, comment: '' },
    signature: { signed: false, signed_at: null },
  };
}

type Obj = Record<string, unknown>;
function getPath(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((acc, k) => (acc as Obj | undefined)?.[k], o);
}
function setPath(o: unknown, path: string, v: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce<unknown>((acc, k) => (acc as Obj)[k], o) as Obj;
  parent[last] = v;
}

export function l1FormPage(main: HTMLElement, uid: string, user: User): void {
  const body = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(main, h('section.page.l1-edit', null, h('h1', null, 'Fiche d’interprétation (L1)'), body));
  Promise.all([get<ExamDetail>(`/api/exams/${enc(uid)}`), get<ExamWorkflow>(`/api/exams/${enc(uid)}/workflow`).catch(() => null)])
    .then(async ([exam, wf]) => {
      // Only ask for the form when the workflow says there is one (no 404 in the normal path).
      const stored = wf?.l1_form ? await get<{ form: L1Form; signature: unknown; form_errors: FieldError[] }>(`/api/exams/${enc(uid)}/l1-form`) : null;
      const form: L1Form = stored?.form ?? newForm(exam);
      new L1Editor(body, uid, form, stored?.form_errors ?? [], !!stored?.signature, wf, user).render();
    })
    .catch((e) => replace(body, h('p.error', { role: 'alert' }, (e as Error).message)));
}

class L1Editor {
  private errors: FieldError[];
  private statusEl = h('div.status', { role: 'status' });
  constructor(
    private root: HTMLElement,
    private uid: string,
    private form: L1Form,
    errors: FieldError[],
    private signed: boolean,
    private wf: ExamWorkflow | null,
    private user: User,
  ) {
    this.errors = errors;
  }

  private err(path: string): Child {
    const mine = this.errors.map((e) => ({ ...e, field: e.field.replace(/\[(\d+)\]/g, '.$1') })).filter((e) => e.field === path || e.field.startsWith(path + '.') || e.field.startsWith(path + '['));
    return mine.length ? h('span.field-error', { id: `err-${path}`, role: 'alert', title: mine.map((e) => e.message).join(' ') }, mine.map((e) => fieldErrorText(e.message)).join(' ')) : null;
  }

  private text(path: string, lab: string, attrs: Record<string, unknown> = {}): Child {
    const id = `f-${path}`;
    const input = h('input', { id, value: (getPath(this.form, path) as string) ?? '', 'aria-describedby': `err-${path}`, 'aria-invalid': this.hasErr(path) ? 'true' : null, ...attrs });
    input.addEventListener('input', () => setPath(this.form, path, attrs.type === 'number' ? (input.value === '' ? null : Number(input.value)) : attrs.type === 'date' ? input.value || null : input.value));
    return h('div.field', null, h('label', { for: id }, lab), input, this.err(path));
  }

  private hasErr(path: string): boolean {
    return this.errors.some((e) => {
      const f = e.field.replace(/\[(\d+)\]/g, '.$1');
      return f === path || f.startsWith(path + '.');
    });
  }

  private check(path: string, lab: string): Child {
    const id = `f-${path}`;
    const input = h('input', { id, type: 'checkbox', checked: !!getPath(this.form, path) });
    input.addEventListener('change', () => setPath(this.form, path, input.checked));
    return h('div.check', null, input, h('label', { for: id }, lab));
  }

  private choice(path: string, lab: string, options: Record<string, string>, numeric = false, allowNull = true): Child {
    const id = `f-${path}`;
    const cur = getPath(this.form, path);
    const sel = h(
      'select',
      { id, 'aria-invalid': this.hasErr(path) ? 'true' : null, 'aria-describedby': `err-${path}` },
      allowNull ? h('option', { value: '' }, '—') : null,
      Object.entries(options).map(([k, v]) => h('option', { value: k, selected: cur !== null && cur !== undefined && String(cur) === k }, v)),
    );
    sel.addEventListener('change', () => {
      const v = sel.value;
      setPath(this.form, path, v === '' ? null : numeric ? Number(v) : v === 'true' ? true : v === 'false' ? false : v);
    });
    return h('div.field', null, h('label', { for: id }, lab), sel, this.err(path));
  }

  private findings(path: string, side: 'right' | 'left'): Child {
    const list = getPath(this.form, path) as Finding[];
    return h(
      'div.findings-edit',
      null,
      list.map((f, i) =>
        h(
          'div.finding-row',
          null,
          this.choice(`${path}.${i}.type`, 'Type', FINDING_TYPES, false, false),
          this.choice(`${path}.${i}.location.quadrant`, 'Quadrant', QUADRANTS),
          this.text(`${path}.${i}.location.clock_hour`, 'Rayon (h)', { type: 'number', min: 1, max: 12, inputmode: 'numeric' }),
          this.text(`${path}.${i}.size_mm`, 'Taille (mm)', { type: 'number', min: 0, inputmode: 'numeric' }),
          h('button.ghost', { type: 'button', onclick: () => (list.splice(i, 1), this.render()) }, 'Retirer'),
          void f,
        ),
      ),
      h('button', { type: 'button', onclick: () => (list.push({ type: 'mass', side, location: { quadrant: null, clock_hour: null, depth: null }, size_mm: null, description: '' }), this.render()) }, '+ Anomalie'),
    );
  }

  private assessment(path: string, title: string, side: 'right' | 'left'): Child {
    return h('fieldset', null, h('legend', null, title), this.choice(`${path}.birads`, 'Classification ACR', Object.fromEntries([0, 1, 2, 3, 4, 5].map((b) => [String(b), BIRADS[b]])), true), this.findings(`${path}.findings`, side));
  }

  render(): void {
    const f = this.form;
    const ro = this.signed;
    const symptoms = h(
      'fieldset',
      null,
      h('legend', null, 'Symptômes'),
      Object.entries(SYMPTOMS).map(([k, v]) => {
        const id = `f-sym-${k}`;
        const cb = h('input', { id, type: 'checkbox', checked: f.clinical.symptoms.includes(k) });
        cb.addEventListener('change', () => {
          f.clinical.symptoms = cb.checked ? [...f.clinical.symptoms, k] : f.clinical.symptoms.filter((s) => s !== k);
        });
        return h('div.check', null, cb, h('label', { for: id }, v));
      }),
    );
    const signerName = h('input#signer-name', { value: f.identification.l1_radiologist?.name ?? '', autocomplete: 'name' });
    const signerRpps = h('input#signer-rpps', { value: f.identification.l1_radiologist?.rpps ?? '', inputmode: 'numeric', pattern: '[0-9]{11}' });
    replace(
      this.root,
      this.wf ? h('p.meta', null, `État : ${label(EXAM_STATES, this.wf.state)}`, this.wf.missing.length ? ` — manque : ${this.wf.missing.map(examProblemText).join(' ; ')}` : '') : null,
      ro ? h('p.callout', null, 'Fiche signée. Toute modification annule la signature.') : null,
      h(
        'form.l1-form',
        { novalidate: true, onsubmit: (e: Event) => (e.preventDefault(), void this.save()) },
        h(
          'fieldset',
          null,
          h('legend', null, 'Identification'),
          this.text('identification.birth_name', 'Nom de naissance', { autocomplete: 'off' }),
          this.text('identification.first_names', 'Prénoms'),
          this.text('identification.birth_date', 'Date de naissance', { type: 'date' }),
          this.text('identification.ins', 'INS (15 caractères)', { inputmode: 'numeric' }),
          this.text('identification.screening_number', 'N° de dépistage'),
          this.text('identification.cim_id', 'Centre'),
          this.text('identification.mammogram_date', 'Date de la mammographie', { type: 'date' }),
          this.text('identification.l1_radiologist.name', 'Radiologue L1'),
          this.text('identification.l1_radiologist.rpps', 'RPPS du radiologue L1 (11 chiffres)', { inputmode: 'numeric', pattern: '[0-9]{11}' }),
          this.text('identification.technologist', 'Manipulateur'),
        ),
        h(
          'fieldset',
          null,
          h('legend', null, 'Antécédents et clinique'),
          this.check('clinical.history.benign_surgery', 'Chirurgie mammaire bénigne'),
          this.check('clinical.history.breast_reduction', 'Plastie de réduction'),
          this.check('clinical.history.prosthesis', 'Prothèse'),
          this.check('clinical.history.previous_biopsy', 'Biopsie antérieure'),
          this.check('clinical.history.personal_breast_cancer', 'Antécédent personnel de cancer du sein (exclut du programme)'),
          this.check('clinical.family_history.breast_cancer', 'Antécédent familial de cancer du sein'),
          this.check('clinical.family_history.ovarian_cancer', "Antécédent familial de cancer de l'ovaire"),
          this.choice('clinical.family_history.closest_degree', 'Degré le plus proche', { '1': '1er degré', '2': '2e degré' }, true),
          this.choice('clinical.hormone_therapy', 'Traitement hormonal substitutif', { true: 'Oui', false: 'Non' }),
          this.choice('clinical.menopause', 'Statut ménopausique', MENOPAUSE, false, false),
          symptoms,
          this.choice('clinical.exam.right.result', 'Examen clinique droit', { normal: 'Normal', abnormal: 'Anormal' }),
          this.choice('clinical.exam.left.result', 'Examen clinique gauche', { normal: 'Normal', abnormal: 'Anormal' }),
        ),
        h(
          'fieldset',
          null,
          h('legend', null, 'Mammographie'),
          this.text('mammography.view_count', "Nombre d'incidences", { type: 'number', min: 0, inputmode: 'numeric' }),
          this.check('mammography.extra_views', 'Incidences complémentaires'),
          this.choice('mammography.density', 'Densité', DENSITIES),
          this.assessment('mammography.right', 'Sein droit', 'right'),
          this.assessment('mammography.left', 'Sein gauche', 'left'),
        ),
        h(
          'fieldset',
          null,
          h('legend', null, 'Bilan diagnostique immédiat (BDI)'),
          this.check('bdi.done', 'BDI réalisé'),
          this.check('bdi.extra_views', 'Clichés complémentaires'),
          this.check('bdi.ultrasound', 'Échographie'),
          this.text('bdi.ultrasound_result', "Résultat de l'échographie"),
          this.check('bdi.needle_procedure', 'Prélèvement'),
          this.assessment('bdi.after.right', 'Sein droit après BDI', 'right'),
          this.assessment('bdi.after.left', 'Sein gauche après BDI', 'left'),
        ),
        h(
          'fieldset',
          null,
          h('legend', null, 'Conclusion'),
          this.choice('conclusion.result', 'Résultat', CONCLUSIONS),
          this.choice('conclusion.management', 'Conduite à tenir', MANAGEMENT),
          this.text('conclusion.comment', 'Commentaire'),
        ),
        this.err('signature'),
        this.statusEl,
        h('div.actions.sticky', null, h('button.primary', { type: 'submit' }, 'Enregistrer')),
      ),
      h(
        'form.card.sign',
        { onsubmit: (e: Event) => (e.preventDefault(), void this.sign(signerName.value, signerRpps.value)) },
        h('h2', null, 'Signature'),
        h('p.hint', null, this.user.role === 'open' ? "Hub sans contrôle d'accès : la signature est enregistrée comme non authentifiée." : 'Vous signez en votre nom.'),
        h('div.field', null, h('label', { for: 'signer-name' }, 'Nom du signataire'), signerName),
        h('div.field', null, h('label', { for: 'signer-rpps' }, 'RPPS du signataire'), signerRpps),
        h('button.primary', { type: 'submit' }, 'Enregistrer et signer'),
      ),
    );
    void ro;
  }

  private async save(): Promise<boolean> {
    try {
      const r = await put<ExamWorkflow & { form_errors: FieldError[] }>(`/api/exams/${enc(this.uid)}/l1-form`, { ...this.form, signature: { signed: false, signed_at: null } });
      this.wf = r;
      this.signed = false;
      // Only the missing signature left: the form itself is complete.
      this.errors = r.form_errors.filter((e) => !e.field.startsWith('signature'));
      this.render();
      replace(this.statusEl, this.errors.length ? `Enregistrée, ${this.errors.length} point(s) à corriger avant signature.` : 'Enregistrée, prête à signer.');
      return this.errors.length === 0;
    } catch (e) {
      this.errors = e instanceof ApiError ? e.errors : [];
      this.render();
      replace(this.statusEl, h('span.error', null, (e as Error).message));
      return false;
    }
  }

  private async sign(name: string, rpps: string): Promise<void> {
    if (!/^\d{11}$/.test(rpps)) {
      toast('Le RPPS du signataire a 11 chiffres.', 'error');
      return;
    }
    if (!(await this.save())) return;
    try {
      this.wf = await post<ExamWorkflow>(`/api/exams/${enc(this.uid)}/l1-form/sign`, { signer: { name, rpps } });
      this.signed = true;
      this.render();
      replace(this.statusEl, `Fiche signée — ${label(EXAM_STATES, this.wf.state)}.`);
      toast('Fiche signée.');
    } catch (e) {
      this.errors = e instanceof ApiError ? e.errors : [];
      this.render();
      replace(this.statusEl, h('span.error', null, (e as Error).message));
    }
  }
}

export type { ExamSummary };
