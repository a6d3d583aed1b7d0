/**
 * Writes docs/marbles/<case>.svg for every marble case (`npm run docs`). A test fails when
 * a diagram is missing or out of date, so run this after changing a case.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { marbleCases } from './index.js';
import { diagramName, renderMarbleCase } from './render.js';

const out = fileURLToPath(new URL('../docs/marbles/', import.meta.url));
mkdirSync(out, { recursive: true });
const names = new Set(marbleCases.map(diagramName));
for (const stale of readdirSync(out).filter((file) => file.endsWith('.svg') && !names.has(file))) {
  rmSync(`${out}${stale}`);
}
for (const c of marbleCases) writeFileSync(`${out}${diagramName(c)}`, renderMarbleCase(c));
console.log(`docs/marbles: ${marbleCases.length} diagrams`);
