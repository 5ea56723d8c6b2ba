// French labels of the domain's machine codes (the same codes as the hub's JSON and CDA). Every
// user-visible label of the vocabulary lives here, so that a translation is one file.

export const FINDING_TYPES: Record<string, string> = {
  mass: 'Masse',
  calcifications: 'Calcifications',
  architectural_distortion: 'Distorsion architecturale',
  asymmetry: 'Asymétrie',
};
export const QUADRANTS: Record<string, string> = {
  upper_outer: 'Quadrant supéro-externe',
  upper_inner: 'Quadrant supéro-interne',
  lower_outer: 'Quadrant inféro-externe',
  lower_inner: 'Quadrant inféro-interne',
  upper_junction: 'Union des quadrants supérieurs',
  lower_junction: 'Union des quadrants inférieurs',
  outer_junction: 'Union des quadrants externes',
  inner_junction: 'Union des quadrants internes',
  retroareolar: 'Rétro-aréolaire',
  axillary_tail: 'Prolongement axillaire',
};
export const DEPTHS: Record<string, string> = {
  anterior: 'Antérieur',
  middle: 'Moyen',
  posterior: 'Postérieur',
};
export const CTI_REASONS: Record<string, string> = {
  positioning: 'Positionnement',
  compression: 'Compression',
  exposure: 'Exposition',
  motion_blur: 'Flou cinétique',
  artefact: 'Artefact',
  missing_view: 'Incidence manquante',
  image_quality: "Qualité d'image",
};
export const DENSITIES: Record<string, string> = {
  A: 'A — graisseux',
  B: 'B — densités fibroglandulaires éparses',
  C: 'C — hétérogène dense',
  D: 'D — extrêmement dense',
};
export const BIRADS: Record<number, string> = {
  0: 'ACR 0 — bilan complémentaire',
  1: 'ACR 1 — normal',
  2: 'ACR 2 — bénin',
  3: 'ACR 3 — probablement bénin',
  4: 'ACR 4 — suspect',
  5: 'ACR 5 — très suspect',
};
export const SIDES: Record<string, string> = { right: 'Sein droit', left: 'Sein gauche' };
export const MENOPAUSE: Record<string, string> = {
  unknown: 'Inconnu',
  premenopausal: 'Non ménopausée',
  postmenopausal: 'Ménopausée',
};
export const SYMPTOMS: Record<string, string> = {
  lump: 'Masse palpable',
  nipple_discharge: 'Écoulement mamelonnaire',
  skin_or_nipple_change: 'Modification cutanée ou du mamelon',
  pain: 'Douleur',
};
export const CONCLUSIONS: Record<string, string> = { negative: 'Négatif', positive: 'Positif' };
export const MANAGEMENT: Record<string, string> = {
  none: 'Aucune',
  short_follow_up: 'Surveillance rapprochée',
  biopsy: 'Biopsie',
  referral: 'Orientation vers un spécialiste',
};
export const EXAM_STATES: Record<string, string> = {
  received: 'Reçu',
  complete: 'Complet',
  awaiting_l2: 'En attente de L2',
  in_session: 'En séance L2',
  l2_read: 'Lu en L2',
  awaiting_l3: 'En attente de L3',
  cti_requested: 'CTI demandé',
  retake_received: 'Reprise reçue',
  negative_result: 'Résultat négatif',
  recall_bdd: 'Rappel pour bilan (BDD)',
  l1_positive: 'Positif en L1',
  positive_follow_up: 'Suivi des positifs',
  result_sent: 'Résultat envoyé',
  closed: 'Clos',
  cancelled: 'Annulé',
};
export const ARCHIVE_STATUS: Record<string, string> = {
  incomplete: 'Incomplet',
  complete: 'Complet',
  'needs-review': 'À vérifier',
};
export const ROLES: Record<string, string> = {
  administrator: 'Administrateur',
  coordinator: 'Médecin coordinateur',
  secretary: 'Secrétariat',
  l2_radiologist: 'Radiologue L2',
  l1_radiologist: 'Radiologue L1',
  technologist: 'Manipulateur',
  gateway: 'Passerelle (machine)',
  doctor: 'Médecin',
  woman: 'Patiente',
  open: 'Accès ouvert (démonstration)',
};
export const VIEW_LABELS: Record<string, string> = {
  RCC: 'D face (RCC)',
  LCC: 'G face (LCC)',
  RMLO: 'D oblique (RMLO)',
  LMLO: 'G oblique (LMLO)',
};

export const LETTER_KINDS: Record<string, string> = {
  negative_result: 'Résultat de votre mammographie',
  recall: 'Résultat : examen complémentaire à faire',
  negative_result_doctor: 'Résultat négatif de votre patiente',
  recall_doctor: 'Rappel de votre patiente pour un bilan',
  cti_notice: 'Clichés à refaire (CTI)',
  l1_positive_ack: 'Accusé de réception (positif en L1)',
};
// The same kinds as the secretariat names them (recipients vary).
export const LETTER_KINDS_STAFF: Record<string, string> = {
  negative_result: 'Résultat négatif',
  negative_result_doctor: 'Résultat négatif (médecin)',
  recall: 'Rappel pour bilan',
  recall_doctor: 'Rappel pour bilan (médecin)',
  cti_notice: 'Avis de CTI',
  l1_positive_ack: 'Accusé positif L1',
};
export const IDENTITY_REASONS: Record<string, string> = {
  'missing-traits': 'Traits manquants ou invalides',
  'nir-invalid': 'NIR invalide',
  'nir-incoherent': 'NIR incohérent avec le sexe ou la date de naissance',
  'ins-other-traits': "INS d'une autre femme (traits différents)",
  'ipp-other-woman': "IPP d'une femme, INS d'une autre",
  'ipp-other-ins': 'La femme de cet IPP a un autre INS',
  'ipp-other-traits': 'Même IPP, autres traits',
  'traits-other-ipp': 'Mêmes traits, autre IPP',
  'unconfirmed-match': 'Rapprochement non confirmé (ni INS ni IPP)',
  homonym: 'Homonyme (autre INS)',
  ambiguous: 'Plusieurs femmes possibles',
  'possible-typo': 'Faute de frappe probable',
  'possible-twin': 'Jumelle possible',
  'swapped-names': 'Nom et prénom inversés',
  'name-change': 'Autre nom de famille (mariage ?)',
  'form-other-woman': "La fiche désigne une autre femme que les images",
};
export const IDENTITY_FIELDS: Record<string, string> = {
  family_name: 'Nom',
  used_name: "Nom d'usage",
  first_names: 'Prénoms',
  birth_date: 'Date de naissance',
  sex: 'Sexe',
  ins: 'INS',
  ipp: 'IPP (centre)',
};
export const MATCHES: Record<string, string> = {
  same: 'identique',
  near: 'proche',
  differs: 'différent',
  missing: 'absent',
  'not-carried': 'non transmis',
};
export const FOLLOW_UP_STATUS: Record<string, string> = {
  awaiting_work_up: 'Bilan attendu',
  under_surveillance: 'Surveillance',
  awaiting_pathology: 'Anatomopathologie attendue',
  concluded_no_cancer: 'Conclu sans cancer',
  concluded_cancer: 'Conclu cancer',
  lost_to_follow_up: 'Perdue de vue',
};
export const FOLLOW_UP_ORIGINS: Record<string, string> = {
  l1: 'Positif en L1',
  l2: 'Positif en L2',
  l3: 'Positif en L3',
};
export const VIEW_NAMES: Record<string, string> = {
  RCC: 'Sein droit, face',
  LCC: 'Sein gauche, face',
  RMLO: 'Sein droit, oblique',
  LMLO: 'Sein gauche, oblique',
  OTHER: 'Autre image',
};

// "DUPONT^MARIE^^^" (DICOM person name) → "Marie DUPONT".
export function personName(dicom: string | null | undefined): string {
  if (!dicom) return '—';
  const [family = '', given = ''] = dicom.split('^');
  const first = given
    .toLowerCase()
    .replace(/(^|[\s-])\p{L}/gu, (m) => m.toUpperCase())
    .trim();
  return [first, family.trim()].filter(Boolean).join(' ') || '—';
}

export function label(table: Record<string | number, string>, code: string | number | null | undefined): string {
  if (code === null || code === undefined || code === '') return '—';
  return table[code] ?? String(code);
}
