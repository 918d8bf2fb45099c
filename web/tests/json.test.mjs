// Unit tests of web/json.js (exact JSON) and web/format.js's money format, in node alone: no
// browser, no server. `node --test web/tests/` runs them with the browser tests.
//
// parseJson takes one of two paths: JSON.parse's reviver with `context.source` where the engine
// has it (Chromium ≥ 114, Node ≥ 21), else parseJsonByRewriting. Both are checked: the second
// directly, the first in this process if it has `context.source`, else in a child node started
// with V8's --harmony-json-parse-with-source (Node 20 has the feature behind that flag).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { HAS_SOURCE_TEXT, parseJson, parseJsonByRewriting, RawNumber, stringifyJson } from '../json.js';
import { formatInt, formatMoney } from '../format.js';

const JSON_JS = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'json.js');

const MAX = Number.MAX_SAFE_INTEGER; // 9007199254740991

/** Text, and what an exact parse makes of it. */
const CASES = [
  ['9007199254740993', 9007199254740993n],
  ['-9007199254740993', -9007199254740993n],
  ['9007199254740992', 9007199254740992n],
  ['9007199254740991', MAX],
  ['-9007199254740991', -MAX],
  ['18014398509481982', 18014398509481982n],
  ['170141183460469231731687303715884105727', 170141183460469231731687303715884105727n], // i128::MAX
  ['0', 0],
  ['-0', -0],
  ['1276000000', 1276000000],
  ['1.5', 1.5],
  ['1.12345678901234567890', 1.1234567890123457], // not an integer: JSON.parse's double
  ['12345678901234567890.5', 12345678901234567000],
  ['1e20', 1e20],
  ['123456789012345678e2', 123456789012345678e2],
  ['"9007199254740993"', '9007199254740993'],
  ['true', true],
  ['null', null],
  [
    '{"totals":{"planned":0,"allocated":18014398509481982,"unspent":-18014398509481982},"n":[1,9007199254740993,2]}',
    { totals: { planned: 0, allocated: 18014398509481982n, unspent: -18014398509481982n }, n: [1, 9007199254740993n, 2] },
  ],
  [
    // Digits in strings and keys stay text; an escaped quote does not end a string.
    '{"12345678901234567890":"a \\" 12345678901234567890","b\\\\":12345678901234567890, "c" : [ 12345678901234567890 ] }',
    { '12345678901234567890': 'a " 12345678901234567890', 'b\\': 12345678901234567890n, c: [12345678901234567890n] },
  ],
  ['"\\u0031234567890123456789"', '1234567890123456789'],
];

const NOT_JSON = ['', '{', '[12345678901234567890,]', '{"a":012345678901234567890}', "'12345678901234567890'", '12345678901234567890x'];

function checkParser(parse) {
  for (const [text, expected] of CASES) {
    const value = parse(text);
    assert.deepEqual(value, expected, text);
    if (typeof expected === 'number') assert.equal(typeof value, 'number', `${text} stays a Number`);
  }
  for (const text of NOT_JSON) assert.throws(() => parse(text), SyntaxError, JSON.stringify(text));
}

describe('json.js', () => {
  it('parseJsonByRewriting reads every integer exactly (the path without context.source)', () => {
    checkParser(parseJsonByRewriting);
  });

  it(`parseJson reads every integer exactly (here ${HAS_SOURCE_TEXT ? 'with' : 'without'} context.source)`, () => {
    checkParser(parseJson);
  });

  it('parseJson with context.source (the path Chromium takes)', (t) => {
    if (HAS_SOURCE_TEXT) return checkParser(parseJson);
    // A child node with the feature turned on runs the cases and says what it got.
    const script = `
      import { HAS_SOURCE_TEXT, parseJson } from ${JSON.stringify(pathToFileURL(JSON_JS).href)};
      const cases = JSON.parse(process.argv[1]);
      const out = cases.map((text) => { try { return { ok: parseJson(text) }; } catch (e) { return { error: e.name }; } });
      process.stdout.write(JSON.stringify({ HAS_SOURCE_TEXT, out },
        (k, v) => (typeof v === 'bigint' ? { bigint: String(v) } : Object.is(v, -0) ? { negativeZero: true } : v)));
    `;
    let answer;
    try {
      answer = execFileSync(process.execPath, ['--harmony-json-parse-with-source', '--input-type=module', '-e', script,
        JSON.stringify([...CASES.map(([text]) => text), ...NOT_JSON])], { encoding: 'utf8' });
    } catch (error) {
      return t.skip(`node has no --harmony-json-parse-with-source (${error.message.split('\n')[0]})`);
    }
    const { HAS_SOURCE_TEXT: child, out } = JSON.parse(answer, (k, v) =>
      (v && typeof v === 'object' && 'bigint' in v ? BigInt(v.bigint) : v && typeof v === 'object' && v.negativeZero ? -0 : v));
    if (!child) return t.skip('node has no context.source even with --harmony-json-parse-with-source');
    CASES.forEach(([text, expected], i) => assert.deepEqual(out[i], { ok: expected }, text));
    NOT_JSON.forEach((text, i) => assert.deepEqual(out[CASES.length + i], { error: 'SyntaxError' }, JSON.stringify(text)));
  });

  it('stringifyJson writes BigInt and RawNumber as their digits, the rest as JSON.stringify does', () => {
    assert.equal(stringifyJson({ a: 18014398509481982n, b: [-9007199254740993n, 1], c: 'x' }),
      '{"a":18014398509481982,"b":[-9007199254740993,1],"c":"x"}');
    assert.equal(stringifyJson({ amount: 9007199254740993n }, 2), '{\n  "amount": 9007199254740993\n}');
    assert.equal(stringifyJson({ amount: new RawNumber('12.5') }), '{"amount":12.5}');
    const plain = { topic: 'cleaner_production', sessions: 1, s: 'a "quoted" \u2063 text', n: null };
    assert.equal(stringifyJson(plain), JSON.stringify(plain));
    assert.equal(stringifyJson(plain, 2), JSON.stringify(plain, null, 2));
    for (const [text, value] of CASES) {
      if (typeof value === 'object' && value !== null) assert.deepEqual(parseJson(stringifyJson(value)), value, `round trip of ${text}`);
    }
  });
});

describe('format.js money', () => {
  it('formats Number and BigInt from their digits', () => {
    assert.equal(formatMoney(1276000000), '1.276.000.000 ₫');
    assert.equal(formatMoney(0), '0 ₫');
    assert.equal(formatMoney(-77915000), '-77.915.000 ₫');
    assert.equal(formatMoney(MAX), '9.007.199.254.740.991 ₫');
    assert.equal(formatMoney(parseJson('18014398509481982')), '18.014.398.509.481.982 ₫');
    assert.equal(formatMoney(parseJson('-9007199254740993')), '-9.007.199.254.740.993 ₫');
    assert.equal(formatInt(1000n), '1.000');
    assert.equal(formatInt(999n), '999');
    assert.equal(formatMoney(null), '—');
  });
});
