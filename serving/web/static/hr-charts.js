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

const short = (text, n) => (String(text).length > n ? `${String(text).slice(0, n - 1)}…` : String(text));
const range = (ci, format) => (ci ? `${format(ci[0])} to ${format(ci[1])}` : "");

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

/**
 * Impact ratios of one table (an impact report as the API publishes it): per group a dot at
 * the ratio and a bar over its 95% interval, the four-fifths line dashed; groups too few to
 * judge named with their n and no dot.
 */
export function ratioChart(title, impact) {
  const rows = impact.categories || [];
  const judged = rows.filter((r) => !notJudged(r) && r.impact_ratio !== null);
  const top = Math.max(1.2, ...judged.map((r) => (r.impact_ratio_ci ? r.impact_ratio_ci[1] : r.impact_ratio)));
  // Text sizes hold up at a phone's 520 px (the chart's narrowest, scrolled sideways).
  const width = 640, left = 200, right = 16, rowH = 30, topPad = 8, axisH = 30;
  const height = topPad + rowH * Math.max(rows.length, 1) + axisH;
  const plotW = width - left - right;
  const x = (v) => left + (Math.min(v, top) / top) * plotW;
  const { svg, add } = svgOf(width, height, `${title}: each group's impact ratio with its 95% interval`);
  const bottom = topPad + rowH * Math.max(rows.length, 1);
  for (const tick of [0, 0.5, 0.8, 1, top > 1.5 ? 1.5 : null].filter((t) => t !== null)) {
    add("text", { x: x(tick), y: bottom + 18, "text-anchor": "middle", "font-size": 13, fill: "#4a5263" }, num(tick, 1));
  }
  add("line", { x1: left, y1: bottom, x2: width - right, y2: bottom, stroke: "#4a5263" });
  add("line", { x1: x(FOUR_FIFTHS), y1: topPad, x2: x(FOUR_FIFTHS), y2: bottom, stroke: "#8a5a00", "stroke-dasharray": "4 3" });
  rows.forEach((row, i) => {
    const y = topPad + i * rowH + rowH / 2;
    add("text", { x: left - 8, y: y + 5, "text-anchor": "end", "font-size": 14, fill: "#1b2230" }, short(row.category, 24));
    const why = notJudged(row);
    if (why) {
      add("text", { x: left + 4, y: y + 5, "font-size": 14, fill: "#4a5263" }, why);
      return;
    }
    if (row.impact_ratio === null) {
      add("text", { x: left + 4, y: y + 5, "font-size": 14, fill: "#4a5263" }, noRatio(impact));
      return;
    }
    const colour = VERDICT_FILL[row.verdict] || "#4a5263";
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
  return h("figure", { class: "chart" }, h("figcaption", {}, title),
    h("div", { class: "chart-scroll", tabindex: "0", role: "region", "aria-label": `${title} (scrolls sideways)` }, svg),
    legend, impactTable(title, impact));
}

/** The figures of an impact table: people, rate and ratio with their intervals, the verdict. */
export function impactTable(title, impact) {
  const rows = impact.categories || [];
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": `${title}: the figures` }, h("table", { class: "impact" },
    h("caption", { class: "meta" }, `${title}: the figures`),
    h("thead", {}, h("tr", {}, ["group", "people", "rate (95% interval)", "impact ratio (95% interval)", "verdict"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((r) => {
      const why = notJudged(r);
      return h("tr", { class: why ? "not-judged" : null },
        h("th", { scope: "row" }, r.category),
        h("td", {}, r.people ?? "—"),
        h("td", {}, r.rate === null ? "—" : `${pct(r.rate)}${r.rate_ci ? ` (${range(r.rate_ci, pct)})` : ""}`),
        h("td", {}, r.impact_ratio === null || why ? "—" : `${num(r.impact_ratio, 2)}${r.impact_ratio_ci ? ` (${range(r.impact_ratio_ci, (v) => num(v, 2))})` : ""}`),
        h("td", {}, why ? (r.too_few || why) : r.verdict === "no ratio" ? noRatio(impact) : words(r.verdict)));
    }))));
}

/** A line chart of values per week (null: no figure that week), with its figures below. */
export function lineChart(title, labels, series, { max, format = pct, line } = {}) {
  const names = Object.keys(series);
  const values = names.flatMap((n) => series[n]).filter((v) => v !== null && v !== undefined);
  const top = max ?? Math.max(1e-9, ...values, line ?? 0);
  const width = 640, height = 250, left = 56, right = 36, topPad = 10, bottom = 40;
  const plotW = width - left - right, plotH = height - topPad - bottom;
  const x = (i) => left + (labels.length > 1 ? (i / (labels.length - 1)) * plotW : plotW / 2);
  const y = (v) => topPad + plotH - (Math.max(0, v) / top) * plotH;
  const { svg, add } = svgOf(width, height, title);
  add("line", { x1: left, y1: topPad + plotH, x2: width - right, y2: topPad + plotH, stroke: "#4a5263" });
  for (const tick of [0, 0.5, 1]) add("text", { x: left - 6, y: y(tick * top) + 4, "text-anchor": "end", "font-size": 11, fill: "#4a5263" }, format(tick * top));
  const step = Math.max(1, Math.ceil(labels.length / 8));
  labels.forEach((label, i) => {
    if (i % step === 0) add("text", { x: x(i), y: topPad + plotH + 16, "text-anchor": "middle", "font-size": 11, fill: "#1b2230" }, label);
  });
  if (line !== undefined) add("line", { x1: left, y1: y(line), x2: width - right, y2: y(line), stroke: "#8a5a00", "stroke-dasharray": "4 3" });
  const colours = ["#1f5fcc", "#c0561f", "#17703d", "#6b3fa0", "#4a5263"];
  names.forEach((name, j) => {
    const colour = colours[j % colours.length];
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
  const legend = h("div", { class: "legend" }, names.map((n, j) => h("span", {}, h("span", { class: `swatch c${j % colours.length}` }), n)));
  const table = h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": `${title}: the figures` }, h("table", {},
    h("caption", { class: "meta" }, `${title}: the figures`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "week"), names.map((n) => h("th", { scope: "col" }, n)))),
    h("tbody", {}, labels.map((label, i) => h("tr", {}, h("th", { scope: "row" }, label), names.map((n) => h("td", {}, series[n][i] === null || series[n][i] === undefined ? "—" : format(series[n][i]))))))));
  // A long run of weeks keeps its figures one click away instead of a page of rows.
  const figures = labels.length > 8 ? h("details", {}, h("summary", {}, "The figures, week by week"), table) : table;
  return h("figure", { class: "chart" }, h("figcaption", {}, title),
    h("div", { class: "chart-scroll", tabindex: "0", role: "region", "aria-label": `${title} (scrolls sideways)` }, svg), legend, figures);
}
