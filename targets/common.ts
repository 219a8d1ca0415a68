/** Helpers shared by the exporters. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether an output folder may be replaced: it is empty, or it holds an earlier export of
 * the same target (its netlist file names `format`). Anything else is left alone.
 */
export function isReplaceableExport(dir: string, netlistFile: string, format: string): boolean {
  const netlist = join(dir, netlistFile);
  if (!existsSync(netlist)) {
    try {
      return readdirSync(dir).length === 0;
    } catch {
      return false;
    }
  }
  try {
    return (JSON.parse(readFileSync(netlist, 'utf8')) as { format?: unknown }).format === format;
  } catch {
    return false;
  }
}
