// The hub's field errors in French. The hub's API speaks English (its sentences are for any
// client and for the technicians' logs); the forms of the web app show them in French. Each
// sentence the hub's form checks can produce (src/domain/reading_form.cpp, reading.cpp, the JSON
// reader in services/reading_form_json.cpp, the signer checks in services/workflow_service.cpp)
// has a pattern here; a sentence without one is shown
// as the hub wrote it (frenchFieldError says so by returning null). Pure functions (no DOM),
// tested by tests/e2e/test_field_errors.mjs against the sentences a real hub answers.

const SIDES: Record<string, string> = { 'right breast': 'sein droit', 'left breast': 'sein gauche' };
const QUADRANTS: Record<string, string> = {
  'upper outer quadrant': 'quadrant supéro-externe',
  'upper inner quadrant': 'quadrant supéro-interne',
  'lower outer quadrant': 'quadrant inféro-externe',
  'lower inner quadrant': 'quadrant inféro-interne',
  'junction of the upper quadrants': 'union des quadrants supérieurs',
  'junction of the lower quadrants': 'union des quadrants inférieurs',
  'junction of the outer quadrants': 'union des quadrants externes',
  'junction of the inner quadrants': 'union des quadrants internes',
  'retro-areolar / central': 'région rétro-aréolaire',
  'axillary tail': 'prolongement axillaire',
};
const side = (s: string) => SIDES[s] ?? s;
const quadrant = (q: string) => QUADRANTS[q] ?? q;
const basis = (b: string) => (b === 'the assessment after BDI' ? 'l’évaluation après BDI' : 'l’évaluation L1');
const date = (iso: string) => iso.split('-').reverse().join('/');

type Rule = [RegExp, (...m: string[]) => string];

const RULES: Rule[] = [
  // Identification.
  [/^Identify the woman by her INS or her screening number/, () => 'Identifiez la femme par son INS ou son numéro de dépistage (aucun n’est donné).'],
  [/^The INS "(.*)" is malformed or its control key is wrong\.$/, (_, ins) => `L’INS « ${ins} » est mal formé ou sa clé de contrôle est fausse.`],
  [/^The woman's birth name is required\.$/, () => 'Le nom de naissance est obligatoire.'],
  [/^The woman's first names are required\.$/, () => 'Les prénoms sont obligatoires.'],
  [/^The woman's birth date is required\.$/, () => 'La date de naissance est obligatoire.'],
  [/^The imaging centre \(CIM\) is required\.$/, () => 'Le centre d’imagerie (CIM) est obligatoire.'],
  [/^The date of the mammogram is required\.$/, () => 'La date de la mammographie est obligatoire.'],
  [/^The mammogram date (\S+) is not after the birth date (\S+)\.$/, (_, m, b) => `La mammographie du ${date(m)} n’est pas postérieure à la naissance (${date(b)}).`],
  [/^The first reader's RPPS number is required\.$/, () => 'Le numéro RPPS du premier lecteur est obligatoire.'],
  [/^The first reader's RPPS number "(.*)" is not 11 digits\.$/, (_, r) => `Le numéro RPPS du premier lecteur « ${r} » n’a pas 11 chiffres.`],
  [/^The L2 reader's RPPS number is required\.$/, () => 'Le numéro RPPS du deuxième lecteur est obligatoire.'],
  [/^The L2 reader's RPPS number "(.*)" is not 11 digits\.$/, (_, r) => `Le numéro RPPS du deuxième lecteur « ${r} » n’a pas 11 chiffres.`],
  // Clinical information.
  [/^A personal history of breast cancer excludes the woman from organised screening/, () => 'Un antécédent personnel de cancer du sein exclut du dépistage organisé : cet examen relève du suivi diagnostique, pas du dépistage.'],
  [/^A family history is reported: give the degree/, () => 'Un antécédent familial est signalé : indiquez le degré du parent le plus proche (1 ou 2).'],
  [/^The degree of the closest relative must be 1 or 2\.$/, () => 'Le degré du parent le plus proche doit être 1 ou 2.'],
  [/^The clinical exam result of the (.+) is required \(normal or abnormal\)\.$/, (_, s) => `Le résultat de l’examen clinique du ${side(s)} est obligatoire (normal ou anormal).`],
  [/^The clinical exam of the (.+) is abnormal: describe the finding\.$/, (_, s) => `L’examen clinique du ${side(s)} est anormal : décrivez l’anomalie.`],
  // Mammography and assessments.
  [/^(\d+) standard views recorded; at least (\d+) are required\.$/, (_, n, min) => `${n} incidences standard saisies ; il en faut au moins ${min}.`],
  [/^The breast density \(ACR A to D\) is required\.$/, () => 'La densité mammaire (ACR A à D) est obligatoire.'],
  [/^The BI-RADS assessment of the (.+) is required\.$/, (_, s) => `La classification ACR du ${side(s)} est obligatoire.`],
  [/^(ACR \d) on the (.+) needs at least one finding/, (_, a, s) => `${a} au ${side(s)} demande au moins une anomalie (type, localisation, taille).`],
  [/^ACR 1 on the (.+) means nothing to report/, (_, s) => `ACR 1 au ${side(s)} signifie rien à signaler : retirez les anomalies ou classez ACR 2 ou plus.`],
  [/^Finding (\d+) is on the (.+) but listed under the (.+)\.$/, (_, n, a, b) => `L’anomalie ${n} est au ${side(a)} mais saisie sous le ${side(b)}.`],
  [/^Finding (\d+) on the (.+) needs a quadrant or a clock position\.$/, (_, n, s) => `L’anomalie ${n} du ${side(s)} demande un quadrant ou une position horaire.`],
  [/^Clock position (-?\d+) of finding (\d+) is not between 1 and 12\.$/, (_, h, n) => `La position horaire ${h} de l’anomalie ${n} n’est pas entre 1 et 12.`],
  [/^Finding (\d+): (\d+) o'clock is not in the (.+) of the (.+); check the side or the location\.$/, (_, n, h, q, s) => `Anomalie ${n} : ${h} h n’est pas dans le ${quadrant(q)} du ${side(s)} ; vérifiez le côté ou la localisation.`],
  [/^Size (-?\d+) mm of finding (\d+) is not plausible/, (_, mm, n) => `La taille ${mm} mm de l’anomalie ${n} n’est pas plausible (1 à 300 mm).`],
  [/^ACR 0 is not a second-reading result: assess the (.+?) 1-2/, (_, s) => `ACR 0 n’est pas un résultat de deuxième lecture : classez le ${side(s)} 1-2 (normal ou bénin) ou 3-5 (anormal), ou signalez les clichés en CTI.`],
  [/^CTI (\d+) must name the view to retake/, (_, n) => `Le CTI ${n} doit nommer l’incidence à refaire (RCC, LCC, RMLO, LMLO…).`],
  // Immediate work-up (BDI).
  [/^L1 is (ACR \d) on the (.+): the immediate work-up \(BDI\) is required\.$/, (_, a, s) => `L1 classe ${a} au ${side(s)} : le bilan diagnostique immédiat (BDI) est obligatoire.`],
  [/^the clinical exam is abnormal: the immediate work-up \(BDI\) is required\.$/, () => 'L’examen clinique est anormal : le bilan diagnostique immédiat (BDI) est obligatoire.'],
  [/^Work-up procedures are recorded but the BDI is marked not done\.$/, () => 'Des actes de bilan sont saisis mais le BDI est marqué non fait.'],
  [/^No work-up was done: leave the assessment after BDI of the (right|left) breast empty\.$/, (_, s) => `Aucun bilan n’a été fait : laissez vide l’évaluation après BDI du ${side(`${s} breast`)}.`],
  [/^The BDI is marked done: record what it included/, () => 'Le BDI est marqué fait : indiquez ce qu’il comprenait (clichés complémentaires, échographie, prélèvement).'],
  [/^An ultrasound was done: give its result\.$/, () => 'Une échographie a été faite : indiquez son résultat.'],
  [/^The assessment after BDI of the (.+) must be final/, (_, s) => `L’évaluation après BDI du ${side(s)} doit être définitive (ACR 1 à 5), pas ACR 0.`],
  // Conclusion and signature.
  [/^The L1 conclusion \(negative or positive\) is required\.$/, () => 'La conclusion L1 (négative ou positive) est obligatoire.'],
  [/^The conclusion says negative but (the assessment after BDI|the L1 assessment) is abnormal/, (_, b) => `La conclusion est négative mais ${basis(b)} est anormale (ACR 0/3/4/5) : l’examen est positif en L1.`],
  [/^The conclusion says positive but (the assessment after BDI|the L1 assessment) is ACR 1 or 2/, (_, b) => `La conclusion est positive mais ${basis(b)} est ACR 1 ou 2 des deux côtés : corrigez l’évaluation ou la conclusion.`],
  [/^A positive conclusion needs the recommended management/, () => 'Une conclusion positive demande la conduite à tenir (surveillance rapprochée, biopsie ou orientation).'],
  [/^A negative conclusion goes to second reading; remove the recommended management\.$/, () => 'Une conclusion négative part en deuxième lecture : retirez la conduite à tenir.'],
  [/^The form must be signed by the first reader\.$/, () => 'La fiche doit être signée par le premier lecteur.'],
  [/^The second reading must be signed by the L2 reader\.$/, () => 'La deuxième lecture doit être signée par le deuxième lecteur.'],
  [/^The time of signature is required\.$/, () => 'L’heure de signature est obligatoire.'],
  [/^The form is signed on (\S+), before the mammogram \((\S+)\)\.$/, (_, s, m) => `La fiche est signée le ${date(s)}, avant la mammographie (${date(m)}).`],
  // The signer of a form (services/workflow_service.cpp).
  [/^is not the form's L1 radiologist$/, () => 'n’est pas le premier lecteur indiqué sur la fiche.'],
  [/^is not the logged-in account's RPPS$/, () => 'n’est pas le RPPS du compte connecté.'],
  [/^must be an RPPS of 11 digits$/, () => 'doit être un RPPS de 11 chiffres.'],
  [/^the signer's name is required$/, () => 'le nom du signataire est obligatoire.'],
  [/^missing: \{"signer"/, () => 'le signataire (nom et RPPS) manque.'],
  // The JSON reader (a field of the wrong kind: rare from the app's own forms).
  [/^missing required field\.$/, () => 'champ obligatoire manquant.'],
  [/^unknown field\.$/, () => 'champ inconnu.'],
  [/^must be a string\.$/, () => 'doit être un texte.'],
  [/^must be true or false\.$/, () => 'doit être oui ou non.'],
  [/^must be true, false or null\.$/, () => 'doit être oui, non ou vide.'],
  [/^must not be null\.$/, () => 'ne peut pas être vide.'],
  [/^must be a whole number\.$/, () => 'doit être un nombre entier.'],
  [/^must be between (-?\d+) and (-?\d+)\.$/, (_, a, b) => `doit être entre ${a} et ${b}.`],
  [/^"(.*)" is not a date "YYYY-MM-DD"\.$/, (_, d) => `« ${d} » n’est pas une date.`],
  [/^must be a date "YYYY-MM-DD" or null\.$/, () => 'doit être une date ou vide.'],
  [/^unknown code "(.*)"\.$/, (_, c) => `code inconnu « ${c} ».`],
  [/^must be an array\.$/, () => 'doit être une liste.'],
  [/^must be a JSON object\.$/, () => 'doit être un objet.'],
];

// The French sentence for one of the hub's field errors, or null when there is none.
export function frenchFieldError(message: string): string | null {
  return translate(RULES, message);
}

// The French sentence of the first rule matching `message`, or null.
function translate(rules: Rule[], message: string): string | null {
  for (const [re, fr] of rules) {
    const m = re.exec(message);
    if (m) return fr(...m);
  }
  return null;
}

// What a form shows: the French sentence when there is one, else the hub's own.
export function fieldErrorText(message: string): string {
  return frenchFieldError(message) ?? message;
}

const LAT: Record<string, string> = { R: 'droite', L: 'gauche', B: 'bilatérale' };
const lat = (l: string) => LAT[l] ?? l;

// What an exam still lacks (the workflow's `missing`, src/domain/exam_workflow.cpp) and what is
// wrong with its images (the archive's `problems`, src/domain/exam_assessment.cpp and
// view_classifier.cpp), in French; a sentence without a pattern is shown as the hub wrote it.
const EXAM_RULES: Rule[] = [
  [/^No images received yet\.$/, () => 'Aucune image reçue.'],
  [/^Images are incomplete \(standard views missing or awaiting review\)\.$/, () => 'Images incomplètes (incidences standard manquantes ou en attente de vérification).'],
  [/^No reading form \(FI\) received yet\.$/, () => 'Fiche d’interprétation (FI) pas encore reçue.'],
  [/^Reading form, [^:]+: (.*)$/s, (_, m) => `Fiche L1 : ${fieldErrorText(m)}`],
  [/^image ([0-9.]+): (.*)$/s, (_, uid, p) => `image ${uid} : ${examProblemText(p)}`],
  [/^(\d+) images claim the (\S+) view; a reader must say which one counts$/, (_, n, v) => `${n} images se disent ${v} : un lecteur doit dire laquelle compte.`],
  [/^image laterality (\S+) contradicts series laterality (\S+)$/, (_, a, b) => `latéralité de l’image ${lat(a)} contraire à celle de la série (${lat(b)}).`],
  [/^view code says (\S+) but ViewPosition says (\S+)$/, (_, a, b) => `le code d’incidence dit ${a} mais ViewPosition dit ${b}.`],
  [/^laterality (\S+) encoded in the image contradicts the view label '(.*)'$/s, (_, l, v) => `latéralité ${lat(l)} codée dans l’image contraire au libellé « ${v} ».`],
  [/^projection (\S+) encoded in the image contradicts the view label '(.*)'$/s, (_, pr, v) => `incidence ${pr} codée dans l’image contraire au libellé « ${v} ».`],
  [/^laterality is not encoded$/, () => 'latéralité non codée.'],
  [/^view is not encoded$/, () => 'incidence non codée.'],
];

export function examProblemText(message: string): string {
  return translate(EXAM_RULES, message) ?? message;
}
