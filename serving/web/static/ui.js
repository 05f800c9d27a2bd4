// Small helpers the views share: elements, the API, messages in words, tabs, charts.

export const $ = (selector, root = document) => root.querySelector(selector);

/** h("button", {class: "x", onclick: fn, "aria-label": "..."}, "text", child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** What an error envelope says, in words a person can act on. */
export function describe(body, status) {
  if (!body) return `The server answered ${status}.`;
  const detail = body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (d.field ? `${d.field.replaceAll("_", " ")}: ${d.message}` : d.message)).join("; ");
  }
  if (detail && typeof detail === "object" && detail.message) {
    const next = detail.allowed_next && detail.allowed_next.length ? ` Next: ${detail.allowed_next.join(", ").replaceAll("_", " ")}.` : "";
    return `${detail.message}.${next}`.replace("..", ".");
  }
  return body.error ? body.error.replaceAll("_", " ") : `The server answered ${status}.`;
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { "X-Requested-With": "talent-web", Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("The server cannot be reached. Check your connection and try again.", 0, null);
  }
  if (response.status === 204) return null;
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) throw new ApiError(describe(payload, response.status), response.status, payload);
  return payload;
}

let statusTimer = null;
/** A short message in the live region (read out by screen readers). */
export function say(text, bad = false) {
  const region = $("#status");
  region.textContent = text;
  region.classList.toggle("bad", bad);
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { region.textContent = ""; }, bad ? 9000 : 4000);
}

export function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, error.message || String(error));
}

/** Run an action from a button: disable it meanwhile, report success or the error. */
export async function act(button, work, done) {
  if (button) button.disabled = true;
  try {
    const result = await work();
    // `done` may depend on the answer ("posted, but it needs skills"): a function of it.
    const message = typeof done === "function" ? done(result) : done;
    if (message) say(message);
    return result;
  } catch (error) {
    say(error.message || String(error), true);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// The latest load asked of each root: an earlier, slower one (the posting picked before
// this one) must not land over it when it finishes last.
const latestLoad = new WeakMap();

/** Load into `root`, showing progress and any error in words. */
export async function load(root, work) {
  const ticket = (latestLoad.get(root) || 0) + 1;
  latestLoad.set(root, ticket);
  root.replaceChildren(h("p", { class: "meta" }, "Loading…"));
  let content;
  try {
    content = [await work()].flat(Infinity).filter(Boolean);
  } catch (error) {
    content = [errorBox(error)];
  }
  if (latestLoad.get(root) === ticket) root.replaceChildren(...content);
}

let tabCount = 0;
/** Tabs with arrow-key movement; `select(name)` shows one and calls `show(name, panel)`. */
export function tabs(items, show, { label, initial, className = "subtabs", onchange, container } = {}) {
  const id = `t${++tabCount}`;
  const list = container || h("div", { role: "tablist", "aria-label": label, class: className });
  list.replaceChildren();
  const panel = h("div", { role: "tabpanel", id: `${id}-panel`, tabindex: "0" });
  const buttons = items.map(([name, text]) =>
    h("button", {
      type: "button",
      role: "tab",
      id: `${id}-${name}`,
      "aria-controls": `${id}-panel`,
      "aria-selected": "false",
      tabindex: "-1",
      "data-name": name,
      onclick: () => select(name),
    }, text));
  list.append(...buttons);
  list.onkeydown = (event) => {
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const next = buttons[(at + step + buttons.length) % buttons.length];
    next.focus();
    select(next.dataset.name);
  };
  function select(name) {
    for (const button of buttons) {
      const on = button.dataset.name === name;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute("aria-labelledby", `${id}-${name}`);
    if (onchange) onchange(name);
    show(name, panel);
  }
  select(initial && items.some(([n]) => n === initial) ? initial : items[0][0]);
  return { list, panel, select };
}

// A skill suggestion's score is the estimated chance it is what was typed: below this it is
// noise ("Tableau" then "TablEdit" at 0.006), so the form does not offer it.
export const SUGGESTION_FLOOR = 0.05;
export const likelySkills = (items) => items.filter((s) => s.score >= SUGGESTION_FLOOR);
export const pct = (value) => (value === null || value === undefined ? "n/a" : `${Math.round(value * 1000) / 10}%`);
export const num = (value, digits = 1) => (value === null || value === undefined ? "n/a" : String(Math.round(value * 10 ** digits) / 10 ** digits));
export const words = (text) => String(text ?? "").replaceAll("_", " ");

/**
 * A grouped bar chart as SVG, with its numbers in a table below (for screen readers and for
 * anyone who wants the figures). series: {name: [values...]}, one value per label.
 */
export function barChart(title, labels, series, { max, format = pct, line } = {}) {
  const names = Object.keys(series);
  const values = names.flatMap((n) => series[n]).filter((v) => v !== null && v !== undefined);
  const top = max ?? Math.max(1e-9, ...values, line ?? 0);
  const width = 640, height = 270, left = 64, bottom = 70, right = 8, topPad = 10;
  const plotW = width - left - right, plotH = height - bottom - topPad;
  const group = plotW / Math.max(labels.length, 1);
  const barW = Math.max(2, (group * 0.8) / Math.max(names.length, 1));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  add("line", { x1: left, y1: topPad + plotH, x2: width - right, y2: topPad + plotH, stroke: "#4a5263" });
  for (const tick of [0, 0.5, 1]) {
    const y = topPad + plotH - tick * plotH;
    add("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#4a5263" }, format(tick * top));
  }
  labels.forEach((label, i) => {
    names.forEach((name, j) => {
      const value = series[name][i];
      if (value === null || value === undefined) return;
      const barH = (Math.max(0, value) / top) * plotH;
      const x = left + i * group + group * 0.1 + j * barW;
      add("rect", { x, y: topPad + plotH - barH, width: barW - 1, height: barH, class: `s${j % 3}` });
    });
    const text = String(label).length > 14 ? `${String(label).slice(0, 13)}…` : String(label);
    add("text", {
      x: left + i * group + group / 2, y: topPad + plotH + 14, "text-anchor": "end", "font-size": 11, fill: "#1b2230",
      transform: `rotate(-30 ${left + i * group + group / 2} ${topPad + plotH + 14})`,
    }, text);
  });
  if (line !== undefined) {
    const y = topPad + plotH - (line / top) * plotH;
    add("line", { x1: left, y1: y, x2: width - right, y2: y, stroke: "#8a5a00", "stroke-dasharray": "4 3" });
  }
  const legend = h("div", { class: "legend" }, names.map((n, j) => h("span", {}, h("span", { class: `swatch s${j % 3}` }), n)));
  const table = h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": `${title}: the figures` }, h("table", {},
    h("caption", { class: "meta" }, `${title}: the figures`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), names.map((n) => h("th", { scope: "col" }, n)))),
    h("tbody", {}, labels.map((label, i) => h("tr", {}, h("th", { scope: "row" }, label), names.map((n) => h("td", {}, format(series[n][i]))))))));
  return h("figure", { class: "chart" }, h("figcaption", {}, title), h("div", { class: "chart-scroll", tabindex: "0", role: "region", "aria-label": `${title} (scrolls sideways)` }, svg), legend, table);
}
