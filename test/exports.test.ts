import { readFileSync } from 'node:fs';
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
});
