import { TokenizerError } from '@llmedit/core';

/**
 * Hugging Face tokenizer.json patterns are Oniguruma regexes; JavaScript (Node 20) lacks scoped modifiers
 * such as `(?i:...)`, possessive quantifiers and atomic groups. This translates what has a JS equivalent
 * and rejects the rest by name, so a file never silently tokenizes differently.
 */

const SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/');
// Escapes that mean something in Oniguruma but are invalid or different in JS.
const UNSUPPORTED_ESCAPES: Record<string, string> = {
  A: '\\A (start of string)',
  z: '\\z (end of string)',
  Z: '\\Z (end of string)',
  G: '\\G (match start)',
  h: '\\h (hex digit)',
  H: '\\H (non hex digit)',
  R: '\\R (line break)',
  X: '\\X (grapheme cluster)',
  K: '\\K (keep)',
  y: '\\y (grapheme boundary)',
  Y: '\\Y (grapheme boundary)',
  O: '\\O (any char)',
  N: '\\N (non newline)',
};

/** The characters a case-insensitive match of `c` accepts, as JS's unicode case folding does. */
function caseVariants(c: string): string[] {
  const set = new Set([c, c.toLowerCase(), c.toUpperCase()]);
  const lower = c.toLowerCase();
  if (lower === 'k') set.add('\u212a'); // KELVIN SIGN folds to k
  if (lower === 's') set.add('\u017f'); // LATIN SMALL LETTER LONG S folds to s
  return [...set].filter((v) => [...v].length === 1);
}

function unsupported(pattern: string, feature: string): never {
  throw new TokenizerError(
    `Regex pattern ${JSON.stringify(pattern)} uses ${feature}, which is not supported`,
  );
}

/** Converts an Oniguruma pattern (as found in tokenizer.json) into JavaScript `u`-mode regex source. */
export function convertOnigurumaPattern(pattern: string): string {
  let out = '';
  const caseStack: boolean[] = [false]; // case-insensitivity of each open group
  let inClass = false;
  let classStart = -1; // index in `pattern` just after '[' or '[^'
  let lastWasQuantifier = false;
  let i = 0;
  const ci = () => caseStack[caseStack.length - 1]!;

  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) unsupported(pattern, 'a trailing backslash');
      lastWasQuantifier = false;
      if (n === 'p' || n === 'P') {
        if (pattern[i + 2] === '{') {
          const end = pattern.indexOf('}', i + 3);
          if (end < 0) unsupported(pattern, 'an unterminated \\p{');
          out += pattern.slice(i, end + 1);
          i = end + 1;
        } else {
          const name = pattern[i + 2];
          if (name === undefined || !/[A-Za-z]/.test(name)) unsupported(pattern, `a malformed \\${n}`);
          out += `\\${n}{${name}}`;
          i += 3;
        }
        continue;
      }
      if (n === 'x' && pattern[i + 2] === '{') {
        const end = pattern.indexOf('}', i + 3);
        if (end < 0) unsupported(pattern, 'an unterminated \\x{');
        out += `\\u{${pattern.slice(i + 3, end)}}`;
        i = end + 1;
        continue;
      }
      if (n === 'k' && pattern[i + 2] !== '<') unsupported(pattern, '\\k without <name>');
      const named = UNSUPPORTED_ESCAPES[n];
      if (named !== undefined) unsupported(pattern, named);
      if (/[A-Za-z0-9]/.test(n) || SYNTAX_CHARS.has(n) || (n === '-' && inClass)) {
        out += `\\${n}`;
      } else if (ci() && !inClass && caseVariants(n).length > 1) {
        out += `[${caseVariants(n).join('')}]`;
      } else {
        // Oniguruma allows escaping any punctuation; JS `u` mode only allows syntax characters.
        out += n;
      }
      i += 2;
      continue;
    }

    if (inClass) {
      if (c === ']' && i > classStart) {
        inClass = false;
        out += ']';
      } else if (c === ']') {
        out += '\\]'; // a ']' first in an Oniguruma class is a literal
      } else if (c === '[') {
        unsupported(pattern, 'a nested character class');
      } else if (c === '&' && pattern[i + 1] === '&') {
        unsupported(pattern, 'character class intersection (&&)');
      } else if (ci() && pattern[i + 1] === '-' && pattern[i + 2] !== ']' && /\p{L}/u.test(c)) {
        unsupported(pattern, 'a letter range inside a case-insensitive group');
      } else if (ci() && /\p{L}/u.test(c)) {
        out += caseVariants(c).join('');
      } else {
        out += c;
      }
      i++;
      continue;
    }

    if (c === '[') {
      inClass = true;
      out += '[';
      i++;
      if (pattern[i] === '^') {
        out += '^';
        i++;
      }
      classStart = i;
      lastWasQuantifier = false;
      continue;
    }

    if (c === '(') {
      lastWasQuantifier = false;
      if (pattern[i + 1] !== '?') {
        caseStack.push(ci());
        out += '(';
        i++;
        continue;
      }
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('#')) {
        const end = pattern.indexOf(')', i);
        if (end < 0) unsupported(pattern, 'an unterminated comment group');
        i = end + 1;
        continue;
      }
      if (rest.startsWith(':') || rest.startsWith('=') || rest.startsWith('!')) {
        caseStack.push(ci());
        out += `(?${rest[0]}`;
        i += 3;
        continue;
      }
      if (rest.startsWith('<=') || rest.startsWith('<!')) {
        caseStack.push(ci());
        out += `(?${rest.slice(0, 2)}`;
        i += 4;
        continue;
      }
      if (rest.startsWith('<')) {
        const end = pattern.indexOf('>', i);
        if (end < 0) unsupported(pattern, 'an unterminated named group');
        caseStack.push(ci());
        out += pattern.slice(i, end + 1);
        i = end + 1;
        continue;
      }
      if (rest.startsWith('>')) unsupported(pattern, 'an atomic group (?>...)');
      const flags = /^([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(rest);
      if (flags === null) unsupported(pattern, `the group syntax "(?${rest.slice(0, 3)}"`);
      const on = flags[1] ?? '';
      const off = flags[2] ?? '';
      for (const f of on + off) if (f !== 'i') unsupported(pattern, `the inline flag '${f}'`);
      const value = on.includes('i') ? true : off.includes('i') ? false : ci();
      if (flags[3] === ':') {
        caseStack.push(value);
        out += '(?:';
      } else {
        // `(?i)` switches the flag for the rest of the enclosing group.
        caseStack[caseStack.length - 1] = value;
      }
      i += 2 + flags[0].length;
      continue;
    }

    if (c === ')') {
      if (caseStack.length === 1) unsupported(pattern, 'an unbalanced )');
      caseStack.pop();
      out += ')';
      i++;
      lastWasQuantifier = false; // '(...)+' quantifies the group; only '+' after a quantifier is possessive
      continue;
    }

    if (c === '*' || c === '+' || c === '?') {
      if (c === '+' && lastWasQuantifier) unsupported(pattern, 'a possessive quantifier');
      if (c === '?' && lastWasQuantifier) {
        out += '?'; // lazy
        lastWasQuantifier = false;
        i++;
        continue;
      }
      out += c;
      lastWasQuantifier = true;
      i++;
      continue;
    }

    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m !== null) {
        out += m[0];
        i += m[0].length;
        lastWasQuantifier = true;
        continue;
      }
      out += '\\{';
      i++;
      lastWasQuantifier = false;
      continue;
    }
    if (c === '}') {
      out += '\\}';
      i++;
      lastWasQuantifier = false;
      continue;
    }

    lastWasQuantifier = false;
    const cp = pattern.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (ci() && /\p{L}/u.test(ch) && caseVariants(ch).length > 1) {
      out += `[${caseVariants(ch).join('')}]`;
    } else {
      out += ch;
    }
    i += ch.length;
  }
  if (inClass) unsupported(pattern, 'an unterminated character class');
  if (caseStack.length !== 1) unsupported(pattern, 'an unbalanced (');
  return out;
}

/** Compiles an Oniguruma pattern to a global unicode JS RegExp, or throws TokenizerError. */
export function compileOnigurumaPattern(pattern: string): RegExp {
  const source = convertOnigurumaPattern(pattern);
  try {
    return new RegExp(source, 'gu');
  } catch (error) {
    throw new TokenizerError(
      `Regex pattern ${JSON.stringify(pattern)} cannot be compiled as a JavaScript regex: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** A regex matching `literal` exactly. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
