/** A human-readable text summary of a results file. */
import type { ResultsFile } from './format.js';

/** Fixed decimals without a trailing ".0…" noise for integers. */
function fmt(x: number, digits: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

export function summarize(results: ResultsFile): string {
  const m = results.metadata;
  const seg = results.body.segments[0]!;
  const seconds = (seg.tStop - seg.tStart) / 1000;
  const sf = results.spikesFile;
  const out = sf
    ? [
        `spikes file (nematode-spikes v${sf.formatVersion}) of network "${sf.network}"`,
        `written by: ${sf.producer}`,
        `dt: ${m.dt} ms, duration: ${m.duration} ms (${sf.steps} steps)`,
      ]
    : [
        `nematode results (format ${results.formatVersion}), nematode ${m.nematodeVersion}, created ${m.createdAt}`,
        `engine: ${m.engine}, threads: ${m.threads}, seed: ${m.seed}`,
        `dt: ${m.dt} ms, duration: ${m.duration} ms`,
        `wall: build ${fmt(m.wall.buildMs, 1)} ms, sim ${fmt(m.wall.simMs, 1)} ms, total ${fmt(m.wall.totalMs, 1)} ms`,
        `synaptic events: ${m.synapticEvents}`,
      ];

  // Every population that was recorded or has a spike count, in name order.
  const names = [...new Set([...seg.spiketrains.map((s) => s.population), ...Object.keys(seg.spikeCounts)])].sort();
  out.push('populations:');
  for (const name of names) {
    const train = seg.spiketrains.find((s) => s.population === name);
    const all = seg.spikeCounts[name];
    const total = all === undefined ? '' : ` (${all} over all neurons)`;
    if (!train) {
      out.push(`  ${name}: spikes not recorded${total}`);
      continue;
    }
    const n = train.recorded.length;
    const rate = n > 0 && seconds > 0 ? `${(train.spikeCount / (n * seconds)).toFixed(3)} Hz` : 'n/a';
    out.push(`  ${name}: ${n} neurons recorded, ${train.spikeCount} spikes${total}, mean rate ${rate}`);
  }

  out.push(seg.analogsignals.length > 0 ? 'traces:' : 'traces: none');
  for (const a of seg.analogsignals) {
    const [nSamples, nNeurons] = a.shape;
    out.push(
      `  ${a.population}.${a.variable} (${a.units}): ${nNeurons} neurons, ${nSamples} samples every ${a.samplingPeriod} ms`,
    );
  }

  out.push(seg.rates.length > 0 ? 'rates:' : 'rates: none');
  for (const r of seg.rates) out.push(`  ${r.population}: ${r.rate.length} bins of ${r.bin} ms`);

  for (const note of m.notes) out.push(`note: ${note}`);
  return out.join('\n');
}
