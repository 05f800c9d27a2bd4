// What a project lead sees: their opportunities, each with its pipeline and masked candidates,
// and a form to post one (title first, the skills it implies to confirm).
import { act, api, h, likelySkills, load, say, words } from "./ui.js";
import { focusWhenShown, whyBox } from "./why.js";

const STAGES = ["invited", "waitlisted", "applied", "shortlisted", "offered", "accepted", "assigned", "completed", "rejected", "withdrawn", "declined"];
const REASONS = [["skills", "Skills"], ["availability", "Availability"], ["timing", "Timing"], ["other", "Other"]];
const enc = encodeURIComponent;

const step = (opportunity, body) => api(`/api/v1/opportunities/${enc(opportunity)}/pipeline`, { method: "POST", body });
const DONE = {
  invite: "Invitation sent", shortlist: "Shortlisted", offer: "Offer sent", assign: "Assigned: the seat is taken",
  reject: "Rejected, with the reason logged", complete: "Marked complete",
};

function who(candidate) {
  return candidate.identity ? `${candidate.identity.name} (${candidate.identity.email || candidate.identity.external_id})` : `Candidate ${candidate.handle}`;
}

const HELD = { at_or_above: "at the level asked", below: "below the level asked", held: "held", not_held: "not held" };
const SHARE = { none: "none", some: "some", most: "most", all: "all" };

/** What a masked card shows, in words: only what the posting asks about, as coarse as it must
 *  be for several candidates of the list to look alike (the server decides). */
function cardLine(c) {
  if (c.detail === "withheld" || !c.detail) {
    return c.shared_by
      ? `Details withheld: a card shows details only where at least ${c.k} candidates of this list look alike (${c.shared_by} here).`
      : "Details appear once they apply or accept.";
  }
  const parts = [];
  const cov = c.coverage || {};
  if (cov.required_held !== undefined && cov.required_held !== null) parts.push(`${cov.required_held} of ${cov.required} required skills`);
  else if (cov.required_share) parts.push(`${SHARE[cov.required_share]} of the ${cov.required} required skills`);
  if (cov.preferred) parts.push(`${cov.preferred_held} of ${cov.preferred} preferred`);
  if (c.level_in_range !== undefined && c.level_in_range !== null) parts.push(c.level_in_range ? "level in range" : "level outside the range");
  return parts.join(" · ");
}

function skillList(c) {
  if (!c.asked_skills) return null;
  return h("ul", { class: "plain", "aria-label": "Asked skills" }, c.asked_skills.map((s) => h("li", {},
    `${s.name}${s.required ? "" : " (preferred)"}: ${HELD[s.held]}`)));
}

/** The buttons a pair's next steps allow, each asking for what that step needs. */
function stepControls(opportunity, pair, refresh) {
  const name = pair.candidate.identity ? pair.candidate.identity.external_id : pair.candidate.handle;
  const id = `p${pair.id}`;
  return pair.allowed_next.map((action) => {
    if (action === "reject") {
      const reason = h("select", { id: `${id}-reason` }, REASONS.map(([v, t]) => h("option", { value: v }, t)));
      return h("span", { class: "row" }, h("label", { class: "inline", for: `${id}-reason` }, "Reason"), reason, h("button", {
        type: "button", class: "danger",
        onclick: (e) => act(e.target, async () => { await step(opportunity, { action, candidate: name, reason_code: reason.value }); refresh(); }, "Rejected, with the reason logged"),
      }, "Reject"));
    }
    if (action === "complete") {
      const rating = h("select", { id: `${id}-rating`, "aria-label": "Rating" }, [5, 4, 3, 2, 1].map((n) => h("option", { value: n }, `${n} of 5`)));
      const used = h("input", { type: "text", id: `${id}-used`, placeholder: "SQL:4, Python:3", "aria-label": "Skills used, with levels" });
      return h("span", { class: "row" }, rating, used, h("button", {
        type: "button",
        onclick: (e) => act(e.target, async () => {
          const skills_used = used.value.split(",").map((x) => x.trim()).filter(Boolean).map((x) => {
            const [skill, level] = x.split(":");
            return { name: skill.trim(), level: Number(level || 3) };
          });
          await step(opportunity, { action, candidate: name, rating: Number(rating.value), skills_used });
          refresh();
        }, "Marked complete"),
      }, "Complete"));
    }
    return h("button", {
      type: "button",
      onclick: (e) => act(e.target, async () => { await step(opportunity, { action, candidate: name }); refresh(); }, DONE[action] || "Done"),
    }, words(action).replace(/^./, (c) => c.toUpperCase()));
  });
}

function pipelineBoard(opportunity, board, refresh, recommended) {
  const filled = STAGES.filter((s) => board.stages[s] && board.stages[s].length);
  return h("section", { "aria-labelledby": "pipeline-h" },
    h("h2", { id: "pipeline-h" }, `Pipeline · ${board.seats_filled} of ${board.seats} seats taken · ${board.status}`),
    filled.length ? filled.map((stage) => h("div", { class: "stage" }, h("h3", {}, `${words(stage)} (${board.stages[stage].length})`),
      board.stages[stage].map((pair) => h("article", { class: "card" },
        h("p", {}, h("b", {}, who(pair.candidate))),
        h("p", { class: "meta" }, cardLine(pair.candidate)),
        pair.note ? h("p", {}, `“${pair.note}”`) : null,
        pair.approval.status !== "none" ? h("p", { class: "meta" }, `Manager approval: ${pair.approval.status}`) : null,
        h("div", { class: "row" }, stepControls(opportunity, pair, refresh)))))) : h("p", { class: "meta" }, recommended ? "Nobody yet: invite someone recommended below." : "Nobody yet."));
}

// The edit form's field for each posting field a list's `why` names.
const POSTING_FIELDS = {
  hours_per_week: "#e-hours", level_min: "#e-level-min", level_max: "#e-level-max", location: "#e-location",
  status: "#e-status", seats: "#e-seats", start_date: "#e-start", required_skills: "#e-skill", overrides: "#ov-h + ul button",
};
const goToPosting = (where, field) => focusWhenShown(POSTING_FIELDS[field] || "#e-title");

/** Why nobody, or so few, are recommended (the server's words; counts of people banded). */
function whyCandidates(candidates) {
  if (candidates.error) {
    return h("div", { class: "card why" }, h("p", { class: "error" }, candidates.error.message),
      candidates.error.status === 409 ? h("button", { type: "button", class: "secondary", onclick: () => goToPosting("posting", "required_skills") }, "Edit this posting") : null);
  }
  if (!candidates.why) return null;
  const n = candidates.items.length;
  return whyBox(candidates.why, n ? `Why only ${n} ${n === 1 ? "is" : "are"} recommended` : "Why nobody is recommended", goToPosting);
}

function candidateCard(opportunity, item, refresh, inPipeline) {
  const c = item.candidate;
  const stage = inPipeline.get(c.handle);
  const reason = h("input", { type: "text", id: `why-${c.handle}`, placeholder: "why (for the audit log)", "aria-label": `Reason to pin or hide ${c.handle}` });
  const override = (action) => (e) => act(e.target, async () => {
    if (reason.value.trim().length < 3) throw new Error("Say why (at least 3 characters): pins and hides are logged for HR.");
    await api(`/api/v1/opportunities/${enc(opportunity)}/overrides`, { method: "POST", body: { candidate: c.handle, action, reason: reason.value.trim() } });
    refresh();
  }, action === "pin" ? "Pinned on top" : "Hidden from this list");
  return h("article", { class: "card" },
    h("div", { class: "row" }, h("h3", { class: "grow" }, `${item.rank}. Candidate ${c.handle}`), item.pinned ? h("span", { class: "chip" }, "pinned") : null),
    h("p", { class: "meta" }, cardLine(c)),
    h("ul", { class: "reasons", "aria-label": "Why recommended" }, item.explanation.reasons.map((r) => h("li", {}, `${r.text} (${r.effect})`))),
    skillList(c),
    h("div", { class: "row" },
      stage
        ? h("span", { class: "chip" }, `In your pipeline: ${words(stage)}`)
        : h("button", { type: "button", onclick: (e) => act(e.target, async () => { await step(opportunity, { action: "invite", candidate: c.handle }); refresh(); }, "Invitation sent") }, "Invite"),
      reason,
      h("button", { type: "button", class: "secondary", onclick: override("pin") }, "Pin"),
      h("button", { type: "button", class: "secondary", onclick: override("hide") }, "Hide")));
}

function editForm(o, refresh) {
  const title = h("input", { type: "text", id: "e-title", class: "wide", value: o.title });
  const hours = h("input", { type: "number", id: "e-hours", min: 0, max: 60, value: o.hours_per_week });
  const seats = h("input", { type: "number", id: "e-seats", min: 1, max: 100, value: o.seats });
  const status = h("select", { id: "e-status" }, ["draft", "open", "filled", "closed"].map((s) => h("option", { value: s, selected: s === o.status }, s)));
  const start = h("input", { type: "date", id: "e-start", value: o.start_date || "" });
  const weeks = h("input", { type: "number", id: "e-weeks", min: 1, max: 260, value: o.duration_weeks || "" });
  const levelMin = h("input", { type: "number", id: "e-level-min", min: 1, max: 7, value: o.level_min });
  const levelMax = h("input", { type: "number", id: "e-level-max", min: 1, max: 7, value: o.level_max });
  const location = h("input", { type: "text", id: "e-location", value: o.location });
  const skill = h("input", { type: "text", id: "e-skill", class: "grow", autocomplete: "off" });
  const skillLevel = h("select", { id: "e-skill-level", "aria-label": "Level asked for the skill to add" }, [1, 2, 3, 4, 5].map((n) => h("option", { value: n, selected: n === 3 }, String(n))));
  return h("details", {}, h("summary", {}, "Edit this opportunity"),
    h("form", {
      class: "card",
      onsubmit: (e) => {
        e.preventDefault();
        act(e.submitter, async () => {
          const added = skill.value.trim();
          await api(`/api/v1/opportunities/${enc(o.external_id)}`, {
            method: "PATCH",
            body: {
              title: title.value, hours_per_week: Number(hours.value), seats: Number(seats.value), status: status.value,
              start_date: start.value || null, duration_weeks: weeks.value ? Number(weeks.value) : null,
              level_min: Number(levelMin.value), level_max: Number(levelMax.value), location: location.value.trim() || o.location,
              ...(added ? { required_skills: [...o.required_skills.map((s) => ({ skill_id: s.skill_id, level: s.level })), { name: added, level: Number(skillLevel.value) }] } : {}),
            },
          });
          refresh();
        }, "Saved");
      },
    }, h("label", { for: "e-title" }, "Title"), title, h("label", { for: "e-hours" }, "Hours a week"), hours,
    h("label", { for: "e-seats" }, "Seats"), seats, h("label", { for: "e-start" }, "Starts"), start,
    h("label", { for: "e-weeks" }, "Weeks"), weeks,
    h("label", { for: "e-level-min" }, "Lowest level"), levelMin, h("label", { for: "e-level-max" }, "Highest level"), levelMax,
    h("label", { for: "e-location" }, "Location (Remote: anywhere)"), location,
    h("label", { for: "e-skill" }, "Add a required skill"), h("div", { class: "row" }, skill, skillLevel),
    h("label", { for: "e-status" }, "Status"), status, h("p", {}, h("button", { type: "submit" }, "Save changes"))));
}

function detail(o, root) {
  const render = () => load(root, async () => {
    const [board, fresh] = await Promise.all([
      api(`/api/v1/opportunities/${enc(o.external_id)}/pipeline`),
      api(`/api/v1/opportunities/${enc(o.external_id)}`),
    ]);
    let candidates;
    try {
      candidates = await api(`/api/v1/opportunities/${enc(o.external_id)}/candidates?limit=10`);
    } catch (error) {
      candidates = { items: [], error };
    }
    const inPipeline = new Map(Object.values(board.stages).flat().map((p) => [p.candidate.handle, p.stage]));
    const overrides = await api(`/api/v1/opportunities/${enc(o.external_id)}/overrides`);
    return [
      h("h2", {}, `${fresh.title} (${fresh.external_id})`),
      h("p", { class: "meta" }, `${words(fresh.kind)} · ${fresh.hours_per_week} h/week · asks ${fresh.required_skills.map((s) => `${s.name} ${s.level}`).join(", ") || "no skills"}`),
      editForm(fresh, render),
      pipelineBoard(fresh.external_id, board, render, candidates.items.length > 0),
      h("section", { "aria-labelledby": "rec-h" }, h("h2", { id: "rec-h" }, "Recommended candidates (identities hidden until they apply)"),
        candidates.items.map((item) => candidateCard(fresh.external_id, item, render, inPipeline)), whyCandidates(candidates)),
      overrides.items.length ? h("section", { "aria-labelledby": "ov-h" }, h("h2", { id: "ov-h" }, "Pins and hides"),
        h("ul", { class: "plain" }, overrides.items.map((x) => h("li", { class: "row" },
          h("span", { class: "grow" }, `${x.action === "pin" ? "Pinned" : "Hidden"}: candidate ${x.candidate} (“${x.reason}”)`),
          h("button", {
            type: "button", class: "secondary",
            onclick: (e) => act(e.target, async () => { await api(`/api/v1/opportunities/${enc(fresh.external_id)}/overrides/${x.id}`, { method: "DELETE" }); render(); }, "Undone"),
          }, x.action === "pin" ? "Unpin" : "Show again"))))) : null,
    ];
  });
  render();
}

export function opportunities(me, root) {
  const list = h("div");
  const pane = h("div");
  root.append(h("h1", {}, "My opportunities"), list, pane);
  load(list, async () => {
    const page = await api("/api/v1/opportunities?limit=100");
    if (!page.items.length) return h("p", { class: "meta" }, "You have posted nothing yet: see Post an opportunity.");
    const wanted = sessionStorage.getItem("talent-posted");
    sessionStorage.removeItem("talent-posted");
    const select = h("select", { id: "pick-opp", class: "grow" }, page.items.map((o) => h("option", { value: o.external_id, selected: o.external_id === wanted }, `${o.title} (${words(o.kind)}, ${o.status}, ${o.external_id})`)));
    const open = () => detail(page.items.find((o) => o.external_id === select.value), pane);
    select.addEventListener("change", open);
    open();
    return h("div", { class: "card" }, h("label", { for: "pick-opp" }, "Opportunity"), h("div", { class: "row" }, select));
  });
}

export function post(me, root) {
  const title = h("input", { type: "text", id: "p-title", class: "wide", required: true });
  const description = h("textarea", { id: "p-description", maxlength: "5000" });
  const kind = h("select", { id: "p-kind" }, [["gig", "Gig"], ["mentorship", "Mentorship"], ["role", "Role"]].map(([v, t]) => h("option", { value: v }, t)));
  const hours = h("input", { type: "number", id: "p-hours", min: 0, max: 60, value: 4, required: true });
  const weeks = h("input", { type: "number", id: "p-weeks", min: 1, max: 260, value: 6 });
  const start = h("input", { type: "date", id: "p-start" });
  const seats = h("input", { type: "number", id: "p-seats", min: 1, max: 100, value: 1 });
  const suggested = h("div");
  const own = h("ul", { class: "plain" });
  const levelOf = (label, value) => h("select", { "aria-label": `Level for ${label}` }, [1, 2, 3, 4, 5].map((n) => h("option", { value: n, selected: n === value }, String(n))));
  let skills = [];
  let occupation = null;
  const showSuggestions = (r) => {
    skills = r.skills.map((s, i) => ({ ...s, box: h("input", { type: "checkbox", id: `s-${s.skill_id}`, checked: s.essential && i < 6 }), level: levelOf(s.label, s.essential ? 3 : 2) }));
    const alternatives = [r.occupation, ...r.alternatives].filter(Boolean);
    suggested.replaceChildren(
      h("p", { class: "meta" }, r.occupation
        ? `Typical for ${r.occupation.label}: tick what the work needs, and the level.`
        : alternatives.length
          ? "No occupation matches the title closely. Pick the nearest below, or add the skills yourself."
          : "The title names no kind of work on its own: add the skills it needs below (or write a more specific title)."),
      alternatives.length > 1 || !r.occupation ? h("div", { class: "row" }, alternatives.map((o) => h("button", {
        type: "button", class: "secondary", "aria-pressed": String(occupation === o.occupation_id),
        onclick: (e) => act(e.target, async () => {
          occupation = o.occupation_id;
          const again = await api(`/api/v1/opportunities/suggest-skills?title=${enc(o.label)}&limit=12`);
          showSuggestions({ ...again, occupation: again.occupation || o, alternatives: r.alternatives });
        }, `Using the skills of ${o.label}`),
      }, o.label))) : null,
      h("ul", { class: "plain" }, skills.map((s) => h("li", { class: "row" }, h("label", { class: "inline", for: s.box.id }, s.box, `${s.label}${s.essential ? "" : " (optional)"}`), s.level))));
  };
  const suggest = async (e) => act(e.target, async () => {
    if (!title.value.trim()) throw new Error("Write the title first.");
    occupation = null;
    showSuggestions(await api(`/api/v1/opportunities/suggest-skills?title=${enc(title.value.trim())}&limit=12`));
  });
  const extra = [];
  const addName = h("input", { type: "text", id: "p-add", list: "p-add-options", autocomplete: "off", class: "grow" });
  const addOptions = h("datalist", { id: "p-add-options" });
  addName.addEventListener("input", async () => {
    if (addName.value.trim().length < 2) return;
    try {
      const r = await api(`/api/v1/skills/normalize?q=${enc(addName.value)}&limit=6`);
      addOptions.replaceChildren(...likelySkills(r.items).map((x) => h("option", { value: x.label })));
    } catch { /* the next keystroke asks again */ }
  });
  const addLevel = levelOf("the skill to add", 3);
  root.append(h("h1", {}, "Post an opportunity"), h("form", {
    class: "card",
    onsubmit: (e) => {
      e.preventDefault();
      act(e.submitter, async () => {
        const chosen = skills.filter((s) => s.box.checked);
        const required = [
          ...chosen.filter((s) => s.essential).map((s) => ({ skill_id: s.skill_id, level: Number(s.level.value) })),
          ...extra.map((x) => ({ name: x.name, level: Number(x.level.value) })),
        ];
        const made = await api("/api/v1/opportunities", {
          method: "POST",
          body: {
            external_id: `O-${Date.now().toString(36).toUpperCase()}`,
            kind: kind.value, title: title.value.trim(), description: description.value, owner_external_id: me.subject_external_id,
            hours_per_week: Number(hours.value), duration_weeks: kind.value === "role" ? null : Number(weeks.value) || null,
            start_date: start.value || null, seats: Number(seats.value),
            required_skills: required,
            preferred_skills: chosen.filter((s) => !s.essential).map((s) => ({ skill_id: s.skill_id, level: Number(s.level.value) })),
            ...(occupation && !required.length ? { occupation_id: occupation } : {}),
          },
        });
        sessionStorage.setItem("talent-posted", made.external_id);
        document.querySelector('#tabs [data-name="opportunities"]').click();
        return made;
      }, (made) => (made && made.needs_skills
        ? `Posted, but nobody is matched yet: its title names no occupation clearly${(made.occupation_choices || []).length ? ` (closest: ${made.occupation_choices.slice(0, 3).map((o) => o.label).join(", ")})` : ""}. Open it and list the skills it needs or pick an occupation.`
        : "Posted: it is open and matchable now"));
    },
  },
  h("label", { for: "p-title" }, "Title"), h("div", { class: "row" }, title, h("button", { type: "button", class: "secondary", onclick: suggest }, "Suggest skills")),
  suggested,
  h("label", { for: "p-add" }, "Add a skill of your own"), h("div", { class: "row" }, addName, addOptions, addLevel,
    h("button", {
      type: "button", class: "secondary",
      onclick: () => {
        const name = addName.value.trim();
        if (!name) return;
        const level = levelOf(name, Number(addLevel.value));
        const item = { name, level };
        extra.push(item);
        own.append(h("li", { class: "row" }, h("span", { class: "grow" }, `${name} (required)`), level,
          h("button", { type: "button", class: "danger", onclick: (ev) => { extra.splice(extra.indexOf(item), 1); ev.target.closest("li").remove(); } }, "Remove")));
        addName.value = "";
      },
    }, "Add")), own,
  h("label", { for: "p-description" }, "Description"), description,
  h("label", { for: "p-kind" }, "Kind"), kind,
  h("label", { for: "p-hours" }, "Hours a week"), hours,
  h("label", { for: "p-weeks" }, "Weeks"), weeks,
  h("label", { for: "p-start" }, "Starts"), start,
  h("label", { for: "p-seats" }, "Seats"), seats,
  h("p", {}, h("button", { type: "submit" }, "Post"))));
}
