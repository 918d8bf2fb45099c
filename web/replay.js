// A picture of replay: allocated against disbursed, cumulative by fiscal year, one small chart
// per source, as the record stood at the chosen date (solid), over the whole record as known
// (grey), with the date marked. Sums are exact (BigInt); only positions are worked out in Number.

import { h } from './dom.js';
import { formatMoney } from './format.js';
import { t } from './i18n.js';
import { sourceClass, sourcesOf } from './charts.js';

const SVG = 'http://www.w3.org/2000/svg';
export const REPLAY_STAGES = ['allocated', 'disbursed'];
/** Most years the axis runs through one by one. */
const YEARS_SPANNED_MAX = 40;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  el.append(...children);
  return el;
}

/**
 * For each source, the cumulative `stage` sums at each of `years`: `{source: {stage: [BigInt…]}}`.
 * `byYear` is `by_year` of GET /v1/funding.
 */
export function cumulative(byYear, years, sources) {
  const out = {};
  for (const source of sources) {
    out[source] = {};
    for (const stage of REPLAY_STAGES) {
      let sum = 0n;
      out[source][stage] = years.map((year) => {
        for (const row of byYear) if (row.fiscal_year === year && row.source === source) sum += BigInt(row[stage]);
        return sum;
      });
    }
  }
  return out;
}

/** The years and sources the chart spans: those of the whole record and of the date shown. */
export function replaySpan(whole, shown) {
  const rows = [...whole, ...shown];
  const present = [...new Set(rows.map((row) => row.fiscal_year))].sort((a, b) => a - b);
  // Every year from the first to the last, so that time runs evenly along the axis (a year
  // without money is a flat step); a span too long to label is cut to the years with money.
  const span = present.length ? present.at(-1) - present[0] + 1 : 0;
  const years = span > 0 && span <= YEARS_SPANNED_MAX ? Array.from({ length: span }, (_, i) => present[0] + i) : present;
  return { years, sources: sourcesOf(rows) };
}

/** The last fiscal year the date's line reaches: the date's year, or a later one that holds money. */
function lastYearShown(shown, years, asOf) {
  if (!asOf) return years.at(-1);
  return Math.max(Number(asOf.slice(0, 4)), ...shown.map((row) => row.fiscal_year));
}

/**
 * The chart: `whole` and `shown` are `by_year` of the whole record and of the date shown;
 * `asOf` the date (`yyyy-mm-dd`) or null; `width` in pixels; `dateLabel` the date as the page
 * writes it.
 */
export function replayChart(whole, shown, asOf, width, dateLabel) {
  const { years, sources } = replaySpan(whole, shown);
  const wholeSums = cumulative(whole, years, sources);
  const shownSums = cumulative(shown, years, sources);
  const asOfYear = asOf ? Number(asOf.slice(0, 4)) : null;
  // The date's line stops at its year (later fiscal years may already hold money: then at theirs).
  const lastShown = lastYearShown(shown, years, asOf);
  // Room for half a year's label at either end.
  const left = 18;
  const right = 18;
  const plotWidth = Math.max(60, width - left - right);
  const x = (index) => left + (years.length === 1 ? plotWidth / 2 : (index / (years.length - 1)) * plotWidth);
  const panelHeight = 110;
  const top = 40;
  const gap = 46;
  const title = s('title', { id: 'replay-chart-title' }, t('replay.chart_label'));
  const svg = s('svg', { width, role: 'img', 'aria-labelledby': title.id, class: 'replay-chart', 'data-testid': 'replay-chart' }, title);
  let y0 = 0;
  for (const source of sources) {
    const max = Math.max(1, ...REPLAY_STAGES.flatMap((stage) =>
      [...wholeSums[source][stage], ...shownSums[source][stage]].map(Number)));
    const y = (value) => y0 + top + panelHeight - (Number(value) / max) * panelHeight;
    svg.append(s('text', { x: 0, y: y0 + 14, class: 'replay-source' }, t(`source.${source}`)));
    // The figures at the date, under the source's name.
    const ends = REPLAY_STAGES.map((stage) => {
      const values = shownSums[source][stage];
      const index = years.findLastIndex((year) => year <= lastShown);
      return `${t(`stage.${stage}`)}: ${formatMoney(index >= 0 ? values[index] : 0n)}`;
    });
    svg.append(s('text', { x: 0, y: y0 + 30, class: 'replay-figures', 'data-testid': 'replay-figures', 'data-source': source }, ends.join(' · ')));
    svg.append(s('line', { x1: left, x2: left + plotWidth, y1: y(0), y2: y(0), class: 'replay-axis' }));
    for (const stage of REPLAY_STAGES) {
      const ghost = wholeSums[source][stage].map((value, index) => `${x(index)},${y(value)}`).join(' ');
      svg.append(s('polyline', { points: ghost, class: `replay-ghost stage-${stage}`, 'data-source': source, 'data-stage': stage }));
    }
    for (const stage of REPLAY_STAGES) {
      const indices = years.map((year, index) => [year, index]).filter(([year]) => year <= lastShown);
      const points = indices.map(([, index]) => `${x(index)},${y(shownSums[source][stage][index])}`).join(' ');
      svg.append(s('polyline', { points, class: `replay-line ${sourceClass(source)} stage-${stage}`, 'data-source': source, 'data-stage': stage }));
      for (const [year, index] of indices) {
        const value = shownSums[source][stage][index];
        svg.append(s('circle', {
          cx: x(index), cy: y(value), r: stage === 'allocated' ? 4 : 3,
          class: `replay-point ${sourceClass(source)} stage-${stage}`,
          'data-source': source, 'data-stage': stage, 'data-year': year, 'data-amount': value.toString(),
        }, s('title', {}, `${t(`source.${source}`)} · ${t(`stage.${stage}`)} ${t('replay.to_year', { year })}: ${formatMoney(value)}`)));
      }
    }
    // Every year labelled where there is room, else every other one (always the last).
    const every = plotWidth / Math.max(1, years.length) < 36 ? 2 : 1;
    for (const [index, year] of years.entries()) {
      if ((years.length - 1 - index) % every !== 0) continue;
      svg.append(s('text', { x: x(index), y: y0 + top + panelHeight + 16, 'text-anchor': 'middle', class: 'replay-year' }, String(year)));
    }
    if (asOfYear !== null) {
      // The date: at its year's point, or beside the span when it lies outside it.
      const position = years.findLastIndex((year) => year <= asOfYear);
      const at = position < 0 ? left : position === years.length - 1 || years[position] === asOfYear ? x(position) : (x(position) + x(position + 1)) / 2;
      svg.append(s('line', { x1: at, x2: at, y1: y0 + top - 4, y2: y0 + top + panelHeight, class: 'replay-date', 'data-testid': 'replay-date' }));
    }
    y0 += top + panelHeight + gap;
  }
  if (asOfYear !== null) svg.append(s('text', { x: width - 2, y: 14, 'text-anchor': 'end', class: 'replay-date-label' }, t('replay.at', { date: dateLabel })));
  svg.setAttribute('height', Math.max(y0 - gap + 24, 40));
  svg.setAttribute('viewBox', `0 0 ${width} ${Math.max(y0 - gap + 24, 40)}`);
  return svg;
}

/** The same figures as a table, for whoever does not see the chart. */
export function replayTable(shown, whole, asOf, scrollAttrs) {
  const { years, sources } = replaySpan(whole, shown);
  const sums = cumulative(shown, years, sources);
  return h('div', scrollAttrs, h('table', { class: 'numbers', 'data-testid': 'replay-table' },
    h('caption', {}, t('replay.table')),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('funding.fiscal_year')),
      sources.flatMap((source) => REPLAY_STAGES.map((stage) => h('th', { scope: 'col' }, `${t(`source.${source}`)} · ${t(`stage.${stage}`)}`))))),
    h('tbody', {}, years.filter((year) => year <= lastYearShown(shown, years, asOf))
      .map((year) => h('tr', { 'data-year': year }, h('th', { scope: 'row' }, String(year)),
        sources.flatMap((source) => REPLAY_STAGES.map((stage) =>
          h('td', { class: 'money', 'data-source': source, 'data-stage': stage }, formatMoney(sums[source][stage][years.indexOf(year)])))))))));
}
