// HR's charts with uncertainty: impact ratios as dots with their 95% interval against the
// four-fifths line, and a weekly line chart. Each comes with its figures in a table (for
// screen readers and for anyone who wants the numbers).
import { h, num, pct, words } from "./ui.js";

const NS = "http://www.w3.org/2000/svg";
const FOUR_FIFTHS = 0.8;
// Colours by verdict, dark enough on white for text (WCAG AA).
const VERDICT_FILL = {
  "below four-fifths": "#b3261e",
  "not enough evidence either way": "#8a5a00",
  "at or above four-fifths": "#17703d",
  "reference (highest rate)": "#4a5263",
};

function svgOf(width, height, label) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  return { svg, add };
}

const range = (ci, format) => (ci ? `${format(ci[0])} to ${format(ci[1])}` : "");
// Ratios always with two decimals, so a ratio and its interval read alike ("0.80 (0.58 to 1.09)",
// never "0.8 (0.58 to 1.09)").
const ratio = (v) => Number(v).toFixed(2);
// Every chart draws on a narrow canvas and scales to the width it has (a phone's ~340 px
// included), so its axis and the four-fifths line are always in view, never scrolled away.
const WIDTH = 420;
const COLOURS = ["#1f5fcc", "#c0561f", "#17703d", "#6b3fa0", "#4a5263"];
const INK = "#1b2230", MUTED = "#4a5263";

/** A long label over two lines (split at " × " or a space near its middle). */
function lines(label, room = 42) {
  const text = String(label);
  if (text.length <= room) return [text];
  const at = text.includes(" × ") ? text.indexOf(" × ") + 2 : text.lastIndexOf(" ", room);
  return at > 0 ? [text.slice(0, at).trim(), text.slice(at).trim()] : [text];
}

/** A figure whose chart fits its box (no sideways scrolling), its legend and figures below. */
function fitted(title, svg, ...below) {
  return h("figure", { class: "chart fit" }, h("figcaption", {}, title), svg, ...below);
}

/**
 * A table that reads as rows of labelled figures on a phone (each cell names its column), so
 * no column is ever out of reach; `cells` per row: the row's name first, then one per column
 * (a string, a node, or { cell, class }).
 */
export function stackTable(caption, columns, rows, { className = "", rowClass } = {}) {
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h("table", { class: `stack ${className}`.trim() },
      h("caption", { class: "meta" }, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map((cells, i) => h("tr", { class: rowClass ? rowClass(i) : null },
        cells.map((cell, j) => (j === 0
          ? h("th", { scope: "row" }, cell)
          : cell?.cell !== undefined
            ? h("td", { "data-label": columns[j] || null, class: cell.class }, cell.cell)
            : h("td", { "data-label": columns[j] || null }, cell))))))));
}

/**
 * Grouped horizontal bars: each label on its own line, then one bar per series with its
 * value at the bar's end; the figures in a table below.
 */
/** A round number at or above `v` for an axis's end (0.6, 25, 200…). */
function niceTop(v) {
  const power = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((t) => t >= v - 1e-12) ?? 10 * power;
}

export function bars(title, labels, series, { format = pct, max } = {}) {
  const names = Object.keys(series);
  const values = names.flatMap((n) => series[n]).filter((v) => v !== null && v !== undefined);
  const top = max ?? niceTop(Math.max(1e-9, ...values));
  const left = 8, right = 70, barH = 16, gap = 3, labelH = 22, groupGap = 10, axisH = 26;
  const plotW = WIDTH - left - right;
  const heights = labels.map((l) => labelH * lines(l).length + names.length * (barH + gap) + groupGap);
  const height = heights.reduce((a, b) => a + b, 0) + axisH;
  const { svg, add } = svgOf(WIDTH, height, title);
  const x = (v) => left + (Math.max(0, v) / top) * plotW;
  let y = 0;
  labels.forEach((label, i) => {
    lines(label).forEach((line, k) => add("text", { x: left, y: y + 17 + k * labelH, "font-size": 16, fill: INK }, line));
    let yb = y + labelH * lines(label).length;
    names.forEach((name, j) => {
      const v = series[name][i];
      if (v === null || v === undefined) {
        add("text", { x: left, y: yb + barH - 3, "font-size": 14, fill: MUTED }, `${name}: no figure`);
      } else {
        add("rect", { x: left, y: yb, width: Math.max(1, x(v) - left), height: barH, fill: COLOURS[j % COLOURS.length], class: "bar" });
        add("text", { x: x(v) + 4, y: yb + barH - 3, "font-size": 14, fill: INK }, format(v));
      }
      yb += barH + gap;
    });
    y += heights[i];
  });
  add("line", { x1: left, y1: y, x2: left + plotW, y2: y, stroke: MUTED, class: "axis" });
  for (const tick of [0, 0.5, 1]) {
    add("text", { x: x(tick * top), y: y + 18, "text-anchor": tick === 0 ? "start" : tick === 1 ? "end" : "middle", "font-size": 14, fill: MUTED }, format(tick * top));
  }
  const legend = h("div", { class: "legend" }, names.map((n, j) => h("span", {}, h("span", { class: `swatch c${j % COLOURS.length}` }), n)));
  const table = stackTable(`${title}: the figures`, ["", ...names],
    labels.map((label, i) => [label, ...names.map((n) => (series[n][i] === null || series[n][i] === undefined ? "—" : format(series[n][i])))]));
  return fitted(title, svg, legend, table);
}

/** Why a judged group has no ratio: the group it compares with is hidden, or no one was chosen. */
function noRatio(impact) {
  const warned = (impact.warnings || []).join(" ");
  if (warned.includes("the category they compare with is suppressed")) return "no ratio (the highest-rate group is not shown)";
  if (warned.includes("no impact ratios")) return "no ratio (no one in any group was chosen)";
  return "no ratio";
}

/** What a group's row says when it is not judged: too few, or suppressed for privacy. */
export function notJudged(row) {
  if (row.suppressed) return `not shown (${row.reason})`;
  if (row.too_few) return row.too_few.split(":")[0];
  return null;
}

/** The reference group of an impact table (the highest rate among those judged), if any. */
export function referenceOf(impact) {
  return (impact.categories || []).find((r) => r.verdict === "reference (highest rate)") || null;
}

/** Which group the ratios compare with, its n, and why the reference can change. */
function referenceNote(impact) {
  const ref = referenceOf(impact);
  if (!ref) return null;
  return h("p", { class: "meta reference-note" },
    `Compared with: ${ref.category} (n = ${ref.people}, rate ${pct(ref.rate)}${ref.rate_ci ? `, 95% interval ${range(ref.rate_ci, pct)}` : ""}), `,
    "the group with the highest rate among those large enough to judge (the rule NYC Local Law 144 uses). ",
    "When another group grows large enough to judge and has a higher rate, it becomes the reference and every ratio moves; ",
    "a reference of few people makes every interval wider, which the bars show.");
}

/**
 * Impact ratios of one table (an impact report as the API publishes it): per group its name
 * on a line, then a dot at the ratio and a bar over its 95% interval, the four-fifths line
 * dashed; groups too few to judge named with their n and no dot.
 */
export function ratioChart(title, impact) {
  const rows = impact.categories || [];
  const judged = rows.filter((r) => !notJudged(r) && r.impact_ratio !== null);
  const top = Math.max(1.2, ...judged.map((r) => (r.impact_ratio_ci ? r.impact_ratio_ci[1] : r.impact_ratio)));
  const left = 14, right = 14, labelH = 21, markH = 24, topPad = 4, axisH = 28;
  const named = (r) => (r.verdict === "reference (highest rate)" ? `${r.category} (reference, n = ${r.people})` : r.category);
  const heights = rows.map((r) => labelH * lines(named(r)).length + markH);
  const bottom = topPad + heights.reduce((a, b) => a + b, 0);
  const height = bottom + axisH;
  const plotW = WIDTH - left - right;
  const x = (v) => left + (Math.min(v, top) / top) * plotW;
  const { svg, add } = svgOf(WIDTH, height, `${title}: each group's impact ratio with its 95% interval`);
  for (const tick of [0, 0.5, 0.8, 1, top > 1.5 ? 1.5 : null].filter((t) => t !== null)) {
    add("text", { x: x(tick), y: bottom + 20, "text-anchor": tick === 0 ? "start" : "middle", "font-size": 15, fill: MUTED, class: "tick" }, num(tick, 1));
  }
  add("line", { x1: left, y1: bottom, x2: WIDTH - right, y2: bottom, stroke: MUTED, class: "axis" });
  add("line", { x1: x(FOUR_FIFTHS), y1: topPad, x2: x(FOUR_FIFTHS), y2: bottom, stroke: "#8a5a00", "stroke-dasharray": "4 3", class: "four-fifths" });
  let y0 = topPad;
  rows.forEach((row, i) => {
    const label = lines(named(row));
    label.forEach((line, k) => add("text", { x: left, y: y0 + 16 + k * labelH, "font-size": 16, fill: INK }, line));
    const y = y0 + labelH * label.length + markH / 2 - 2;
    y0 += heights[i];
    const why = notJudged(row);
    if (why || row.impact_ratio === null) {
      add("text", { x: left, y: y + 5, "font-size": 15, fill: MUTED }, why || noRatio(impact));
      return;
    }
    const colour = VERDICT_FILL[row.verdict] || MUTED;
    if (row.impact_ratio_ci) {
      const [lo, hi] = row.impact_ratio_ci;
      add("line", { x1: x(lo), y1: y, x2: x(hi), y2: y, stroke: colour, "stroke-width": 3, class: "interval" });
      for (const end of [lo, hi]) add("line", { x1: x(end), y1: y - 6, x2: x(end), y2: y + 6, stroke: colour, "stroke-width": 2 });
    }
    add("circle", { cx: x(row.impact_ratio), cy: y, r: 6, fill: colour, class: "ratio-dot" });
  });
  const legend = h("p", { class: "legend meta" },
    "Dot: impact ratio; bar: its 95% interval; dashed line: four-fifths (0.8). ",
    "A group is below four-fifths only when its whole bar is left of the line.");
  return fitted(title, svg, legend, referenceNote(impact), impactTable(title, impact));
}

/** The figures of an impact table: people, rate and ratio with their intervals, the verdict. */
export function impactTable(title, impact) {
  const rows = impact.categories || [];
  return stackTable(`${title}: the figures`, ["group", "people", "rate (95% interval)", "impact ratio (95% interval)", "verdict"],
    rows.map((r) => {
      const why = notJudged(r);
      return [r.category, String(r.people ?? "—"),
        r.rate === null ? "—" : `${pct(r.rate)}${r.rate_ci ? ` (${range(r.rate_ci, pct)})` : ""}`,
        r.impact_ratio === null || why ? "—" : `${ratio(r.impact_ratio)}${r.impact_ratio_ci ? ` (${range(r.impact_ratio_ci, ratio)})` : ""}`,
        why ? (r.too_few || why) : r.verdict === "no ratio" ? noRatio(impact) : words(r.verdict)];
    }), { className: "impact", rowClass: (i) => (notJudged(rows[i]) ? "not-judged" : null) });
}

/** A line chart of values per week (null: no figure that week), with its figures below. */
export function lineChart(title, labels, series, { max, format = pct, line } = {}) {
  const names = Object.keys(series);
  const values = names.flatMap((n) => series[n]).filter((v) => v !== null && v !== undefined);
  const top = max ?? niceTop(Math.max(1e-9, ...values, line ?? 0));
  const height = 220, left = 52, right = 14, topPad = 10, bottom = 40;
  const plotW = WIDTH - left - right, plotH = height - topPad - bottom;
  const x = (i) => left + (labels.length > 1 ? (i / (labels.length - 1)) * plotW : plotW / 2);
  const y = (v) => topPad + plotH - (Math.max(0, v) / top) * plotH;
  const { svg, add } = svgOf(WIDTH, height, title);
  add("line", { x1: left, y1: topPad + plotH, x2: WIDTH - right, y2: topPad + plotH, stroke: MUTED, class: "axis" });
  for (const tick of [0, 0.5, 1]) add("text", { x: left - 4, y: y(tick * top) + 5, "text-anchor": "end", "font-size": 14, fill: MUTED }, format(tick * top));
  // Week labels as "W49" under the axis (the year is in the table), at most five of them.
  const step = Math.max(1, Math.ceil(labels.length / 5));
  labels.forEach((label, i) => {
    if (i % step === 0 || i === labels.length - 1) {
      const anchor = i === 0 ? "start" : i === labels.length - 1 ? "end" : "middle";
      add("text", { x: x(i), y: topPad + plotH + 18, "text-anchor": anchor, "font-size": 14, fill: INK }, String(label).replace(/^\d{4}-/, ""));
    }
  });
  if (line !== undefined) add("line", { x1: left, y1: y(line), x2: WIDTH - right, y2: y(line), stroke: "#8a5a00", "stroke-dasharray": "4 3", class: "four-fifths" });
  names.forEach((name, j) => {
    const colour = COLOURS[j % COLOURS.length];
    let d = "";
    let pen = false; // a week without a figure breaks the line
    series[name].forEach((v, i) => {
      if (v === null || v === undefined) { pen = false; return; }
      d += `${pen ? "L" : "M"}${x(i)},${y(v)} `;
      pen = true;
      add("circle", { cx: x(i), cy: y(v), r: 3.5, fill: colour, class: "point" });
    });
    if (d) add("path", { d: d.trim(), fill: "none", stroke: colour, "stroke-width": 2, class: "trend-line" });
  });
  const legend = h("div", { class: "legend" }, names.map((n, j) => h("span", {}, h("span", { class: `swatch c${j % COLOURS.length}` }), n)));
  const table = stackTable(`${title}: the figures`, ["week", ...names],
    labels.map((label, i) => [label, ...names.map((n) => (series[n][i] === null || series[n][i] === undefined ? "—" : format(series[n][i])))]));
  // A long run of weeks keeps its figures one click away instead of a page of rows.
  const figures = labels.length > 8 ? h("details", {}, h("summary", {}, "The figures, week by week"), table) : table;
  return fitted(title, svg, legend, figures);
}
