// Shapes of the hub's JSON (docs/openapi.yaml), only the fields the web app reads.

export interface Reader {
  rpps: string;
  name?: string;
}
export interface Location {
  quadrant?: string | null;
  clock_hour?: number | null;
  depth?: string | null;
}
export interface Finding {
  type: string;
  side: 'right' | 'left';
  location: Location;
  size_mm?: number | null;
  description?: string;
}
export interface Assessment {
  birads: number | null;
  findings: Finding[];
}
export interface CtiFlag {
  view: string;
  reason: string;
  comment?: string;
}
export interface L2Reading {
  reader: Reader;
  read_at: string;
  right: Assessment;
  left: Assessment;
  density: string | null;
  cti: CtiFlag[];
  comment: string;
  signed: boolean;
}
export interface ExamWorkflow {
  exam_id: string;
  woman_id?: string;
  cim_id?: string;
  state: string;
  state_label?: string;
  received_at?: string;
  study_uids?: string[];
  retake_study_uids?: string[];
  images_complete?: boolean;
  l1_form?: boolean;
  l1_signature?: { signer?: Reader; signed_at?: string; authenticated?: boolean } | null;
  missing: string[];
  l2_readings?: Partial<L2Reading>[];
  cti_requests?: Record<string, unknown>[];
  history: { from: string; to: string; event: string; at: string; detail?: string }[];
}
export interface SessionExam {
  exam_id: string;
  mammogram_date?: string;
  due?: string;
  days_left?: number;
  urgent?: boolean;
  outcome: 'pending' | 'read' | 'skipped';
}
export interface ReadingSession {
  id: string;
  reader: Reader;
  number?: number;
  created_at?: string;
  status: 'open' | 'done';
  position?: number;
  size?: number;
  pending?: number;
  read?: number;
  skipped?: number;
  exams?: SessionExam[];
}
export interface NextExam {
  session_id: string;
  done: boolean;
  position?: number;
  size?: number;
  due?: string;
  urgent?: boolean;
  exam?: ExamWorkflow;
  l1_form?: L1Form;
}
export interface SessionSummary {
  session_id: string;
  reader_rpps: string;
  reads: number;
  negatives: number;
  positives: number;
  ctis: number;
  category_disagreements: number;
  density_disagreements: number;
  positive_rate: number;
  cti_rate: number;
  discordant_exam_ids: string[];
  skipped: number;
  pending: number;
}
export interface Patient {
  patient_id?: string;
  issuer?: string;
  name?: string;
  birth_date?: string;
  sex?: string;
  ins?: string;
  woman_id?: number | null;
  identity_issue?: string;
}
export interface ViewInfo {
  code: string;
  role: string;
  laterality: string;
  projection: string;
  modifiers: string[];
  for_processing: boolean;
  problems: string[];
}
export interface ExamSummary {
  study_uid: string;
  status: 'incomplete' | 'complete' | 'needs-review';
  study_date?: string;
  study_time?: string;
  accession_number?: string;
  institution?: string;
  description?: string;
  modalities?: string;
  series_count?: number;
  instance_count?: number;
  patient?: Patient;
  missing?: string[];
  problems?: string[];
  received_at?: string;
  updated_at?: string;
}
export interface ExamImage {
  sop_instance_uid: string;
  series_instance_uid: string;
  sop_class_uid?: string;
  transfer_syntax_uid?: string;
  view: ViewInfo | null;
  rows?: number;
  columns?: number;
  size?: number;
}
export interface ExamDetail extends ExamSummary {
  woman?: { id: number; ins?: string; name?: string; birth_date?: string } | null;
  images: ExamImage[];
}
// The L1 reading form (docs/schemas/l1-form.schema.json); kept loose: the hub validates it.
export interface L1Form {
  format_version: 1;
  identification: {
    woman_id?: string;
    ins: string;
    screening_number: string;
    birth_name: string;
    first_names: string;
    used_name?: string;
    birth_date: string | null;
    cim_id: string;
    site_id?: string;
    mammography_unit?: string;
    mammogram_date: string | null;
    l1_radiologist: Reader;
    technologist?: string;
  };
  clinical: {
    history: {
      benign_surgery: boolean;
      breast_reduction: boolean;
      prosthesis: boolean;
      previous_biopsy: boolean;
      personal_breast_cancer: boolean;
    };
    family_history: { breast_cancer: boolean; ovarian_cancer: boolean; closest_degree: number | null };
    hormone_therapy: boolean | null;
    menopause: string;
    symptoms: string[];
    exam: {
      right: { result: string | null; finding?: string; location?: Location };
      left: { result: string | null; finding?: string; location?: Location };
    };
  };
  mammography: {
    view_count: number;
    extra_views: boolean;
    density: string | null;
    right: Assessment;
    left: Assessment;
  };
  bdi: {
    done: boolean;
    extra_views: boolean;
    ultrasound: boolean;
    ultrasound_result?: string;
    needle_procedure: boolean;
    after: { right: Assessment; left: Assessment };
  };
  conclusion: { result: string | null; management: string | null; comment?: string };
  signature: { signed: boolean; signed_at: string | null };
}
