/** Typed errors of the connectome data layer (they extend the project's NematodeError). */
import { FileFormatError, NematodeError } from '../errors.js';

/** No data directory was found, or a named one lacks `celegans/` or a needed file. The message says how to get the data. */
export class DataUnavailableError extends NematodeError {}

/** A data file's SHA-256 differs from the manifest's. */
export class ChecksumMismatchError extends FileFormatError {
  constructor(
    readonly file: string,
    override readonly expected: string,
    readonly actual: string,
  ) {
    super(`${file}: SHA-256 mismatch: expected ${expected}, got ${actual}`, {
      object: file,
      expected,
      fix: 'the file is corrupt or a different version: delete it and run `nematode connectome fetch`, or restore it from the canonical URL in connectomes/manifest.json',
    });
  }
}
