// The posting form, one for posting and for editing: every field a posting has, the skills it
// asks (suggested from its title, typed with suggestions, each required or preferred at a level)
// and, for an admin posting on a lead's behalf, the lead who owns it.
import { act, api, h, likelySkills } from "./ui.js";

const enc = encodeURIComponent;
const KINDS = [["gig", "Gig"], ["mentorship", "Mentorship"], ["role", "Role"]];
const STATUSES = [["draft", "Draft (only you see it)"], ["open", "Open"], ["filled", "Filled"], ["closed", "Closed"]];
// A new posting starts as a draft or open: it fills as people are assigned, and closes later.
const NEW_STATUSES = STATUSES.slice(0, 2);
const REMOTE = "Remote";

const levelSelect = (id, label, value) => h("select", { id, "aria-label": label },
  [1, 2, 3, 4, 5].map((n) => h("option", { value: n, selected: n === value }, `Level ${n}`)));

/**
 * The skills a posting asks: rows of (ask for it?, name, required or preferred, level).
 * Suggestions arrive unticked or ticked; what the lead types arrives ticked; unticking drops.
 */
function skillPicker(prefix) {
  const rows = [];
  const list = h("ul", { class: "plain skill-rows", "aria-label": "Skills this posting asks" });
  let changed = false;
  let count = 0;
  const render = () => list.replaceChildren(...rows.map((r) => r.node));
  function add({ skill_id, name, level, required, checked = true, note = "" }) {
    const existing = rows.find((r) => (skill_id && r.skill_id === skill_id) || r.name.toLowerCase() === name.toLowerCase());
    if (existing) {
      existing.box.checked = true;
      existing.kind.value = required ? "required" : "preferred";
      existing.level.value = String(level);
      return existing;
    }
    const id = `${prefix}-s${++count}`;
    const box = h("input", { type: "checkbox", id, checked });
    const kind = h("select", { id: `${id}-kind`, "aria-label": `Required or preferred: ${name}` },
      h("option", { value: "required", selected: required }, "Required"),
      h("option", { value: "preferred", selected: !required }, "Preferred"));
    const levelPick = levelSelect(`${id}-level`, `Level asked for ${name}`, level);
    const shown = h("span", {}, name);
    const row = { skill_id, name, box, kind, level: levelPick };
    for (const control of [box, kind, levelPick]) control.addEventListener("change", () => { changed = true; });
    row.node = h("li", { class: "row skill-row", "data-name": name },
      h("label", { class: "inline grow", for: id }, box, shown, note ? h("span", { class: "meta" }, ` (${note})`) : null), kind, levelPick);
    // What was typed, once the taxonomy resolved it: shown and sent as that skill.
    row.resolve = (resolved) => {
      const twin = rows.find((r) => r !== row && r.skill_id === resolved.skill_id);
      if (twin) {
        twin.box.checked = true;
        twin.kind.value = kind.value;
        twin.level.value = levelPick.value;
        rows.splice(rows.indexOf(row), 1);
        render();
        return;
      }
      Object.assign(row, resolved);
      shown.textContent = resolved.name;
      row.node.dataset.name = resolved.name;
      kind.setAttribute("aria-label", `Required or preferred: ${resolved.name}`);
      levelPick.setAttribute("aria-label", `Level asked for ${resolved.name}`);
    };
    rows.push(row);
    render();
    return row;
  }
  return {
    node: list,
    add(skill) { changed = true; return add(skill); },
    load(skill) { return add(skill); },
    clearUnticked() {
      for (let i = rows.length - 1; i >= 0; i -= 1) if (!rows[i].box.checked) rows.splice(i, 1);
      render();
    },
    get changed() { return changed; },
    asked(required) {
      return rows.filter((r) => r.box.checked && (r.kind.value === "required") === required)
        .map((r) => (r.skill_id ? { skill_id: r.skill_id, level: Number(r.level.value) } : { name: r.name, level: Number(r.level.value) }));
    },
  };
}

/** A text field offering taxonomy skills as one types; Enter (or Add) adds what it holds. */
function skillAdder(id, label, onAdd) {
  const input = h("input", { type: "text", id, list: `${id}-options`, autocomplete: "off", class: "grow" });
  const options = h("datalist", { id: `${id}-options` });
  const level = levelSelect(`${id}-level`, `Level of the new ${label.replace(/^Add an? /, "")}`, 3);
  let asked = 0;
  input.addEventListener("input", async () => {
    const text = input.value.trim();
    if (text.length < 2) return;
    const ticket = ++asked;
    try {
      const r = await api(`/api/v1/skills/normalize?q=${enc(text)}&limit=6`);
      if (ticket === asked) options.replaceChildren(...likelySkills(r.items).map((x) => h("option", { value: x.label })));
    } catch { /* the next keystroke asks again */ }
  });
  const addNow = async () => {
    const typed = input.value.trim();
    if (!typed) return;
    input.value = "";
    options.replaceChildren();
    // Added at once as typed (a Post right after still sends it: the server resolves names),
    // then shown as the skill it resolves to ("tableau" reads "Tableau"), as the posting will
    // store it; a name the taxonomy does not know stays as typed (kept as a custom skill).
    const row = onAdd(typed, Number(level.value));
    try {
      const [best] = likelySkills((await api(`/api/v1/skills/normalize?q=${enc(typed)}&limit=1`)).items);
      if (best && row && !row.skill_id) row.resolve({ skill_id: best.skill_id, name: best.label });
    } catch { /* left as typed: the server resolves it on save */ }
  };
  // Enter adds the skill; it never submits the whole form from here.
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); addNow(); } });
  return [h("label", { for: id }, label), h("div", { class: "row" }, input, options, level,
    h("button", { type: "button", class: "secondary", onclick: addNow }, "Add"))];
}

/**
 * An admin picks the lead a posting belongs to, by name. People who lead (own postings, manage
 * people or sign in as a lead) come first, each saying why; nobody is chosen until the admin
 * picks, so a namesake never receives a posting by default.
 */
function ownerPicker(prefix, current) {
  const search = h("input", { type: "search", id: `${prefix}-owner-q`, autocomplete: "off", class: "grow" });
  const pickOne = (text) => h("option", { value: "", selected: true }, text);
  const select = h("select", { id: `${prefix}-owner`, class: "grow" },
    current ? h("option", { value: current.external_id }, current.label) : pickOne("Search above, then choose"));
  const found = h("p", { class: "meta", id: `${prefix}-owner-found`, "aria-live": "polite" });
  let asked = 0;
  const find = async () => {
    const q = search.value.trim();
    if (q.length < 2) return;
    const ticket = ++asked;
    try {
      const r = await api(`/api/v1/opportunities/owners?q=${enc(q)}&limit=20`);
      if (ticket !== asked) return;
      const option = (p) => h("option", { value: p.external_id }, `${p.name}, ${p.title} (${p.department}): ${p.why}`);
      const leads = r.items.filter((p) => p.leads);
      const others = r.items.filter((p) => !p.leads);
      select.replaceChildren(...(r.items.length
        ? [pickOne(`Choose one of ${r.items.length} people called “${q}”`),
          leads.length ? h("optgroup", { label: "Leads" }, leads.map(option)) : null,
          others.length ? h("optgroup", { label: "Not leading anything yet" }, others.map(option)) : null].filter(Boolean)
        : [pickOne(`Nobody is called “${q}”`)]));
      found.textContent = r.items.length
        ? `${leads.length} of ${r.items.length} people called “${q}” lead; choose the owner below.`
        : `Nobody is called “${q}”.`;
    } catch { /* the next keystroke asks again */ }
  };
  search.addEventListener("input", find);
  search.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); find(); } });
  return {
    nodes: [h("label", { for: search.id }, "Lead who owns it: search people by name"), h("div", { class: "row" }, search), found,
      h("label", { for: select.id }, "Owner"), h("div", { class: "row" }, select)],
    get value() { return select.value; },
  };
}

const numberOr = (input, fallback = null) => (input.value === "" ? fallback : Number(input.value));

/**
 * The form. `o`: the posting to edit (null: a new one). `me`: who is signed in.
 * `saved(document)`: called with the stored posting.
 */
export function postingForm({ o = null, me, saved }) {
  const p = o ? "e" : "p";
  const field = (id, label, control, hint) => [h("label", { for: id }, label), hint ? h("p", { class: "meta hint", id: `${id}-hint` }, hint) : null, control];
  const title = h("input", { type: "text", id: `${p}-title`, class: "wide", required: true, maxlength: 200, value: o ? o.title : "" });
  const kind = h("select", { id: `${p}-kind`, disabled: Boolean(o) }, KINDS.map(([v, t]) => h("option", { value: v, selected: o && o.kind === v }, t)));
  const description = h("textarea", { id: `${p}-description`, maxlength: "5000" }, o ? o.description : "");
  // The company's departments as choices: employees filter their matches by these names.
  const departments = h("datalist", { id: `${p}-department-options` });
  const department = h("input", { type: "text", id: `${p}-department`, list: departments.id, maxlength: 200, autocomplete: "off", value: o ? o.department : "", placeholder: o ? "" : "the owner's department" });
  api("/api/v1/opportunities/departments")
    .then((r) => departments.replaceChildren(...r.items.map((d) => h("option", { value: d }))))
    .catch(() => { /* typed freely: the choices are a help, not a rule */ });
  // Location is optional: left empty (or Remote ticked) the posting is remote. Nothing is
  // ticked for a new posting, so the field is there to type in.
  const remote = h("input", { type: "checkbox", id: `${p}-remote`, checked: Boolean(o) && o.location === REMOTE });
  const location = h("input", { type: "text", id: `${p}-location`, maxlength: 200, "aria-describedby": `${p}-location-hint`, value: o && o.location !== REMOTE ? o.location : "", disabled: Boolean(o) && o.location === REMOTE });
  remote.addEventListener("change", () => { location.disabled = remote.checked; if (!remote.checked) location.focus(); });
  const seats = h("input", { type: "number", id: `${p}-seats`, min: 1, max: 100, value: o ? o.seats : 1, required: true });
  const start = h("input", { type: "date", id: `${p}-start`, value: o && o.start_date ? o.start_date : "" });
  const weeks = h("input", { type: "number", id: `${p}-weeks`, min: 1, max: 260, value: o ? (o.duration_weeks ?? "") : 6 });
  const hours = h("input", { type: "number", id: `${p}-hours`, min: 0, max: 60, step: "0.5", value: o ? o.hours_per_week : 4, required: true });
  const levelMin = h("input", { type: "number", id: `${p}-level-min`, min: 1, max: 7, value: o ? o.level_min : 1 });
  const levelMax = h("input", { type: "number", id: `${p}-level-max`, min: 1, max: 7, value: o ? o.level_max : 7 });
  const status = h("select", { id: `${p}-status` }, (o ? STATUSES : NEW_STATUSES).map(([v, t]) => h("option", { value: v, selected: (o ? o.status : "open") === v }, t)));
  const skills = skillPicker(p);
  if (o) {
    for (const [list, required] of [[o.required_skills, true], [o.preferred_skills, false]]) {
      for (const s of list) skills.load({ skill_id: s.skill_id, name: s.name, level: s.level, required, note: s.inferred ? "implied by the title" : "" });
    }
  }
  const owner = !o && me.role === "admin" ? ownerPicker(p, null) : null;

  const suggested = h("div", { class: "suggested", "aria-live": "polite" });
  let occupation = null;
  const showSuggestions = (r) => {
    skills.clearUnticked();
    const implied = r.skills.filter((s) => s.implied);
    for (const s of r.skills) {
      skills.load({
        skill_id: s.skill_id, name: s.label, level: s.level || (s.essential ? 3 : 2),
        required: s.implied ? s.implied === "required" : s.essential, checked: Boolean(s.implied),
        note: s.implied ? "implied by the title" : s.essential ? "typical" : "sometimes asked",
      });
    }
    const alternatives = [r.occupation, ...r.alternatives].filter(Boolean);
    const nRequired = implied.filter((s) => s.implied === "required").length;
    suggested.replaceChildren(
      h("p", { class: "meta" }, r.occupation
        ? `Typical for ${r.occupation.label}. Ticked: the ${nRequired} required and ${implied.length - nRequired} preferred skills a posting with this title asks if you leave the skills alone; tick or untick to change, and set each level.`
        : implied.length
          ? "The title names these products, ticked as required; it names no kind of work, so add the other skills it needs below."
          : alternatives.length
            ? "No occupation matches the title closely. Pick the nearest below, or add the skills yourself."
            : "The title names no kind of work on its own: add the skills it needs below (or write a more specific title)."),
      alternatives.length > 1 || !r.occupation ? h("div", { class: "row" }, alternatives.map((c) => h("button", {
        type: "button", class: "secondary", "aria-pressed": String(occupation === c.occupation_id),
        onclick: (e) => act(e.target, async () => {
          occupation = c.occupation_id;
          const again = await api(`/api/v1/opportunities/suggest-skills?title=${enc(c.label)}&limit=20`);
          showSuggestions({ ...again, occupation: again.occupation || c, alternatives: r.alternatives });
        }, `Using the skills of ${c.label}`),
      }, c.label))) : null);
  };
  const suggest = (e) => act(e.target, async () => {
    if (!title.value.trim()) throw new Error("Write the title first.");
    occupation = null;
    showSuggestions(await api(`/api/v1/opportunities/suggest-skills?title=${enc(title.value.trim())}&limit=20`));
  });

  const body = () => {
    const record = {
      title: title.value.trim(), description: description.value,
      location: remote.checked ? REMOTE : location.value.trim() || REMOTE,
      seats: numberOr(seats, 1), start_date: start.value || null,
      duration_weeks: kind.value === "role" ? null : numberOr(weeks),
      hours_per_week: numberOr(hours, 0), level_min: numberOr(levelMin, 1), level_max: numberOr(levelMax, 7),
      status: status.value,
    };
    if (department.value.trim()) record.department = department.value.trim();
    if (!o || skills.changed) {
      record.required_skills = skills.asked(true);
      record.preferred_skills = skills.asked(false);
    }
    if (!o && occupation && !record.required_skills.length) record.occupation_id = occupation;
    if (!o) return record;
    // An edit sends what changed only: a status left as it was is not a request to reopen.
    return Object.fromEntries(Object.entries(record).filter(([k, v]) => k.endsWith("_skills") || JSON.stringify(v) !== JSON.stringify(o[k] ?? null)));
  };

  const submit = h("button", { type: "submit" }, o ? "Save changes" : "Post");
  const form = h("form", {
    class: "card posting-form",
    onsubmit: (e) => {
      e.preventDefault();
      act(submit, async () => {
        if (owner && !owner.value) throw new Error("Owner: nobody is chosen yet. Search for the lead who owns it and choose them in Owner.");
        const record = body();
        const stored = o
          ? await api(`/api/v1/opportunities/${enc(o.external_id)}`, { method: "PATCH", body: record })
          : await api("/api/v1/opportunities", {
            method: "POST",
            body: { ...record, external_id: `O-${Date.now().toString(36).toUpperCase()}`, kind: kind.value, ...(owner ? { owner_external_id: owner.value } : {}) },
          });
        saved(stored);
        return stored;
      }, (stored) => {
        if (!stored) return "";
        if (o) return "Saved";
        return stored.needs_skills
          ? "Posted, but nobody is matched yet: its title names no kind of work and it asks no skills. Open it to choose the closest kind of work or add skills."
          : "Posted: it is open and matchable now";
      });
    },
  },
  owner ? h("fieldset", {}, h("legend", {}, "Who owns it"), owner.nodes) : null,
  h("fieldset", {}, h("legend", {}, "What it is"),
    field(`${p}-title`, "Title", o ? title : h("div", { class: "row" }, title, h("button", { type: "button", class: "secondary", onclick: suggest }, "Suggest skills"))),
    o ? null : suggested,
    field(`${p}-kind`, "Kind", kind, o ? "The kind is fixed once posted." : null),
    field(`${p}-description`, "Description", description)),
  h("fieldset", {}, h("legend", {}, "Skills it asks"),
    skills.node,
    skillAdder(`${p}-skill`, "Add a required skill", (name, level) => skills.add({ name, level, required: true })),
    skillAdder(`${p}-preferred`, "Add a preferred skill", (name, level) => skills.add({ name, level, required: false }))),
  h("fieldset", {}, h("legend", {}, "Where and when"),
    h("div", { class: "fields" },
      h("div", {}, field(`${p}-department`, "Department", department), departments),
      h("div", {}, h("label", { for: `${p}-location` }, "Location (optional)"),
        h("p", { class: "meta hint", id: `${p}-location-hint` }, "Empty: remote"), location,
        h("label", { class: "inline", for: `${p}-remote` }, remote, "Remote: anyone, anywhere")),
      h("div", {}, field(`${p}-start`, "Starts", start)),
      h("div", {}, field(`${p}-weeks`, "Duration in weeks", weeks)),
      h("div", {}, field(`${p}-hours`, "Hours a week", hours)))),
  h("fieldset", {}, h("legend", {}, "Who and how many"),
    h("div", { class: "fields" },
      h("div", {}, field(`${p}-seats`, "Seats", seats)),
      h("div", {}, field(`${p}-level-min`, "Lowest level", levelMin)),
      h("div", {}, field(`${p}-level-max`, "Highest level", levelMax)),
      h("div", {}, field(`${p}-status`, "Status", status)))),
  h("p", {}, submit));
  return form;
}
