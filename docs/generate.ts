/**
 * `npm run docs` (before TypeDoc): draws every marble case to docs/marbles/<case>.svg and
 * writes the pattern files' JSON Schema to patterns.schema.json. Tests fail when
 * either is out of date, so run this after changing a marble case or the pattern schema.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { marbleCases } from '../marbles/index.js';
import { diagramName, renderMarbleCase } from '../marbles/render.js';
import { patternFileJsonSchema } from '../src/files.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const diagrams = `${root}docs/marbles/`;
mkdirSync(diagrams, { recursive: true });
const names = new Set(marbleCases.map(diagramName));
for (const stale of readdirSync(diagrams).filter(
  (file) => file.endsWith('.svg') && !names.has(file),
)) {
  rmSync(`${diagrams}${stale}`);
}
for (const c of marbleCases) writeFileSync(`${diagrams}${diagramName(c)}`, renderMarbleCase(c));
console.log(`docs/marbles: ${marbleCases.length} diagrams`);

writeFileSync(
  `${root}patterns.schema.json`,
  `${JSON.stringify(patternFileJsonSchema(), null, 2)}\n`,
);
console.log('patterns.schema.json written');
