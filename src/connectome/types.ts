/** The data types of the connectome layer (re-exported by ./index.ts). */

export type DatasetId = 'varshney2011' | 'cook2019' | 'white1986' | 'openworm';

/** A directed chemical connection; duplicate rows of the source are summed. */
export interface ChemicalEdge {
  pre: string;
  post: string;
  count: number;
}

/** A gap-junction pair, once per unordered pair with a <= b (ASCII); self-contacts are kept with a === b. */
export interface GapJunctionPair {
  a: string;
  b: string;
  count: number;
}

/** Neuron -> body-wall muscle, muscle in c302 naming (MDL01..MDR24, MVL01..MVL23, MVR01..MVR24). */
export interface NmjEdge {
  pre: string;
  muscle: string;
  count: number;
}

/** A connection from a neuron to anything that is neither a neuron nor a body-wall muscle. */
export interface OtherTargetEdge {
  pre: string;
  target: string;
  type: 'chemical' | 'gap';
  count: number;
}

export interface Connectome {
  dataset: DatasetId;
  title: string;
  citation: string;
  /** Cook 2019 weights are EM serial sections; the others count synapses (contacts). */
  weightUnit: 'synapses' | 'sections';
  /** Normalised names of neurons with at least one connection in this dataset, ASCII-sorted. */
  neurons: string[];
  /** Neuron -> neuron only. */
  chemical: ChemicalEdge[];
  /** Neuron <-> neuron only. */
  gap: GapJunctionPair[];
  /** Neuron -> body-wall muscle. */
  nmj: NmjEdge[];
  /** Neuron -> other targets (MANAL, MVULVA, pharyngeal muscle, hypodermis, Varshney's unspecified "NMJ", ...). */
  otherTargets: OtherTargetEdge[];
  /** The reduction rules applied, with the numbers they concern. */
  notes: string[];
}

export type NeuronCategory = 'sensory' | 'inter' | 'motor' | 'pharyngeal' | 'unknown';

export interface NeuronInfo {
  name: string;
  /** Anatomical class, e.g. AVAL -> AVA, VB11 -> VB, RMED -> RME, SMBDL -> SMB, I1L -> I1. */
  cls: string;
  /** The class part of neurons_302.csv's cook2019_category. */
  category: NeuronCategory;
  /** owmeta types (sensory, interneuron, motor, unknown). */
  types: string[];
  /** owmeta neurotransmitters; [] when not annotated. */
  neurotransmitter: string[];
  /** One of the 26 canonical GABAergic cells (McIntire et al. 1993). */
  gaba: boolean;
  /** One of the 279 somatic neurons with synapses in Varshney et al. 2011. */
  inVarshney279: boolean;
  /** 0-based position in the Kunert et al. 2014 / Shlizerman neurons.json order (Varshney 279 only). */
  kunertIndex?: number;
  kunertGroup?: 'sensory' | 'inter' | 'motor';
  /** The presynaptic neurotransmitter label of the OpenWorm spreadsheet, as written (what c302 uses for the sign). */
  spreadsheetPresynClass?: string;
}
