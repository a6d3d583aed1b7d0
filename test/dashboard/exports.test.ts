import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as dashboard from '../../src/dashboard.js';

describe('rx-recovery/dashboard', () => {
  it('exports exactly serveDashboard (and types)', () => {
    expect(Object.keys(dashboard).sort()).toEqual(['serveDashboard']);
  });

  it('re-exports by name only, and stays out of the main entry', () => {
    const source = (file: string) => readFileSync(new URL(file, import.meta.url), 'utf8');
    expect(source('../../src/dashboard.ts')).not.toMatch(/export \*/);
    expect(source('../../src/index.ts')).not.toContain('dashboard');
  });
});
