// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the snippets under test are JavaScript source text.
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repairMissingAsync } from '../../src/codegen/repairMissingAsync.js';

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
        .replace('): Map<string, U> {', '): Promise<Map<string, U>> {')
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
      'async function main(app) {',
      '  await init();',
      "  app.get('/users', function (req, res) {",
      '    res.json(await db.users.all());',
      '  });',
      '}',
    );
    expect(repairMissingAsync(code)).toBe(
      code.replace("users', function", "users', async function"),
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

const ARRAY_METHODS = [
  'forEach',
  'map',
  'filter',
  'reduce',
  'reduceRight',
  'some',
  'every',
  'find',
  'findIndex',
  'findLast',
  'findLastIndex',
  'flatMap',
  'sort',
  'toSorted',
] as const;

describe('repairMissingAsync — callbacks handed to array methods', () => {
  it('declines `items.forEach((item) => { await save(item) })`: async would fire and forget', () => {
    const code = js(
      'export async function saveAll(items) {',
      '  items.forEach((item) => {',
      '    await save(item);',
      '  });',
      '}',
    );
    expect(repairMissingAsync(code)).toBeUndefined();
    expect(repairMissingAsync(code, { line: 3 })).toBeUndefined();
  });

  it('declines `xs.map(x => await f(x))`: async would make an array of promises', () => {
    expect(repairMissingAsync('function g(xs) {\n  return xs.map(x => await f(x));\n}')).toBe(
      undefined,
    );
  });

  it.each(ARRAY_METHODS)('declines an await in a callback handed to .%s', (method) => {
    const callbacks = [
      `(item) => {\n    await save(item);\n  }`,
      '(item: Item) => await save(item)',
      'item => await save(item)',
      'function (item) {\n    return await save(item);\n  }',
      'function named(item) {\n    return await save(item);\n  }',
      '<T,>(item: T): boolean => await check(item)',
    ];
    for (const callback of callbacks) {
      for (const call of [
        `items.${method}(${callback})`,
        `items?.${method}(${callback})`,
        `items.${method}?.(${callback})`,
        `this.items.filter(Boolean).${method}(${callback}, thisArg)`,
        `items.${method}((${callback}))`,
        `items.${method}(fast ? ${callback} : slow)`,
      ]) {
        const code = `function run(items) {\n  const result = ${call};\n  return result;\n}`;
        expect(repairMissingAsync(code), code).toBeUndefined();
      }
    }
    const typed = `function run(items: Item[]) {\n  return items.${method}<Item>((a) => await f(a));\n}`;
    expect(repairMissingAsync(typed)).toBeUndefined();
  });

  it('declines a reduce step, whichever argument the callback is', () => {
    const code =
      'function total(xs) {\n  return xs.reduce((sum, x) => sum + (await price(x)), 0);\n}';
    expect(repairMissingAsync(code)).toBeUndefined();
  });

  it('declines RxJS operators and lodash functions of the same names', () => {
    const rxjs = js(
      'export const users$ = ids$.pipe(',
      '  map((id) => await api.user(id)),',
      '  filter((user) => await allowed(user)),',
      ');',
    );
    expect(repairMissingAsync(rxjs)).toBeUndefined();
    expect(repairMissingAsync('_.forEach(items, function (item) {\n  await save(item);\n});')).toBe(
      undefined,
    );
  });

  it('declines the whole repair when one await of several is in such a callback', () => {
    const code = js(
      'function load(id) {',
      '  return await db.get(id);',
      '}',
      'function saveAll(items) {',
      '  items.forEach((item) => { await save(item); });',
      '}',
    );
    expect(repairMissingAsync(code)).toBeUndefined();
    expect(repairMissingAsync(code, { line: 2 })).toBe(`async ${code}`);
    expect(repairMissingAsync(code, { line: 5 })).toBeUndefined();
  });

  it('repairs a function nested inside such a callback, and callbacks handed to other calls', () => {
    const nested = js(
      'items.forEach((item) => {',
      '  const load = () => await db.get(item.id);',
      '  queue.push(load);',
      '});',
    );
    expect(repairMissingAsync(nested)).toBe(nested.replace('load = ()', 'load = async ()'));
    const others = js(
      "router.get('/items', (req, res) => {",
      '  res.json(await db.items.all());',
      '});',
      "emitter.on('item', function (item) {",
      '  await save(item);',
      '});',
      'items.mapper((item) => await save(item));',
      'wrap(items.map, (item) => await save(item));',
    );
    expect(repairMissingAsync(others)).toBe(
      others
        .replace("'/items', (req", "'/items', async (req")
        .replace("'item', function", "'item', async function")
        .replace('mapper((item)', 'mapper(async (item)')
        .replace('map, (item)', 'map, async (item)'),
    );
  });

  it.each([
    [
      'Promise.all(ids.map((id) => await db.get(id)))',
      'Promise.all(ids.map(async (id) => await db.get(id)))',
    ],
    [
      'Promise.allSettled(this.ids.filter(Boolean).map(function (id) { return await db.get(id); }))',
      'Promise.allSettled(this.ids.filter(Boolean).map(async function (id) { return await db.get(id); }))',
    ],
    [
      "Promise.any(['a', 'b'].map((url) => {\n    return await fetch(url);\n  }))",
      "Promise.any(['a', 'b'].map(async (url) => {\n    return await fetch(url);\n  }))",
    ],
    ['Promise.race(xs!.map((x) => await x))', 'Promise.race(xs!.map(async (x) => await x))'],
  ])('repairs a .map whose array of promises goes straight to Promise.all: %s', (call, fixed) => {
    const code = `function loadAll(ids) {\n  return ${call};\n}`;
    expect(repairMissingAsync(code)).toBe(code.replace(call, fixed));
  });

  it.each([
    'Promise.all(ids.map((id) => await db.get(id)).filter(Boolean))',
    'Promise.all(ids.flatMap((id) => await db.get(id)))',
    'Promise.all([ids.map((id) => await db.get(id))])',
    'Promise.all(extra, ids.map((id) => await db.get(id)))',
    'Promise.all(await ids.map((id) => await db.get(id)))',
    'Bluebird.Promise.all(ids.map((id) => await db.get(id)))',
    'Promise.each(ids.map((id) => await db.get(id)))',
  ])('declines a callback whose promises do not all reach Promise.all: %s', (call) => {
    expect(repairMissingAsync(`function loadAll(ids) {\n  return ${call};\n}`)).toBeUndefined();
  });
});

describe('repairMissingAsync — TypeScript return types', () => {
  it('rewrites `: User` to `: Promise<User>` (TS1064 otherwise)', () => {
    expect(
      repairMissingAsync('function load(id: string): User {\n  return await db.get(id);\n}'),
    ).toBe('async function load(id: string): Promise<User> {\n  return await db.get(id);\n}');
  });

  it.each([
    ['function f(): Array<User> {', 'async function f(): Promise<Array<User>> {'],
    ['function f(): User | null {', 'async function f(): Promise<User | null> {'],
    ['function f(): | User | null {', 'async function f(): Promise<| User | null> {'],
    ['function f(): { a: number } {', 'async function f(): Promise<{ a: number }> {'],
    [
      'function f(): { a: number; b: string[] }[] {',
      'async function f(): Promise<{ a: number; b: string[] }[]> {',
    ],
    [
      'function f(): Map<string, Array<User>> {',
      'async function f(): Promise<Map<string, Array<User>>> {',
    ],
    ['function f(): [User, number] {', 'async function f(): Promise<[User, number]> {'],
    ["function f(): 'a' | 'b' {", "async function f(): Promise<'a' | 'b'> {"],
    ['function f(): typeof cache {', 'async function f(): Promise<typeof cache> {'],
    ['function f(): api.User {', 'async function f(): Promise<api.User> {'],
    ['function f(): void {', 'async function f(): Promise<void> {'],
    ['function f(): unknown {', 'async function f(): Promise<unknown> {'],
    ['function f(): (() => void) {', 'async function f(): Promise<(() => void)> {'],
    ['function f(): Promise<User> {', 'async function f(): Promise<User> {'],
    ['function f(): Promise<User | null> {', 'async function f(): Promise<User | null> {'],
    [
      'export default function <T>(x: T): T {',
      'export default async function <T>(x: T): Promise<T> {',
    ],
    [
      'const f = function (id: string): User {',
      'const f = async function (id: string): Promise<User> {',
    ],
    ['const f = (id: string): User => {', 'const f = async (id: string): Promise<User> => {'],
    [
      'const f = (id: string): User| null=> {',
      'const f = async (id: string): Promise<User| null>=> {',
    ],
    ['const f = <T,>(x: T): Array<T> => {', 'const f = async <T,>(x: T): Promise<Array<T>> => {'],
    ['const f = (): (() => void) => {', 'const f = async (): Promise<(() => void)> => {'],
    [
      'const f = (a: number): { a: number } => {',
      'const f = async (a: number): Promise<{ a: number }> => {',
    ],
    ['function* f(): Generator<User> {', 'async function* f(): AsyncGenerator<User> {'],
    [
      'function* f(): Generator<User, void, unknown> {',
      'async function* f(): AsyncGenerator<User, void, unknown> {',
    ],
    [
      'function* f(): IterableIterator<User> {',
      'async function* f(): AsyncIterableIterator<User> {',
    ],
    ['function* f(): Iterable<User> {', 'async function* f(): AsyncIterable<User> {'],
  ])('rewrites %j', (head, fixed) => {
    const code = `${head}\n  return await next();\n}`;
    expect(repairMissingAsync(code)).toBe(`${fixed}\n  return await next();\n}`);
  });

  it('rewrites an arrow with an expression body', () => {
    expect(repairMissingAsync('const load = (id: string): User => await db.get(id);')).toBe(
      'const load = async (id: string): Promise<User> => await db.get(id);',
    );
  });

  it('rewrites class and object methods, with modifiers and generics', () => {
    const code = js(
      'class Repository {',
      '  load(id: string): User {',
      '    return await this.db.get(id);',
      '  }',
      '  protected static find<T extends User>(query: Query<T>): T[] | undefined {',
      '    return await this.db.find(query);',
      '  }',
      '  *stream(): Iterator<User> {',
      '    yield await this.db.next();',
      '  }',
      '}',
      'const repo = {',
      '  load(id: string): User | null {',
      '    return await db.get(id);',
      '  },',
      '};',
    );
    expect(repairMissingAsync(code)).toBe(
      code
        .replace('  load(id: string): User {', '  async load(id: string): Promise<User> {')
        .replace(
          'static find<T extends User>(query: Query<T>): T[] | undefined {',
          'static async find<T extends User>(query: Query<T>): Promise<T[] | undefined> {',
        )
        .replace('*stream(): Iterator<User>', 'async *stream(): AsyncIterator<User>')
        .replace(
          '  load(id: string): User | null {',
          '  async load(id: string): Promise<User | null> {',
        ),
    );
  });

  it('rewrites the return type of a function type declared for the function, not a named type', () => {
    const code = js(
      'const load: (id: string) => User = (id) => await db.get(id);',
      'let save: <T>(x: T) => void = function (x) {',
      '  await db.put(x);',
      '};',
      'class Store {',
      '  private read: (id: string) => Promise<User> = (id) => await db.get(id);',
      '}',
      'const loose: Loader = (id) => await db.get(id);',
    );
    expect(repairMissingAsync(code)).toBe(
      code
        .replace('(id: string) => User = (id)', '(id: string) => Promise<User> = async (id)')
        .replace('<T>(x: T) => void = function', '<T>(x: T) => Promise<void> = async function')
        .replace('Promise<User> = (id)', 'Promise<User> = async (id)')
        .replace('Loader = (id)', 'Loader = async (id)'),
    );
  });

  it('leaves an untyped function and a Python return annotation as they are', () => {
    expect(repairMissingAsync('function f(a = 1) {\n  await a;\n}')).toBe(
      'async function f(a = 1) {\n  await a;\n}',
    );
    const python = 'def load(id: str) -> User:\n    return await db.get(id)\n';
    expect(repairMissingAsync(python)).toBe(`async ${python}`);
  });

  it.each([
    ['a type predicate', 'function f(x: unknown): x is User {\n  return await check(x);\n}'],
    ['an assertion', 'function f(x: unknown): asserts x {\n  await check(x);\n}'],
    [
      'an assertion with a type',
      'function f(x: unknown): asserts x is User {\n  await check(x);\n}',
    ],
    ['a `this` predicate', 'class A {\n  m(): this is B {\n    return await check(this);\n  }\n}'],
    ['a promise or a value', 'function f(): Promise<User> | User {\n  return await get();\n}'],
    ['a thenable', 'function f(): PromiseLike<User> {\n  return await get();\n}'],
    ['an unparenthesized function type', 'function f(): () => void {\n  await x;\n  return g;\n}'],
    ['a method with one', 'class A {\n  m(): () => void {\n    await x;\n    return g;\n  }\n}'],
    ['a conditional type', 'function f<T>(): T extends A ? B : C {\n  return await g();\n}'],
    ['a template literal type', 'function f(): `id-${string}` {\n  return await g();\n}'],
    ['a generator of another type', 'function* f(): Stream<User> {\n  yield await next();\n}'],
    ['a generator of a union', 'function* f(): Iterable<User> | null {\n  yield await next();\n}'],
    [
      'an overloaded function',
      js(
        'function load(id: string): User;',
        'function load(id: number): User;',
        'function load(id: string | number): User {',
        '  return await db.get(id);',
        '}',
      ),
    ],
    [
      'an overloaded method',
      js(
        'class Repo {',
        '  load(id: string): User;',
        '  load(id: number): User;',
        '  load(id: string | number): User {',
        '    return await db.get(id);',
        '  }',
        '}',
      ),
    ],
    [
      'a declared union of function types',
      'const f: ((id: string) => User) | null = (id) => await db.get(id);',
    ],
    [
      'a declared function type returning a predicate',
      'const f: (x: unknown) => x is User = (x) => await check(x);',
    ],
  ])('declines %s', (_, code) => {
    expect(repairMissingAsync(code)).toBeUndefined();
  });
});

describe('repairMissingAsync — what is not a function (found by fuzzing against the compiler)', () => {
  it('reads a declared function type as a type: the await in the initializer is the outer one', () => {
    const code = js(
      'function main() {',
      '  const handler: (event: Event) => void = await loadHandler();',
      '  let pick: <T>(xs: T[]) => T = await loadPicker();',
      '  return [handler, pick];',
      '}',
    );
    expect(repairMissingAsync(code)).toBe(`async ${code}`);
    const field = 'class A {\n  handler: (x: number) => void = await make();\n}';
    expect(repairMissingAsync(field)).toBeUndefined(); // a class field initializer
  });

  it('declines an arrow that could be a return type, or that follows an operator', () => {
    for (const code of [
      'const f\n(id: string): User | null => await get(id);',
      'x = a ? f(b) : c => await d;',
      'x = a ? f(b) : (c) => await d;',
      'x = a | c => await d;',
      'x = a || (c) => await d;',
      'const f = (id: string): Use|*|null => await get(id);',
    ]) {
      expect(repairMissingAsync(code), code).toBeUndefined();
    }
  });

  it('declines a return type that is not one type', () => {
    for (const code of [
      'const f: (id: string) => U\nser = (id) => await get(id);',
      'class A {\n  m(x: number): Array<User>|{\n    return [await get(x)];\n  }\n}',
    ]) {
      expect(repairMissingAsync(code), code).toBeUndefined();
    }
  });

  it('reads `function` in a class body as the name of a member', () => {
    expect(repairMissingAsync('class A {\n  function() {\n    await x;\n  }\n}')).toBe(
      'class A {\n  async function() {\n    await x;\n  }\n}',
    );
    const field = 'class A {\n  function\n  m(): User {\n    return await get();\n  }\n}';
    expect(repairMissingAsync(field)).toBeUndefined();
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
    '): T ',
    '.map(',
    '.forEach(',
    'Promise.all(',
  );
  const codeLike = fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join(''));

  it('declines a bare arrow parameter that is not an identifier (found by the property below)', () => {
    expect(repairMissingAsync('x# => await x;')).toBeUndefined();
    expect(repairMissingAsync('#p => await x;')).toBeUndefined();
  });

  /** What a repair may insert: `async `, and `Promise<`…`>` or `Async` in a return type. */
  const withoutInsertions = (code: string): string =>
    code
      .replaceAll('async ', '')
      .replaceAll('Promise<', '')
      .replaceAll('Async', '')
      .replaceAll('>', '');

  it('never throws, and only ever inserts `async ` (and return types), idempotently', () => {
    fc.assert(
      fc.property(
        fc.oneof(codeLike, fc.string()),
        fc.option(fc.integer({ min: 0, max: 8 })),
        (code, line) => {
          const repaired = repairMissingAsync(code, line === null ? {} : { line });
          if (repaired === undefined) return;
          expect(repaired.length).toBeGreaterThan(code.length);
          expect(repaired).toContain('async ');
          expect(withoutInsertions(repaired)).toBe(withoutInsertions(code));
          expect(repairMissingAsync(repaired, line === null ? {} : { line })).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------- checked by the TypeScript compiler

/** Global declarations the generated modules use, so that they are type-correct but for `async`. */
const PRELUDE = [
  'interface User { id: string }',
  'declare function get(id: string): Promise<User>;',
  'declare function save(user: User): Promise<void>;',
  'declare const users: User[];',
  'declare const ids: string[];',
].join('\n');

/** Diagnostics about `await` and `async`: what a missing or misplaced repair leaves behind. */
const AWAIT_CODES = new Set([
  1042, 1055, 1058, 1064, 1089, 1103, 1308, 1320, 1375, 1378, 1432, 2697, 2705,
]);

/**
 * Type-checks modules together in one in-memory program (one program per call: creating a
 * program is what costs, so many snippets share it), with the library files parsed once.
 */
function createTypeChecker(): (modules: string[]) => ts.Diagnostic[][] {
  const options: ts.CompilerOptions = {
    noEmit: true,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readLibrary = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  const libraries = new Map<string, ts.SourceFile | undefined>();
  let files = new Map<string, string>();
  host.getSourceFile = (name, language) => {
    const text = files.get(name);
    if (text !== undefined) return ts.createSourceFile(name, text, language);
    if (!libraries.has(name)) libraries.set(name, readLibrary(name, language));
    return libraries.get(name);
  };
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  return (modules) => {
    const names = modules.map((_, index) => `/generated/case${index}.ts`);
    files = new Map([
      ['/generated/prelude.d.ts', PRELUDE],
      ...modules.map((code, index): [string, string] => [
        `/generated/case${index}.ts`,
        `${code}\nexport {};\n`,
      ]),
    ]);
    const program = ts.createProgram([...files.keys()], options, host);
    return names.map((name) => {
      const file = program.getSourceFile(name);
      if (!file) throw new Error(`${name} was not compiled`);
      return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    });
  };
}

const describeDiagnostic = (diagnostic: ts.Diagnostic): string =>
  `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;

/**
 * A generated piece of TypeScript with a missing `async`: as it was written (`broken`), and as the
 * repair must leave it (`fixed`; `undefined` when the repair must decline).
 */
interface Unit {
  broken: string;
  fixed: string | undefined;
  arrayCallback: boolean;
}

type UnitAt = (n: number) => Unit;

/** A return type, and a function body (block and expression) that returns it with an `await`. */
interface ReturnType {
  type: string;
  /** The type once the function is async; `undefined`: the repair must decline. */
  fixed: string | undefined;
  body: string;
  expression?: string;
  /** The function kinds it can be written for; all when absent. */
  kinds?: readonly string[];
}

const RETURN_TYPES: readonly ReturnType[] = [
  { type: '', fixed: '', body: 'return await get(id);', expression: 'await get(id)' },
  {
    type: ': User',
    fixed: ': Promise<User>',
    body: 'return await get(id);',
    expression: 'await get(id)',
  },
  {
    type: ': User | null',
    fixed: ': Promise<User | null>',
    body: 'const user = await get(id);\n  return user.id ? user : null;',
    expression: 'id ? await get(id) : null',
  },
  {
    type: ': Array<User>',
    fixed: ': Promise<Array<User>>',
    body: 'return [await get(id)];',
    expression: '[await get(id)]',
  },
  {
    type: ': User[]',
    fixed: ': Promise<User[]>',
    body: 'return users.concat(await get(id));',
    expression: 'users.concat(await get(id))',
  },
  {
    type: ': { user: User; n: number }',
    fixed: ': Promise<{ user: User; n: number }>',
    body: 'return { user: await get(id), n: 1 };',
    expression: '({ user: await get(id), n: 1 })',
  },
  {
    type: ': [User, string]',
    fixed: ': Promise<[User, string]>',
    body: 'return [await get(id), id];',
    expression: '[await get(id), id]',
  },
  {
    type: ': Promise<User>',
    fixed: ': Promise<User>',
    body: 'return Promise.resolve(await get(id));',
    expression: 'Promise.resolve(await get(id))',
  },
  {
    type: ': void',
    fixed: ': Promise<void>',
    body: 'await save(await get(id));',
    expression: 'await save(await get(id))',
  },
  {
    type: ': void',
    fixed: ': Promise<void>',
    body: 'for await (const user of [get(id)]) {\n    void user;\n  }',
  },
  {
    type: ': string',
    fixed: ': Promise<string>',
    body: 'return (await get(id)).id;',
    expression: '(await get(id)).id',
  },
  {
    type: ": 'a' | 'b'",
    fixed: ": Promise<'a' | 'b'>",
    body: "return (await get(id)).id === 'a' ? 'a' : 'b';",
    expression: "(await get(id)).id === 'a' ? 'a' : 'b'",
  },
  {
    type: ': Record<string, User>',
    fixed: ': Promise<Record<string, User>>',
    body: 'return { [id]: await get(id) };',
    expression: '({ [id]: await get(id) })',
  },
  {
    type: ': (() => User)',
    fixed: ': Promise<(() => User)>',
    body: 'const user = await get(id);\n  return () => user;',
  },
  {
    type: ': typeof users',
    fixed: ': Promise<typeof users>',
    body: 'await get(id);\n  return users;',
  },
  // Return types the repair cannot make right with certainty: it declines.
  {
    type: ': id is string',
    fixed: undefined,
    body: "await get(id);\n  return typeof id === 'string';",
    expression: '!!(await get(id))',
  },
  {
    type: ': Promise<User> | null',
    fixed: undefined,
    body: 'await get(id);\n  return null;',
    expression: '(await get(id)) && null',
  },
  {
    type: ': () => User',
    fixed: undefined,
    body: 'const user = await get(id);\n  return () => user;',
    kinds: ['declaration', 'expression', 'method', 'staticMethod', 'objectMethod'],
  },
];

/** A function nested in the function that awaits, which is no concern of the repair. */
const LOCAL_FUNCTION = 'const pick = (u: User): string => u.id;\n  void pick;\n  ';
/** A function type (no function) whose declaration awaits: the await is the enclosing function's. */
const LOCAL_FUNCTION_TYPE =
  'const later: () => string = await Promise.resolve(() => id);\n  void later;\n  ';

/** Function kinds: `(name, async, returnType, body, expressionBody)` → the code, if it can be written. */
const FUNCTION_KINDS: Readonly<
  Record<string, (n: string, a: string, t: string, body: string, e?: string) => string | undefined>
> = {
  declaration: (n, a, t, body) => `${a}function ${n}(id: string)${t} {\n  ${body}\n}`,
  expression: (n, a, t, body) => `const ${n} = ${a}function (id: string)${t} {\n  ${body}\n};`,
  arrow: (n, a, t, body) => `const ${n} = ${a}(id: string)${t} => {\n  ${body}\n};`,
  arrowExpression: (n, a, t, _, e) =>
    e === undefined ? undefined : `const ${n} = ${a}(id: string)${t} => ${e};`,
  genericArrow: (n, a, t, body) =>
    `const ${n} = ${a}<K extends string>(id: K)${t} => {\n  ${body}\n};`,
  method: (n, a, t, body) => `class ${n} {\n  ${a}load(id: string)${t} {\n    ${body}\n  }\n}`,
  staticMethod: (n, a, t, body) =>
    `class ${n} {\n  private static ${a}load(id: string)${t} {\n    ${body}\n  }\n}`,
  objectMethod: (n, a, t, body) =>
    `const ${n} = {\n  ${a}load(id: string)${t} {\n    ${body}\n  },\n};`,
  typedVariable: (n, a, t, _, e) =>
    t === '' || e === undefined
      ? undefined
      : `const ${n}: (id: string) => ${t.slice(2)} = ${a}(id) => ${e};`,
};

/** Where a unit sits: at the top, or inside an async or a plain function. */
const CONTEXTS: readonly ((n: number, unit: string) => string)[] = [
  (_, unit) => unit,
  (n, unit) =>
    `export async function outer${n}(): Promise<void> {\n  await save(await get('x'));\n${unit}\n}`,
  (n, unit) =>
    `export function outer${n}(): void {\n  const helper = (u: User): string => u.id;\n  void helper;\n${unit}\n}`,
];

const functionUnit: fc.Arbitrary<UnitAt> = fc
  .record({
    kind: fc.constantFrom(...Object.keys(FUNCTION_KINDS)),
    returns: fc.constantFrom(...RETURN_TYPES),
    helper: fc.constantFrom('', LOCAL_FUNCTION, LOCAL_FUNCTION_TYPE),
    guarded: fc.boolean(),
    context: fc.constantFrom(...CONTEXTS),
  })
  .map(({ kind, returns, helper, guarded, context }) => (n: number): Unit => {
    const usable = !returns.kinds || returns.kinds.includes(kind);
    const render = FUNCTION_KINDS[usable ? kind : 'declaration'] ?? (() => undefined);
    let body = returns.body;
    if (guarded) body = `try {\n    ${body}\n  } finally {\n    void id;\n  }`;
    body = `${helper}${body}`;
    const name = `Load${n}`;
    const broken =
      render(name, '', returns.type, body, returns.expression) ??
      (FUNCTION_KINDS.declaration?.(name, '', returns.type, body) as string);
    const renderFixed =
      render(name, 'async ', returns.fixed ?? '', body, returns.expression) !== undefined
        ? render
        : (FUNCTION_KINDS.declaration ?? render);
    const fixed =
      returns.fixed === undefined
        ? undefined
        : renderFixed(name, 'async ', returns.fixed, body, returns.expression);
    return {
      broken: context(n, broken),
      fixed: fixed === undefined ? undefined : context(n, fixed),
      arrayCallback: false,
    };
  });

const GENERATOR_TYPES: readonly (readonly [string, string])[] = [
  ['', ''],
  [': Generator<User>', ': AsyncGenerator<User>'],
  [': Generator<User, void, unknown>', ': AsyncGenerator<User, void, unknown>'],
  [': IterableIterator<User>', ': AsyncIterableIterator<User>'],
  [': Iterable<User>', ': AsyncIterable<User>'],
  [': Iterator<User>', ': AsyncIterator<User>'],
];

const generatorUnit: fc.Arbitrary<UnitAt> = fc
  .record({ types: fc.constantFrom(...GENERATOR_TYPES), form: fc.nat(2) })
  .map(({ types: [type, fixedType], form }) => (n: number): Unit => {
    const write = (a: string, t: string): string =>
      [
        `${a}function* stream${n}(id: string)${t} {\n  yield await get(id);\n}`,
        `const stream${n} = ${a}function* (id: string)${t} {\n  yield await get(id);\n};`,
        `class Stream${n} {\n  ${a}*load(id: string)${t} {\n    yield await get(id);\n  }\n}`,
      ][form] as string;
    return { broken: write('', type), fixed: write('async ', fixedType), arrayCallback: false };
  });

const CALLBACKS: readonly ((method: string) => string)[] = [
  (m) => `users.${m}((user) => {\n    await save(user);\n  })`,
  (m) => `users.${m}((user: User) => await save(user))`,
  (m) => `users.${m}(function (user) {\n    return await save(user);\n  })`,
  (m) => `users?.${m}((user) => await save(user))`,
  (m) => `users.filter(Boolean).${m}((user) => await save(user))`,
  (m) => `users.${m}(((user) => await save(user)))`,
];

const arrayCallbackUnit: fc.Arbitrary<UnitAt> = fc
  .record({
    method: fc.constantFrom(...ARRAY_METHODS),
    callback: fc.constantFrom(...CALLBACKS),
    outerAsync: fc.boolean(),
  })
  .map(({ method, callback, outerAsync }) => (n: number): Unit => {
    const call = callback(method);
    const broken = outerAsync
      ? `async function each${n}(): Promise<void> {\n  await save(await get('x'));\n  ${call};\n}`
      : `function each${n}(): void {\n  ${call};\n}`;
    return { broken, fixed: undefined, arrayCallback: true };
  });

/** `Promise.all(xs.map(…))`: the one array-method callback that the repair makes async. */
const COMBINED: readonly (readonly [string, (a: string) => string])[] = [
  ['User[]', (a) => `Promise.all(ids.map(${a}(id) => await get(id)))`],
  [
    'User[]',
    (a) =>
      `Promise.all(ids.filter(Boolean).map(${a}function (id) {\n    return await get(id);\n  }))`,
  ],
  [
    'PromiseSettledResult<User>[]',
    (a) =>
      `Promise.allSettled([...ids].map(${a}(id: string) => {\n    return await get(id);\n  }))`,
  ],
  ['User', (a) => `Promise.race(ids.map(${a}(id) => await get(id)))`],
];

const combinedUnit: fc.Arbitrary<UnitAt> = fc
  .constantFrom(...COMBINED)
  .map(([type, call]) => (n: number): Unit => {
    const write = (a: string): string =>
      `function loadAll${n}(): Promise<${type}> {\n  return ${call(a)};\n}`;
    return { broken: write(''), fixed: write('async '), arrayCallback: false };
  });

/** Overloads and functions that are async already. */
const otherUnit: fc.Arbitrary<UnitAt> = fc.constantFrom<UnitAt>(
  (n) => ({
    broken: `function over${n}(id: string): User;\nfunction over${n}(id: number): User;\nfunction over${n}(id: string | number): User {\n  return await get(String(id));\n}`,
    fixed: undefined,
    arrayCallback: false,
  }),
  (n) => ({
    broken: `class Over${n} {\n  load(id: string): User;\n  load(id: number): User;\n  load(id: string | number): User {\n    return await get(String(id));\n  }\n}`,
    fixed: undefined,
    arrayCallback: false,
  }),
  (n) => {
    const code = `async function ready${n}(id: string): Promise<User> {\n  return await get(id);\n}`;
    return { broken: code, fixed: code, arrayCallback: false };
  },
);

/** One to three units in one module; the repair must fix them all, or decline. */
const snippet: fc.Arbitrary<Unit> = fc
  .array(
    fc.oneof(
      { arbitrary: functionUnit, weight: 6 },
      { arbitrary: generatorUnit, weight: 1 },
      { arbitrary: arrayCallbackUnit, weight: 2 },
      { arbitrary: combinedUnit, weight: 1 },
      { arbitrary: otherUnit, weight: 1 },
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((units) => {
    const parts = units.map((unit, n) => unit(n));
    const broken = parts.map((part) => part.broken).join('\n\n');
    const fixes = parts.map((part) => part.fixed);
    const fixed = fixes.every((fix) => fix !== undefined) ? fixes.join('\n\n') : undefined;
    return {
      broken,
      fixed: fixed === broken ? undefined : fixed,
      arrayCallback: parts.some((part) => part.arrayCallback),
    };
  });

describe('repairMissingAsync — checked by the TypeScript compiler', () => {
  const typeCheck = createTypeChecker();

  it('the compiler check sees the errors a wrong repair makes', () => {
    const [wrongType, missing, fine] = typeCheck([
      'async function f(id: string): User {\n  return await get(id);\n}',
      'function f(id: string): Promise<User> {\n  return Promise.resolve(await get(id));\n}',
      'async function f(id: string): Promise<User> {\n  return await get(id);\n}',
    ]);
    expect(wrongType?.map((d) => d.code)).toEqual([1064]);
    expect(missing?.map((d) => d.code)).toEqual([1308]);
    expect(fine).toEqual([]);
  });

  // A program per run costs about 50 ms, the first one (parsing the library) about 600 ms.
  it('repaired TypeScript compiles, and an await in an array-method callback is declined', {
    timeout: 30_000,
  }, () => {
    fc.assert(
      fc.property(fc.array(snippet, { minLength: 1, maxLength: 16 }), (snippets) => {
        const repaired = snippets.map(({ broken }) => repairMissingAsync(broken));
        const expectedRepairs = snippets.filter(({ fixed }) => fixed !== undefined);
        const returned = repaired.filter((code): code is string => code !== undefined);
        const diagnostics = typeCheck([
          ...expectedRepairs.map(({ broken }) => broken),
          ...returned,
        ]);
        // The generated code is type-correct, but for the missing `async`.
        expectedRepairs.forEach(({ broken }, index) => {
          const found = diagnostics[index] ?? [];
          expect(
            found.some((d) => d.code === 1308 || d.code === 1103),
            broken,
          ).toBe(true);
          expect(
            found.filter((d) => !AWAIT_CODES.has(d.code)).map(describeDiagnostic),
            broken,
          ).toEqual([]);
        });
        // Whatever the repair returns compiles: no TS1064, no TS1308, nothing.
        returned.forEach((code, index) => {
          const found = (diagnostics[expectedRepairs.length + index] ?? []).map(describeDiagnostic);
          expect({ code, diagnostics: found }).toEqual({ code, diagnostics: [] });
        });
        snippets.forEach(({ broken, fixed, arrayCallback }, index) => {
          if (arrayCallback) expect(repaired[index], broken).toBeUndefined();
          expect(repaired[index], broken).toBe(fixed);
        });
      }),
      { numRuns: 30 },
    );
  });
});

// ---------------------------------------------------------------- function types are types

/** The syntax errors TypeScript's parser finds in `code`. */
function syntaxErrors(code: string): string[] {
  const file = ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  return (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics.map(
    describeDiagnostic,
  );
}

/**
 * Whether `repaired` is `code` with only `async ` inserted and return types wrapped in
 * `Promise<`…`>`: the one kind of change a repair may make.
 */
function onlyInsertions(code: string, repaired: string): boolean {
  let open = 0;
  let i = 0;
  for (let j = 0; j < repaired.length; ) {
    if (repaired[j] === code[i]) {
      i++;
      j++;
    } else if (repaired.startsWith('async ', j)) j += 'async '.length;
    else if (repaired.startsWith('Promise<', j)) {
      j += 'Promise<'.length;
      open++;
    } else if (repaired[j] === '>' && open > 0) {
      j++;
      open--;
    } else return false;
  }
  return i === code.length && open === 0;
}

/**
 * What TypeScript's parser reads in `code`: for each function in order, whether it is async,
 * whether an `await` is its own (not a nested function's), and the text of its return type; and
 * whether some `await` has no function to make async (top level, class field, constructor…).
 */
function functionsIn(code: string) {
  const file = ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const functions: { node: ts.FunctionLikeDeclaration; async: boolean; awaits: boolean }[] = [];
  const byNode = new Map<ts.Node, (typeof functions)[number]>();
  let stranded = false;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const entry = {
        node: node as ts.FunctionLikeDeclaration,
        async:
          !!ts.getCombinedModifierFlags(node as ts.Declaration) &&
          !!(ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Async),
        awaits: false,
      };
      functions.push(entry);
      byNode.set(node, entry);
    }
    if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier)) {
      let around: ts.Node = node.parent;
      while (!byNode.has(around) && !ts.isSourceFile(around) && !ts.isClassLike(around)) {
        around = around.parent;
      }
      const owner = byNode.get(around);
      const canBeAsync =
        owner &&
        (ts.isFunctionDeclaration(owner.node) ||
          ts.isFunctionExpression(owner.node) ||
          ts.isArrowFunction(owner.node) ||
          ts.isMethodDeclaration(owner.node));
      if (owner && canBeAsync) owner.awaits = true;
      else stranded = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return {
    stranded,
    functions: functions.map(({ node, async, awaits }) => ({
      async,
      awaits,
      returnType: node.type?.getText(file),
    })),
  };
}

/**
 * Checks a repair against TypeScript's own reading of the code: the repaired code parses as
 * cleanly as the code did, differs only by insertions, and makes async exactly the functions
 * that hold an `await` (their return types becoming `Promise<…>`); and the repair declines when
 * some `await` has no function to make async.
 */
function expectFaithfulRepair(code: string, repaired: string | undefined): void {
  const before = functionsIn(code);
  if (before.stranded || repaired === undefined) {
    if (before.stranded) expect(repaired, code).toBeUndefined();
    return;
  }
  expect(syntaxErrors(repaired), repaired).toEqual(syntaxErrors(code));
  expect(onlyInsertions(code, repaired), repaired).toBe(true);
  const after = functionsIn(repaired);
  expect(after.functions.length, repaired).toBe(before.functions.length);
  before.functions.forEach((was, index) => {
    const now = after.functions[index];
    expect(now?.async, repaired).toBe(was.async || was.awaits);
    if (now?.async && !was.async && was.returnType !== undefined) {
      expect(now.returnType, repaired).toBe(`Promise<${was.returnType}>`);
    }
  });
}

describe('repairMissingAsync — a function type is a type, wherever it is written', () => {
  it('repairs `const handlers: Record<string, () => void> = await …`, not the type', () => {
    const code = js(
      'function init() {',
      '  const handlers: Record<string, () => void> = await loadHandlers();',
      '  return handlers;',
      '}',
    );
    expect(syntaxErrors(code)).toEqual([]);
    expect(repairMissingAsync(code)).toBe(code.replace('function init', 'async function init'));
  });

  it('leaves an async function alone: `new Map<string, (x: number) => void>(await load())`', () => {
    const code = js(
      'async function init() {',
      '  const handlers = new Map<string, (x: number) => void>(await load());',
      '  return handlers;',
      '}',
      '',
      'function start() {',
      '  await init();',
      '}',
    );
    expect(repairMissingAsync(code)).toBe(code.replace('function start', 'async function start'));
  });

  it('a later declarator: `let count = 0, render: () => string = await load();`', () => {
    const code = 'function h() {\n  let count = 0, render: () => string = await load();\n}';
    expect(repairMissingAsync(code)).toBe(`async ${code}`);
  });

  it.each([
    ['a parameter', 'function f(cb: () => void, n: number) {\n  await cb;\n}'],
    ['a rest parameter', 'function f(...cbs: (() => void)[]) {\n  await cbs;\n}'],
    ['a destructured parameter', 'const f = ({ a }: { a: () => void }) => {\n  await a;\n};'],
    ['a `this` parameter', 'function f(this: () => void) {\n  await this;\n}'],
    [
      'a constructor property',
      'class A {\n  constructor(private cb: () => void) {}\n  m() {\n    await this.cb;\n  }\n}',
    ],
    ['a class field', 'class A {\n  cb: () => void = noop;\n  m() {\n    await this.cb;\n  }\n}'],
    [
      'an index signature',
      'class A {\n  [key: string]: () => void;\n  m() {\n    await x;\n  }\n}',
    ],
    [
      'a method return type',
      'const o = {\n  m(): Map<string, () => void> {\n    return await load();\n  },\n};',
    ],
    [
      'a signature',
      'declare function g(cb: () => void): () => void;\nfunction f() {\n  await g;\n}',
    ],
    [
      'an abstract method',
      'abstract class A {\n  abstract g(): () => void;\n  m() {\n    await x;\n  }\n}',
    ],
    ['a generic call', 'function f() {\n  return pick<() => void, number>(await load());\n}'],
    ['a type parameter', 'function f<T extends () => void = () => void>(t: T) {\n  await t;\n}'],
    ['a generic arrow', 'const f = <T extends (x: number) => void>(t: T) => {\n  await t;\n};'],
    ['an `as`', 'function f() {\n  return (await load()) as (x: number) => void;\n}'],
    [
      'a `satisfies`',
      'function f() {\n  const g = noop satisfies () => void;\n  return g(await x);\n}',
    ],
    ['a type alias', 'type Handler = (x: number) => void;\nfunction f() {\n  await x;\n}'],
    [
      'an interface',
      'interface I extends J<() => void> {\n  m: () => void;\n}\nfunction f() {\n  await x;\n}',
    ],
    [
      'class heritage',
      'class A extends B<() => void> implements C<() => void> {\n  m() {\n    await x;\n  }\n}',
    ],
    [
      'an arrow body',
      'function f() {\n  const g = (x: number) => x as unknown as (y: number) => void, h = await x;\n}',
    ],
    [
      'a for loop',
      'function f() {\n  for (let i = 0, g: () => void = await load(); i < 1; i++) {}\n}',
    ],
  ])('in %s', (_, code) => {
    expect(syntaxErrors(code)).toEqual([]);
    const repaired = repairMissingAsync(code);
    expect(repaired, code).not.toBeUndefined();
    expectFaithfulRepair(code, repaired);
  });

  it.each([
    [
      'comparisons are no type arguments',
      'function f() {\n  if (a < b && c > (d)) return await x;\n}',
    ],
    [
      'an arrow ends at the `:` of a conditional around it',
      'function f() {\n  return a < b ? (c) => c : await d > e;\n}',
    ],
    ['and keeps the `:` of its own', 'function f() {\n  return a ? (x) => x ? x : await y : z;\n}'],
    [
      'a ternary of arrows',
      'function f() {\n  return a ? (b: number) => b : (c: string) => c + (await d);\n}',
    ],
  ])('%s', (_, code) => {
    expect(syntaxErrors(code)).toEqual([]);
    expectFaithfulRepair(code, repairMissingAsync(code));
  });

  /** Types that hold function types, in every position they may be written. */
  const TYPES = [
    '() => void',
    '(x: number) => string',
    'Record<string, () => void>',
    'Map<string, (x: number) => void>',
    '(() => void) | null',
    '{ run: () => void; stop(): void }',
    'Array<(a: string, b: number) => Promise<void>>',
    'new () => object',
    '<T>(x: T) => T',
    '((x: number) => void)[]',
    'readonly (() => void)[]',
    '[() => void, number]',
    'Set<() => void> | undefined',
    '{ [key: string]: () => void }',
    '(x: number) => (y: string) => void',
    'A extends B ? () => void : never',
    'abstract new () => object',
    'typeof handlers',
    '`id-${string}`',
  ];

  /** A statement using type `t`; `n` keeps names apart. */
  const STATEMENTS: readonly ((t: string, n: number) => string)[] = [
    (t, n) => `const a${n}: ${t} = await load();`,
    (t, n) => `let c${n} = 0, a${n}: ${t} = await load();`,
    (t, n) => `let a${n}: ${t};\n  a${n} = await load();`,
    (t, n) => `const m${n} = new Map<string, ${t}>(await load());`,
    (t, n) => `const r${n} = pick<${t}>(await load());`,
    (t, n) => `const s${n} = (await load()) as ${t};`,
    (t, n) => `const s${n} = handlers satisfies ${t}, u${n} = await load();`,
    (t, n) => `const x${n} = ok ? (await load()) as ${t} : null;`,
    (t, n) => `for (let i${n} = 0, f${n}: ${t} = await load(); i${n} < 1; i${n}++) {}`,
    (t, n) => `const g${n} = (cb: ${t}): ${t} => cb;`,
    (t, n) => `const h${n} = (cb: ${t}) => use(cb, await load());`,
    (t, n) => `const k${n} = (cb: ${t}): void => {\n    void cb;\n    await load();\n  };`,
    (t, n) =>
      `function inner${n}(cb: ${t}, ...rest: Array<${t}>): void {\n    void [cb, rest];\n  }`,
    (t, n) => `type T${n} = ${t};`,
    (t, n) =>
      `class K${n} {\n    cb?: ${t};\n    m(cb: ${t}): ${t} {\n      return cb;\n    }\n  }`,
    (t, n) => `const o${n} = { run: (x: ${t}) => x, later: async () => (await load()) as ${t} };`,
    (_, n) => `if (a${n} < b && c > d) await load();`,
    (_, n) => `const z${n} = list.length < 2 ? await load() : other > 1;`,
  ];

  /** A function around statements, written with or without `async`. */
  const WRAPPERS: readonly ((t: string, n: number, a: string, body: string) => string)[] = [
    (t, n, a, body) => `${a}function w${n}(p: ${t}) {\n  ${body}\n}`,
    (t, n, a, body) => `const w${n} = ${a}(p: ${t}) => {\n  ${body}\n};`,
    (t, n, a, body) => `class W${n} {\n  ${a}m(p: ${t}): void {\n  ${body}\n  }\n}`,
    (t, n, a, body) => `const w${n} = {\n  ${a}m(p: ${t}) {\n  ${body}\n  },\n};`,
    (t, n, a, body) => `export ${a}function w${n}<T extends ${t}>(p: T): void {\n  ${body}\n}`,
    (t, n, a, body) => `const w${n} = ${a}function (this: ${t}, p: ${t}) {\n  ${body}\n};`,
  ];

  /** Declarations at the top of a module, holding function types and no `await`. */
  const TOP: readonly ((t: string, n: number) => string)[] = [
    (t, n) => `type Top${n} = ${t};`,
    (t, n) => `interface Top${n} {\n  cb: ${t};\n  m(x: ${t}): ${t};\n}`,
    (t, n) => `declare const top${n}: ${t};`,
    (t, n) => `declare function top${n}(cb: ${t}): ${t};`,
    (t, n) => `abstract class Top${n} {\n  abstract m(cb: ${t}): ${t};\n  static x: ${t};\n}`,
    (_, n) => `class Field${n} {\n  x = await load();\n}`,
  ];

  const unit = fc
    .record({
      type: fc.constantFrom(...TYPES),
      statements: fc.array(fc.nat(STATEMENTS.length - 1), { minLength: 1, maxLength: 4 }),
      wrapper: fc.nat(WRAPPERS.length - 1),
      async: fc.boolean(),
      top: fc.option(fc.nat(TOP.length - 1)),
    })
    .map(({ type, statements, wrapper, async, top }) => (n: number): string => {
      const body = statements.map((s, index) => STATEMENTS[s]?.(type, n * 10 + index)).join('\n  ');
      const wrapped = WRAPPERS[wrapper]?.(type, n, async ? 'async ' : '', body) ?? '';
      return top === null ? wrapped : `${TOP[top]?.(type, n)}\n\n${wrapped}`;
    });

  it('repairs the function an `await` is in, never a type (differential, against TypeScript)', () => {
    fc.assert(
      fc.property(fc.array(unit, { minLength: 1, maxLength: 3 }), (units) => {
        const code = units.map((write, n) => write(n)).join('\n\n');
        expect(syntaxErrors(code), code).toEqual([]);
        const repaired = repairMissingAsync(code);
        expectFaithfulRepair(code, repaired);
        // Every unit is certain: a repair is declined only for a class field's `await`.
        const { stranded, functions } = functionsIn(code);
        const needed = functions.some((f) => f.awaits && !f.async);
        if (!stranded) expect(repaired === undefined, code).toBe(!needed);
      }),
      { numRuns: 1000 },
    );
  });
});
