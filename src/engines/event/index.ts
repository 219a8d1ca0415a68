/**
 * `event`: exact event-driven engine for current-based LIF networks
 * (iaf_psc_exp, PyNN IF_curr_exp) with spike sources and all stimulus kinds.
 *
 * Neurons are touched only when an event reaches them; between events the state
 * follows the exact solution of the linear ODE, spike times are the exact threshold
 * crossings of that solution (found by bracketed root finding), delays are exact
 * (never rounded to dt) and inputs arrive at their exact times. Random inputs are
 * drawn from the same streams as the clock engine, so both engines see the same
 * input spike times (the clock engine rounds them up to its grid). Single-threaded.
 */
import { UnsupportedError } from '../../errors.js';
import { requireEngineSupport, validateNetwork, type ResolvedNetwork } from '../../ir/validate.js';
import type { NetworkIR } from '../../ir/types.js';
import type { Engine, EngineOptions, SimulationOutput } from '../types.js';
import { runEventSimulation } from './sim.js';

const SUPPORTED = new Set(['iaf_psc_exp', 'spike_source_poisson', 'spike_source_array']);

function checkResolved(net: ResolvedNetwork): void {
  requireEngineSupport(net, 'event');
  for (const p of net.populations) {
    if (!SUPPORTED.has(p.model.name)) {
      throw new UnsupportedError(`engine "event" cannot run population "${p.label}" (model ${p.model.name}); use engine "clock".`, {
        object: `population "${p.label}"`,
        parameter: 'engine',
        expected: 'clock',
        fix: '--engine clock',
      });
    }
    if (p.model.kind === 'neuron' && p.method !== 'exact') {
      throw new UnsupportedError(`engine "event" integrates population "${p.label}" exactly; method "${p.method}" needs engine "clock".`, {
        object: `population "${p.label}"`,
        parameter: 'method',
        expected: 'exact',
        fix: '--engine clock',
      });
    }
  }
}

export const eventEngine: Engine = {
  name: 'event',
  check(ir: NetworkIR) {
    checkResolved(validateNetwork(ir));
  },
  async run(ir: NetworkIR, options: EngineOptions = {}): Promise<SimulationOutput> {
    const tBuild = performance.now();
    const net = validateNetwork(ir);
    checkResolved(net);
    const validateMs = performance.now() - tBuild;
    const r = runEventSimulation(net, options.onProgress);
    return {
      ...r.output,
      stats: {
        engine: 'event',
        threads: 1,
        steps: r.stats.steps,
        spikes: r.stats.spikes,
        synapticEvents: r.stats.synapticEvents,
        buildMs: validateMs + r.setupMs,
        simMs: r.loopMs,
        spikeCounts: r.stats.spikeCounts,
      },
    };
  },
};
