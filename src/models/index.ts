/** The model catalogue: one file per model, registered here by name and alias. */
import { UnknownNameError } from '../errors.js';
import { iafCondExp } from './iaf-cond-exp.js';
import { iafPscExp } from './iaf-psc-exp.js';
import { gradedKunert } from './graded-kunert.js';
import { izhikevich } from './izhikevich.js';
import { ltc } from './ltc.js';
import { c302Iaf, c302IafActivity } from './c302.js';
import { loihiLif } from './loihi-lif.js';
import { spinnakerIfCondExp, spinnakerIfCurrExp } from './spinnaker-lif.js';
import { spikeSourceArray, spikeSourcePoisson } from './sources.js';
import type { Model } from './types.js';

export * from './types.js';
export { iafPscExp, iafCondExp, izhikevich, gradedKunert, ltc, c302Iaf, c302IafActivity, loihiLif, spinnakerIfCurrExp, spinnakerIfCondExp, spikeSourceArray, spikeSourcePoisson };

const CATALOGUE: Model[] = [iafPscExp, iafCondExp, izhikevich, gradedKunert, ltc, c302Iaf, c302IafActivity, loihiLif, spinnakerIfCurrExp, spinnakerIfCondExp, spikeSourceArray, spikeSourcePoisson];
const BY_NAME = new Map<string, Model>();
for (const m of CATALOGUE) {
  for (const n of [m.name, ...m.aliases]) {
    if (BY_NAME.has(n)) throw new Error(`model name ${n} registered twice`);
    BY_NAME.set(n, m);
  }
}

export function listModels(): Model[] {
  return [...CATALOGUE];
}

export function modelNames(): string[] {
  return [...BY_NAME.keys()];
}

/** Looks a model up by id or alias; an unknown name lists the valid ones. */
export function getModel(name: string, object?: string): Model {
  const m = BY_NAME.get(name);
  if (!m) throw new UnknownNameError('model', name, modelNames(), { object, parameter: 'model' });
  return m;
}
