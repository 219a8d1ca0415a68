/**
 * A progress bar with ETA on stderr, shown only for work that lasts longer than
 * about a second and only when stderr is a terminal (or when forced), so logs and
 * pipes stay clean.
 */
export interface Progress {
  update(fraction: number): void;
  done(): void;
}

export function progressBar(label: string, options: { force?: boolean; stream?: NodeJS.WriteStream; delayMs?: number } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const enabled = options.force ?? Boolean(stream.isTTY);
  const delay = options.delayMs ?? 1000;
  const start = performance.now();
  let shown = false;
  let lastDraw = 0;
  const width = 30;
  return {
    update(fraction: number) {
      if (!enabled) return;
      const now = performance.now();
      const elapsed = now - start;
      if (elapsed < delay || now - lastDraw < 100) return;
      lastDraw = now;
      shown = true;
      const f = Math.min(1, Math.max(0, fraction));
      const filled = Math.round(f * width);
      const eta = f > 0 ? (elapsed / f) * (1 - f) : NaN;
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}%  ETA ${formatSeconds(eta)}  `);
    },
    done() {
      if (shown) stream.write(`\r${label} done in ${formatSeconds(performance.now() - start)}${' '.repeat(width + 12)}\n`);
    },
  };
}

export function formatSeconds(ms: number): string {
  if (!Number.isFinite(ms)) return '--';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}
