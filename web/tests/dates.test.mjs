// Unit tests of web/dates.js in node alone (no browser, no server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDate, parseDateTime, showDate, showDateTime, spellDate, spellDateTime } from '../dates.js';

test('dd/mm/yyyy is day first, whatever the locale', () => {
  assert.equal(parseDate('05/06/2015'), '2015-06-05');
  assert.equal(parseDate('5/6/2015'), '2015-06-05');
  assert.equal(parseDate('05-06-2015'), '2015-06-05');
  assert.equal(parseDate('05.06.2015'), '2015-06-05');
  assert.equal(parseDate(' 31/12/2012 '), '2012-12-31');
  assert.equal(parseDate('2015-06-05'), '2015-06-05');
  assert.equal(parseDate('29/02/2012'), '2012-02-29');
});

test('what is no day is refused', () => {
  for (const text of ['', '31/02/2015', '29/02/2013', '12/31/2012', '2015-13-01', '05/06/15', '05/06-2015', 'hôm qua', '2015/06/05']) {
    assert.equal(parseDate(text), null, text);
  }
});

test('one convention per language, and the date spelled out', () => {
  assert.equal(showDate('2015-06-05', 'vi'), '05/06/2015');
  assert.equal(showDate('2015-06-05', 'en'), '2015-06-05');
  assert.equal(spellDate('2015-06-05', 'vi'), 'ngày 5 tháng 6 năm 2015');
  assert.equal(spellDate('2015-06-05', 'en'), '5 June 2015');
});

test('date and time in the local zone, to an instant in UTC and back', () => {
  process.env.TZ = 'Asia/Ho_Chi_Minh';
  assert.equal(parseDateTime('29/11/2026 03:15'), '2026-11-28T20:15:00.000Z');
  assert.equal(parseDateTime('2026-11-29 03:15:07'), '2026-11-28T20:15:07.000Z');
  assert.equal(parseDateTime('2026-11-28T20:15:00.000Z'), '2026-11-28T20:15:00.000Z');
  assert.equal(parseDateTime('29/11/2026'), '2026-11-28T17:00:00.000Z');
  assert.equal(parseDateTime('29/11/2026 24:00'), null);
  assert.equal(parseDateTime('11/29/2026 03:15'), null);
  assert.equal(showDateTime('2026-11-28T20:15:00.000Z', 'vi'), '29/11/2026 03:15:00');
  assert.match(spellDateTime('2026-11-28T20:15:00.000Z', 'vi'), /^ngày 29 tháng 11 năm 2026, 03:15:00 \(giờ Asia\/(Ho_Chi_Minh|Saigon)\)$/);
});
