// Unit tests of web/replay.js's sums, in node alone (no browser, no server): the cumulative
// allocated and disbursed by year and source that the replay chart draws, exact beyond 2^53.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { cumulative, replaySpan } from '../replay.js';

const row = (fiscal_year, source, allocated, disbursed) => ({ fiscal_year, source, planned: 0, allocated, disbursed });

describe('replay.js', () => {
  it('runs through every year from the first to the last, and the sources in the contract\'s order', () => {
    const { years, sources } = replaySpan([row(2015, 'local', 1, 0), row(2011, 'central', 1, 1)], [row(2013, 'other', 1, 0)]);
    assert.deepEqual(years, [2011, 2012, 2013, 2014, 2015]);
    assert.deepEqual(sources, ['central', 'local', 'other']);
  });

  it('cuts a span too long to label to the years with money', () => {
    const { years } = replaySpan([row(1950, 'central', 1, 0), row(2100, 'central', 1, 0)], []);
    assert.deepEqual(years, [1950, 2100]);
  });

  it('sums year by year per source, a year without money a flat step', () => {
    const byYear = [row(2011, 'central', 90, 90), row(2013, 'local', 79, 79), row(2014, 'local', 100, 60), row(2014, 'central', 10, 0)];
    const sums = cumulative(byYear, [2011, 2012, 2013, 2014], ['central', 'local']);
    assert.deepEqual(sums.central.allocated, [90n, 90n, 90n, 100n]);
    assert.deepEqual(sums.central.disbursed, [90n, 90n, 90n, 90n]);
    assert.deepEqual(sums.local.allocated, [0n, 0n, 79n, 179n]);
    assert.deepEqual(sums.local.disbursed, [0n, 0n, 79n, 139n]);
  });

  it('adds beyond 2^53 − 1 exactly', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const sums = cumulative([row(2020, 'central', max, 1), row(2021, 'central', max, 1)], [2020, 2021], ['central']);
    assert.deepEqual(sums.central.allocated, [9007199254740991n, 18014398509481982n]);
  });
});
