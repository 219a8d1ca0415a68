/**
 * IR ⇄ msgpack. Typed arrays keep their class (msgpackr `moreTypes`), so a network
 * round-trips unchanged; a loaded network is validated before it is returned.
 */
import { Packr } from 'msgpackr';
import { FileFormatError } from '../errors.js';
import { IR_VERSION, type NetworkIR } from './types.js';
import { validateNetwork } from './validate.js';

const packr = new Packr({ useRecords: false, moreTypes: true });

export function encodeIR(ir: NetworkIR): Uint8Array {
  return packr.pack(ir);
}

export function decodeIR(bytes: Uint8Array, source = 'network data'): NetworkIR {
  let ir: NetworkIR;
  try {
    ir = packr.unpack(bytes) as NetworkIR;
  } catch (e) {
    throw new FileFormatError(`${source}: not a msgpack network description (${(e as Error).message}).`, { object: source });
  }
  if (typeof ir !== 'object' || ir === null || !('irVersion' in ir)) {
    throw new FileFormatError(`${source}: not a nematode network (no irVersion).`, { object: source, expected: `irVersion ${IR_VERSION}` });
  }
  validateNetwork(ir);
  return ir;
}
