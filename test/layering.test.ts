import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = new URL('../src/', import.meta.url).pathname;

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] ?? '',
  );
}

describe('layering', () => {
  it.each([
    ['patterns', ['operators', 'strategies', 'observability', 'orchestrator']],
    ['strategies', ['operators', 'observability', 'orchestrator']],
  ])('src/%s never imports %j', (layer, forbidden) => {
    const offending = files(join(src, layer)).flatMap((file) =>
      imports(file)
        .filter((spec) =>
          forbidden.some((name) =>
            new RegExp(`(^|/)\\.\\.?/(?:\\.\\./)*${name}(/|\\.js|$)`).test(spec),
          ),
        )
        .map((spec) => `${relative(src, file)} → ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('never imports rxjs internals or deprecated operators', () => {
    const offending = files(src).flatMap((file) =>
      imports(file)
        .filter((spec) => spec.startsWith('rxjs/internal'))
        .map((spec) => `${relative(src, file)} → ${spec}`),
    );
    expect(offending).toEqual([]);
    for (const file of files(src)) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(
        /\b(?:retryWhen|mapTo)\(|setTimeout\(|Date\.now\(/,
      );
    }
  });
});
