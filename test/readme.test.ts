import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
// Under node_modules, so that `rxjs` and friends resolve from the blocks as from the repo.
const scratch = `${root}node_modules/.cache/readme-blocks/`;

/** The README's ```ts blocks, each with the line it starts on. */
function blocks(): { line: number; code: string }[] {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const found: { line: number; code: string }[] = [];
  for (const match of readme.matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
    found.push({ line: readme.slice(0, match.index).split('\n').length + 1, code: match[1] ?? '' });
  }
  return found;
}

describe('README code blocks', () => {
  it('has TypeScript blocks to check', () => {
    expect(blocks().length).toBeGreaterThanOrEqual(10);
  });

  it('compile against the library, with no errors', () => {
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    const files = blocks().map(({ line, code }) => {
      const file = `${scratch}readme-line-${line}.ts`;
      // Each block is a module of its own, so blocks never see each other's names.
      writeFileSync(file, `${code}\nexport {};\n`);
      return file;
    });
    const program = ts.createProgram([...files, `${root}test/readme/prelude.d.ts`], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: ['node'],
      typeRoots: [`${root}node_modules/@types`],
      skipLibCheck: true,
      baseUrl: root,
      paths: {
        'rx-recovery': ['src/index.ts'],
        'rx-recovery/otel': ['src/otel.ts'],
        'rx-recovery/files': ['src/files.ts'],
        'rx-recovery/codegen': ['src/codegen.ts'],
        'rx-recovery/redis': ['src/redis.ts'],
        'rx-recovery/dashboard': ['src/dashboard.ts'],
      },
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file
        ? `${d.file.fileName.replace(scratch, 'README ')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
  }, 60_000);
});
