/**
 * Per-synapse-type ring-buffer left shifts (spec §2.2) chosen from a network's incoming
 * projections, as sPyNNaker's host does: used by the clock engine for the
 * spinnaker_IF_curr_exp / spinnaker_IF_cond_exp models (src/engines/clock/plan.ts) and
 * available to exporters. Pure functions of the resolved network.
 */
import type { ResolvedNetwork } from '../ir/validate.js';
import type { ProjectionIR } from '../ir/types.js';
import type { NeuronModel } from '../models/types.js';
import { expectedMaxSlotInput, ringShift, type ShiftInput } from './fixed.js';

/** sPyNNaker's default presynaptic rate assumption for neurons (spikes_per_second). */
export const DEFAULT_SPIKES_PER_SECOND = 30;
/** sPyNNaker's default ring_buffer_sigma. */
export const DEFAULT_RING_BUFFER_SIGMA = 5;

/** Statistics of one projection as §2.2 step 1 collects them (weights × globalScale). */
export function projectionShiftInput(net: ResolvedNetwork, proj: ProjectionIR, globalScale: number): ShiftInput {
  const pre = net.byLabel.get(proj.pre)!;
  const postSize = net.byLabel.get(proj.post)!.size;
  const n = proj.targets.length;
  const counts = new Uint32Array(postSize);
  for (let k = 0; k < n; k++) counts[proj.targets[k]!]!++;
  let nConns = 0;
  for (const c of counts) nConns = Math.max(nConns, c);
  const w = proj.weight;
  let wMax = 0;
  let sum = 0;
  let sum2 = 0;
  for (let k = 0; k < n; k++) {
    const x = Math.abs(typeof w === 'number' ? w : w[k]!) * globalScale;
    wMax = Math.max(wMax, x);
    sum += x;
    sum2 += x * x;
  }
  const wMean = n ? sum / n : 0;
  const wVar = n ? Math.max(0, sum2 / n - wMean * wMean) : 0;
  const d = proj.delay;
  let delayVar = 0;
  if (typeof d !== 'number' && d.length > 1) {
    let m = 0;
    for (const x of d) m += x;
    m /= d.length;
    for (const x of d) delayVar += (x - m) ** 2;
    delayVar /= d.length;
  }
  return { wMax, wMean, wVar, nConns, rateHz: sourceRate(net, pre), delayVar };
}

/** A presynaptic population's assumed maximum rate (Hz). */
function sourceRate(net: ResolvedNetwork, pre: ResolvedNetwork['populations'][number]): number {
  if (pre.model.name === 'spike_source_poisson') {
    const r = pre.params.rate!;
    return typeof r === 'number' ? r : Math.max(0, ...r);
  }
  if (pre.model.name === 'spike_source_array') {
    const seconds = net.ir.run.duration / 1000;
    let most = 0;
    for (const t of pre.ir.spikeTimes ?? []) most = Math.max(most, t.length);
    return seconds > 0 ? most / seconds : DEFAULT_SPIKES_PER_SECOND;
  }
  return DEFAULT_SPIKES_PER_SECOND;
}

/**
 * The ring-buffer shift of each receptor of population `post` (a model with
 * `spinnaker` settings): the receptor's shift parameter when ≥ 0, otherwise (−1, the
 * default) chosen by §2.2 from the spike projections into that receptor.
 */
export function ringShifts(net: ResolvedNetwork, post: string): Record<string, number> {
  const pop = net.byLabel.get(post)!;
  const model = pop.model as NeuronModel;
  const settings = model.spinnaker;
  if (!settings) throw new Error(`population "${post}" (${model.name}) has no SpiNNaker ring buffers`);
  const ticksPerSecond = 1000 / net.ir.run.dt;
  const out: Record<string, number> = {};
  for (const [receptor, param] of Object.entries(settings.shiftParams)) {
    const p = pop.params[param]!;
    if (typeof p !== 'number') throw new Error(`population "${post}": ${param} must be one value for the whole population`);
    if (p >= 0) {
      out[receptor] = p;
      continue;
    }
    const inputs = net.ir.projections
      .filter((pr) => pr.post === post && pr.receptor === receptor && (pr.transmission ?? 'spike') === 'spike')
      .map((pr) => projectionShiftInput(net, pr, settings.globalWeightScale));
    out[receptor] = ringShift(expectedMaxSlotInput(inputs, ticksPerSecond, DEFAULT_RING_BUFFER_SIGMA));
  }
  return out;
}
