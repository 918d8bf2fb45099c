// Charts drawn by the page itself: the funding chart in SVG (sized to its container in real
// pixels so that its text stays legible on a phone) and the targets-vs-actuals bars in HTML.
// Amounts stay integers (Number, or BigInt beyond 2^53 − 1: json.js): bar lengths are
// proportions worked out in Number, printed figures are formatted from the exact values and
// their BigInt sums.

import { h } from './dom.js';
import { t } from './i18n.js';
import { formatInt, formatMoney } from './format.js';

export const SOURCES = ['central', 'local', 'other'];
export const STAGES = ['planned', 'allocated', 'disbursed'];

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  el.append(...children);
  return el;
}

/** The colour class of a source; a source the contract does not name shares one colour. */
export const sourceClass = (source) => (SOURCES.includes(source) ? `source-${source}` : 'source-extra');

/** The sources that occur in `rows`: the contract's in its order, then any the server adds later. */
export function sourcesOf(rows) {
  const present = new Set(rows.map((row) => row.source));
  return [...SOURCES.filter((source) => present.has(source)), ...[...present].filter((source) => !SOURCES.includes(source))];
}

/**
 * Horizontal bars: for each fiscal year, one bar per stage (planned, allocated, disbursed),
 * each stacked by source. `byYear` is `by_year` of GET /v1/funding (one row per year and source).
 */
export function fundingChart(byYear, width) {
  const years = [...new Set(byYear.map((row) => row.fiscal_year))].sort((a, b) => a - b);
  const sources = sourcesOf(byYear);
  const amount = (year, source, stage) =>
    byYear.find((row) => row.fiscal_year === year && row.source === source)?.[stage] ?? 0;
  const stackTotal = (year, stage) => sources.reduce((sum, source) => sum + BigInt(amount(year, source, stage)), 0n);
  // The scale only: a double's rounding moves a bar by far less than a pixel.
  const max = Math.max(1, ...years.flatMap((year) => STAGES.map((stage) => Number(stackTotal(year, stage)))));

  const labelWidth = Math.min(110, Math.round(width * 0.28));
  const amountWidth = 124;
  const barArea = Math.max(40, width - labelWidth - amountWidth - 8);
  const barHeight = 18;
  const title = s('title', { id: 'funding-chart-title' }, t('funding.chart_label'));
  const svg = s('svg', { width, role: 'img', 'aria-labelledby': title.id, class: 'funding-chart', 'data-testid': 'funding-chart' }, title);
  let y = 0;
  for (const year of years) {
    svg.append(s('text', { x: 0, y: y + 15, class: 'chart-year' }, t('funding.year_label', { year })));
    y += 22;
    for (const stage of STAGES) {
      svg.append(s('text', { x: 8, y: y + 13, class: 'chart-stage' }, t(`stage.${stage}`)));
      let x = labelWidth;
      for (const source of sources) {
        const value = amount(year, source, stage);
        if (value <= 0) continue;
        const length = (Number(value) / max) * barArea;
        svg.append(s('rect', {
          x, y, width: Math.max(length, 1), height: barHeight,
          class: sourceClass(source),
          'data-year': year, 'data-stage': stage, 'data-source': source,
        }, s('title', {}, `${year} · ${t(`stage.${stage}`)} · ${t(`source.${source}`)}: ${formatMoney(value)}`)));
        x += length;
      }
      svg.append(s('text', { x: width - 2, y: y + 13, 'text-anchor': 'end', class: 'chart-amount', 'data-year': year, 'data-stage': stage },
        formatMoney(stackTotal(year, stage))));
      y += barHeight + 4;
    }
    y += 10;
  }
  svg.setAttribute('height', y);
  svg.setAttribute('viewBox', `0 0 ${width} ${y}`);
  return svg;
}

/** Targets vs actuals of one plan (`indicators` of GET /v1/plans/{plan}), one bar per row. */
export function indicatorBars(indicators) {
  return h('ul', { class: 'indicator-bars' }, indicators.map(({ indicator, year, target, actual }) => {
    // Indicators count different things (booklets, enterprises), so each row has its own scale.
    // Actuals are sums and may be BigInt: the scale is a Number, the comparison exact.
    const scale = Math.max(1, Number(actual), Number(target ?? 0));
    // Without a target a full bar means nothing more than "some was done": draw it grey.
    const state = target === null ? 'untargeted' : actual >= target ? 'met' : '';
    const fill = h('div', { class: `bar-actual ${state}` });
    fill.style.width = `${(Number(actual) / scale) * 100}%`;
    const marker = target === null ? null : h('div', { class: 'bar-target' });
    if (marker) marker.style.left = `calc(${(Number(target) / scale) * 100}% - 1px)`;
    const values = target === null
      ? `${t('detail.actual')} ${formatInt(actual)} · ${t('detail.no_target')}`
      : `${t('detail.actual')} ${formatInt(actual)} / ${t('detail.target')} ${formatInt(target)}`;
    return h('li', { 'data-testid': 'indicator-row', 'data-indicator': indicator, 'data-year': year },
      h('span', { class: 'indicator-name' }, h('code', {}, indicator), ` · ${year}`),
      h('div', { class: 'bar-track', 'aria-hidden': 'true' }, fill, marker),
      h('span', { class: 'indicator-values' }, values));
  }));
}
