// The L1 reading form rendered for the second reader: what L1 saw, per breast, with the
// clinical context — compact, read at a glance next to the images.

import { h, formatDate, type Child } from '../dom';
import { BIRADS, CONCLUSIONS, DENSITIES, DEPTHS, FINDING_TYPES, MANAGEMENT, MENOPAUSE, QUADRANTS, SYMPTOMS, label } from '../i18n';
import type { Assessment, Finding, L1Form } from '../types';

export function findingText(f: Finding): string {
  const where = [
    f.location?.quadrant ? label(QUADRANTS, f.location.quadrant) : '',
    f.location?.clock_hour ? `${f.location.clock_hour} h` : '',
    f.location?.depth ? label(DEPTHS, f.location.depth).toLowerCase() : '',
  ].filter(Boolean);
  return [label(FINDING_TYPES, f.type), where.join(', '), f.size_mm ? `${f.size_mm} mm` : '', f.description ?? '']
    .filter(Boolean)
    .join(' — ');
}

function assessment(title: string, a: Assessment | undefined): Child {
  if (!a) return null;
  const abnormal = a.birads !== null && (a.birads === 0 || a.birads >= 3);
  return h(
    'div.l1-breast',
    null,
    h('span.l1-side', null, title),
    h(abnormal ? 'strong.acr.abnormal' : 'strong.acr', null, a.birads === null ? 'ACR —' : label(BIRADS, a.birads)),
    a.findings.length ? h('ul.findings', null, a.findings.map((f) => h('li', null, findingText(f)))) : null,
  );
}

export function renderL1Form(form: L1Form | null): HTMLElement {
  if (!form) return h('section.l1.panel', { 'aria-label': 'Fiche L1' }, h('p.warn', null, 'Aucune fiche L1 pour cet examen.'));
  const id = form.identification;
  const c = form.clinical;
  const history = [
    c.history.benign_surgery && 'chirurgie bénigne',
    c.history.breast_reduction && 'plastie de réduction',
    c.history.prosthesis && 'prothèse',
    c.history.previous_biopsy && 'biopsie antérieure',
    c.family_history.breast_cancer && `ATCD familial sein${c.family_history.closest_degree ? ` (${c.family_history.closest_degree}er/2e degré)` : ''}`,
    c.family_history.ovarian_cancer && 'ATCD familial ovaire',
    c.hormone_therapy === true && 'THS',
  ].filter(Boolean) as string[];
  const clinical = (side: 'right' | 'left') => {
    const e = c.exam[side];
    return e.result === 'abnormal' ? `anormal${e.finding ? ` : ${e.finding}` : ''}` : e.result === 'normal' ? 'normal' : '—';
  };
  return h(
    'section.l1.panel',
    { 'aria-labelledby': 'l1-title' },
    h('h2#l1-title', null, 'Fiche L1'),
    h('p.identity', null, h('strong', null, `${id.birth_name} ${id.first_names}`), ` — née le ${formatDate(id.birth_date)}`),
    h('p.meta', null, `${id.cim_id} · mammographie du ${formatDate(id.mammogram_date)} · L1 : ${id.l1_radiologist?.name ?? id.l1_radiologist?.rpps ?? '—'}`),
    h(
      'dl.l1-facts',
      null,
      h('dt', null, 'Antécédents'),
      h('dd', null, history.length ? history.join(', ') : 'aucun'),
      h('dt', null, 'Ménopause'),
      h('dd', null, label(MENOPAUSE, c.menopause)),
      c.symptoms.length ? [h('dt', null, 'Symptômes'), h('dd.warn', null, c.symptoms.map((s) => label(SYMPTOMS, s)).join(', '))] : null,
      h('dt', null, 'Examen clinique'),
      h('dd', null, `D : ${clinical('right')} · G : ${clinical('left')}`),
      h('dt', null, 'Densité'),
      h('dd', null, label(DENSITIES, form.mammography.density)),
    ),
    h('div.l1-assessments', null, assessment('Droit', form.mammography.right), assessment('Gauche', form.mammography.left)),
    form.bdi.done
      ? h(
          'div.l1-bdi',
          null,
          h('h3', null, 'Bilan immédiat (BDI)'),
          h('p', null, [form.bdi.extra_views && 'clichés complémentaires', form.bdi.ultrasound && `échographie${form.bdi.ultrasound_result ? ` : ${form.bdi.ultrasound_result}` : ''}`, form.bdi.needle_procedure && 'prélèvement'].filter(Boolean).join(' · ')),
          h('div.l1-assessments', null, assessment('Droit après BDI', form.bdi.after.right), assessment('Gauche après BDI', form.bdi.after.left)),
        )
      : null,
    h('p.conclusion', null, 'Conclusion L1 : ', h('strong', null, label(CONCLUSIONS, form.conclusion.result)), form.conclusion.management && form.conclusion.management !== 'none' ? ` — ${label(MANAGEMENT, form.conclusion.management)}` : '', form.conclusion.comment ? ` — ${form.conclusion.comment}` : ''),
  );
}
