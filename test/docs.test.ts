import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { modelCatalogueMarkdown } from '../src/models/describe.js';
import { validateNetwork } from '../src/ir/validate.js';

describe('docs stay true', () => {
  it('docs/models.md is the catalogue generated from the model declarations', () => {
    expect(readFileSync('docs/models.md', 'utf8')).toBe(modelCatalogueMarkdown() + '\n');
  });

  it('the README opens with exactly the two set-up commands, and .ci/run calls the test one', () => {
    const lines = readFileSync('README.md', 'utf8').split('\n');
    expect(lines[0]).toBe('```sh');
    expect(lines[1]).toMatch(/^npm ci && npm start\s+#/);
    expect(lines[2]).toMatch(/^npm test\s+#/);
    expect(lines[3]).toBe('```');
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm test\b/m);
  });

  it('every example config in docs/examples builds a valid network', () => {
    const files = readdirSync('docs/examples').filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(() => validateNetwork(loadConfig(`docs/examples/${f}`)), f).not.toThrow();
  });
});
