import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { literalPrefilter } from '../../src/patterns/literalPrefilter.js';

const literals = (regex: RegExp) => literalPrefilter(regex);

describe('literalPrefilter', () => {
  it.each([
    [/Cannot find module/i, ['cannot find module']],
    [
      /ValidationError|ZodError|validation failed/i,
      ['validationerror', 'zoderror', 'validation failed'],
    ],
    [/\bTimeoutError\b/, ['TimeoutError']],
    [/time-?out/, ['time']],
    [/ab+cde/, ['cde']],
    [/x\.json/, ['x.json']],
    [/\x41BCD/, ['BCD']],
    [/err(?:or)? code \d+/, [' code ']],
  ])('%s requires %j', (regex, expected) => {
    expect(literals(regex)).toEqual(expected);
  });

  it.each([
    [/ab|cd/, 'a branch shorter than three characters'],
    [/(?:foo|bar)baz?/, 'nothing outside the group'],
    [/[a-z]+\d/, 'no literal at all'],
    [/straße/iu, 'Unicode case folding'],
    [/\x41BC/, 'an escape that is not a literal'],
    [/ΟΔΟΣ/, 'non-ASCII: lower-casing the text may change it (Σ → σ or ς)'],
  ])('gives no prefilter for %s (%s)', (regex) => {
    expect(literalPrefilter(regex)).toBeNull();
  });

  it('never rules out a text the regex matches', () => {
    let checked = 0;
    const atom = fc.oneof(
      { arbitrary: fc.constantFrom('a', 'b', 'c', 'A', 'B', '-', ' ', 'k', 's'), weight: 8 },
      fc.constantFrom('\\.', '\\-', '\\b', '\\d', '\\w', '\\x61', '\\u0062', '\\cJ', '.', '^', '$'),
      fc.constantFrom('[ab]', '[^a]', '[\\]a]', '(?:ab|c)', '(a|bc)', '(?=a)', '(?!b)', '(?<=c)'),
    );
    const quantified = fc
      .tuple(
        atom,
        fc.constantFrom(
          '',
          '',
          '',
          '',
          '',
          '',
          '',
          '',
          '?',
          '*',
          '+',
          '{1,2}',
          '{0,1}',
          '+?',
          '{2}',
        ),
      )
      .map(([a, q]) => (/^(?:\\b|\^|\$|\(\?[=!<])/.test(a) ? a : a + q));
    const branch = fc
      .array(quantified, { minLength: 3, maxLength: 10 })
      .map((parts) => parts.join(''));
    const source = fc
      .array(branch, { minLength: 1, maxLength: 3 })
      .map((branches) => branches.join('|'));
    const noise = fc
      .array(
        fc.constantFrom('a', 'b', 'c', 'A', 'B', '-', '.', ' ', 'k', 'K', 'ſ', 'ı', '\n', '1'),
        {
          maxLength: 6,
        },
      )
      .map((chars) => chars.join(''));
    // Texts built from the regex's own characters, so that matches are common.
    const case_ = fc.constantFrom('same', 'upper', 'lower');
    const sample = source.chain((src) =>
      fc
        .tuple(noise, fc.array(fc.tuple(noise, fc.boolean()), { maxLength: 4 }), case_, noise)
        .map(([head, cuts, casing, tail]) => {
          let body = src
            .replace(/\\x61/g, 'a')
            .replace(/\\u0062/g, 'b')
            .replace(/[\\^$|?*+()[\]{}=!<]/g, '');
          for (const [piece, keep] of cuts) body = keep ? body + piece : piece + body;
          if (casing === 'upper') body = body.toUpperCase();
          if (casing === 'lower') body = body.toLowerCase();
          return [src, head + body + tail] as const;
        }),
    );
    fc.assert(
      fc.property(sample, fc.constantFrom('', 'i', 'm', 'is'), ([src, input], flags) => {
        let regex: RegExp;
        try {
          regex = new RegExp(src, flags);
        } catch {
          return; // not a valid regex: nothing to check
        }
        const prefilter = literalPrefilter(regex);
        if (prefilter === null || !regex.test(input)) return;
        const haystack = regex.ignoreCase ? input.toLowerCase() : input;
        expect(prefilter.some((literal) => haystack.includes(literal))).toBe(true);
        checked++;
      }),
      { numRuns: 20_000 },
    );
    // The generators must reach the interesting case (a prefilter and a match) often.
    expect(checked).toBeGreaterThan(200);
  });
});
