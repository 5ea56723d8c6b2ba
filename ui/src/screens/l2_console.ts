// The L2 reading console: one session of ~100 exams read keyboard first. The L1 form and the
// images of an exam appear together (both are revealed in the same frame once the images are
// rendered); the next exams (current views and latest prior) are prefetched so that "next" shows
// at once; images of exams already read are released from the cache.
//
// Keys: N negative & next · P positive (finding form) · C technically insufficient (CTI) ·
// V sign as entered · F fit · T 1:1 · I invert · W next window preset · L/D/Z/M left button
// tool (window, pan, zoom, magnifier) · A current vs prior · [ ] older / newer prior ·
// E extra views and ultrasound · Esc back to 2x2 · R reset display · ? help.

import { fieldErrorText } from '../field_errors';
import { h, replace, toast, formatDate, type Child } from '../dom';
import { get, post, enc, ApiError } from '../api';
import { BIRADS, CTI_REASONS, DENSITIES, DEPTHS, FINDING_TYPES, QUADRANTS, SIDES, label } from '../i18n';
import type { Assessment, CtiFlag, Finding, L2Reading, NextExam, ReadingSession, SessionSummary } from '../types';
import { renderL1Form, findingText } from './l1_summary';
import { Hanging, type Cell, CURRENT_CELLS } from '../viewer/hanging';
import { initLoaders, setPrimaryTool } from '../viewer/cornerstone';
import { cache } from '@cornerstonejs/core';
import { fetchCurrentAhead, loadExam, prefetch, priorStudy, release, studyUidsOf, type ExamToRead, type HungImage, type StudyImages } from '../viewer/exam_images';

const PREFETCH_AHEAD = 2;

interface Timing {
  examId: string;
  ms: number; // verdict key (or page start) to the exam rendered with its form
  screenFirst: number; // views shown at screen resolution first (their full frame not yet here)
  fullMs?: number; // ... and every image at full resolution (later when shown at screen resolution first)
  priorsMs?: number; // ... and the latest prior's 4 views decoded too (shown at once by A)
  prefetched: boolean;
  staged: boolean; // shown by swapping in the 2x2 rendered out of sight while the previous was read
  apiMs: number; // of which: the hub's answer to "next"
  cacheBytes: number; // decoded images held by Cornerstone's cache at that moment
}
declare global {
  interface Window {
    __dualread?: { timings: Timing[]; errors: string[] };
  }
}

interface FormState {
  right: Assessment;
  left: Assessment;
  density: string | null;
  cti: CtiFlag[];
  comment: string;
}
const emptyForm = (): FormState => ({
  right: { birads: null, findings: [] },
  left: { birads: null, findings: [] },
  density: null,
  cti: [],
  comment: '',
});

export function listSessions(main: HTMLElement, readerRpps?: string): void {
  const list = h('div', { 'aria-live': 'polite' }, 'Chargement…');
  replace(main, h('section.page', null, h('h1', null, 'Séances de deuxième lecture'), list));
  get<{ items: ReadingSession[] }>(`/api/sessions${readerRpps ? `?reader=${enc(readerRpps)}` : ''}`)
    .then(({ items }) => {
      if (!items.length) {
        replace(list, h('p', null, "Aucune séance. Le secrétariat constitue les séances depuis l'écran « Séances »."));
        return;
      }
      replace(
        list,
        h(
          'table.data',
          null,
          h('thead', null, h('tr', null, ['Séance', 'Lecteur', 'Créée le', 'Avancement', 'État', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            null,
            items.map((s) =>
              h(
                'tr',
                null,
                h('td', null, s.id),
                h('td', null, s.reader?.name ?? s.reader?.rpps),
                h('td', null, formatDate(s.created_at)),
                h('td', null, `${(s.read ?? 0) + (s.skipped ?? 0)} / ${s.size ?? '?'}`),
                h('td', null, s.status === 'done' ? 'Terminée' : 'Ouverte'),
                h(
                  'td',
                  null,
                  h('a.button', { href: `/lecture/seance/${enc(s.id)}`, 'data-link': true }, s.status === 'done' ? 'Bilan' : 'Lire'),
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((e: Error) => replace(list, h('p.error', { role: 'alert' }, e.message)));
}

export class ReadingConsole {
  private hanging!: Hanging;
  private session!: ReadingSession;
  private exam: ExamToRead | null = null;
  private next: NextExam | null = null;
  private prepared = new Map<string, Promise<ExamToRead>>();
  private form = emptyForm();
  private priorIndex = 0;
  private extraIndex = -1;
  private busy = false;
  private destroyed = false;
  // DOM
  private root!: HTMLElement;
  private viewerEl!: HTMLElement;
  private l1El!: HTMLElement;
  private l2El!: HTMLElement;
  private progressEl!: HTMLElement;
  private stripEl!: HTMLElement;
  private statusEl!: HTMLElement;
  private errorsEl!: HTMLElement;
  private dialogs: HTMLDialogElement[] = [];
  private keyHandler = (e: KeyboardEvent) => this.onKey(e);

  constructor(
    private main: HTMLElement,
    private sessionId: string,
  ) {}

  async start(): Promise<void> {
    window.__dualread ??= { timings: [], errors: [] };
    this.buildDom();
    document.addEventListener('keydown', this.keyHandler);
    this.hanging = new Hanging(this.viewerEl);
    try {
      // Everything at once: the rendering engine starts while the session, the exam to read and
      // its four current images come from the hub.
      // The engine's start takes the page's thread for a while: the requests go out first.
      initLoaders();
      const sessionP = get<ReadingSession>(`/api/sessions/${enc(this.sessionId)}`);
      const nextP = get<NextExam>(`/api/sessions/${enc(this.sessionId)}/next`);
      const first = await nextP.then(
        (n) => (n.exam ? this.prepare(n.exam.exam_id, { workflow: n.exam, l1Form: n.l1_form ?? null }) : null),
        () => null,
      );
      if (first) {
        // At screen resolution: a quarter of the viewer each (2x2), in device pixels.
        const dpr = window.devicePixelRatio || 1;
        fetchCurrentAhead(first, (this.viewerEl.clientWidth / 2) * dpr, (this.viewerEl.clientHeight / 2) * dpr);
      }
      await this.hanging.init();
      this.session = await sessionP;
      // The first exam is timed from the page's navigation start: bundle, engine and images cold.
      await this.advance(0, nextP);
    } catch (e) {
      this.fail(e);
    }
  }

  destroy(): void {
    this.destroyed = true;
    document.removeEventListener('keydown', this.keyHandler);
    for (const d of this.dialogs) d.remove();
  }

  private buildDom(): void {
    this.viewerEl = h('div.viewer', { role: 'img', 'aria-label': 'Images de mammographie' });
    this.l1El = h('div.l1-slot');
    this.l2El = h('div.l2-slot');
    this.progressEl = h('div.progress', { 'aria-live': 'polite' });
    this.stripEl = h('nav.strip', { 'aria-label': 'Incidences complémentaires et antériorités' });
    this.statusEl = h('div.viewer-status', { 'aria-live': 'polite' });
    this.errorsEl = h('div.errors', { role: 'alert' });
    this.root = h(
      'section.console',
      { 'data-state': 'loading' },
      h('div.console-head', null, h('h1.visually-hidden', null, 'Console de deuxième lecture'), this.progressEl, this.statusEl, h('button.ghost', { type: 'button', onclick: () => this.showHelp(), 'aria-keyshortcuts': '?' }, 'Raccourcis (?)')),
      h('div.console-body', null, h('div.viewer-wrap', null, this.viewerEl, h('div.loading-veil', null, 'Chargement des images…')), h('aside.side', null, this.l1El, this.l2El)),
      this.stripEl,
    );
    replace(this.main, this.root);
  }

  private fail(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    window.__dualread?.errors.push(msg);
    replace(this.errorsEl, msg);
    toast(msg, 'error');
    this.root.dataset.state = 'error';
    this.busy = false;
  }

  private prepare(examId: string, known?: Parameters<typeof loadExam>[1]): Promise<ExamToRead> {
    let p = this.prepared.get(examId);
    if (!p) {
      p = loadExam(examId, known);
      p.catch(() => this.prepared.delete(examId));
      this.prepared.set(examId, p);
    }
    return p;
  }

  private upcoming(): string[] {
    const exams = this.session.exams ?? [];
    const current = this.exam?.examId;
    return exams.filter((e) => e.outcome === 'pending' && e.exam_id !== current).slice(0, PREFETCH_AHEAD).map((e) => e.exam_id);
  }

  // Asks the hub for the exam to read now and shows it (images + L1 form together).
  private async advance(t0: number, asked?: Promise<NextExam>): Promise<void> {
    this.busy = true;
    this.root.dataset.state = 'loading';
    const next = await (asked ?? get<NextExam>(`/api/sessions/${enc(this.sessionId)}/next`));
    const apiMs = performance.now() - t0;
    if (this.destroyed) return;
    if (next.done || !next.exam) {
      await this.showSummary();
      return;
    }
    this.next = next;
    const wasPrepared = this.prepared.has(next.exam.exam_id);
    const exam = await this.prepare(next.exam.exam_id, { workflow: next.exam, l1Form: next.l1_form ?? null });
    exam.workflow = next.exam; // the hub's latest state
    if (next.l1_form) exam.l1Form = next.l1_form;
    const previous = this.exam;
    this.exam = exam;
    this.form = emptyForm();
    this.priorIndex = 0;
    this.extraIndex = -1;
    const staged = await this.hanging.show('current', await this.currentCells(exam));
    if (this.destroyed) return;
    // Reveal: L1 form, L2 form, progress and images in the same frame.
    replace(this.l1El, renderL1Form(exam.l1Form));
    this.renderL2Form();
    this.renderProgress();
    this.renderStrip();
    replace(this.statusEl, this.statusText());
    this.root.dataset.exam = exam.examId;
    this.root.dataset.state = 'ready';
    this.busy = false;
    const ms = performance.now() - t0;
    const screenFirst = this.viewerEl.querySelectorAll('.vp-cell[data-resolution="screen"]').length;
    const timing: Timing = { examId: exam.examId, ms, prefetched: wasPrepared, staged, screenFirst, apiMs, cacheBytes: cache.getCacheSize() };
    window.__dualread!.timings.push(timing);
    const fullResolution = this.hanging.whenFullResolution().then(() => {
      timing.fullMs = performance.now() - t0;
    });
    // Then: release what was read, prefetch what comes next.
    const ahead = this.upcoming();
    if (previous && previous.examId !== exam.examId) {
      const keep = new Set<string>(studyUidsOf(exam));
      for (const id of ahead) {
        const p = this.prepared.get(id);
        if (p) (await p.catch(() => null)) && studyUidsOf(await p).forEach((u) => keep.add(u));
      }
      release(previous, keep);
      this.prepared.delete(previous.examId);
    }
    // One exam after the other, one image at a time: the browser opens at most six connections
    // to the hub, and the reader's next signature must never wait behind image downloads.
    // After the exam on screen has its full frames (when shown at screen resolution first):
    // its latest prior (for A, at once), then the next exams.
    let chain: Promise<unknown> = fullResolution
      .then(() => prefetch(exam, () => !this.destroyed && this.exam === exam))
      .then(() => {
        timing.priorsMs = performance.now() - t0;
      })
      .catch(() => undefined);
    for (const id of ahead) {
      chain = chain.then(() =>
        this.prepare(id)
          .then((e) => prefetch(e, () => !this.destroyed && this.upcoming().includes(id)))
          .catch(() => undefined),
      );
    }
    // The exam that comes next is also rendered out of sight, so that "next" shows it at once.
    if (ahead[0]) {
      this.prepare(ahead[0])
        .then(async (e) => {
          const cells = await this.currentCells(e);
          await fullResolution;
          if (!this.destroyed && this.exam === exam && !this.busy) this.hanging.stage(cells);
        })
        .catch(() => undefined);
    }
  }

  private async currentCells(exam: ExamToRead): Promise<Cell[]> {
    const date = formatDate(exam.current.date);
    return CURRENT_CELLS.map((v) => ({ id: `cur-${v}`, image: exam.current.standard[v] ?? null, caption: `${v} · ${date}` }));
  }

  private async compareCells(exam: ExamToRead): Promise<Cell[] | null> {
    const summary = exam.priors[this.priorIndex];
    if (!summary) return null;
    const prior: StudyImages = await priorStudy(exam, summary.study_uid);
    const pd = formatDate(prior.date);
    const cd = formatDate(exam.current.date);
    const c = (v: (typeof CURRENT_CELLS)[number], which: 'pri' | 'cur'): Cell =>
      which === 'pri'
        ? { id: `pri-${v}`, image: prior.standard[v] ?? null, caption: `${v} · antériorité ${pd}` }
        : { id: `cur-${v}`, image: exam.current.standard[v] ?? null, caption: `${v} · actuel ${cd}` };
    return [c('RCC', 'pri'), c('LCC', 'pri'), c('RCC', 'cur'), c('LCC', 'cur'), c('RMLO', 'pri'), c('LMLO', 'pri'), c('RMLO', 'cur'), c('LMLO', 'cur')];
  }

  private async showLayout(kind: 'current' | 'compare' | 'single', image?: HungImage): Promise<void> {
    if (!this.exam) return;
    if (kind === 'compare') {
      const cells = await this.compareCells(this.exam);
      if (!cells) {
        toast('Aucune antériorité pour cette patiente.');
        return;
      }
      await this.hanging.show('compare', cells);
    } else if (kind === 'single' && image) {
      await this.hanging.show('single', [{ id: 'single', image, caption: `${image.label} · ${formatDate(this.exam.current.date)}` }]);
    } else {
      await this.hanging.show('current', await this.currentCells(this.exam));
    }
    replace(this.statusEl, this.statusText());
    this.renderStrip();
  }

  private statusText(): string {
    const layout = this.hanging.layout === 'compare' ? 'Comparaison avec antériorité' : this.hanging.layout === 'single' ? 'Image seule' : 'Examen actuel';
    return `${layout} · ${this.hanging.scaleMode === 'fit' ? 'ajusté' : '1:1'}`;
  }

  private renderProgress(): void {
    const s = this.session;
    const done = (s.read ?? 0) + (s.skipped ?? 0);
    const size = s.size ?? s.exams?.length ?? 0;
    const n = this.next;
    replace(
      this.progressEl,
      h('strong', null, `Examen ${Math.min(done + 1, size)} / ${size}`),
      h('progress', { max: size, value: done, 'aria-label': 'Avancement de la séance' }),
      n?.due ? h(n.urgent ? 'span.tag.urgent' : 'span.tag', null, `à rendre le ${formatDate(n.due)}`) : null,
    );
  }

  private renderStrip(): void {
    const exam = this.exam;
    if (!exam) return;
    const extras = exam.current.extras;
    replace(
      this.stripEl,
      h('button', { type: 'button', class: this.hanging.layout === 'current' ? 'active' : '', onclick: () => this.showLayout('current') }, 'Actuel 2×2'),
      exam.priors.map((p, i) =>
        h(
          'button',
          {
            type: 'button',
            class: this.hanging.layout === 'compare' && this.priorIndex === i ? 'active' : '',
            onclick: () => {
              this.priorIndex = i;
              this.showLayout('compare');
            },
          },
          `Antériorité ${formatDate(p.study_date)}`,
        ),
      ),
      extras.map((img, i) =>
        h(
          'button',
          {
            type: 'button',
            class: this.hanging.layout === 'single' && this.extraIndex === i ? 'active' : '',
            onclick: () => {
              this.extraIndex = i;
              this.showLayout('single', img);
            },
          },
          img.role === 'ultrasound' ? `Écho ${img.laterality || ''}`.trim() : img.label,
        ),
      ),
      !exam.priors.length ? h('span.muted', null, 'Pas d’antériorité') : null,
    );
  }

  // ---- L2 form ------------------------------------------------------------------------
  private renderL2Form(): void {
    const f = this.form;
    const breast = (side: 'right' | 'left') => {
      const a = f[side];
      return h(
        'fieldset.breast',
        null,
        h('legend', null, SIDES[side]),
        h(
          'div.birads',
          { role: 'radiogroup', 'aria-label': `ACR ${SIDES[side]}` },
          [1, 2, 3, 4, 5].map((b) =>
            h(
              'label.chip',
              { title: BIRADS[b] },
              h('input', {
                type: 'radio',
                name: `l2-${side}`,
                value: b,
                checked: a.birads === b,
                onchange: () => {
                  a.birads = b;
                },
              }),
              `ACR ${b}`,
            ),
          ),
        ),
        a.findings.length
          ? h(
              'ul.findings',
              null,
              a.findings.map((fd, i) =>
                h(
                  'li',
                  null,
                  findingText(fd),
                  h('button.link', { type: 'button', 'aria-label': `Retirer ${findingText(fd)}`, onclick: () => (a.findings.splice(i, 1), this.renderL2Form()) }, 'retirer'),
                ),
              ),
            )
          : null,
      );
    };
    const l1Density = this.exam?.l1Form?.mammography.density;
    replace(
      this.l2El,
      h(
        'section.l2.panel',
        { 'aria-labelledby': 'l2-title' },
        h('h2#l2-title', null, 'Deuxième lecture'),
        breast('right'),
        breast('left'),
        h(
          'label.field',
          null,
          'Densité (facultatif)',
          h(
            'select',
            { onchange: (e: Event) => (f.density = (e.target as HTMLSelectElement).value || null) },
            h('option', { value: '' }, `Celle de L1 (${l1Density ?? '—'})`),
            Object.entries(DENSITIES).map(([k, v]) => h('option', { value: k, selected: f.density === k }, v)),
          ),
        ),
        f.cti.length
          ? h(
              'div.cti-list',
              null,
              h('h3', null, 'Clichés techniquement insuffisants'),
              h('ul', null, f.cti.map((c) => h('li', null, `${c.view} — ${label(CTI_REASONS, c.reason)}${c.comment ? ` (${c.comment})` : ''}`))),
            )
          : null,
        h('label.field', null, 'Commentaire', h('textarea', { rows: 2, oninput: (e: Event) => (f.comment = (e.target as HTMLTextAreaElement).value) }, f.comment)),
        this.errorsEl,
        h(
          'div.actions',
          null,
          h('button.primary', { type: 'button', onclick: () => this.negative(), 'aria-keyshortcuts': 'N' }, h('kbd', null, 'N'), ' Négatif, suivant'),
          h('button.danger', { type: 'button', onclick: () => this.openFinding(), 'aria-keyshortcuts': 'P' }, h('kbd', null, 'P'), ' Positif…'),
          h('button', { type: 'button', onclick: () => this.openCti(), 'aria-keyshortcuts': 'C' }, h('kbd', null, 'C'), ' CTI…'),
          h('button', { type: 'button', onclick: () => this.sign(), 'aria-keyshortcuts': 'V' }, h('kbd', null, 'V'), ' Signer tel quel'),
          h('button.ghost', { type: 'button', onclick: () => this.openSkip() }, 'Rendre au pool…'),
        ),
      ),
    );
    replace(this.errorsEl);
  }

  private reading(): L2Reading {
    const f = this.form;
    return {
      reader: { rpps: this.session.reader.rpps, name: this.session.reader.name ?? '' },
      read_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      right: f.right,
      left: f.left,
      density: f.density,
      cti: f.cti,
      comment: f.comment,
      signed: true,
    };
  }

  private negative(): void {
    if (this.busy) return;
    const f = this.form;
    const abnormal = [f.right, f.left].some((a) => (a.birads ?? 1) >= 3 || a.findings.some(() => (a.birads ?? 1) >= 3));
    if (abnormal || f.cti.length) {
      toast('Des anomalies ou un CTI sont saisis : signez avec V, ou retirez-les.', 'error');
      return;
    }
    f.right.birads ??= 1;
    f.left.birads ??= 1;
    void this.sign();
  }

  private async sign(): Promise<void> {
    if (this.busy || !this.exam) return;
    // Never a verdict on an image that could not be seen at full resolution.
    if (this.viewerEl.querySelector('.vp-cell[data-resolution="failed"]')) {
      toast('Une image n’a pas pu être chargée en pleine résolution : rechargez la page avant de signer.', 'error');
      return;
    }
    this.busy = true;
    const t0 = performance.now();
    // A verdict given while views are still at screen resolution waits for their full frames.
    await this.hanging.whenFullResolution();
    try {
      const r = await post<{ session: ReadingSession }>(`/api/sessions/${enc(this.sessionId)}/readings`, this.reading());
      this.session = { ...this.session, ...r.session, exams: r.session.exams ?? this.session.exams };
      if (!r.session.exams) this.markOutcome(this.exam.examId, 'read');
      await this.advance(t0);
    } catch (e) {
      this.busy = false;
      if (e instanceof ApiError && e.errors.length) {
        replace(this.errorsEl, h('p', null, 'La lecture n’a pas été enregistrée :'), h('ul', null, e.errors.map((x) => h('li', { title: `${x.field} : ${x.message}` }, fieldErrorText(x.message)))));
      } else {
        this.fail(e);
      }
    }
  }

  private markOutcome(examId: string, outcome: 'read' | 'skipped'): void {
    const e = this.session.exams?.find((x) => x.exam_id === examId);
    if (e) e.outcome = outcome;
  }

  // ---- dialogs ------------------------------------------------------------------------
  private dialog(title: string, body: Child, onSubmit: (submitter: string) => void): HTMLDialogElement {
    const form = h('form', { method: 'dialog' }, h('h2', null, title), body);
    const d = h('dialog.modal', { 'aria-label': title }, form) as HTMLDialogElement;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const submitter = ((e as SubmitEvent).submitter as HTMLButtonElement | null)?.value ?? 'ok';
      if (submitter === 'cancel') {
        d.close();
        return;
      }
      onSubmit(submitter);
    });
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !(e.target instanceof HTMLTextAreaElement)) {
        e.preventDefault();
        onSubmit(e.shiftKey ? 'another' : 'ok');
      }
    });
    d.addEventListener('close', () => d.remove());
    document.body.appendChild(d);
    this.dialogs.push(d);
    d.showModal();
    return d;
  }

  private openFinding(): void {
    if (this.busy || !this.exam) return;
    const sideSel = h('select', { name: 'side', required: true }, h('option', { value: 'right' }, 'Droit'), h('option', { value: 'left' }, 'Gauche'));
    const typeSel = h('select', { name: 'type' }, Object.entries(FINDING_TYPES).map(([k, v]) => h('option', { value: k }, v)));
    const quadSel = h('select', { name: 'quadrant' }, h('option', { value: '' }, '—'), Object.entries(QUADRANTS).map(([k, v]) => h('option', { value: k }, v)));
    const clock = h('input', { name: 'clock', type: 'number', min: 1, max: 12, inputmode: 'numeric' });
    const depthSel = h('select', { name: 'depth' }, h('option', { value: '' }, '—'), Object.entries(DEPTHS).map(([k, v]) => h('option', { value: k }, v)));
    const size = h('input', { name: 'size', type: 'number', min: 0, max: 200, inputmode: 'numeric' });
    const acr = h('select', { name: 'birads' }, [3, 4, 5].map((b) => h('option', { value: b, selected: b === 4 }, BIRADS[b])));
    const err = h('p.error', { role: 'alert' });
    const d = this.dialog(
      'Anomalie (lecture positive)',
      [
        h('label.field', null, 'Sein', sideSel),
        h('label.field', null, 'Type', typeSel),
        h('label.field', null, 'Quadrant', quadSel),
        h('label.field', null, 'ou rayon horaire (1 à 12)', clock),
        h('label.field', null, 'Profondeur', depthSel),
        h('label.field', null, 'Taille (mm)', size),
        h('label.field', null, 'Classification', acr),
        err,
        h('div.actions', null, h('button.danger', { value: 'ok' }, 'Ajouter et signer (Entrée)'), h('button', { value: 'another' }, 'Ajouter, autre anomalie (Maj+Entrée)'), h('button.ghost', { value: 'cancel', formnovalidate: true }, 'Annuler (Échap)')),
      ],
      (how) => {
        const side = sideSel.value as 'right' | 'left';
        const clockH = clock.value ? Number(clock.value) : null;
        if (!quadSel.value && !clockH) {
          err.textContent = 'Indiquez un quadrant ou un rayon horaire.';
          quadSel.focus();
          return;
        }
        if (clockH !== null && (clockH < 1 || clockH > 12)) {
          err.textContent = 'Le rayon horaire va de 1 à 12.';
          clock.focus();
          return;
        }
        const finding: Finding = {
          type: typeSel.value,
          side,
          location: { quadrant: quadSel.value || null, clock_hour: clockH, depth: depthSel.value || null },
          size_mm: size.value ? Number(size.value) : null,
          description: '',
        };
        const a = this.form[side];
        a.findings.push(finding);
        a.birads = Math.max(a.birads ?? 0, Number(acr.value));
        const other = this.form[side === 'right' ? 'left' : 'right'];
        other.birads ??= 1;
        d.close();
        this.renderL2Form();
        if (how === 'another') this.openFinding();
        else void this.sign();
      },
    );
    sideSel.focus();
  }

  private openCti(): void {
    if (this.busy || !this.exam) return;
    const views = [...CURRENT_CELLS, ...this.exam.current.extras.map((e) => e.code)];
    const viewSel = h('select', { name: 'view' }, views.map((v) => h('option', { value: v }, v)), h('option', { value: 'MISSING' }, 'Incidence manquante'));
    const reasonSel = h('select', { name: 'reason' }, Object.entries(CTI_REASONS).map(([k, v]) => h('option', { value: k }, v)));
    const comment = h('input', { name: 'comment', type: 'text' });
    const d = this.dialog(
      'Cliché techniquement insuffisant (CTI)',
      [
        h('label.field', null, 'Incidence', viewSel),
        h('label.field', null, 'Motif', reasonSel),
        h('label.field', null, 'Précision (facultatif)', comment),
        h('p.hint', null, "Le sein dont l'incidence est refaite n'a pas à être classé ; l'autre sein est classé ACR 1 sauf saisie contraire."),
        h('div.actions', null, h('button.primary', { value: 'ok' }, 'Signer le CTI (Entrée)'), h('button', { value: 'another' }, 'Ajouter, autre incidence (Maj+Entrée)'), h('button.ghost', { value: 'cancel', formnovalidate: true }, 'Annuler (Échap)')),
      ],
      (how) => {
        const view = viewSel.value === 'MISSING' ? 'MISSING' : viewSel.value;
        this.form.cti.push({ view, reason: viewSel.value === 'MISSING' ? 'missing_view' : reasonSel.value, comment: comment.value });
        const flagged = new Set(this.form.cti.map((c) => c.view[0]));
        if (!flagged.has('R')) this.form.right.birads ??= 1;
        if (!flagged.has('L')) this.form.left.birads ??= 1;
        d.close();
        this.renderL2Form();
        if (how === 'another') this.openCti();
        else void this.sign();
      },
    );
    viewSel.focus();
  }

  private openSkip(): void {
    if (this.busy || !this.exam) return;
    const reason = h('input', { name: 'reason', type: 'text', required: true, value: '' });
    const d = this.dialog(
      "Rendre l'examen au pool de L2",
      [h('label.field', null, 'Motif', reason), h('div.actions', null, h('button.primary', { value: 'ok' }, 'Rendre (Entrée)'), h('button.ghost', { value: 'cancel', formnovalidate: true }, 'Annuler (Échap)'))],
      async () => {
        if (!reason.value.trim()) {
          reason.focus();
          return;
        }
        d.close();
        this.busy = true;
        try {
          const r = await post<{ session: ReadingSession }>(`/api/sessions/${enc(this.sessionId)}/skip`, { reason: reason.value.trim() });
          this.session = { ...this.session, ...r.session, exams: r.session.exams ?? this.session.exams };
          if (!r.session.exams && this.exam) this.markOutcome(this.exam.examId, 'skipped');
          await this.advance(performance.now());
        } catch (e) {
          this.fail(e);
        }
      },
    );
    reason.focus();
  }

  private showHelp(): void {
    const keys: [string, string][] = [
      ['N', 'Négatif (ACR 1 des deux côtés sauf saisie), signer et passer au suivant'],
      ['P', 'Positif : saisir une anomalie puis signer'],
      ['C', 'Cliché techniquement insuffisant : incidence et motif'],
      ['V', 'Signer la lecture telle que saisie'],
      ['F / T', 'Ajuster à la fenêtre / taille réelle (1 pixel image = 1 pixel écran)'],
      ['L / D / Z / M', 'Bouton gauche : fenêtrage, déplacement, zoom, loupe'],
      ['W', 'Préréglage de fenêtrage suivant (ceux de l’image)'],
      ['I', 'Inverser les niveaux de gris'],
      ['A', 'Comparer avec l’antériorité (et revenir)'],
      ['[ / ]', 'Antériorité plus ancienne / plus récente'],
      ['E', 'Incidences complémentaires et échographie, une à une'],
      ['Échap', 'Revenir au 2×2 actuel'],
      ['R', 'Réinitialiser l’affichage'],
    ];
    const d = this.dialog(
      'Raccourcis clavier',
      [h('dl.keys', null, keys.map(([k, v]) => [h('dt', null, h('kbd', null, k)), h('dd', null, v)])), h('div.actions', null, h('button.primary', { value: 'cancel' }, 'Fermer'))],
      () => d.close(),
    );
  }

  private async showSummary(): Promise<void> {
    this.busy = true;
    const s = await get<SessionSummary>(`/api/sessions/${enc(this.sessionId)}/summary`);
    if (this.exam) release(this.exam, new Set());
    this.exam = null;
    const pct = (x: number) => `${(100 * (x || 0)).toFixed(1)} %`;
    this.root.dataset.state = 'summary';
    replace(
      this.main,
      h(
        'section.page.summary',
        { 'data-state': 'summary' },
        h('h1', null, `Bilan de la séance ${s.session_id}`),
        h(
          'dl.figures',
          null,
          [
            ['Examens lus', s.reads],
            ['Négatifs', s.negatives],
            ['Positifs (rattrapages)', `${s.positives} (${pct(s.positive_rate)})`],
            ['CTI', `${s.ctis} (${pct(s.cti_rate)})`],
            ['Désaccords de classification avec L1', s.category_disagreements],
            ['Désaccords de densité avec L1', s.density_disagreements],
            ['Rendus au pool', s.skipped],
            ['Restant à lire', s.pending],
          ].map(([k, v]) => [h('dt', null, String(k)), h('dd', null, String(v))]),
        ),
        h('h2', null, 'Examens discordants'),
        s.discordant_exam_ids.length
          ? h('ul', null, s.discordant_exam_ids.map((id) => h('li', null, h('a', { href: `/secretariat/examen?etude=${enc(id)}`, 'data-link': true }, id))))
          : h('p', null, 'Aucune discordance avec L1.'),
        h('p', null, h('a.button', { href: '/lecture', 'data-link': true }, 'Retour aux séances')),
      ),
    );
    this.destroy();
  }

  // ---- keyboard -----------------------------------------------------------------------
  private onKey(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target as HTMLElement | null;
    if (t && (t.closest('dialog') || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
    if (this.root.dataset.state !== 'ready') return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const act: Record<string, () => void> = {
      n: () => this.negative(),
      p: () => this.openFinding(),
      c: () => this.openCti(),
      v: () => void this.sign(),
      f: () => (this.hanging.setScale('fit'), replace(this.statusEl, this.statusText())),
      t: () => (this.hanging.setScale('true'), replace(this.statusEl, this.statusText())),
      i: () => this.hanging.toggleInvert(),
      w: () => toast(`Fenêtrage : ${this.hanging.nextPreset() || 'aucun préréglage'}`),
      l: () => (setPrimaryTool('wl'), toast('Bouton gauche : fenêtrage')),
      d: () => (setPrimaryTool('pan'), toast('Bouton gauche : déplacement')),
      z: () => (setPrimaryTool('zoom'), toast('Bouton gauche : zoom')),
      m: () => (setPrimaryTool('magnify'), toast('Bouton gauche : loupe')),
      a: () => void this.showLayout(this.hanging.layout === 'compare' ? 'current' : 'compare'),
      '[': () => this.stepPrior(1),
      ']': () => this.stepPrior(-1),
      e: () => this.stepExtra(),
      r: () => this.hanging.reset(),
      '?': () => this.showHelp(),
      Escape: () => void this.showLayout('current'),
    };
    const fn = act[key];
    if (fn) {
      e.preventDefault();
      fn();
    }
  }

  private stepPrior(delta: number): void {
    if (!this.exam?.priors.length) return toast('Aucune antériorité pour cette patiente.');
    this.priorIndex = Math.min(this.exam.priors.length - 1, Math.max(0, this.priorIndex + delta));
    void this.showLayout('compare');
  }

  private stepExtra(): void {
    const extras = this.exam?.current.extras ?? [];
    if (!extras.length) return toast('Pas d’incidence complémentaire ni d’échographie.');
    this.extraIndex = (this.extraIndex + 1) % extras.length;
    void this.showLayout('single', extras[this.extraIndex]);
  }
}

export function openConsole(main: HTMLElement, sessionId: string): () => void {
  const c = new ReadingConsole(main, sessionId);
  void c.start();
  return () => c.destroy();
}
