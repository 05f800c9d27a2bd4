// The custom skills people typed, reviewed: accept one as a new skill, merge it into an
// existing skill, make its name an alias of one, or reject it; and the company's own names
// for skills (aliases). Every decision carries a reason, for the oversight log.
import { act, api, h, likelySkills, load, say } from "./ui.js";

const enc = encodeURIComponent;
const QUEUE_PAGE = 50;
let pickers = 0;

/** A search for an existing skill; `chosen()` is the picked {skill_id, label} or null. */
function skillPicker(legend, start = []) {
  const n = ++pickers;
  const query = h("input", { id: `pick-q-${n}`, type: "search", autocomplete: "off" });
  const find = h("button", { type: "button", class: "secondary" }, "Find");
  const options = h("div", { class: "pick-options" });
  let items = [];
  const show = (list) => {
    items = list;
    options.replaceChildren(...(list.length ? list.map((s, i) => h("label", { class: "inline" },
      h("input", { type: "radio", name: `pick-${n}`, value: String(i), checked: i === 0 && list.length === 1 }),
      ` ${s.label}`)) : [h("span", { class: "meta" }, "No skill found: try other words.")]));
  };
  const search = async () => {
    const q = query.value.trim();
    if (!q) return;
    const found = await act(find, () => api(`/api/v1/skills/normalize?q=${enc(q)}&limit=6`));
    if (found) show(likelySkills(found.items).filter((s) => !s.skill_id.startsWith("custom:") || s.method !== "own"));
  };
  find.addEventListener("click", search);
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); search(); }
  });
  if (start.length) show(start);
  const node = h("fieldset", { class: "picker" }, h("legend", {}, legend),
    h("label", { for: `pick-q-${n}` }, "Search the skills"),
    h("div", { class: "row" }, query, find), options);
  const chosen = () => {
    const picked = options.querySelector("input:checked");
    return picked ? items[Number(picked.value)] : null;
  };
  return { node, chosen };
}

const held = (uses) => {
  const parts = [`held by ${uses.profiles} ${uses.profiles === 1 ? "person" : "people"}`];
  if (uses.opportunities) parts.push(`asked by ${uses.opportunities} ${uses.opportunities === 1 ? "posting" : "postings"}`);
  return parts.join(", ");
};

export function reviewQueue(me, root) {
  const list = h("div");
  root.append(h("h2", {}, "Custom skills waiting for review"),
    h("p", { class: "meta" }, "Names people typed, or imports brought in, that are not in the skills taxonomy. Until you decide, it is suggested to no one else and shown to no lead. The most held come first."),
    list);
  load(list, async () => {
    const page = await api(`/api/v1/skills/review?order=uses&limit=${QUEUE_PAGE}`);
    if (!page.items.length) return h("p", {}, "Nothing is waiting for review.");
    const more = page.items.length === QUEUE_PAGE
      ? h("p", { class: "meta" }, `The ${QUEUE_PAGE} most held are shown; the rest appear as you decide on these (open this tab again).`)
      : null;
    return [...page.items.map((item) => reviewCard(item)), more];
  });
}

function reviewCard(item) {
  const id = item.skill_id.replace(/[^a-zA-Z0-9]/g, "").slice(-24);
  const label = h("input", { id: `label-${id}`, type: "text", value: item.label });
  const reason = h("input", { id: `reason-${id}`, type: "text", class: "wide", placeholder: "e.g. a tool our teams use" });
  const picker = skillPicker("An existing skill (to merge into or alias)", item.resembles.map((r) => ({ skill_id: r.skill_id, label: r.label })));
  const card = h("article", { class: "card review-card", "aria-labelledby": `h-${id}` });
  const decide = async (button, body, done) => {
    if (reason.value.trim().length < 3) return say("Give a reason (for the oversight log).", true);
    const answer = await act(button, () => api(`/api/v1/skills/${enc(item.skill_id)}/review`, { method: "POST", body: { ...body, reason: reason.value.trim() } }), done);
    if (answer) card.replaceChildren(h("p", {}, done));
    return answer;
  };
  const accept = h("button", { type: "button" }, "Accept as a new skill");
  accept.addEventListener("click", () => decide(accept, { decision: "approve", label: label.value.trim() || item.label }, `“${label.value.trim() || item.label}” is now a skill everyone can pick.`));
  const merge = h("button", { type: "button" }, "Merge into the chosen skill");
  merge.addEventListener("click", () => {
    const target = picker.chosen();
    if (!target) return say("Choose the skill to merge into.", true);
    decide(merge, { decision: "merge", into: target.skill_id }, `“${item.label}” merged into ${target.label}: its holders now hold ${target.label}.`);
  });
  const alias = h("button", { type: "button" }, "Make it an alias of the chosen skill");
  alias.addEventListener("click", async () => {
    const target = picker.chosen();
    if (!target) return say("Choose the skill it is another name for.", true);
    if (reason.value.trim().length < 3) return say("Give a reason (for the oversight log).", true);
    const added = await act(alias, () => api("/api/v1/skills/aliases", { method: "POST", body: { alias: item.label, skill_id: target.skill_id, reason: reason.value.trim() } }));
    if (!added) return;
    // The alias moves the skill typed with exactly this name; one kept apart for its typist
    // (someone else typed the same text first) is merged by hand.
    if (added.merged_custom_skill !== item.skill_id) {
      await decide(alias, { decision: "merge", into: target.skill_id }, "");
    }
    say(`“${item.label}” is now another name for ${target.label}.`);
    card.replaceChildren(h("p", {}, `“${item.label}” is now another name for ${target.label}; its holders moved over.`));
  });
  const reject = h("button", { type: "button", class: "danger" }, "Reject");
  reject.addEventListener("click", () => decide(reject, { decision: "reject" }, `“${item.label}” rejected: it stays on its holders' profiles, hidden from everyone else.`));
  card.append(
    h("h3", { id: `h-${id}` }, item.label),
    h("p", { class: "meta" }, `${held(item.uses)[0].toUpperCase()}${held(item.uses).slice(1)}; ${item.origin}.`),
    h("div", { class: "review-grid" },
      h("div", {}, h("label", { for: `label-${id}` }, "Name to publish, if accepted"), label),
      h("div", {}, h("label", { for: `reason-${id}` }, "Reason (for the oversight log)"), reason)),
    picker.node,
    h("div", { class: "row actions" }, accept, merge, alias, reject));
  return card;
}

export function aliases(me, root) {
  const list = h("div");
  const name = h("input", { id: "alias-name", type: "text", required: true, placeholder: "e.g. k8s" });
  const reason = h("input", { id: "alias-reason", type: "text", class: "wide", required: true });
  const picker = skillPicker("The skill it means");
  const add = h("button", { type: "submit" }, "Add the alias");
  const form = h("form", { class: "card", "aria-labelledby": "alias-add-h" },
    h("h2", { id: "alias-add-h" }, "Add an alias"),
    h("p", { class: "meta" }, "Your company's own name for a skill. Imports and profile edits read it as that skill from now on; people who typed it before move to the skill."),
    h("label", { for: "alias-name" }, "Alias"), name,
    picker.node,
    h("label", { for: "alias-reason" }, "Reason (for the oversight log)"), reason,
    h("div", { class: "row" }, add));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = picker.chosen();
    if (!target) return say("Find and choose the skill the alias means.", true);
    const added = await act(add, () => api("/api/v1/skills/aliases", { method: "POST", body: { alias: name.value.trim(), skill_id: target.skill_id, reason: reason.value.trim() } }),
      (a) => `“${a.alias}” now means ${a.label}${a.profiles ? `; ${a.profiles} ${a.profiles === 1 ? "person" : "people"} moved over` : ""}.`);
    if (added) {
      name.value = "";
      reason.value = "";
      refresh();
    }
  });
  const refresh = () => load(list, async () => {
    const all = await api("/api/v1/skills/aliases");
    if (!all.length) {
      return h("div", { class: "empty-aliases" },
        h("p", {}, "No aliases yet. An alias is your company's own name for a skill, for example “k8s” → Kubernetes"),
        h("p", { class: "meta" }, "Imports and profile edits then read that name as the skill instead of keeping it as a custom skill for review, and people who already typed it move to the skill. Add one above, or from “Skills to review”."));
    }
    return h("ul", { class: "plain alias-list" }, all.map(aliasRow(refresh)));
  });
  root.append(form, h("section", { "aria-labelledby": "alias-list-h" }, h("h2", { id: "alias-list-h" }, "Aliases"), list));
  refresh();
}

function aliasRow(refresh) {
  return (alias, i) => {
    const item = h("li", { class: "alias-row" });
    const remove = h("button", { type: "button", class: "secondary", "aria-label": `Remove the alias ${alias.alias}` }, "Remove");
    remove.addEventListener("click", () => {
      const reason = h("input", { id: `alias-rm-${i}`, type: "text" });
      const confirm = h("button", { type: "button", class: "danger" }, `Remove “${alias.alias}”`);
      confirm.addEventListener("click", async () => {
        if (reason.value.trim().length < 3) return say("Give a reason (for the oversight log).", true);
        const done = await act(confirm, () => api(`/api/v1/skills/aliases/${enc(alias.alias)}/remove`, { method: "POST", body: { reason: reason.value.trim() } }), `“${alias.alias}” removed; skills already read stay.`);
        if (done) refresh();
      });
      remove.replaceWith(h("span", { class: "row" }, h("label", { for: `alias-rm-${i}` }, "Reason"), reason, confirm));
      reason.focus();
    });
    item.append(h("span", { class: "grow" }, h("b", {}, alias.alias), ` means ${alias.label || alias.skill_id}`), remove);
    return item;
  };
}
