/**
 * A seeded fault injector: which attempt of which stage of which contract fails, and how.
 * Every decision is a pure function of (seed, contract, stage, attempt), so a run is the
 * same whatever order the contracts interleave in.
 */

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the parts: the per-decision seed. */
function hash(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const char of parts.join('\u0000')) {
    h ^= char.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export type Stage = 'parse' | 'render' | 'generate' | 'validate' | 'review';

/** What an attempt does: succeed after `latencyMs`, or fail with `error`. */
export interface Decision {
  readonly latencyMs: number;
  readonly error?: Error;
}

const timeout = () =>
  Object.assign(new Error('Model request timed out after 30000ms'), { code: 'ETIMEDOUT' });
const failures: Record<Stage, Array<() => Error>> = {
  parse: [
    () => new Error('ValidationError: contract is missing required field "owner"'),
    () => new Error("EACCES: permission denied, open '/var/contracts/spec.yaml'"),
  ],
  render: [
    () =>
      new Error(
        'jinja2.exceptions.TemplateSyntaxError: unexpected end of template, expected "endfor"',
      ),
    () => new Error("jinja2.exceptions.UndefinedError: 'contract' has no attribute 'endpoints'"),
  ],
  generate: [
    timeout,
    timeout,
    () => new Error("Cannot find module '@acme/http-client' imported from generated/client.ts"),
  ],
  validate: [
    () => new Error('ValidationError: 2 validation errors for UserService: email field missing'),
    () => new Error('ZodError: expected string, received number at "port"'),
  ],
  review: [
    () => new Error('Quorum not reached: 1 of 3 reviewers approved the generated code'),
    () => new Error('consensus failed: reviewers disagree on error handling'),
  ],
};

/** How much likelier than the base rate each stage fails. */
const weight: Record<Stage, number> = {
  parse: 0.4,
  render: 0.8,
  generate: 1.4,
  validate: 0.8,
  review: 1,
};

/**
 * Decides one attempt. Failures get rarer with each attempt (transient faults clear up),
 * so retries and alternatives really do recover most of them; a few (contract, stage)
 * pairs are stubborn and keep failing, which is what escalation is for.
 */
export function decide(
  seed: number,
  faultRate: number,
  contract: string,
  stage: Stage,
  attempt: number,
): Decision {
  const stubborn = mulberry32(hash(seed, contract, stage, 'stubborn'))() < faultRate * 0.15;
  const random = mulberry32(hash(seed, contract, stage, attempt));
  const latencyMs = 100 + Math.floor(random() * 400);
  const rate = stubborn ? 0.95 : Math.min(1, faultRate * weight[stage]) / attempt;
  if (random() >= rate) return { latencyMs };
  const kinds = failures[stage];
  const make = kinds[Math.floor(random() * kinds.length)] ?? timeout;
  return { latencyMs, error: make() };
}

/** Whether the model forgets an `async` in this contract's generated code. */
export function forgetsAsync(seed: number, faultRate: number, contract: string): boolean {
  return mulberry32(hash(seed, contract, 'async'))() < faultRate * 0.5;
}

/** A seed for one contract's own fault stream (for `injectFaults`). */
export function contractSeed(seed: number, contract: string): number {
  return hash(seed, contract, 'network');
}
