/**
 * The neuron kernel writes back only the state a step can change: `assigns` must find
 * every assignment form and must not mistake comparisons or longer names for one.
 */
import { describe, expect, test } from 'vitest';
import { additiveOnly, assigns } from '../src/engines/clock/codegen.js';
import { iafCondExp, iafPscExp, izhikevich } from '../src/models/index.js';

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

describe('additiveOnly (names an exact zero of which may enter the kernels as −0)', () => {
  const model = (update: string, threshold = 'v > 1', reset = 'v = 0;') => ({ ...iafPscExp, code: () => ({ update, threshold, reset }) });
  test('a name only ever added is additive; any other use (−, ·, a condition, an argument, a declaration, an assignment) is not', () => {
    const names = additiveOnly(model('v += a; y = x + b + (c + 2); w = d - e; u = 2 * f; z = g > 0 ? h : 1; q = Math.abs(k); { const m = 1; v = v + m; } n = n + 1;'), 'exact');
    expect([...names].sort()).toEqual(['a', 'b', 'c', 'x']);
    // `v` and `y` are assigned; `e` is subtracted (x − (−0) is x + 0, which turns −0 into +0); `d` is a minuend.
    for (const no of ['d', 'e', 'f', 'g', 'h', 'k', 'm', 'n', 'v', 'y', 'w', 'u', 'z', 'q']) expect(names.has(no), no).toBe(false);
  });
  test('uses in the threshold and reset count too; a snippet the parser refuses gives no names', () => {
    expect(additiveOnly(model('v += a + b;', 'v + b > 1', 'v = a;'), 'exact').has('a')).toBe(false);
    expect(additiveOnly(model('v += a + b;', 'v + b > 1', 'v = 0;'), 'exact').has('b')).toBe(true);
    expect(additiveOnly(model('v += a; v = Math.trunc(v);'), 'exact').size).toBe(0);
  });
  test('the shipped models: i_offset and I_stim are additive in IF_cond_exp (euler), IF_curr_exp and izhikevich', () => {
    for (const [m, method] of [
      [iafCondExp, 'euler'],
      [iafPscExp, 'exact'],
      [izhikevich, 'euler'],
    ] as const) {
      const names = additiveOnly(m, method);
      expect(names.has('i_offset') && names.has('I_stim'), m.name).toBe(true);
      expect(names.has('v'), m.name).toBe(false);
    }
  });
});
