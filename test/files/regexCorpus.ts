/**
 * Regexes people write to recognise error messages, for the regex-safety check of
 * `rx-recovery/files`: the safe ones it must accept, the vulnerable ones it must refuse.
 * Verdicts are recheck 4.5.0's; `complexity` records them, so a change of verdict shows up
 * as a failing test rather than silently.
 */

/** A regex the check accepts: linear (or constant) backtracking, or quadratic (bounded by the 8 KiB text cap). */
export interface SafeRegexCase {
  readonly name: string;
  readonly regex: RegExp;
  /** recheck's verdict: `safe`/`linear`/`constant` are `linear` here; quadratic is a polynomial of degree 2. */
  readonly complexity: 'linear' | 'quadratic';
  /** An error text it matches: the corpus is of regexes that do a job. */
  readonly example: string;
}

/** A regex the check refuses, with an input that makes Node backtrack for a very long time. */
export interface VulnerableRegexCase {
  readonly name: string;
  readonly regex: RegExp;
  /** How the refusal names it. */
  readonly complexity: 'exponential' | 'polynomial, degree 3';
  /** An input whose matching time grows with `size` as `complexity` says. Written by hand, not taken from recheck. */
  readonly attack: (size: number) => string;
  /**
   * A size at which `regex.test(attack(size))` takes Node far longer than 2 s: measured at
   * smaller sizes and extrapolated to at least a minute on a 2-core CI machine.
   */
  readonly blowUpSize: number;
}

const safe = (
  name: string,
  regex: RegExp,
  example: string,
  complexity: SafeRegexCase['complexity'] = 'linear',
): SafeRegexCase => ({ name, regex, complexity, example });

export const safeRegexes: readonly SafeRegexCase[] = [
  safe('IPv4 address', /\d{1,3}(\.\d{1,3}){3}/, 'connect to 10.0.12.7 failed'),
  safe('IPv4 with word boundaries', /\b\d{1,3}(\.\d{1,3}){3}\b/, 'host 192.168.1.20 unreachable'),
  safe(
    'connection refused to host:port',
    /connect ECONNREFUSED \d{1,3}(\.\d{1,3}){3}:\d{1,5}/,
    'Error: connect ECONNREFUSED 127.0.0.1:5432',
  ),
  safe(
    'UUID',
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i,
    'job 3F2504E0-4F89-11D3-9A0C-0305E82C3301 failed',
  ),
  safe(
    'UUID, grouped',
    /\b[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\b/i,
    'request 123e4567-e89b-12d3-a456-426614174000 timed out',
  ),
  safe(
    'Node module not found',
    /Cannot find module '[^']+'/,
    "Error: Cannot find module './config.json'",
  ),
  safe(
    'Python module not found',
    /ModuleNotFoundError: No module named '[\w.]+'/,
    "ModuleNotFoundError: No module named 'numpy.linalg'",
  ),
  safe(
    'Python module, quotes optional',
    /No module named '?([\w.]+)'?/,
    'ImportError: No module named yaml',
  ),
  safe('HTTP 5xx', /HTTP 5\d\d/, 'Request failed\nHTTP 503'),
  safe('HTTP status line', /^HTTP (429|5\d\d)$/m, 'Bad Gateway\nHTTP 502'),
  safe(
    'gateway statuses on a line of their own',
    /(?:^|\n)HTTP (?:502|503|504|529)(?:$|\n)/,
    'overloaded\nHTTP 529',
  ),
  safe('status code', /\bstatus(?: code)? (\d{3})\b/, 'Request failed with status code 404'),
  safe('timed out after N ms', /timed out after \d+ ?ms/, 'Operation timed out after 5000 ms'),
  safe('axios timeout', /timeout of \d+ms exceeded/, 'AxiosError: timeout of 5000ms exceeded'),
  safe('deadline exceeded', /deadline exceeded/i, '4 DEADLINE_EXCEEDED: Deadline exceeded'),
  safe('errno code', /\bE[A-Z]+\b/, 'Error: read ECONNRESET'),
  safe(
    'network errno codes',
    /\b(ECONNRESET|ECONNREFUSED|EPIPE|EAI_AGAIN)\b/,
    'getaddrinfo EAI_AGAIN api.example.com',
  ),
  safe('Node error code', /\bERR_[A-Z_]+\b/, 'code: ERR_MODULE_NOT_FOUND'),
  safe('socket failures', /socket hang up|fetch failed/, 'TypeError: fetch failed'),
  safe('rate limiting', /rate limit(ed)?|too many requests/i, '429 Too Many Requests'),
  safe('429 or rate limit', /\b429\b|rate limit/i, 'HTTP 429'),
  safe('Retry-After header', /\bretry-after: ?\d+\b/i, 'Retry-After: 30'),
  safe(
    'gateway words',
    /Service Unavailable|Bad Gateway|overloaded/i,
    'Overloaded: the model is busy',
  ),
  safe(
    'LLM context length',
    /context_length_exceeded|maximum context length is \d+ tokens/,
    "This model's maximum context length is 8192 tokens",
  ),
  safe(
    'LLM error type in a JSON body',
    /"error":\s*\{"type":\s*"(\w+)"/,
    '{"error": {"type": "overloaded_error", "message": "Overloaded"}}',
  ),
  safe('invalid credentials', /invalid (api[_ ]key|token)/i, 'Invalid API key provided'),
  safe(
    'missing async',
    /await is only valid in async function/,
    'SyntaxError: await is only valid in async functions and the top level bodies of modules',
  ),
  safe(
    "TypeScript's missing async",
    /'await' expressions are only allowed within async functions/,
    "TS1308: 'await' expressions are only allowed within async functions and at the top levels of modules.",
  ),
  safe(
    'JavaScript syntax errors',
    /SyntaxError: Unexpected (token|end of input|identifier)/,
    'SyntaxError: Unexpected end of input',
  ),
  safe('template errors', /Template(Syntax)?Error/, 'jinja2.exceptions.TemplateSyntaxError'),
  safe('quorum', /quorum not reached|consensus failed/i, 'Quorum not reached: 2 of 5 reviewers'),
  safe('error class name', /[A-Z][a-z]+Error\b/, 'Uncaught RangeError: Invalid array length'),
  safe('qualified error class', /^(?:\w+\.)*\w+Error\b/, 'requests.exceptions.ConnectionError'),
  safe('severity words', /\b(?:warn|error|fatal)\b/i, 'FATAL: password authentication failed'),
  safe('Python traceback line', /File "[^"]+", line \d+/, 'File "/app/main.py", line 42, in run'),
  safe(
    'ISO timestamp',
    /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/,
    'token expired at 2024-05-01T12:00:00.000Z',
  ),
  safe('status after a lookbehind', /(?<=status )5\d\d/, 'upstream returned status 502'),
  safe('error within 80 characters', /.{0,80}error/, 'the build step ended with an error'),
  safe('API key in a message', /sk-[A-Za-z0-9]{48}/, `invalid key sk-${'a1B2'.repeat(12)}`),
  safe('user at host, bounded', /\w{1,64}@\w{1,64}/, 'no mailbox for ops@example'),
  safe('anything around error', /.*error.*/, 'an error occurred', 'quadratic'),
  safe('anything around error, any case', /.*error.*/i, 'Internal Server Error', 'quadratic'),
  safe('error name and message', /\w+Error: .*/, 'TypeError: x is not a function', 'quadratic'),
  safe(
    'named code and message',
    /(?<code>E[A-Z]+): (?<message>.*)/,
    'ENOENT: no such file or directory',
    'quadratic',
  ),
  safe(
    'JSON parse error',
    /Unexpected token '?[^']*'? in JSON at position \d+/,
    "SyntaxError: Unexpected token '<' in JSON at position 0",
    'quadratic',
  ),
  safe('email address', /[\w.+-]+@[\w-]+\.[\w.-]+/, 'no account for ops@example.com', 'quadratic'),
  safe(
    'semantic version',
    /v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?/,
    'requires node v20.11.0',
    'quadratic',
  ),
];

const vulnerable = (
  name: string,
  regex: RegExp,
  complexity: VulnerableRegexCase['complexity'],
  attack: (size: number) => string,
  blowUpSize: number,
): VulnerableRegexCase => ({ name, regex, complexity, attack, blowUpSize });

const times = (text: string, n: number) => text.repeat(n);

export const vulnerableRegexes: readonly VulnerableRegexCase[] = [
  vulnerable('nested plus', /(a+)+$/, 'exponential', (n) => `${times('a', n)}!`, 36),
  vulnerable(
    'words and optional spaces, repeated',
    /(\w+\s?)*$/,
    'exponential',
    (n) => `${times('a', n)}!`,
    36,
  ),
  vulnerable('overlapping alternatives', /(a|a)*$/, 'exponential', (n) => `${times('a', n)}!`, 36),
  vulnerable(
    'overlapping alternatives, anchored',
    /^(a|aa)+$/,
    'exponential',
    (n) => `${times('a', n)}!`,
    56,
  ),
  vulnerable('user part of an address', /^(\w+)+@/, 'exponential', (n) => times('a', n), 36),
  vulnerable('two pluses repeated', /(x+x+)+y/, 'exponential', (n) => times('x', n), 36),
  vulnerable('version-like digits', /(\d+\.?)+$/, 'exponential', (n) => `${times('1', n)}!`, 36),
  vulnerable(
    'a classic email validator',
    /^([a-zA-Z0-9])(([-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$/,
    'exponential',
    (n) => `${times('a', n)}!`,
    40,
  ),
  vulnerable('words before Exception', /(\w+)*Exception/, 'exponential', (n) => times('a', n), 44),
  vulnerable(
    'overlapping alternatives, bounded (recheck alone says safe)',
    /(a|a){1,29}$/,
    'exponential',
    (n) => `${times('a', n)}!`,
    60,
  ),
  vulnerable(
    'hostname label with overlapping classes, bounded (recheck alone says safe)',
    /([a-z0-9]|[a-z0-9-]){1,63}\./,
    'exponential',
    (n) => `${times('a', n)}!`,
    40,
  ),
  vulnerable('two stars then b', /a*a*b/, 'polynomial, degree 3', (n) => times('a', n), 20_000),
  vulnerable('key = value', /.*.*=.*/, 'polynomial, degree 3', (n) => times('x', n), 20_000),
  vulnerable(
    'the original design’s validation regex',
    /ValidationError.*missing.*field/,
    'polynomial, degree 3',
    (n) => times('ValidationError missing ', n),
    3_000,
  ),
  vulnerable(
    'stack frame',
    /at .+ \(.+:\d+:\d+\)/,
    'polynomial, degree 3',
    (n) => times('at (', n),
    6_000,
  ),
  vulnerable(
    'error, location and line',
    /Error: (.*) at (.*) line (.*)/,
    'polynomial, degree 3',
    (n) => times('Error:  at ', n),
    4_000,
  ),
  vulnerable(
    'a failure somewhere after Error:',
    /Error:.*\s.*failed.*/,
    'polynomial, degree 3',
    (n) => times('Error: ', n),
    5_000,
  ),
  vulnerable(
    'trailing comment marker',
    /\s*#?\s*$/,
    'polynomial, degree 3',
    (n) => `${times(' ', n)}x`,
    20_000,
  ),
];
