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
  return [
    ...text.matchAll(
      /^(?:import|export)\s+(?:type\s+)?(?:\{[^}]*\}|\*(?:\s+as\s+\w+)?|\w+(?:\s*,\s*\{[^}]*\})?)\s+from\s+['"]([^'"]+)['"]/gm,
    ),
  ].map((m) => m[1] ?? '');
}

describe('layering', () => {
  it.each([
    ['config', ['patterns', 'operators', 'strategies', 'observability', 'orchestrator', 'fleet']],
    ['patterns', ['operators', 'strategies', 'observability', 'orchestrator', 'fleet']],
    ['strategies', ['operators', 'observability', 'orchestrator', 'fleet']],
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

  it('keeps the main entry an RxJS core: no zod, YAML, regex checker, OpenTelemetry or Redis in its import graph', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of imports(file)) {
        if (spec.startsWith('.')) visit(join(file, '..', spec.replace(/\.js$/, '.ts')));
        else packages.add(spec);
      }
    };
    visit(join(src, 'index.ts'));
    expect([...packages].sort()).toEqual(['rxjs', 'rxjs-for-await']);
    expect(
      [...seen].map((file) => relative(src, file)).filter((f) => f.startsWith('files')),
    ).toEqual([]);
  });

  it('has no import cycle among the modules of src', () => {
    const graph = new Map(
      files(src).map((file) => [
        file,
        imports(file)
          .filter((spec) => spec.startsWith('.'))
          .map((spec) => join(file, '..', spec.replace(/\.js$/, '.ts'))),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push(
          [...path.slice(path.indexOf(file)), file].map((f) => relative(src, f)).join(' → '),
        );
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) walk(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) walk(file, []);
    expect(cycles).toEqual([]);
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
