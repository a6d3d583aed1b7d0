/**
 * The Python dialect of pattern files: files written for the original Python system
 * (`pattern_id`, `error_type`, `regex_pattern`, `recovery_strategy: GRACEFUL_DEGRADATION`,
 * Python `re` syntax) read as rx-recovery patterns, unchanged.
 *
 * Plain TypeScript, no schema library and no regex checker: this module translates, and
 * `parsePatterns` validates what it produces (the regex-safety check included).
 *
 * Regex translation, in short (Python `re` semantics are kept exactly unless noted):
 * - leading inline flags `(?i)`, `(?s)`, `(?m)`, `(?a)`, `(?u)`, in any combination and
 *   repeated (`(?i)(?s)`): `i` becomes the `i` flag, `s` the `s` flag; `m` is translated
 *   into the anchors (below), never into the JavaScript `m` flag, whose lines also end at
 *   `\r`, U+2028 and U+2029; `a` and `u` change nothing (see the last point);
 * - scoped flags `(?s:…)`, `(?-s:…)`, `(?m:…)`, `(?-m:…)` are translated exactly; a scoped
 *   flag that changes case sensitivity (`(?i:…)` in a case-sensitive pattern, `(?-i:…)`
 *   in a `(?i)` one) is refused: JavaScript before ES2025 has no scoped flags;
 * - `.` without DOTALL is `[^\n]` (Python's `.` excludes only `\n`; JavaScript's also
 *   excludes `\r`, U+2028, U+2029);
 * - `^` is `^`, or `(?<![^\n])` under MULTILINE; `$` is `(?=\n?$)` (Python's `$` also
 *   matches before a final newline), or `(?![^\n])` under MULTILINE; `\A` is `^` and `\Z`
 *   (and Python 3.14's `\z`) is `$` — exact, since the translation never uses the `m` flag;
 * - `(?P<name>…)` is `(?<name>…)`, `(?P=name)` is `\k<name>`, `(?#…)` is dropped,
 *   `{,n}` is `{0,n}`, `\a` `\x41` `\u00e9` `\U0001F600` `\101` (octal) are written as
 *   JavaScript escapes, and a `]` first in a class (`[]a]`) stays a literal;
 * - refused, naming the construct: atomic groups `(?>…)`, possessive quantifiers (`a*+`,
 *   `a++`, `a?+`, `a{1,3}+`), verbose mode `(?x)`, conditionals `(?(1)…|…)`, `\N{…}`,
 *   a character above U+FFFF inside a class, flags in the middle of a pattern, and
 *   everything Python itself refuses (`[\Z]`, `\q`, `\1` before group 1, …);
 * - not translated: `\d`, `\w`, `\b` and case-insensitive matching follow JavaScript
 *   (ASCII digits and word characters, as under Python's `re.ASCII`; `\s` is JavaScript's
 *   Unicode whitespace), and a character above U+FFFF counts as two for `.` and `[^…]`.
 *
 * @module
 */
import type { ErrorType, RecoveryStrategy } from '../patterns/errorTypes.js';

// ---------------------------------------------------------------------------------------
// Regex translation
// ---------------------------------------------------------------------------------------

/** What {@link translatePythonRegex} returns: a JavaScript regex source and flags, or why there is none. */
export type PythonRegexTranslation = { source: string; flags: string } | { error: string };

/** A construct the translation refuses; its message is the refusal, position included. */
class Refusal extends Error {}

function refusal(what: string, at: number, why?: string): Refusal {
  return new Refusal(`${what} at position ${at}${why === undefined ? '' : `: ${why}`}`);
}

const VERBOSE_HINT =
  'JavaScript has no verbose mode; remove the whitespace and # comments, then the flag';

/** Python's inline flag letters. */
const FLAG_LETTERS: ReadonlySet<string> = new Set('aiLmsux');
/** Characters a literal outside a class must escape, and inside one. */
const SPECIAL = '\\^$.*+?()[]{}|';
const CLASS_SPECIAL = '\\]^-[';
const NAMED_CONTROLS: Readonly<Record<number, string>> = Object.freeze({
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
});
/** Python's group names are identifiers (`str.isidentifier()`). */
const IDENTIFIER = /^[\p{XID_Start}_]\p{XID_Continue}*$/u;
/** Python refuses repeat counts from here (`MAXREPEAT`). */
const MAX_REPEAT = 2 ** 32 - 1;

const isDigit = (c: string) => c >= '0' && c <= '9' && c.length === 1;
const isOctal = (c: string) => c >= '0' && c <= '7' && c.length === 1;
const isHex = (c: string) => c.length === 1 && /[0-9A-Fa-f]/.test(c);
const isAsciiLetter = (c: string) => c.length === 1 && /[A-Za-z]/.test(c);

function hexEscape(cp: number): string {
  return cp <= 0xff
    ? `\\x${cp.toString(16).padStart(2, '0')}`
    : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** One BMP character as a JavaScript regex writes it, valid with and without the `u` flag. */
function escapeChar(cp: number, special: string): string {
  const ch = String.fromCharCode(cp);
  if (special.includes(ch)) return `\\${ch}`;
  const named = NAMED_CONTROLS[cp];
  if (named !== undefined) return named;
  const invisible =
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0xd800 && cp <= 0xdfff);
  return invisible ? hexEscape(cp) : ch;
}

interface Scope {
  readonly dotAll: boolean;
  readonly multiline: boolean;
}

/** What the output ends with, for the quantifier rules: Python's "nothing to repeat" and "multiple repeat". */
type Last = 'none' | 'anchor' | 'atom' | 'repeat';

interface OpenGroup {
  readonly at: number;
  /** The scope to restore at `)`. */
  readonly scope: Scope;
  readonly capture: number | undefined;
}

/** An item of a character class: one character, or a class escape such as `\d`. */
type ClassAtom = { readonly char: number } | { readonly set: string };

interface FlagGroup {
  readonly add: string;
  readonly remove: string;
  /** `(?flags:…)`; otherwise `(?flags)`. */
  readonly scoped: boolean;
  /** Index just past the `:` or `)`. */
  readonly end: number;
}

/**
 * Reads a Python pattern once, left to right, writing the JavaScript one. Every rule that
 * Python's parser (`re._parser`) applies is applied here too, so that what Python refuses
 * is refused rather than silently meaning something else in JavaScript (`\5` with no group
 * 5 is an error in Python and the character U+0005 in JavaScript).
 */
class PythonRegexReader {
  private pos = 0;
  private out = '';
  private last: Last = 'none';
  /** The output ends with `\N`: a digit written next must not extend the reference. */
  private afterNumericReference = false;
  /** The JavaScript `i` flag: Python's leading `(?i)`. */
  private ignoreCase = false;
  /** The JavaScript `s` flag: Python's leading `(?s)`. */
  private dotAllFlag = false;
  private scope: Scope = { dotAll: false, multiline: false };
  private readonly open: OpenGroup[] = [];
  private groups = 0;
  private readonly closed = new Set<number>();
  private readonly names = new Map<string, number>();

  constructor(private readonly src: string) {}

  translate(): { source: string; flags: string } {
    this.leadingFlags();
    while (this.pos < this.src.length) this.step();
    const unclosed = this.open.at(-1);
    if (unclosed !== undefined) throw refusal('missing ), unterminated subpattern', unclosed.at);
    return {
      source: this.out,
      flags: `${this.ignoreCase ? 'i' : ''}${this.dotAllFlag ? 's' : ''}`,
    };
  }

  private emit(text: string, last: Last): void {
    this.out += text;
    this.last = last;
    this.afterNumericReference = false;
  }

  /** `(?i)`, `(?is)`, `(?i)(?s)`, `(?#…)`: Python's global flags, only at the very start. */
  private leadingFlags(): void {
    for (;;) {
      if (this.src.startsWith('(?#', this.pos)) {
        this.pos = this.skipComment(this.pos);
        continue;
      }
      if (!this.src.startsWith('(?', this.pos)) return;
      const flags = this.readFlags(this.pos);
      if (flags === undefined || flags.scoped) return;
      if (flags.add.includes('x')) throw refusal('verbose flag (?x)', this.pos, VERBOSE_HINT);
      if (flags.add.includes('i')) this.ignoreCase = true;
      if (flags.add.includes('s')) this.dotAllFlag = true;
      this.scope = {
        dotAll: this.dotAllFlag,
        multiline: this.scope.multiline || flags.add.includes('m'),
      };
      this.pos = flags.end;
    }
  }

  private step(): void {
    const at = this.pos;
    const c = this.src.charAt(at);
    switch (c) {
      case '\\':
        this.escape();
        break;
      case '[':
        this.charClass();
        break;
      case '(':
        this.openGroup();
        break;
      case ')':
        this.closeGroup();
        break;
      case '|':
        this.pos++;
        this.emit('|', 'none');
        break;
      case '.':
        this.pos++;
        this.emit(this.scope.dotAll ? (this.dotAllFlag ? '.' : '[\\s\\S]') : '[^\\n]', 'atom');
        break;
      case '^':
        this.pos++;
        this.emit(this.scope.multiline ? '(?<![^\\n])' : '^', 'anchor');
        break;
      case '$':
        this.pos++;
        this.emit(this.scope.multiline ? '(?![^\\n])' : '(?=\\n?$)', 'anchor');
        break;
      case '*':
      case '+':
      case '?':
        this.pos++;
        this.repeat(c, at);
        break;
      case '{': {
        const quantifier = this.braces();
        if (quantifier === undefined) {
          this.pos++;
          this.literal(0x7b);
        } else {
          this.repeat(quantifier, at);
        }
        break;
      }
      default: {
        const cp = this.src.codePointAt(at) as number;
        this.pos += cp > 0xffff ? 2 : 1;
        this.literal(cp);
      }
    }
  }

  private literal(cp: number): void {
    if (cp > 0xffff) {
      // Two code units without the `u` flag: grouped, so that a quantifier takes both.
      this.emit(`(?:${String.fromCodePoint(cp)})`, 'atom');
    } else if (this.afterNumericReference && cp >= 0x30 && cp <= 0x39) {
      this.emit(`[${String.fromCharCode(cp)}]`, 'atom');
    } else {
      this.emit(escapeChar(cp, SPECIAL), 'atom');
    }
  }

  private repeat(quantifier: string, at: number): void {
    if (this.last === 'none' || this.last === 'anchor') throw refusal('nothing to repeat', at);
    if (this.last === 'repeat') throw refusal('multiple repeat', at);
    let text = quantifier;
    const next = this.src.charAt(this.pos);
    if (next === '?') {
      text += '?';
      this.pos++;
    } else if (next === '+') {
      throw refusal(
        `possessive quantifier ${this.src.slice(at, this.pos + 1)}`,
        at,
        'JavaScript has no possessive quantifiers (nor atomic groups)',
      );
    }
    this.emit(text, 'repeat');
  }

  /** A `{m,n}` quantifier at `pos`, normalised (`{,n}` → `{0,n}`); `undefined` when the `{` is a literal. */
  private braces(): string | undefined {
    const src = this.src;
    const at = this.pos;
    let i = at + 1;
    const digits = (): string => {
      const from = i;
      while (isDigit(src.charAt(i))) i++;
      return src.slice(from, i);
    };
    const lo = digits();
    let hi: string | undefined;
    if (src.charAt(i) === ',') {
      i++;
      hi = digits();
    }
    if (src.charAt(i) !== '}' || (lo === '' && hi === undefined)) return undefined;
    this.pos = i + 1;
    const min = lo === '' ? 0 : Number(lo);
    const max = hi === undefined ? min : hi === '' ? undefined : Number(hi);
    if (min >= MAX_REPEAT || (max ?? 0) >= MAX_REPEAT) {
      throw refusal('the repetition number is too large', at);
    }
    if (max !== undefined && max < min) throw refusal('min repeat greater than max repeat', at);
    if (hi === undefined) return `{${min}}`;
    return max === undefined ? `{${min},}` : `{${min},${max}}`;
  }

  private escape(): void {
    const at = this.pos;
    const src = this.src;
    if (at + 1 >= src.length) throw refusal('bad escape (end of pattern)', at);
    const e = src.charAt(at + 1);
    this.pos = at + 2;
    switch (e) {
      case 'A':
        this.emit('^', 'anchor');
        return;
      case 'Z':
      case 'z':
        this.emit('$', 'anchor');
        return;
      case 'b':
      case 'B':
        this.emit(`\\${e}`, 'anchor');
        return;
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W':
        this.emit(`\\${e}`, 'atom');
        return;
      case '0':
        this.literal(this.octal(at));
        return;
    }
    if (isDigit(e)) {
      this.numericEscape(at, e);
      return;
    }
    const cp = this.characterEscape(e, at);
    if (cp !== undefined) {
      this.literal(cp);
      return;
    }
    if (isAsciiLetter(e)) throw refusal(`bad escape \\${e}`, at);
    const escaped = src.codePointAt(at + 1) as number;
    if (escaped > 0xffff) this.pos++;
    this.literal(escaped);
  }

  /** The octal escape at `at` (`\0`, `\12`, `\101`): its first digit is read, up to two more are. */
  private octal(at: number): number {
    let end = this.pos;
    while (end < at + 4 && isOctal(this.src.charAt(end))) end++;
    this.pos = end;
    const value = Number.parseInt(this.src.slice(at + 1, end), 8);
    if (value > 0o377) {
      throw refusal(`octal escape value ${this.src.slice(at, end)} outside of range 0-0o377`, at);
    }
    return value;
  }

  /** `\1`…`\99`: a group reference, or a three-digit octal escape (`\101`), as Python decides. */
  private numericEscape(at: number, first: string): void {
    const src = this.src;
    const second = src.charAt(this.pos);
    if (isDigit(second)) {
      if (isOctal(first) && isOctal(second) && isOctal(src.charAt(this.pos + 1))) {
        this.literal(this.octal(at));
        return;
      }
      this.pos++;
    }
    const group = Number(src.slice(at + 1, this.pos));
    if (group > this.groups) throw refusal(`invalid group reference ${group}`, at + 1);
    if (!this.closed.has(group)) throw refusal('cannot refer to an open group', at);
    this.emit(`\\${group}`, 'atom');
    this.afterNumericReference = true;
  }

  /** The character of `\a`, `\n`, `\x41`, `\u00e9`, `\U0001F600`…, or `undefined` for another escape. */
  private characterEscape(e: string, at: number): number | undefined {
    switch (e) {
      case 'a':
        return 0x07;
      case 'f':
        return 0x0c;
      case 'n':
        return 0x0a;
      case 'r':
        return 0x0d;
      case 't':
        return 0x09;
      case 'v':
        return 0x0b;
      case 'x':
        return this.hexDigits(at, 2);
      case 'u':
        return this.hexDigits(at, 4);
      case 'U': {
        const cp = this.hexDigits(at, 8);
        if (cp > 0x10ffff) throw refusal(`bad escape ${this.src.slice(at, this.pos)}`, at);
        return cp;
      }
      case 'N':
        throw refusal(
          'named character escape \\N{…}',
          at,
          'JavaScript has no table of character names; write the character itself or \\uXXXX',
        );
      default:
        return undefined;
    }
  }

  private hexDigits(at: number, count: number): number {
    let end = this.pos;
    while (end < this.pos + count && isHex(this.src.charAt(end))) end++;
    if (end - this.pos !== count) {
      throw refusal(`incomplete escape ${this.src.slice(at, end)}`, at);
    }
    const value = Number.parseInt(this.src.slice(this.pos, end), 16);
    this.pos = end;
    return value;
  }

  private charClass(): void {
    const src = this.src;
    const start = this.pos;
    this.pos++;
    const negate = src.charAt(this.pos) === '^';
    if (negate) this.pos++;
    let body = '';
    let first = true;
    for (;;) {
      if (this.pos >= src.length) throw refusal('unterminated character set', start);
      // Python: a `]` that would leave the class empty is a literal (`[]a]`, `[^]a]`).
      if (src.charAt(this.pos) === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      const itemAt = this.pos;
      const low = this.classAtom();
      if (src.charAt(this.pos) !== '-') {
        body += classText(low);
        continue;
      }
      this.pos++;
      if (this.pos >= src.length) throw refusal('unterminated character set', start);
      if (src.charAt(this.pos) === ']') {
        this.pos++;
        body += `${classText(low)}\\-`;
        break;
      }
      const high = this.classAtom();
      if (!('char' in low) || !('char' in high) || high.char < low.char) {
        throw refusal(`bad character range ${src.slice(itemAt, this.pos)}`, itemAt);
      }
      body += `${escapeChar(low.char, CLASS_SPECIAL)}-${escapeChar(high.char, CLASS_SPECIAL)}`;
    }
    this.emit(`[${negate ? '^' : ''}${body}]`, 'atom');
  }

  private classAtom(): ClassAtom {
    const at = this.pos;
    let atom: ClassAtom;
    if (this.src.charAt(at) === '\\') {
      atom = this.classEscape(at);
    } else {
      const cp = this.src.codePointAt(at) as number;
      this.pos += cp > 0xffff ? 2 : 1;
      atom = { char: cp };
    }
    if ('char' in atom && atom.char > 0xffff) {
      throw refusal(
        `character U+${atom.char.toString(16).toUpperCase()} in a character class`,
        at,
        'a JavaScript class without the u flag cannot hold a character above U+FFFF; use an alternation',
      );
    }
    return atom;
  }

  private classEscape(at: number): ClassAtom {
    const src = this.src;
    if (at + 1 >= src.length) throw refusal('bad escape (end of pattern)', at);
    const e = src.charAt(at + 1);
    this.pos = at + 2;
    if ('dDsSwW'.includes(e)) return { set: `\\${e}` };
    if (e === 'b') return { char: 0x08 };
    if (isOctal(e)) return { char: this.octal(at) };
    if (e === '8' || e === '9') throw refusal(`bad escape \\${e}`, at);
    const cp = this.characterEscape(e, at);
    if (cp !== undefined) return { char: cp };
    if ('AZzB'.includes(e)) {
      throw refusal(
        `bad escape \\${e}`,
        at,
        `\\${e} is an anchor, which a character class cannot hold`,
      );
    }
    if (isAsciiLetter(e)) throw refusal(`bad escape \\${e}`, at);
    const escaped = src.codePointAt(at + 1) as number;
    if (escaped > 0xffff) this.pos++;
    return { char: escaped };
  }

  private push(at: number, text: string, capture = false): void {
    this.open.push({ at, scope: this.scope, capture: capture ? ++this.groups : undefined });
    this.emit(text, 'none');
  }

  private openGroup(): void {
    const src = this.src;
    const at = this.pos;
    if (src.charAt(at + 1) !== '?') {
      this.pos = at + 1;
      this.push(at, '(', true);
      return;
    }
    const kind = src.charAt(at + 2);
    switch (kind) {
      case ':':
        this.pos = at + 3;
        this.push(at, '(?:');
        return;
      case '=':
      case '!':
        this.pos = at + 3;
        this.push(at, `(?${kind}`);
        return;
      case '<': {
        const direction = src.charAt(at + 3);
        if (direction !== '=' && direction !== '!') {
          throw refusal(
            `unknown extension ?<${direction}`,
            at + 1,
            'Python writes a named group (?P<name>…)',
          );
        }
        this.pos = at + 4;
        this.push(at, `(?<${direction}`);
        return;
      }
      case 'P':
        this.pythonExtension(at);
        return;
      case '#':
        // A comment: the item before it stays the one a quantifier after it repeats.
        this.pos = this.skipComment(at);
        return;
      case '>':
        throw refusal('atomic group (?>…)', at, 'JavaScript has no atomic groups');
      case '(':
        throw refusal('conditional group (?(…)…|…)', at, 'JavaScript has no conditionals');
      case '':
        throw refusal('unexpected end of pattern', at + 1);
    }
    const flags = this.readFlags(at);
    if (flags === undefined) throw refusal(`unknown extension ?${kind}`, at + 1);
    if (!flags.scoped) {
      throw refusal(
        `global flags (?${flags.add}) not at the start of the expression`,
        at,
        'move them to the very start (Python 3.11 refuses them too)',
      );
    }
    const { add, remove } = flags;
    if (add.includes('x')) throw refusal('verbose flag (?x:…)', at, VERBOSE_HINT);
    const ignoreCase = add.includes('i') || (!remove.includes('i') && this.ignoreCase);
    if (ignoreCase !== this.ignoreCase) {
      throw refusal(
        `scoped flag (?${src.slice(at + 2, flags.end - 1)}:…)`,
        at,
        `JavaScript cannot make part of a pattern case-${ignoreCase ? 'in' : ''}sensitive; ` +
          'put (?i) at the start for the whole pattern, or spell the cases out ([Tt]imeout)',
      );
    }
    this.pos = flags.end;
    this.push(at, '(?:');
    this.scope = {
      dotAll: add.includes('s') || (!remove.includes('s') && this.scope.dotAll),
      multiline: add.includes('m') || (!remove.includes('m') && this.scope.multiline),
    };
  }

  /** `(?P<name>…)` and `(?P=name)`. */
  private pythonExtension(at: number): void {
    const sub = this.src.charAt(at + 3);
    if (sub === '<') {
      const name = this.groupName(at + 4, '>');
      const previous = this.names.get(name);
      if (previous !== undefined) {
        throw refusal(
          `redefinition of group name '${name}' as group ${this.groups + 1}; was group ${previous}`,
          at + 4,
        );
      }
      this.push(at, `(?<${name}>`, true);
      this.names.set(name, this.groups);
    } else if (sub === '=') {
      const name = this.groupName(at + 4, ')');
      const group = this.names.get(name);
      if (group === undefined) throw refusal(`unknown group name '${name}'`, at + 4);
      if (!this.closed.has(group)) throw refusal('cannot refer to an open group', at + 4);
      this.emit(`\\k<${name}>`, 'atom');
    } else {
      throw refusal(`unknown extension ?P${sub}`, at + 1);
    }
  }

  private groupName(start: number, terminator: string): string {
    const end = this.src.indexOf(terminator, start);
    if (end < 0) throw refusal(`missing ${terminator}, unterminated name`, start);
    const name = this.src.slice(start, end);
    if (name === '') throw refusal('missing group name', start);
    if (!IDENTIFIER.test(name)) throw refusal(`bad character in group name '${name}'`, start);
    this.pos = end + 1;
    return name;
  }

  private closeGroup(): void {
    const group = this.open.pop();
    if (group === undefined) throw refusal('unbalanced parenthesis', this.pos);
    this.pos++;
    this.scope = group.scope;
    if (group.capture !== undefined) this.closed.add(group.capture);
    this.emit(')', 'atom');
  }

  /** Index just past the `)` of the comment `(?#…)` at `at`. */
  private skipComment(at: number): number {
    let i = at + 3;
    for (;;) {
      if (i >= this.src.length) throw refusal('missing ), unterminated comment', at);
      const c = this.src.charAt(i);
      if (c === ')') return i + 1;
      i += c === '\\' ? 2 : 1;
    }
  }

  /**
   * The flag group at `at` — `(?ims)`, `(?s:`, `(?i-s:` — with Python's checks, or
   * `undefined` when the group is not a flag group.
   */
  private readFlags(at: number): FlagGroup | undefined {
    const src = this.src;
    let i = at + 2;
    while (FLAG_LETTERS.has(src.charAt(i))) i++;
    const add = src.slice(at + 2, i);
    let remove: string | undefined;
    if (src.charAt(i) === '-') {
      const from = ++i;
      while (FLAG_LETTERS.has(src.charAt(i))) i++;
      remove = src.slice(from, i);
    }
    if (add === '' && remove === undefined) return undefined;
    const end = src.charAt(i);
    if (end !== ':' && (end !== ')' || remove !== undefined)) {
      const message = isAsciiLetter(end)
        ? 'unknown flag'
        : remove === undefined
          ? 'missing -, : or )'
          : remove === ''
            ? 'missing flag'
            : 'missing :';
      throw refusal(message, i);
    }
    if (`${add}${remove ?? ''}`.includes('L')) {
      throw refusal("bad inline flags: cannot use 'L' flag with a str pattern", at);
    }
    if (add.includes('a') && add.includes('u')) {
      throw refusal("bad inline flags: flags 'a', 'u' and 'L' are incompatible", at);
    }
    if (remove === '') throw refusal('missing flag', i);
    if (remove !== undefined) {
      if (/[au]/.test(remove)) {
        throw refusal("bad inline flags: cannot turn off flags 'a', 'u' and 'L'", at);
      }
      if ([...remove].some((flag) => add.includes(flag))) {
        throw refusal('bad inline flags: flag turned on and off', at);
      }
    }
    return { add, remove: remove ?? '', scoped: end === ':', end: i + 1 };
  }
}

function classText(atom: ClassAtom): string {
  return 'char' in atom ? escapeChar(atom.char, CLASS_SPECIAL) : atom.set;
}

/**
 * Translates a regex written for Python's `re` module into a JavaScript regex source and
 * flags that match the same texts. What JavaScript cannot express is refused, naming the
 * construct and its position; so is what Python itself refuses.
 *
 * In plain words: the regex of a Python-dialect pattern file, made usable by
 * `new RegExp(source, flags)`. The translation is compiled before it is returned.
 *
 * @example
 * ```ts
 * import { translatePythonRegex } from 'rx-recovery/files';
 *
 * translatePythonRegex('(?i)(?P<mod>\\w+) not found\\Z');
 * // → { source: '(?<mod>\\w+) not found$', flags: 'i' }
 * translatePythonRegex('timed out.*');
 * // → { source: 'timed out[^\\n]*', flags: '' }
 * translatePythonRegex('(?>a+)b');
 * // → { error: 'atomic group (?>…) at position 0: JavaScript has no atomic groups' }
 * ```
 * @param source The Python regex, as written in the file (a raw string: `\\d` is `\d`).
 * @returns `{ source, flags }` (flags `''`, `'i'`, `'s'` or `'is'`; never `m`: MULTILINE is
 * translated into the anchors), or `{ error }`, one line, without a path.
 */
export function translatePythonRegex(source: string): PythonRegexTranslation {
  let translated: { source: string; flags: string };
  try {
    translated = new PythonRegexReader(source).translate();
  } catch (error) {
    if (error instanceof Refusal) return { error: error.message };
    throw error;
  }
  try {
    void new RegExp(translated.source, translated.flags);
  } catch (error) {
    const reason = String((error as Error).message).replace(/^Invalid regular expression: /, '');
    return { error: `JavaScript cannot compile the translation: ${reason}` };
  }
  return translated;
}

// ---------------------------------------------------------------------------------------
// Pattern entries
// ---------------------------------------------------------------------------------------

/** The Python dialect's keys, each with the key of the JavaScript form. */
const PYTHON_KEYS = Object.freeze({
  pattern_id: 'id',
  error_type: 'errorType',
  regex_pattern: 'match',
  recovery_strategy: 'strategy',
  max_retries: 'maxRetries',
  priority: 'priority',
  metadata: 'metadata',
  allow_unsafe_regex: 'allowUnsafeRegex',
} as const);

type PythonKey = keyof typeof PYTHON_KEYS;
type JsKey = (typeof PYTHON_KEYS)[PythonKey];

/** The JavaScript key of each renamed field, with its Python spelling. */
const PYTHON_SPELLING: Readonly<Record<string, string>> = Object.freeze({
  id: 'pattern_id',
  errorType: 'error_type',
  match: 'regex_pattern',
  strategy: 'recovery_strategy',
  maxRetries: 'max_retries',
  allowUnsafeRegex: 'allow_unsafe_regex',
});

/** The keys only the Python dialect has (`priority` and `metadata` are spelt alike in both). */
const PYTHON_ONLY_KEYS: ReadonlySet<string> = new Set(Object.values(PYTHON_SPELLING));

/** Output key order: the order of {@link PYTHON_KEYS}, i.e. of the `ErrorPattern` fields. */
const JS_KEY_ORDER: readonly JsKey[] = Object.freeze(Object.values(PYTHON_KEYS));

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Error-type spellings (upper-cased, without an `ErrorType.` prefix) and their `ErrorType`. */
const ERROR_TYPES: Readonly<Record<string, ErrorType>> = Object.freeze({
  SYNTAX: 'syntax',
  SYNTAX_ERROR: 'syntax',
  IMPORT: 'import',
  IMPORT_ERROR: 'import',
  VALIDATION: 'validation',
  VALIDATION_ERROR: 'validation',
  TEMPLATE: 'template',
  TEMPLATE_ERROR: 'template',
  QUORUM: 'quorum',
  QUORUM_ERROR: 'quorum',
  QUORUM_FAILURE: 'quorum',
  TIMEOUT: 'timeout',
  TIMEOUT_ERROR: 'timeout',
  TRANSIENT: 'transient',
  TRANSIENT_ERROR: 'transient',
  UNKNOWN: 'unknown',
  UNKNOWN_ERROR: 'unknown',
});

/** Strategy spellings (upper-cased, without a `RecoveryStrategy.` prefix) and their `RecoveryStrategy`. */
const STRATEGIES: Readonly<Record<string, RecoveryStrategy>> = Object.freeze({
  RETRY: 'retry',
  ALTERNATIVE_PATH: 'alternative',
  ALTERNATIVE: 'alternative',
  GRACEFUL_DEGRADATION: 'degrade',
  DEGRADE: 'degrade',
  ERROR_CORRECTION: 'correct',
  CORRECT: 'correct',
  ESCALATION: 'escalate',
  ESCALATE: 'escalate',
});

const ERROR_TYPE_EXPECTED =
  'must be one of SYNTAX, IMPORT, VALIDATION, TEMPLATE, QUORUM, TIMEOUT, TRANSIENT, UNKNOWN ' +
  '(any case; also with an _ERROR suffix, QUORUM_FAILURE, or an ErrorType. prefix)';
const STRATEGY_EXPECTED =
  'must be one of RETRY, ALTERNATIVE_PATH, GRACEFUL_DEGRADATION, ERROR_CORRECTION, ESCALATION ' +
  '(any case; also retry, alternative, degrade, correct, escalate, or a RecoveryStrategy. prefix)';

/**
 * What an entry carries in a field this module has reported, so that the caller's
 * validation, run on the same entries, does not report the field a second time. Never
 * used: a caller that gets issues throws.
 */
const PLACEHOLDER = Object.freeze({
  errorType: 'unknown' as ErrorType,
  strategy: 'escalate' as RecoveryStrategy,
  match: Object.freeze({ source: '(?!)', flags: '' }),
});

/** ASCII upper case, so that no Unicode case mapping turns an odd spelling into a valid one. */
const asciiUpper = (text: string) => text.replace(/[a-z]/g, (c) => c.toUpperCase());

function lookUp<T>(
  table: Readonly<Record<string, T>>,
  prefix: RegExp,
  value: string,
): T | undefined {
  const key = asciiUpper(value.replace(prefix, ''));
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function describe(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function errorTypeOf(value: unknown, path: string, issues: string[]): unknown {
  if (typeof value !== 'string') return value;
  const type = lookUp(ERROR_TYPES, /^ErrorType\./i, value);
  if (type !== undefined) return type;
  issues.push(`${path}: ${ERROR_TYPE_EXPECTED}, got ${describe(value)}`);
  return PLACEHOLDER.errorType;
}

function strategyOf(value: string, path: string, issues: string[]): RecoveryStrategy {
  const strategy = lookUp(STRATEGIES, /^RecoveryStrategy\./i, value);
  if (strategy !== undefined) return strategy;
  issues.push(`${path}: ${STRATEGY_EXPECTED}, got ${describe(value)}`);
  return PLACEHOLDER.strategy;
}

function planOf(value: unknown, path: string, issues: string[]): unknown {
  if (typeof value === 'string') return strategyOf(value, path, issues);
  if (!Array.isArray(value)) return value;
  return value.map((step, index) =>
    typeof step === 'string' ? strategyOf(step, `${path}[${index}]`, issues) : step,
  );
}

function matchOf(value: unknown, path: string, issues: string[]): unknown {
  if (typeof value !== 'string') return value;
  const translation = translatePythonRegex(value);
  if ('source' in translation) return translation;
  issues.push(`${path}: ${translation.error}`);
  return { ...PLACEHOLDER.match };
}

/**
 * Tells whether a pattern file is written in the Python dialect: its entries use more of
 * the Python keys (`pattern_id`, `error_type`, `regex_pattern`, `recovery_strategy`,
 * `max_retries`, `allow_unsafe_regex`) than of their JavaScript counterparts (`id`,
 * `errorType`, `match`, `strategy`, `maxRetries`, `allowUnsafeRegex`). `priority` and
 * `metadata`, spelt alike in both, do not count.
 *
 * In plain words: a JavaScript file with one `max_retries` typo is still a JavaScript file
 * (and the typo is reported as an unknown option); a Python file with a stray `id` is
 * still a Python file (and `id` is reported, naming `pattern_id`).
 *
 * @example
 * ```ts
 * import { isPythonDialect } from 'rx-recovery/files';
 *
 * isPythonDialect({ patterns: [{ pattern_id: 'slow', regex_pattern: 'timed out' }] }); // → true
 * isPythonDialect([{ id: 'slow', match: 'timed out', max_retries: 2 }]); // → false
 * isPythonDialect('patterns'); // → false
 * ```
 * @param file A parsed pattern file: `{ patterns: [ … ] }` or a bare array of entries.
 * @returns `true` when the entries are in the Python dialect; `false` for anything else.
 */
export function isPythonDialect(file: unknown): boolean {
  const entries = Array.isArray(file)
    ? file
    : isObject(file) && Array.isArray(file.patterns)
      ? file.patterns
      : [];
  let python = 0;
  let js = 0;
  for (const entry of entries) {
    if (!isObject(entry)) continue;
    for (const key of Object.keys(entry)) {
      if (Object.hasOwn(PYTHON_SPELLING, key)) js++;
      else if (PYTHON_ONLY_KEYS.has(key)) python++;
    }
  }
  return python > js;
}

/**
 * Maps the entries of a Python-dialect pattern file to the JavaScript form
 * `{ id, errorType, match: { source, flags }, strategy, maxRetries?, priority?, metadata?,
 * allowUnsafeRegex? }`, translating regexes, error types and strategies, and collects every
 * problem it finds as a `path: problem` line. It never throws: the caller validates the
 * result and throws one `RecoveryConfigError` with these lines and its own.
 *
 * In plain words: what makes a file written for the original Python system load unchanged.
 * `metadata` is kept as it is (a `fallback_level` in it names the degradation level the
 * pattern's degrade steps start from).
 *
 * Who reports what, so that no problem is reported twice:
 * - here: unknown keys (`patterns[2].foo: unknown option`; dropped from the result), a
 *   regex that cannot be translated (`patterns[2].regex_pattern: …`), an unknown error type
 *   or strategy; the result carries a neutral placeholder in such a field;
 * - the caller: everything else, passed through unchanged — `max_retries: -1`, a missing
 *   `regex_pattern`, a number where a string belongs. A `regex_pattern` that is not a string
 *   is passed on as `match` untranslated (so a `{ source, flags }` object is read as a
 *   JavaScript regex). {@link toPythonFieldNames} renames the paths of the caller's lines.
 *
 * @example
 * ```ts
 * import { fromPythonPatterns } from 'rx-recovery/files';
 *
 * fromPythonPatterns(
 *   [
 *     {
 *       pattern_id: 'custom_validation_error',
 *       error_type: 'VALIDATION',
 *       regex_pattern: '(?i)missing required field',
 *       recovery_strategy: ['GRACEFUL_DEGRADATION', 'ESCALATION'],
 *       max_retries: 2,
 *       metadata: { fallback_level: 'minimal' },
 *     },
 *   ],
 *   'patterns',
 * );
 * // → { patterns: [{ id: 'custom_validation_error', errorType: 'validation',
 * //                  match: { source: 'missing required field', flags: 'i' },
 * //                  strategy: ['degrade', 'escalate'], maxRetries: 2,
 * //                  metadata: { fallback_level: 'minimal' } }],
 * //     issues: [] }
 * fromPythonPatterns([{ pattern_id: 'x', regex_pattern: '(?>a)', recovery_strategy: 'PRAY' }], 'patterns')
 *   .issues;
 * // → ['patterns[0].regex_pattern: atomic group (?>…) at position 0: JavaScript has no atomic groups',
 * //    'patterns[0].recovery_strategy: must be one of RETRY, ALTERNATIVE_PATH, …, got "PRAY"']
 * ```
 * @param entries The file's entries (`file.patterns`, or the file when it is an array).
 * @param root The path the issue lines start with, such as `'patterns'`.
 * @returns `patterns`: one JavaScript-form entry per entry, in order (an entry that is not
 * an object is passed through unchanged); `issues`: one `path: problem` line per problem,
 * in file order, the paths naming the Python keys.
 */
export function fromPythonPatterns(
  entries: readonly unknown[],
  root: string,
): { patterns: unknown[]; issues: string[] } {
  const issues: string[] = [];
  const patterns = entries.map((entry, index) => {
    if (!isObject(entry)) return entry;
    const path = `${root}[${index}]`;
    const fields: Partial<Record<JsKey, unknown>> = {};
    for (const key of Object.keys(entry)) {
      const value = entry[key];
      const at = `${path}.${key}`;
      if (!Object.hasOwn(PYTHON_KEYS, key)) {
        const spelling = PYTHON_SPELLING[key];
        issues.push(
          `${at}: unknown option${spelling === undefined ? '' : ` (the Python dialect spells it ${spelling})`}`,
        );
        continue;
      }
      const js = PYTHON_KEYS[key as PythonKey];
      switch (js) {
        case 'errorType':
          fields.errorType = errorTypeOf(value, at, issues);
          break;
        case 'match':
          fields.match = matchOf(value, at, issues);
          break;
        case 'strategy':
          fields.strategy = planOf(value, at, issues);
          break;
        default:
          fields[js] = value;
      }
    }
    const pattern: Record<string, unknown> = {};
    for (const key of JS_KEY_ORDER) if (key in fields) pattern[key] = fields[key];
    return pattern;
  });
  return { patterns, issues };
}

/**
 * Renames the field of a JavaScript-form path in a `path: problem` line to its Python
 * spelling — `patterns[2].maxRetries: must be ≥ 0` → `patterns[2].max_retries: must be ≥ 0` —
 * and the `allowUnsafeRegex` a refusal suggests to `allow_unsafe_regex`. For the lines a
 * caller's validation writes about entries {@link fromPythonPatterns} produced, so that
 * every line about a Python-dialect file names the keys the file has.
 *
 * @example
 * ```ts
 * import { toPythonFieldNames } from 'rx-recovery/files';
 *
 * toPythonFieldNames('patterns[1].id: duplicate id "slow" (first at patterns[0])');
 * // → 'patterns[1].pattern_id: duplicate id "slow" (first at patterns[0])'
 * toPythonFieldNames('patterns[0].match: regex can backtrack … ; set allowUnsafeRegex: true on this pattern to accept it');
 * // → 'patterns[0].regex_pattern: regex can backtrack … ; set allow_unsafe_regex: true on this pattern to accept it'
 * toPythonFieldNames('patterns[0].priority: expected number, got "high"'); // unchanged
 * ```
 * @param issue One `path: problem` line.
 * @returns The line with its path's field (the first after `[index].`) and any
 * `allowUnsafeRegex` in its text spelt as in the Python dialect.
 */
export function toPythonFieldNames(issue: string): string {
  return issue
    .replace(
      /^([^\s:[]*\[\d+\]\.)(id|errorType|match|strategy|maxRetries|allowUnsafeRegex)(?=[.[:])/,
      (_line, head: string, field: string) => `${head}${PYTHON_SPELLING[field] ?? field}`,
    )
    .replace(/\ballowUnsafeRegex\b/g, 'allow_unsafe_regex');
}
