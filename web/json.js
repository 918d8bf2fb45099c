// Exact JSON. The server adds money in i128 and sends sums above 2^53 − 1 as plain JSON
// integers (CONTRACT §3.2); `JSON.parse` would round such an integer to the nearest double,
// so a national total of 9007199254740993 would read as 9007199254740992. `parseJson` reads
// every integer outside Number.MIN_SAFE_INTEGER..MAX_SAFE_INTEGER as a BigInt made from its
// own digits; every other value is what `JSON.parse` makes of it (safe integers stay Numbers).
// `stringifyJson` writes a BigInt back as its digits (`JSON.stringify` throws on one).
//
// No DOM here: node can import this file (web/tests/json.test.mjs).

const INTEGER = /^-?(0|[1-9]\d*)$/;

/**
 * Whether `JSON.parse` hands a reviver each primitive's source text as `context.source`
 * (Chromium ≥ 114, Node ≥ 21; older browsers take the slower `parseJsonByRewriting`).
 */
export const HAS_SOURCE_TEXT = (() => {
  try {
    let seen = null;
    JSON.parse('[1]', (key, value, context) => {
      if (key === '0') seen = context?.source;
      return value;
    });
    return seen === '1';
  } catch {
    return false;
  }
})();

/** The reviver: a number that is not a safe integer but was written as one → BigInt. */
function exactIntegers(key, value, context) {
  return typeof value === 'number' && !Number.isSafeInteger(value) && INTEGER.test(context?.source ?? '')
    ? BigInt(context.source)
    : value;
}

/** A JSON string (skipped whole, keys included) or a JSON number. */
const TOKENS = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * `parseJson` for a browser without `context.source`: every integer too large for a double is
 * first rewritten as a marked string of its digits, which the reviver turns into a BigInt.
 * Exported for the unit test.
 */
export function parseJsonByRewriting(text) {
  const mark = `\u2063int${Math.random().toString(36).slice(2)}:`;
  let marked = false;
  const rewritten = text.replace(TOKENS, (token) => {
    if (token[0] === '"' || !INTEGER.test(token) || Number.isSafeInteger(Number(token))) return token;
    marked = true;
    return `"${mark}${token}"`;
  });
  if (!marked) return JSON.parse(text);
  try {
    return JSON.parse(rewritten, (key, value) =>
      (typeof value === 'string' && value.startsWith(mark) ? BigInt(value.slice(mark.length)) : value));
  } catch (error) {
    JSON.parse(text); // not JSON: throw the error that names the text as it was written
    throw error;
  }
}

/** A safe integer has at most 16 digits, and only some of 16 digits are not safe. */
const LONG_DIGITS = /\d{16}/;

/**
 * `JSON.parse(text)`, except that an integer outside the safe range becomes an exact BigInt.
 * Throws a SyntaxError on text that is not JSON, as `JSON.parse` does.
 */
export function parseJson(text) {
  // Without a run of 16 digits there is no unsafe integer, and JSON.parse alone is exact.
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return HAS_SOURCE_TEXT ? JSON.parse(text, exactIntegers) : parseJsonByRewriting(text);
}

/** A number to be written into JSON text exactly as `text` says (see forms.js). */
export class RawNumber {
  constructor(text) {
    this.text = text;
  }
}

/**
 * `JSON.stringify(value, null, space)`, with each BigInt written as its digits and each
 * RawNumber as its text.
 */
export function stringifyJson(value, space) {
  const mark = `\u2063raw${Math.random().toString(36).slice(2)}\u2063`;
  let marked = false;
  const json = JSON.stringify(value, (key, item) => {
    if (typeof item === 'bigint') item = new RawNumber(String(item));
    if (!(item instanceof RawNumber)) return item;
    marked = true;
    return `${mark}${item.text}${mark}`;
  }, space);
  return marked ? json.split(`"${mark}`).join('').split(`${mark}"`).join('') : json;
}
