// What to hang for one screening exam: its standard views (current), its extra views and
// ultrasound, and its priors (the woman's earlier exams), each as a Cornerstone imageId over the
// hub's WADO-RS with the instance's DICOM metadata registered for the loader. Also the prefetch
// (decode into the cache ahead of time) and the release of an exam's images once it is read,
// so that a session of hundreds of exams runs in bounded memory.

import { cache } from '@cornerstonejs/core';
import { wadors } from '@cornerstonejs/dicom-image-loader';
import { get, enc } from '../api';
import { loadImage, forget as forgetFrame } from './frame_fetch';
import { dropReduced, loadReduced, type DicomJson } from './reduced_fetch';
import type { ExamDetail, ExamSummary, ExamWorkflow, L1Form, ViewInfo } from '../types';

export const STANDARD_VIEWS = ['RCC', 'LCC', 'RMLO', 'LMLO'] as const;
export type StandardView = (typeof STANDARD_VIEWS)[number];

export interface HungImage {
  imageId: string;
  code: string; // view code from the hub's classification ("RCC", "LMLO_SPOT", "US_R"...)
  label: string;
  laterality: 'R' | 'L' | '';
  projection: string;
  role: string;
  // Patient Orientation (0020,0020): direction of the rows and of the columns, e.g. ["P","L"].
  orientation: [string, string];
  studyUid: string;
  // Window presets of the image (0028,1050/1051/1055), the first being the default display.
  presets: { center: number; width: number; name: string }[];
}

export interface StudyImages {
  studyUid: string;
  date: string; // YYYYMMDD
  standard: Partial<Record<StandardView, HungImage>>;
  extras: HungImage[];
}

export interface ExamToRead {
  examId: string;
  workflow: ExamWorkflow;
  l1Form: L1Form | null;
  current: StudyImages; // the exam's studies merged, later (retake) images winning
  priors: ExamSummary[]; // the woman's other exams, newest first (loaded on demand)
  priorImages: Map<string, Promise<StudyImages>>;
}


function str(ds: DicomJson, tag: string): string {
  const v = ds[tag]?.Value?.[0];
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function dicomwebBase(): string {
  return `${location.origin}/dicomweb`;
}

function imageIdOf(study: string, series: string, sop: string): string {
  return `wadors:${dicomwebBase()}/studies/${study}/series/${series}/instances/${sop}/frames/1`;
}

function numbers(ds: DicomJson, tag: string): number[] {
  return (ds[tag]?.Value ?? []).map((v) => Number(v)).filter((v) => Number.isFinite(v));
}

function presetsOf(ds: DicomJson): HungImage['presets'] {
  const centers = numbers(ds, '00281050');
  const widths = numbers(ds, '00281051');
  const names = (ds['00281055']?.Value ?? []) as string[];
  return centers
    .map((center, i) => ({ center, width: widths[i] ?? widths[0], name: names[i] || `Préréglage ${i + 1}` }))
    .filter((p) => p.width > 0);
}

const registered = new Map<string, string[]>(); // studyUid -> imageIds registered

async function loadStudy(studyUid: string): Promise<StudyImages> {
  const [detail, metadata] = await Promise.all([
    get<ExamDetail>(`/api/exams/${enc(studyUid)}`),
    get<DicomJson[]>(`/dicomweb/studies/${enc(studyUid)}/metadata`),
  ]);
  const bySop = new Map<string, DicomJson>();
  for (const ds of metadata) bySop.set(str(ds, '00080018'), ds);
  const out: StudyImages = { studyUid, date: detail.study_date ?? '', standard: {}, extras: [] };
  const ids: string[] = [];
  for (const img of detail.images) {
    const ds = bySop.get(img.sop_instance_uid);
    if (!ds) continue;
    const view: ViewInfo | null = img.view;
    if (view?.for_processing) continue; // raw data is not for reading
    const imageId = imageIdOf(studyUid, img.series_instance_uid, img.sop_instance_uid);
    wadors.metaDataManager.add(imageId, ds as never);
    ids.push(imageId);
    const po = ds['00200020']?.Value as string[] | undefined;
    const lat = ['R', 'right'].includes(view?.laterality ?? '') ? 'R' : ['L', 'left'].includes(view?.laterality ?? '') ? 'L' : '';
    const hung: HungImage = {
      imageId,
      code: view?.code ?? 'OTHER',
      label: view?.code ?? str(ds, '0008103E') ?? 'image',
      laterality: lat,
      projection: view?.projection ?? '',
      role: view?.role ?? 'other',
      orientation: [po?.[0] ?? '', po?.[1] ?? ''],
      studyUid,
      presets: presetsOf(ds),
    };
    if (view?.role === 'standard' && (STANDARD_VIEWS as readonly string[]).includes(view.code)) {
      out.standard[view.code as StandardView] = hung;
    } else {
      out.extras.push(hung);
    }
  }
  registered.set(studyUid, ids);
  return out;
}

const studyCache = new Map<string, Promise<StudyImages>>();
function study(uid: string): Promise<StudyImages> {
  let p = studyCache.get(uid);
  if (!p) {
    p = loadStudy(uid);
    p.catch(() => studyCache.delete(uid));
    studyCache.set(uid, p);
  }
  return p;
}

// Everything the console shows for one exam, fetched in parallel: workflow, L1 form, current
// studies (merged), the list of priors and the most recent prior's images.
export async function loadExam(
  examId: string,
  known?: { workflow?: ExamWorkflow; l1Form?: L1Form | null },
): Promise<ExamToRead> {
  const workflowP = known?.workflow
    ? Promise.resolve(known.workflow)
    : get<ExamWorkflow>(`/api/exams/${enc(examId)}/workflow`);
  const formP =
    known && known.l1Form !== undefined
      ? Promise.resolve(known.l1Form)
      : get<{ form: L1Form }>(`/api/exams/${enc(examId)}/l1-form`).then(
          (r) => r.form,
          () => null,
        );
  const workflow = await workflowP;
  const uids = [...new Set([examId, ...(workflow.study_uids ?? []), ...(workflow.retake_study_uids ?? [])])];
  const priorsP: Promise<ExamSummary[]> = workflow.woman_id
    ? get<{ exams: ExamSummary[] }>(`/api/women/${enc(workflow.woman_id)}/exams`).then(
        (r) =>
          r.exams
            .filter((e) => !uids.includes(e.study_uid) && (e.modalities ?? 'MG').includes('MG'))
            .sort((a, b) => (b.study_date ?? '').localeCompare(a.study_date ?? '')),
        () => [],
      )
    : Promise.resolve([]);
  const studies = await Promise.all(uids.map(study));
  studies.sort((a, b) => a.date.localeCompare(b.date));
  const current: StudyImages = { studyUid: examId, date: studies[0]?.date ?? '', standard: {}, extras: [] };
  for (const s of studies) {
    Object.assign(current.standard, s.standard); // a retake replaces the view it retakes
    current.extras.push(...s.extras);
  }
  const [l1Form, priors] = await Promise.all([formP, priorsP]);
  const exam: ExamToRead = { examId, workflow, l1Form, current, priors, priorImages: new Map() };
  if (priors[0]) priorStudy(exam, priors[0].study_uid);
  return exam;
}

export function priorStudy(exam: ExamToRead, uid: string): Promise<StudyImages> {
  let p = exam.priorImages.get(uid);
  if (!p) {
    p = study(uid);
    exam.priorImages.set(uid, p);
  }
  return p;
}

function standardIds(s: StudyImages): string[] {
  return STANDARD_VIEWS.map((v) => s.standard[v]?.imageId).filter((x): x is string => !!x);
}

// The images "next" must show at once: 4 current views and the latest prior's 4 views.
export async function imagesToShow(exam: ExamToRead): Promise<string[]> {
  const ids = standardIds(exam.current);
  const latest = exam.priors[0] ? await priorStudy(exam, exam.priors[0].study_uid) : null;
  if (latest) ids.push(...standardIds(latest));
  return ids;
}

// Starts loading the exam's 4 current views at screen resolution for cells of width x height
// screen pixels (the first exam of a session, while the rendering engine starts).
export function fetchCurrentAhead(exam: ExamToRead, width: number, height: number): void {
  for (const id of standardIds(exam.current)) void loadReduced(id, width, height);
}

// Decodes the exam's images into the cache, one at a time (the decoder workers and the
// connections to the hub are shared with the exam on screen and with the reader's signatures).
// Stops as soon as `wanted()` says the exam is no longer to come (read already, released).
export async function prefetch(exam: ExamToRead, wanted: () => boolean = () => true): Promise<void> {
  for (const id of await imagesToShow(exam)) {
    if (!wanted()) return;
    try {
      await loadImage(id);
    } catch {
      // shown as an error when the exam is displayed, not while prefetching
    }
    if (!wanted()) evictIfReleased(id);
  }
}

// Evicts an image that finished loading after its exam was released: nothing would ever release
// it again.
export function evictIfReleased(imageId: string): void {
  for (const ids of registered.values()) if (ids.includes(imageId)) return;
  if (cache.getImageLoadObject(imageId)) cache.removeImageLoadObject(imageId, { force: true });
}

// Forgets every decoded image and metadata of the exam's studies (current and priors), except
// those still needed by `keep` (a woman's prior can be another exam's current study).
// Metadata of released images, forgotten two releases later: a late retrieval stage of an image
// (progressive loading of large frames) may still complete after its exam left the screen and
// needs the metadata to build the image; the decoded pixels, which are the memory, go at once.
const metadataToForget: string[][] = [];

export function release(exam: ExamToRead, keep: Set<string>): void {
  const uids = [exam.current.studyUid, ...exam.workflow.study_uids ?? [], ...exam.workflow.retake_study_uids ?? [], ...exam.priorImages.keys()];
  const forget: string[] = [];
  for (const uid of new Set(uids)) {
    if (keep.has(uid)) continue;
    for (const id of registered.get(uid) ?? []) {
      if (cache.getImageLoadObject(id)) cache.removeImageLoadObject(id, { force: true });
      forgetFrame(id);
      dropReduced(id);
      forget.push(id);
    }
    registered.delete(uid);
    studyCache.delete(uid);
  }
  metadataToForget.push(forget);
  while (metadataToForget.length > 2) {
    for (const id of metadataToForget.shift()!) {
      if (!cache.getImageLoadObject(id)) wadors.metaDataManager.remove(id);
    }
  }
}

export function studyUidsOf(exam: ExamToRead): string[] {
  return [exam.examId, ...(exam.workflow.study_uids ?? []), ...(exam.workflow.retake_study_uids ?? []), ...exam.priorImages.keys()];
}
