/**
 * The neuron kernel writes back only the state a step can change: `assigns` must find
 * every assignment form and must not mistake comparisons or longer names for one.
 */
import { describe, expect, test } from 'vitest';
import { assigns } from '../src/engines/clock/codegen.js';

describe('assigns (kernel write-back analysis)', () => {
  test.each([
    ['v = 1;', 'v'],
    ['v += x;', 'v'],
    ['v *= 0.5;', 'v'],
    ['v **= 2;', 'v'],
    ['v++;', 'v'],
    ['--v;', 'v'],
    ['{ const a = 1; v_th = a; }', 'v_th'],
    ['if (x) { s -= d; }', 's'],
  ])('%s assigns %s', (src, name) => expect(assigns(src, name)).toBe(true));

  test.each([
    ['if (v >= v_th) x = 1;', 'v'],
    ['y = v == 2 ? 1 : 0;', 'v'],
    ['y = v <= 2;', 'v'],
    ['y = v != 2;', 'v'],
    ['v_th = 1;', 'v'],
    ['a.v = 1;', 'v'],
    ['vinf = 3;', 'v'],
    ['y = -v_th + v;', 'v_th'],
  ])('%s does not assign %s', (src, name) => expect(assigns(src, name)).toBe(false));
});
