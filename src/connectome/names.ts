/**
 * Neuron and muscle names: one normalisation used by every loader, the 95
 * body-wall muscles in c302 naming, and the neuron-class rule.
 * (worm-models.md §2.3 lists the quirks handled here.)
 */

/**
 * Trims whitespace and drops zero padding from a neuron name: class letters
 * + "0" + a single digit -> drop the 0 (VB01 -> VB1, VC06 -> VC6; VA10 stays).
 * For neurons only: muscle names keep their padding (see normaliseMuscleName).
 */
export function normaliseNeuronName(raw: string): string {
  const s = raw.trim();
  const m = /^([A-Z]+)0(\d)$/.exec(s);
  return m ? m[1]! + m[2]! : s;
}

/** The 95 body-wall muscles in c302 naming: MDL01..MDL24, MDR01..MDR24, MVL01..MVL23, MVR01..MVR24 (there is no MVL24). */
export const BODY_WALL_MUSCLES: readonly string[] = Object.freeze(
  (['DL', 'DR', 'VL', 'VR'] as const).flatMap((q) =>
    Array.from({ length: q === 'VL' ? 23 : 24 }, (_, i) => `M${q}${String(i + 1).padStart(2, '0')}`),
  ),
);
const MUSCLE_SET = new Set(BODY_WALL_MUSCLES);

/**
 * Maps a body-wall muscle name in any of the three schemes to c302 naming, or
 * returns undefined when the name is not one of the 95 body-wall muscles:
 * MDL1/MDL01 (c302, spreadsheet), dBWML1 (Cook 2019), BWM-DL01 (Witvliet, White A/L4).
 */
export function normaliseMuscleName(raw: string): string | undefined {
  const s = raw.trim();
  const m = /^M([DV])([LR])(\d{1,2})$/.exec(s) ?? /^([dv])BWM([LR])(\d{1,2})$/.exec(s) ?? /^BWM-([DV])([LR])(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const name = `M${m[1]!.toUpperCase()}${m[2]}${m[3]!.padStart(2, '0')}`;
  return MUSCLE_SET.has(name) ? name : undefined;
}

/** Numbered ventral-cord classes: the index is dropped (VB11 -> VB, DD1 -> DD). */
const NUMBERED_CLASSES = /^(AS|DA|DB|DD|VA|VB|VC|VD)\d+$/;
/** Single-neuron classes whose name happens to end in L or R (not a side). */
const SINGLE_ENDING_L_OR_R = new Set(['AQR', 'AVL', 'PQR', 'PVR', 'RIR']);

/**
 * The anatomical class of a neuron (White et al. 1986), by an explicit rule:
 *  1. numbered ventral-cord cells AS, DA, DB, DD, VA, VB, VC, VD drop the index (VB11 -> VB);
 *  2. otherwise a trailing L or R (left/right) is dropped, except for the
 *     single-neuron classes AQR, AVL, PQR, PVR, RIR (AVAL -> AVA, I1L -> I1, MCL -> MC);
 *  3. then a trailing D or V (dorsal/ventral) is dropped when at least 3
 *     characters remain (SMBDL -> SMB, RMED -> RME, IL1VR -> IL1, SABD -> SAB),
 *     which leaves 3-letter classes such as RID, RIV, AVD, PVD alone.
 * Every other name is its own class (DVA, AVM, PVT, M4, I3, ...). The 302 neurons form 118 classes.
 */
export function neuronClass(name: string): string {
  let s = normaliseNeuronName(name);
  if (NUMBERED_CLASSES.test(s)) return s.replace(/\d+$/, '');
  if (/[LR]$/.test(s) && s.length > 2 && !SINGLE_ENDING_L_OR_R.has(s)) s = s.slice(0, -1);
  if (/[DV]$/.test(s) && s.length >= 4) s = s.slice(0, -1);
  return s;
}
