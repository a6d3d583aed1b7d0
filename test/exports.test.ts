import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import * as otel from '../src/otel.js';

describe('public surface', () => {
  it('exports exactly these names (update on purpose, in review)', () => {
    expect(Object.keys(api).sort()).toMatchSnapshot();
  });

  it('re-exports by name only', () => {
    expect(readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8')).not.toMatch(
      /export \*/,
    );
  });
});
