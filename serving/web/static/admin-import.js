// Importing people or postings from a CSV or XLSX export: read its columns, check the
// mapping proposed (or remembered for these columns), try it without writing anything, then
// import it as a job whose progress the page follows.
import { act, api, h, say, words } from "./ui.js";

const KINDS = [["employees", "People"], ["opportunities", "Postings"]];
const METHODS = {
  alias: "your company's alias",
  alt_label: "another name for it",
  spelling: "spelling corrected",
  partial_label: "part of its name",
  embedding: "closest in meaning",
  custom: "new custom skill, for review",
};
const POLL_MS = 500;
// ISO dates (YYYY-MM-DD) everywhere in the console, as in the rest of the app.
const isoDay = (iso) => String(iso).slice(0, 10);

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function importer(me, root) {
  const kind = h("select", { id: "import-kind" }, KINDS.map(([value, text]) => h("option", { value }, text)));
  const file = h("input", { id: "import-file", type: "file", accept: ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", required: true });
  const read = h("button", { type: "submit" }, "Read the columns");
  const work = h("div", { class: "import-work" });
  const form = h("form", { class: "card", "aria-labelledby": "import-h" },
    h("h2", { id: "import-h" }, "Import people or postings"),
    h("p", { class: "meta" }, "Upload an export from Workday, SuccessFactors or a spreadsheet (CSV or Excel .xlsx). You check how its columns are read and see what the import would do before anything is written."),
    h("div", { class: "import-pick" },
      h("div", {}, h("label", { for: "import-kind" }, "The file holds"), kind),
      h("div", { class: "grow" }, h("label", { for: "import-file" }, "CSV or Excel file"), file)),
    h("div", { class: "row" }, read));
  // Another file or kind: the columns read before no longer apply.
  for (const control of [kind, file]) control.addEventListener("change", () => work.replaceChildren());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return say("Choose a file first.", true);
    const upload = { kind: kind.value, filename: chosen.name, content: base64(await chosen.arrayBuffer()) };
    const columns = await act(read, () => api("/api/v1/imports/files/columns", { method: "POST", body: upload }));
    if (columns) mappingStep(work, upload, columns);
  });
  root.append(form, work);
}

function mappingStep(root, upload, columns) {
  const fields = Object.fromEntries(columns.fields.map((f) => [f.field, f]));
  const mapping = { ...columns.mapping };
  const defaults = {};
  const defaultsBox = h("div", { class: "import-defaults" });
  const result = h("div", { "aria-live": "polite" });
  const rows = columns.headers.map((header, i) => {
    const id = `map-${i}`;
    const select = h("select", { id, "data-header": header },
      h("option", { value: "" }, "Not imported"),
      columns.fields.map((f) => h("option", { value: f.field, selected: mapping[header] === f.field }, f.label + (f.required ? " (needed)" : ""))));
    select.addEventListener("change", () => {
      mapping[header] = select.value || null;
      showDefaults();
      result.replaceChildren();
    });
    const samples = columns.samples[header] || [];
    return h("div", { class: "map-row" },
      h("label", { for: id }, header),
      h("span", { class: "meta map-sample" }, samples.length ? `e.g. ${samples.join(", ")}` : "empty in every row"),
      select);
  });
  function showDefaults() {
    const held = new Set(Object.values(mapping).filter(Boolean));
    if (held.has("first_name") || held.has("last_name")) held.add("name");
    const missing = columns.fields.filter((f) => f.required && !held.has(f.field) && !["external_id", "name", "title"].includes(f.field));
    defaultsBox.replaceChildren(...(missing.length ? [
      h("p", {}, "No column holds these; give one value for every row (or map a column):"),
      ...missing.map((f) => {
        const input = h("input", { id: `default-${f.field}`, type: "text", value: defaults[f.field] || "" });
        input.addEventListener("input", () => { defaults[f.field] = input.value; });
        return h("div", { class: "map-row" }, h("label", { for: `default-${f.field}` }, f.label), input);
      }),
    ] : []));
    for (const key of Object.keys(defaults)) if (!missing.some((f) => f.field === key)) delete defaults[key];
  }
  showDefaults();
  const body = () => ({ ...upload, mapping, defaults });
  const tryIt = h("button", { type: "button" }, "Try it (dry run)");
  tryIt.addEventListener("click", async () => {
    // A dry run of a large file takes a while: it runs as a job, its progress shown.
    const job = await act(tryIt, () => api("/api/v1/imports/files/dry-run?wait=false", { method: "POST", body: body() }));
    if (!job) return result.replaceChildren();
    tryIt.disabled = true;
    const progress = progressBox("dry-progress", "Dry run: checking every row (nothing is written)");
    result.replaceChildren(progress.box);
    const done = await watch(`/api/v1/imports/files/dry-run/${job.job_id}`, progress);
    tryIt.disabled = false;
    if (done.status !== "succeeded") return result.replaceChildren(failure(done, fields, "The dry run failed"));
    const report = done.result;
    const start = h("button", { type: "button", disabled: report.error_count > 0 }, `Import ${report.rows} ${report.rows === 1 ? "row" : "rows"}`);
    start.addEventListener("click", async () => {
      const started = await act(start, () => api("/api/v1/imports/files", { method: "POST", body: body() }));
      if (started) follow(result, started, fields);
    });
    const card = dryRunReport(report, fields);
    card.append(h("div", { class: "row" }, start,
      report.error_count ? h("span", { class: "meta" }, "Fix these rows in the file, then read it again: an import writes every row or none.") : null));
    result.replaceChildren(card);
  });
  const remembered = columns.remembered
    ? `The mapping you saved for these columns (${isoDay(columns.remembered.at)}) is filled in.`
    : "Proposed from the column names: check each one.";
  root.replaceChildren(h("section", { class: "card", "aria-labelledby": "map-h" },
    h("h2", { id: "map-h" }, `How the columns of ${upload.filename} are read`),
    h("p", { class: "meta" }, `${columns.rows} ${columns.rows === 1 ? "row" : "rows"} of ${words(KINDS.find(([k]) => k === upload.kind)[1].toLowerCase())}. ${remembered} The mapping is remembered for the next file with the same columns.`),
    h("div", { class: "map-grid" }, rows),
    defaultsBox,
    h("div", { class: "row" }, tryIt)), result);
}

const figure = (value, text) => h("div", { class: "figure" }, h("b", {}, String(value)), text);
const fieldName = (fields, field) => {
  const [top, ...rest] = String(field || "").split(".");
  const label = fields[top]?.label || words(top) || "the row";
  // "skills.0.level" reads "Skills, skill 1, level".
  const part = (p) => (/^\d+$/.test(p) ? `${top.endsWith("skills") ? "skill" : "item"} ${Number(p) + 1}` : words(p));
  return [label, ...rest.map(part)].join(", ");
};

// A calibrated score in words: how sure the reading of a name is.
const likelihood = (score) => (score >= 0.9 ? "almost certain" : score >= 0.75 ? "very likely" : score >= 0.6 ? "likely" : score >= 0.4 ? "possible" : "unlikely");
const NEAR = 0.25; // below this the closest skill is noise, not worth naming
const GUESSES = new Set(["spelling", "partial_label", "embedding"]);
const rowsText = (n) => `${n.rows} ${n.rows === 1 ? "row" : "rows"}`;

function reportParts(report, fields, { rows, threshold }) {
  const names = report.names || [];
  const newCustom = names.filter((n) => n.method === "custom" && n.review);
  const oldCustom = names.filter((n) => n.method === "custom" && !n.review);
  const guessed = names.filter((n) => GUESSES.has(n.method));
  const certain = names.filter((n) => n.method !== "custom" && !GUESSES.has(n.method));
  const bar = typeof threshold === "number" ? ` (${threshold.toFixed(2)})` : "";
  const parts = [];
  if (guessed.length) {
    // Guesses first and open: the admin checks them before anything is written.
    parts.push(details(`Skill names read by a guess: check them (${guessed.length})`, [
      h("p", { class: "meta" }, "Each name below was read as the skill after “read as”, with how sure the reading is. Not what your company means? Add an alias in “Skill aliases” (the name → the skill you mean), then try the dry run again."),
      h("ul", { class: "plain import-guesses" }, guessed.map((n) => h("li", {},
        `“${n.name}” read as `, h("b", {}, n.label), ` — ${likelihood(n.score)} (score ${n.score.toFixed(2)}, ${METHODS[n.method] || words(n.method)}; ${rowsText(n)})`))),
    ], true));
  }
  if (certain.length) {
    parts.push(details(`Skill names read as taxonomy skills (${certain.length})`, h("ul", { class: "plain" },
      certain.map((n) => h("li", {}, `“${n.name}” → ${n.label} (${METHODS[n.method] || words(n.method)}; ${rowsText(n)})`)))));
  }
  if (newCustom.length) {
    parts.push(details(`New custom skills, for review (${newCustom.length})`, h("ul", { class: "plain" },
      newCustom.map((n) => h("li", {}, `“${n.name}”, row ${n.first_row}: kept as a custom skill${n.nearest && n.nearest_score >= NEAR
        ? ` — the closest skill, ${n.nearest}, is ${likelihood(n.nearest_score)} (score ${n.nearest_score.toFixed(2)}), below the score needed to read it as that${bar}`
        : " — no skill in the taxonomy comes close"}`)))));
  }
  if (oldCustom.length) {
    parts.push(details(`Existing custom skills (${oldCustom.length})`, h("ul", { class: "plain" },
      oldCustom.map((n) => h("li", {}, `“${n.name}”: already a custom skill (from an earlier import or typed by someone); ${rowsText(n)}`)))));
  }
  if (report.merges?.length) {
    parts.push(details(`Skills merged within a row (${report.merges.length})`, h("ul", { class: "plain" },
      report.merges.map((m) => h("li", {}, `Row ${m.row}: ${m.names.map((n) => `“${n}”`).join(" and ")} → ${m.label}, level ${m.level}`)))));
  }
  if (report.unplaced_titles?.length) {
    parts.push(details(`Titles placed in no occupation (${report.unplaced_titles.length})`, h("ul", { class: "plain" },
      report.unplaced_titles.map((u) => h("li", {}, `Row ${u.row}: “${u.title}”`)))));
  }
  if (rows) parts.unshift(...rows);
  return parts;
}

function details(summary, content, open = false) {
  return h("details", { open }, h("summary", {}, summary), content);
}

function dryRunReport(report, fields) {
  const summary = report.report.summary;
  const errors = report.errors.length ? details(`Errors by row (${report.error_count})`, h("ul", { class: "plain import-errors" },
    report.errors.map((e) => h("li", {}, h("b", {}, `Row ${e.row}`), `, ${fieldName(fields, e.field)}: ${e.message}`))), true) : null;
  const notes = report.skill_notes.length ? details(`Skills cells read with a guess (${report.skill_note_count})`, h("ul", { class: "plain" },
    report.skill_notes.map((n) => h("li", {}, `Row ${n.row}, “${n.text}”: ${n.note}`)))) : null;
  return h("section", { class: "card", "aria-labelledby": "dry-h" },
    h("h2", { id: "dry-h" }, "Dry run: what the import would do"),
    h("p", {}, report.error_count ? `Nothing was written. ${report.error_count} ${report.error_count === 1 ? "problem stops" : "problems stop"} the import.`
      : report.create + report.update === 0 ? "Nothing was written. Importing it would change nothing: every row is stored as the file gives it."
        : "Nothing was written. The import can go ahead."),
    h("div", { class: "figures" },
      figure(report.create, "to create"),
      figure(report.update, "to update"),
      figure(report.unchanged, "unchanged"),
      figure(report.error_count, report.error_count === 1 ? "error" : "errors"),
      figure(summary.merges, "skills merged"),
      figure(summary.names_not_exact - summary.by_custom, "skill names remapped"),
      figure(summary.flagged_for_review, summary.flagged_for_review === 1 ? "new custom skill" : "new custom skills"),
      summary.existing_custom ? figure(summary.existing_custom, summary.existing_custom === 1 ? "existing custom skill" : "existing custom skills") : null),
    reportParts(report.report, fields, { rows: [errors, notes].filter(Boolean), threshold: report.review_threshold }));
}

const PHASES = { queued: "Waiting to start", validating: "Checking the rows", "resolving skill names": "Resolving skill names", "inferring occupations": "Placing titles in occupations", storing: "Writing", stored: "Written", "updating the index": "Updating the search index", running: "Running" };

/** A card with a labelled progress bar and a line of words, for a job to follow. */
function progressBox(id, title) {
  const bar = h("progress", { id, max: 1, value: 0 });
  const line = h("p", { id: `${id}-words` }, "Starting…");
  const box = h("section", { class: "card", "aria-labelledby": `${id}-h` },
    h("h2", { id: `${id}-h` }, title), h("label", { for: id }, "Progress"), bar, line);
  return { box, bar, line };
}

/** Poll a job until it ends, showing its phase and rows done; the last view of it. */
async function watch(path, { bar, line }) {
  for (;;) {
    let now;
    try {
      now = await api(path);
    } catch (error) {
      line.textContent = `${error.message} Checking again…`;
      await new Promise((done) => setTimeout(done, POLL_MS * 4));
      continue;
    }
    bar.max = Math.max(now.total, 1);
    bar.value = now.status === "succeeded" ? bar.max : Math.min(now.done, now.total);
    if (now.status === "succeeded" || now.status === "failed") return now;
    line.textContent = `${PHASES[now.phase] || words(now.phase)}: ${Math.min(now.done, now.total)} of ${now.total} rows.`;
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

function failure(job, fields, title) {
  say(`${title}; nothing was written.`, true);
  return h("section", { class: "card", "aria-labelledby": "failed-h" },
    h("h2", { id: "failed-h" }, `${title}: nothing was written`),
    h("ul", { class: "plain import-errors" }, (job.errors || []).map((e) => h("li", {},
      e.index === null || e.index === undefined ? e.message : `Row ${e.index + 1}, ${fieldName(fields, e.field)}: ${e.message}`))));
}

async function follow(root, job, fields) {
  const progress = progressBox("import-progress", "Importing");
  root.replaceChildren(progress.box);
  const done = await watch(`/api/v1/imports/${job.job_id}`, progress);
  if (done.status !== "succeeded") return root.replaceChildren(failure(done, fields, "The import failed"));
  const r = done.result;
  say(`Imported: ${r.created} created, ${r.updated - (r.report.summary.unchanged || 0)} updated.`);
  const custom = r.report.summary.flagged_for_review;
  const same = r.report.summary.unchanged || 0;
  progress.line.textContent = `Done: ${r.created} created, ${r.updated - same} updated${same ? `, ${same} unchanged` : ""}.${custom ? ` ${custom} new custom ${custom === 1 ? "skill waits" : "skills wait"} in “Skills to review”.` : ""}`;
  progress.box.querySelector("h2").textContent = "Imported";
  progress.box.append(...reportParts(r.report, fields, { rows: [] }));
}
