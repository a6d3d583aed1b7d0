import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as codegen from '../src/codegen.js';
import * as dashboard from '../src/dashboard.js';
import * as files from '../src/files.js';
import * as api from '../src/index.js';
import * as otel from '../src/otel.js';
import * as redis from '../src/redis.js';

const source = (file: string) => readFileSync(new URL(file, import.meta.url), 'utf8');

describe('public surface', () => {
  it('exports exactly these names (update on purpose, in review)', () => {
    expect(Object.keys(api).sort()).toMatchSnapshot();
  });

  it('exports exactly these names from rx-recovery/otel', () => {
    expect(Object.keys(otel).sort()).toEqual(['bridgeMetricsToOpenTelemetry']);
  });

  it('exports exactly these names from rx-recovery/files', () => {
    expect(Object.keys(files).sort()).toEqual([
      'ErrorPatternSchema',
      'parsePatternFile',
      'parsePatterns',
      'patternFileJsonSchema',
      'regexSafetyIssue',
    ]);
  });

  it('exports exactly these names from rx-recovery/codegen', () => {
    expect(Object.keys(codegen).sort()).toEqual([
      'asyncKeywordCorrection',
      'llmPatterns',
      'repairMissingAsync',
    ]);
  });

  it('exports exactly these names from rx-recovery/redis and rx-recovery/dashboard', () => {
    expect(Object.keys(redis).sort()).toEqual(['createRedisStore']);
    expect(Object.keys(dashboard).sort()).toEqual(['serveDashboard']);
  });

  it('re-exports by name only', () => {
    expect(source('../src/index.ts')).not.toMatch(/export \*/);
    expect(source('../src/otel.ts')).not.toMatch(/export \*/);
    expect(source('../src/files.ts')).not.toMatch(/export \*/);
    expect(source('../src/codegen.ts')).not.toMatch(/export \*/);
    expect(source('../src/redis.ts')).not.toMatch(/export \*/);
    expect(source('../src/dashboard.ts')).not.toMatch(/export \*/);
  });

  it('keeps the OpenTelemetry bridge, the pattern files and the code repair out of the main entry', () => {
    expect(source('../src/index.ts')).not.toContain('openTelemetry');
    expect(source('../src/index.ts')).not.toContain('./files/');
    expect(source('../src/index.ts')).not.toContain('./codegen/');
  });

  it("keeps the code repair out of the main entry's static import graph: the orchestrator loads it on demand", () => {
    const src = new URL('../src/', import.meta.url).pathname;
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(src, file), 'utf8');
      // Static imports and re-exports (not `import type`), not `import(…)`.
      for (const [, spec] of text.matchAll(
        /^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gm,
      )) {
        visit(join(file, '..', (spec ?? '').replace(/\.js$/, '.ts')));
      }
    };
    visit('index.ts');
    expect(seen.has('orchestrator.ts') && seen.has('patterns/errorText.ts')).toBe(true);
    expect([...seen].filter((file) => file.startsWith('codegen/')).sort()).toEqual([
      'codegen/mentionsMissingAsync.ts', // the default pattern's regex test: the repair is handed it
    ]);
    expect(source('../src/orchestrator.ts')).toContain("import('./codegen/missingAsyncRule.js')");
  });
});
