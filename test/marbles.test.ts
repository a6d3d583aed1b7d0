import { existsSync, readFileSync } from 'node:fs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { marbleCases } from '../marbles/index.js';
import { diagramName, renderMarbleCase } from '../marbles/render.js';

/** Errors compare by name and message, so a case can state them as plain data. */
function comparable(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, comparable(v)]));
  }
  return value;
}

describe('marble cases', () => {
  it('has at least one case per operator', () => {
    const operators = new Set(marbleCases.map((c) => c.operator.split('(')[0]));
    expect([...operators].sort()).toEqual([
      'circuitBreaker',
      'correctErrors',
      'degradeGracefully',
      'escalateOn',
      'hedge',
      'injectFaults',
      'retryBackoff',
      'switchToAlternative',
      'withRecovery',
    ]);
  });

  it.each(marbleCases.map((c) => [c.title, c] as const))('%s', (_, c) => {
    const scheduler = new TestScheduler((actual, expected) => {
      expect(comparable(actual)).toEqual(comparable(expected));
    });
    scheduler.run((helpers) => {
      const source = helpers.cold(c.source, c.sourceValues, c.sourceError);
      helpers
        .expectObservable(source.pipe(c.build(helpers)))
        .toBe(c.expected, c.expectedValues, c.expectedError);
      helpers.expectSubscriptions(source.subscriptions).toBe([...c.subscriptions]);
    });
  });
});

describe('marble diagrams', () => {
  it.each(marbleCases.map((c) => [diagramName(c), c] as const))(
    'docs/marbles/%s is up to date (npm run docs)',
    (name, c) => {
      const file = new URL(`../docs/marbles/${name}`, import.meta.url);
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(renderMarbleCase(c));
    },
  );

  it('draws values, completions and errors where the marbles put them', () => {
    const c = marbleCases.find((m) => m.operator.startsWith('degradeGracefully'));
    const svg = c === undefined ? '' : renderMarbleCase(c);
    expect(svg.match(/class="value"/g)).toHaveLength(3); // a on the source; a and s on the result
    expect(svg.match(/class="complete"/g)).toHaveLength(1);
    expect(svg.match(/class="error"/g)).toHaveLength(2); // one cross is two strokes
    expect(svg).toContain(
      '>degradeGracefully([{ name: &apos;reduced&apos;'.replace(/&apos;/g, "'"),
    );
  });
});
