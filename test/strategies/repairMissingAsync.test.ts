// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the snippets under test are JavaScript source text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repairMissingAsync } from '../../src/strategies/repairMissingAsync.js';

const js = (...lines: string[]): string => lines.join('\n');

describe('repairMissingAsync — JavaScript and TypeScript', () => {
  it('repairs a generated Express handler', () => {
    const code = js(
      "app.get('/users/:id', (req, res) => {",
      '  const user = await db.users.findById(req.params.id);',
      '  res.json(user);',
      '});',
    );
    expect(repairMissingAsync(code)).toBe(
      js(
        "app.get('/users/:id', async (req, res) => {",
        '  const user = await db.users.findById(req.params.id);',
        '  res.json(user);',
        '});',
      ),
    );
  });

  it('repairs a class method that awaits fetch', () => {
    const code = js(
      'export class WeatherClient {',
      '  constructor(baseUrl) {',
      '    this.baseUrl = baseUrl;',
      '  }',
      '',
      '  current(city) {',
      '    const response = await fetch(`${this.baseUrl}/current?city=${city}`);',
      '    return response.json();',
      '  }',
      '}',
    );
    expect(repairMissingAsync(code)).toBe(
      code.replace('  current(city) {', '  async current(city) {'),
    );
  });

  it('is not confused by TypeScript modifiers, parameter types, return types and generics', () => {
    const code = js(
      '@Injectable()',
      'export class UserService<T extends { id: string }> {',
      '  constructor(private readonly http: HttpClient) {}',
      '',
      '  private load(id: string, retries: number = 3): Promise<T> {',
      '    return await this.http.get<T>(`/users/${id}`);',
      '  }',
      '',
      '  public static create<U>(items: Array<Record<string, U>>): Map<string, U> {',
      '    const first = await items[0];',
      '    return new Map(Object.entries(first ?? {}));',
      '  }',
      '}',
      '',
      'export function pick<T>(xs: T[]): Promise<void> {',
      '  await xs[0];',
      '}',
      '',
      'const double = (a: number): Promise<number> => {',
      '  return (await a) * 2;',
      '};',
    );
    expect(repairMissingAsync(code)).toBe(
      code
        .replace('private load', 'private async load')
        .replace('public static create', 'public static async create')
        .replace('export function pick', 'export async function pick')
        .replace('const double = (a', 'const double = async (a'),
    );
  });

  it('repairs an arrow callback inside .map, with a block or an expression body', () => {
    const block = js(
      'export async function loadAll(ids) {',
      '  return Promise.all(ids.map((id) => {',
      '    const row = await db.get(id);',
      '    return row.value;',
      '  }));',
      '}',
    );
    expect(repairMissingAsync(block)).toBe(block.replace('ids.map((id)', 'ids.map(async (id)'));
    const expression = 'const rows = await Promise.all(ids.map(id => await db.get(id)));';
    expect(repairMissingAsync(expression, { line: 1 })).toBeUndefined(); // the outer await is top-level
    const inFunction = js('async function f(ids) {', `  ${expression}`, '}');
    expect(repairMissingAsync(inFunction)).toBe(inFunction.replace('map(id', 'map(async id'));
  });

  it('repairs object-literal methods, including generator and computed ones', () => {
    const code = js(
      'export const api = {',
      '  baseUrl: "https://example.com",',
      '  fetchUser(id) {',
      '    return await fetch(this.baseUrl + "/users/" + id);',
      '  },',
      '  *pages() {',
      '    yield await this.fetchUser(1);',
      '  },',
      '  [Symbol.iterator]() {',
      '    return await this.pages();',
      '  },',
      '};',
    );
    expect(repairMissingAsync(code)).toBe(
      code
        .replace('  fetchUser(', '  async fetchUser(')
        .replace('  *pages', '  async *pages')
        .replace('  [Symbol', '  async [Symbol'),
    );
  });

  it.each([
    ['function foo(a, b) {\n  await a;\n}', 'async function foo(a, b) {\n  await a;\n}'],
    ['const f = function (x) {\n  await x;\n};', 'const f = async function (x) {\n  await x;\n};'],
    [
      'export default function () {\n  await go();\n}',
      'export default async function () {\n  await go();\n}',
    ],
    ['function* g() {\n  yield await x;\n}', 'async function* g() {\n  yield await x;\n}'],
    [
      'const g = function* () { yield await x; };',
      'const g = async function* () { yield await x; };',
    ],
    ['const f = a => {\n  await a;\n};', 'const f = async a => {\n  await a;\n};'],
    ['const f = x => await f(x);', 'const f = async x => await f(x);'],
    ['const f = <T,>(x: T) => await x;', 'const f = async <T,>(x: T) => await x;'],
    [
      'class A { static *gen() { yield await y; } }',
      'class A { static async *gen() { yield await y; } }',
    ],
    ['class A { #secret() { await x; } }', 'class A { async #secret() { await x; } }'],
    [
      'function g(): { a: number } {\n  return { a: 1 };\n}\nclass C {\n  m() {\n    await x;\n  }\n}',
      'function g(): { a: number } {\n  return { a: 1 };\n}\nclass C {\n  async m() {\n    await x;\n  }\n}',
    ],
    [
      'function f() {\n  for await (const x of xs) {}\n}',
      'async function f() {\n  for await (const x of xs) {}\n}',
    ],
  ])('repairs %j', (code, repaired) => {
    expect(repairMissingAsync(code)).toBe(repaired);
  });

  it('repairs every broken function without `line`, and only the named one with it', () => {
    const code = js(
      'function first() {',
      '  await a();',
      '}',
      'function second() {',
      '  await b();',
      '}',
    );
    expect(repairMissingAsync(code)).toBe(
      js(
        'async function first() {',
        '  await a();',
        '}',
        'async function second() {',
        '  await b();',
        '}',
      ),
    );
    expect(repairMissingAsync(code, { line: 5 })).toBe(
      js(
        'function first() {',
        '  await a();',
        '}',
        'async function second() {',
        '  await b();',
        '}',
      ),
    );
    expect(repairMissingAsync(code, { line: 3 })).toBeUndefined();
  });

  it('repairs the innermost function: a non-async callback inside an async function', () => {
    const code = js(
      'async function main(items) {',
      '  await init();',
      '  items.forEach(function (item) {',
      '    await save(item);',
      '  });',
      '}',
    );
    expect(repairMissingAsync(code)).toBe(
      code.replace('forEach(function', 'forEach(async function'),
    );
  });

  it('returns undefined when every await is already inside an async function', () => {
    const code = js(
      'export async function handler(req) {',
      '  const run = async () => await req.body;',
      '  return { data: await run() };',
      '}',
      'class A {',
      '  async load() {',
      '    return await this.x;',
      '  }',
      '}',
    );
    expect(repairMissingAsync(code)).toBeUndefined();
  });

  it('ignores awaits in strings, comments, templates and regex literals, and non-keyword awaits', () => {
    const code = js(
      'function f(obj) {',
      '  const a = "await x"; const b = \'await y\';',
      '  // await z',
      '  /* await',
      '     w */',
      '  const t = `await ${"await"} ${`await`}`;',
      '  const r = /await/g;',
      '  return awaitable(obj.await, obj?.await, r, a, b, t);',
      '}',
    );
    expect(repairMissingAsync(code)).toBeUndefined();
  });

  it('finds a real await inside a template substitution', () => {
    const code = 'function f(x) {\n  return `value: ${await x}`;\n}';
    expect(repairMissingAsync(code)).toBe(`async ${code}`);
  });

  it('keeps division apart from regex literals', () => {
    const code = 'function ratio(a, b, c) {\n  return a / b / (await c);\n}';
    expect(repairMissingAsync(code)).toBe(`async ${code}`);
  });

  it.each([
    ['a top-level await', 'const config = await loadConfig();'],
    ['a getter', 'class A {\n  get value() {\n    return await this.load();\n  }\n}'],
    ['a setter', 'const o = {\n  set value(v) {\n    await save(v);\n  },\n};'],
    ['a constructor', 'class A {\n  constructor() {\n    this.db = await connect();\n  }\n}'],
    ['a class field initializer', 'class A {\n  db = await connect();\n}'],
    ['an await in a parameter default', 'function f(a = await x) {\n  return a;\n}'],
    ['unbalanced braces', 'function f() {\n  if (a) {\n    await x;\n}'],
    ['unbalanced parens', 'function f() {\n  g((await x);\n}'],
    ['an unterminated string', 'function f() {\n  const s = "oops;\n  await x;\n}'],
    ['an unterminated comment', 'function f() {\n  await x; /* oops\n}'],
    ['a call followed by a block', 'function f() {\n  doSomething()\n  {\n    await x;\n  }\n}'],
    [
      'a ternary that could be a typed arrow',
      'function f() {\n  return a ? (b) : c => await d;\n}',
    ],
    ['nothing to repair', 'const x = 1;'],
    ['an empty string', ''],
  ])('returns undefined for %s', (_, code) => {
    expect(repairMissingAsync(code)).toBeUndefined();
  });

  it('repairs nothing when any broken await is uncertain, unless `line` names a certain one', () => {
    const code = js('function load() {', '  return await fetch(url);', '}', 'await load();');
    expect(repairMissingAsync(code)).toBeUndefined();
    expect(repairMissingAsync(code, { line: 2 })).toBe(`async ${code}`);
    expect(repairMissingAsync(code, { line: 4 })).toBeUndefined();
  });
});

describe('repairMissingAsync — Python', () => {
  it('repairs the innermost def, keeping decorators and indentation', () => {
    const code = js(
      '@app.route("/users/<int:user_id>")',
      'def get_user(user_id):',
      '    def load():',
      '        row = await db.fetch_one("SELECT * FROM users WHERE id = ?", user_id)',
      '        return row',
      '    return load()',
      '',
    );
    expect(repairMissingAsync(code)).toBe(code.replace('    def load', '    async def load'));
  });

  it('repairs a method in a class', () => {
    const code = js(
      'class Repository:',
      '    def __init__(self, session):',
      '        self.session = session',
      '',
      '    @retry(times=3)',
      '    def find(self, key: str) -> dict:',
      '        """Finds a row; await is not mentioned here."""',
      '        if key:',
      '            result = await self.session.get(key)  # await',
      '            return result',
      '        return {}',
      '',
    );
    expect(repairMissingAsync(code)).toBe(code.replace('    def find', '    async def find'));
  });

  it('repairs a def whose parameters span lines, and a continued line', () => {
    const code = js(
      'def f(',
      '    a,',
      '    b,',
      '):',
      '    x = 1 + \\',
      '        await g(a, b)',
      '',
    );
    expect(repairMissingAsync(code)).toBe(`async ${code}`);
  });

  it('repairs every broken def without `line`, and only the named one with it', () => {
    const code = js('def a():', '    await one()', '', 'def b():', '    await two()', '');
    expect(repairMissingAsync(code)).toBe(
      js('async def a():', '    await one()', '', 'async def b():', '    await two()', ''),
    );
    expect(repairMissingAsync(code, { line: 5 })).toBe(
      js('def a():', '    await one()', '', 'async def b():', '    await two()', ''),
    );
  });

  it('repairs a nested def inside an async def, and nothing when all are async', () => {
    const code = js(
      'async def outer():',
      '    def inner():',
      '        await x()',
      '    await inner()',
      '',
    );
    expect(repairMissingAsync(code)).toBe(code.replace('    def inner', '    async def inner'));
    expect(repairMissingAsync('async def f():\n    await x()\n')).toBeUndefined();
  });

  it('ignores awaits in strings, triple-quoted strings and comments', () => {
    const code = js(
      'def f():',
      '    a = "await x"',
      "    b = '''",
      '    await y',
      "    '''",
      '    # await z',
      '    return a, b',
      '',
    );
    expect(repairMissingAsync(code)).toBeUndefined();
  });

  it.each([
    ['a top-level await', 'def main():\n    pass\n\nawait main()\n'],
    ['a lambda', 'def f(xs):\n    return map(lambda x: await g(x), xs)\n'],
    [
      'a class body',
      'class Config:\n    def load(self):\n        pass\n    data = await fetch()\n',
    ],
    ['an unterminated string', 'def f():\n    s = "oops\n    await x\n'],
    ['inconsistent tabs and spaces', 'def f():\n\tif x:\n        await y\n'],
  ])('returns undefined for %s', (_, code) => {
    expect(repairMissingAsync(code, { language: 'python' })).toBeUndefined();
  });

  it('detects Python only on clear signs', () => {
    const python = 'def f(x):\n    return await g(x)\n';
    expect(repairMissingAsync(python)).toBe(`async ${python}`);
    expect(repairMissingAsync(python, { language: 'javascript' })).toBeUndefined();
    const javascript = '// def f(x):\nfunction f(x) {\n  return await g(x);\n}';
    expect(repairMissingAsync(javascript)).toBe(javascript.replace('function', 'async function'));
  });
});

describe('repairMissingAsync — properties', () => {
  const piece = fc.constantFrom(
    'function f(a) {',
    'class A {',
    'm(x) {',
    'get g() {',
    '}',
    '(',
    ')',
    '{',
    ' => ',
    'x',
    'await x;',
    'async ',
    '`${',
    '`',
    '"',
    "'",
    '//',
    '/*',
    '*/',
    '/re/',
    '\n',
    '    ',
    'def g():',
    'lambda: ',
    '#',
    ':',
    ',',
  );
  const codeLike = fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join(''));

  it('declines a bare arrow parameter that is not an identifier (found by the property below)', () => {
    expect(repairMissingAsync('x# => await x;')).toBeUndefined();
    expect(repairMissingAsync('#p => await x;')).toBeUndefined();
  });

  it('never throws, and only ever inserts `async `, idempotently', () => {
    fc.assert(
      fc.property(
        fc.oneof(codeLike, fc.string()),
        fc.option(fc.integer({ min: 0, max: 8 })),
        (code, line) => {
          const repaired = repairMissingAsync(code, line === null ? {} : { line });
          if (repaired === undefined) return;
          expect(repaired.length).toBeGreaterThan(code.length);
          expect((repaired.length - code.length) % 'async '.length).toBe(0);
          expect(repaired.replaceAll('async ', '')).toBe(code.replaceAll('async ', ''));
          expect(repairMissingAsync(repaired, line === null ? {} : { line })).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });
});
