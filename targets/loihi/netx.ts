/**
 * lava-dl netx HDF5 (`network.h5`, spec §4): the Lava-native file for layered networks.
 *
 * netx describes a chain of layers — an input layer, then dense layers, each fed only by
 * the layer before it, optionally with recurrence inside the layer (`dense_rec`, §4.3) —
 * with one LIF parameter set per layer. A netlist maps onto it when:
 * - it has exactly one input population, and the populations form one chain
 *   input → L1 → … → Ln (every projection goes from one layer to the next, or from a
 *   layer to itself);
 * - every LIF population starts from u = v = 0 (netx has no initial state) and has a bias
 *   in weight units: bias_mant·2^bias_exp a multiple of 64 (netx sets bias_exp = 6);
 * - the weights are netx's integers: each projection's weights times 2^weight_exp must
 *   be integers (a negative weight_exp floors the summed input, which netx cannot
 *   express otherwise), the projections between two layers merge into one matrix
 *   without two delays for one pair, and the merged matrix is on Lava's 8-bit grid
 *   (0..255, −255..0, or even values in −256..254 when it has both signs);
 * - `dense_rec` layers have no delays (netx passes one delay matrix to both of their
 *   synapses, §4.3).
 * Anything else is not an error: the exporter says why and writes no netx file; the
 * netlist and the Lava script carry every network.
 *
 * Layout written (§4.1, written as §4.4 describes for h5wasm):
 *   /layer/0/{type "input" (S10, shape [1]), shape [n]}
 *   /layer/i/{type "dense" | "dense_rec", shape [n], neuron/{type "CUBA", iDecay = du + 1,
 *             vDecay = dv, vThMant = vth, refDelay 1, gradedSpike 0}, weight (out, in),
 *             weight_rec (out, out; dense_rec only), bias (n; when not all 0),
 *             delay (out, in; when not all 0), inFeatures, outFeatures}
 * Integer scalars are int64 with shape [], matrices float32 (netx truncates them to int).
 */
import type { Group } from 'h5wasm/node';
import { toInt16 } from '../../src/loihi/arithmetic.js';
import type { LoihiNetlist, NetlistLif, NetlistProjection, PerNeuron } from './netlist.js';

export const NETX_FILE = 'network.h5';

export interface NetxLayer {
  type: 'input' | 'dense' | 'dense_rec';
  label: string;
  size: number;
  /** dense layers: */
  neuron?: { iDecay: number; vDecay: number; vThMant: number };
  /** (size, previous size), row-major. */
  weight?: Float32Array;
  /** (size, size), row-major; dense_rec only. */
  weightRec?: Float32Array;
  bias?: Float32Array;
  /** (size, previous size), row-major; only when some delay is not 0. */
  delay?: Float32Array;
  inFeatures?: number;
}

export type NetxPlan = { ok: true; layers: NetxLayer[] } | { ok: false; reason: string };

const at = (x: PerNeuron, i: number) => (typeof x === 'number' ? x : x[i]!);

/** Whether (and how) the netlist maps onto netx's layers; `reason` says why not. */
export function planNetx(net: LoihiNetlist): NetxPlan {
  const no = (reason: string): NetxPlan => ({ ok: false, reason });
  const inputs = net.populations.filter((p) => p.kind === 'input');
  if (inputs.length !== 1) return no(`a netx network has one input layer, and this network has ${inputs.length} input populations`);
  const input = inputs[0]!;
  if (input.kind === 'input' && input.copies > 1) return no(`input "${input.label}" fires up to ${input.copies} spikes per neuron and step, more than a netx input layer of binary spikes takes`);
  const byLabel = new Map(net.populations.map((p) => [p.label, p]));
  const feedForward = new Map<string, NetlistProjection[]>(); // pre → projections to other populations
  for (const c of net.projections) {
    if (c.pre === c.post) continue;
    if (!feedForward.has(c.pre)) feedForward.set(c.pre, []);
    feedForward.get(c.pre)!.push(c);
  }
  const chain = [inputs[0]!.label];
  for (;;) {
    const out = feedForward.get(chain[chain.length - 1]!) ?? [];
    const targets = [...new Set(out.map((c) => c.post))];
    if (targets.length === 0) break;
    if (targets.length > 1) return no(`population "${chain[chain.length - 1]}" projects to ${targets.map((t) => `"${t}"`).join(' and ')}, but a netx layer feeds only the next layer`);
    const next = targets[0]!;
    if (chain.includes(next)) {
      const back = out.find((c) => c.post === next)!;
      return no(`projection "${back.label}" goes from "${back.pre}" back to "${next}", and netx allows recurrence only inside a layer (the network is not layered)`);
    }
    chain.push(next);
  }
  const off = net.populations.filter((p) => !chain.includes(p.label)).map((p) => `"${p.label}"`);
  if (off.length > 0) return no(`${off.length === 1 ? 'population' : 'populations'} ${off.join(', ')} ${off.length === 1 ? 'is' : 'are'} not on the chain ${chain.join(' → ')} that netx layers form (the network is not layered)`);
  if (chain.length < 2) return no('the network has no LIF layer after its input');
  const layers: NetxLayer[] = [{ type: 'input', label: chain[0]!, size: byLabel.get(chain[0]!)!.size }];
  for (let i = 1; i < chain.length; i++) {
    const pop = byLabel.get(chain[i]!) as NetlistLif;
    const prev = byLabel.get(chain[i - 1]!)!;
    for (let k = 0; k < pop.size; k++) {
      if (at(pop.u, k) !== 0 || at(pop.v, k) !== 0) return no(`population "${pop.label}" starts from u or v ≠ 0, and netx has no initial state`);
    }
    const bias = new Float32Array(pop.size);
    let anyBias = false;
    for (let k = 0; k < pop.size; k++) {
      const eff = toInt16(at(pop.bias_mant, k)) * 2 ** at(pop.bias_exp, k);
      if (eff % 64 !== 0) return no(`population "${pop.label}": bias_mant·2^bias_exp = ${eff} (neuron ${k}) is not a multiple of 64, and netx gives the bias in weight units (bias_exp 6)`);
      bias[k] = eff / 64;
      if (eff !== 0) anyBias = true;
    }
    const ff = net.projections.filter((c) => c.post === pop.label && c.pre !== pop.label);
    const rec = net.projections.filter((c) => c.post === pop.label && c.pre === pop.label);
    // Every projection into this layer comes from the previous layer or itself (checked by the chain walk).
    const w = mergedMatrix(ff, pop.size, prev.size);
    if (typeof w === 'string') return no(w);
    const layer: NetxLayer = {
      type: rec.length > 0 ? 'dense_rec' : 'dense',
      label: pop.label,
      size: pop.size,
      neuron: { iDecay: pop.du + 1, vDecay: pop.dv, vThMant: pop.vth },
      weight: w.weight,
      inFeatures: prev.size,
      ...(anyBias ? { bias } : {}),
    };
    const gridProblem = onGrid(w.weight, `the weights into "${pop.label}"`);
    if (gridProblem) return no(gridProblem);
    if (rec.length > 0) {
      const r = mergedMatrix(rec, pop.size, pop.size);
      if (typeof r === 'string') return no(r);
      if (w.delayed || r.delayed) return no(`layer "${pop.label}" is recurrent (dense_rec) and has delays; netx gives both of its synapses one delay matrix (spec §4.3), so it cannot carry them`);
      const recProblem = onGrid(r.weight, `the recurrent weights of "${pop.label}"`);
      if (recProblem) return no(recProblem);
      // netx optimises weight and weight_rec together (one exponent): keep the joint matrix on the grid too.
      const joint = new Float32Array(w.weight.length + r.weight.length);
      joint.set(w.weight);
      joint.set(r.weight, w.weight.length);
      const jointProblem = onGrid(joint, `the weights of "${pop.label}" (input and recurrent together, which netx scales as one)`);
      if (jointProblem) return no(jointProblem);
      layer.weightRec = r.weight;
    } else if (w.delayed) {
      layer.delay = w.delay;
    }
    layers.push(layer);
  }
  return { ok: true, layers };
}

/**
 * The projections into one layer as one (post, pre) matrix of netx integers
 * w·2^weight_exp, with delays; a string says why that is not possible.
 */
function mergedMatrix(projs: NetlistProjection[], rows: number, cols: number): { weight: Float32Array; delay: Float32Array; delayed: boolean } | string {
  const weight = new Float32Array(rows * cols);
  const delay = new Float32Array(rows * cols);
  const used = new Uint8Array(rows * cols);
  let delayed = false;
  for (const c of projs) {
    const scale = 2 ** c.weight_exp;
    for (let k = 0; k < c.weight.length; k++) {
      const x = c.weight[k]! * scale;
      if (!Number.isInteger(x)) {
        return `projection "${c.label}": weight ${c.weight[k]} with weight_exp ${c.weight_exp} is not an integer weight (a negative weight_exp floors the summed input, which netx's per-layer weights cannot express)`;
      }
      const cell = c.post_index[k]! * cols + c.pre_index[k]!;
      const d = c.delay[k]!;
      if (used[cell] && delay[cell] !== d) return `projection "${c.label}": synapse ${c.pre_index[k]} → ${c.post_index[k]} has two delays between the same layers`;
      used[cell] = 1;
      weight[cell]! += x;
      delay[cell] = d;
      if (d !== 0) delayed = true;
    }
  }
  return { weight, delay, delayed };
}

/** Why a netx weight matrix is not on Lava's 8-bit grid (§4.2), or undefined when it is. */
function onGrid(w: Float32Array, what: string): string | undefined {
  let min = 0;
  let max = 0;
  for (const x of w) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (min >= 0 ? max > 255 : max <= 0 ? min < -255 : min < -256 || max > 254) {
    return `${what} span ${min}..${max}, outside the 8-bit range netx keeps (0..255, −255..0, or −256..254 with both signs)`;
  }
  if (min < 0 && max > 0) {
    for (const x of w) if (x % 2 !== 0) return `${what} have both signs and an odd value (${x}); netx keeps mixed-sign weights only as even values`;
  }
  return undefined;
}

/** Writes the plan to `path` (a new file) with h5wasm (§4.4). */
export async function writeNetx(path: string, layers: NetxLayer[]): Promise<void> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  try {
    const int = (g: Group, name: string, x: number) => g.create_dataset({ name, data: BigInt64Array.of(BigInt(x)), shape: [] });
    f.create_group('layer');
    layers.forEach((l, i) => {
      const g = f.create_group(`layer/${i}`);
      g.create_dataset({ name: 'type', data: [l.type], shape: [1], dtype: 'S10' });
      g.create_dataset({ name: 'shape', data: BigInt64Array.of(BigInt(l.size)), shape: [1] });
      if (l.type === 'input') return;
      const n = g.create_group('neuron');
      n.create_dataset({ name: 'type', data: 'CUBA' });
      int(n, 'iDecay', l.neuron!.iDecay);
      int(n, 'vDecay', l.neuron!.vDecay);
      int(n, 'vThMant', l.neuron!.vThMant);
      int(n, 'refDelay', 1);
      int(n, 'gradedSpike', 0);
      g.create_dataset({ name: 'weight', data: l.weight!, shape: [l.size, l.inFeatures!] });
      if (l.weightRec) g.create_dataset({ name: 'weight_rec', data: l.weightRec, shape: [l.size, l.size] });
      if (l.bias) g.create_dataset({ name: 'bias', data: l.bias, shape: [l.size] });
      if (l.delay) g.create_dataset({ name: 'delay', data: l.delay, shape: [l.size, l.inFeatures!] });
      int(g, 'inFeatures', l.inFeatures!);
      int(g, 'outFeatures', l.size);
    });
  } finally {
    f.close();
  }
}

/** One line describing the layers, for messages. */
export function describeNetx(layers: NetxLayer[]): string {
  return layers.map((l) => `${l.label} (${l.type}, ${l.size})`).join(' → ');
}
