// What a project lead sees: their opportunities, each with its pipeline and masked candidates,
// and a form to post one (title first, the skills it implies to confirm).
import { act, api, h, load, say, words } from "./ui.js";

const STAGES = ["invited", "waitlisted", "applied", "shortlisted", "offered", "accepted", "assigned", "completed", "rejected", "withdrawn", "declined"];
const REASONS = [["skills", "Skills"], ["availability", "Availability"], ["timing", "Timing"], ["other", "Other"]];
const enc = encodeURIComponent;

const step = (opportunity, body) => api(`/api/v1/opportunities/${enc(opportunity)}/pipeline`, { method: "POST", body });

function who(candidate) {
  return candidate.identity ? `${candidate.identity.name} (${candidate.identity.email || candidate.identity.external_id})` : `Candidate ${candidate.handle}`;
}

function skillLine(candidate) {
  return candidate.skills.slice(0, 8).map((s) => `${s.name} ${s.level}`).join(", ") + (candidate.unreviewed_skills ? ` and ${candidate.unreviewed_skills} unreviewed` : "");
}

/** The buttons a pair's next steps allow, each asking for what that step needs. */
function stepControls(opportunity, pair, refresh) {
  const name = pair.candidate.identity ? pair.candidate.identity.external_id : pair.candidate.handle;
  const id = `p${pair.id}`;
  return pair.allowed_next.map((action) => {
    if (action === "reject") {
      const reason = h("select", { id: `${id}-reason`, "aria-label": "Reason" }, REASONS.map(([v, t]) => h("option", { value: v }, t)));
      return h("span", { class: "row" }, reason, h("button", {
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
      onclick: (e) => act(e.target, async () => { await step(opportunity, { action, candidate: name }); refresh(); }, `${words(action)}: done`),
    }, words(action).replace(/^./, (c) => c.toUpperCase()));
  });
}

function pipelineBoard(opportunity, board, refresh) {
  const filled = STAGES.filter((s) => board.stages[s] && board.stages[s].length);
  return h("section", { "aria-labelledby": "pipeline-h" },
    h("h2", { id: "pipeline-h" }, `Pipeline · ${board.seats_filled} of ${board.seats} seats taken · ${board.status}`),
    filled.length ? filled.map((stage) => h("div", { class: "stage" }, h("h3", {}, `${words(stage)} (${board.stages[stage].length})`),
      board.stages[stage].map((pair) => h("article", { class: "card" },
        h("p", {}, h("b", {}, who(pair.candidate))),
        h("p", { class: "meta" }, `Level ${pair.candidate.level} · ${pair.candidate.availability_hours_per_week} h free · ${skillLine(pair.candidate)}`),
        pair.note ? h("p", {}, `“${pair.note}”`) : null,
        pair.approval.status !== "none" ? h("p", { class: "meta" }, `Manager approval: ${pair.approval.status}`) : null,
        h("div", { class: "row" }, stepControls(opportunity, pair, refresh)))))) : h("p", { class: "meta" }, "Nobody yet: invite someone recommended below."));
}

function candidateCard(opportunity, item, refresh) {
  const c = item.candidate;
  const reason = h("input", { type: "text", id: `why-${c.handle}`, placeholder: "why (for the audit log)", "aria-label": `Reason to pin or hide ${c.handle}` });
  const override = (action) => (e) => act(e.target, async () => {
    if (reason.value.trim().length < 3) throw new Error("Say why (at least 3 characters): pins and hides are logged for HR.");
    await api(`/api/v1/opportunities/${enc(opportunity)}/overrides`, { method: "POST", body: { candidate: c.handle, action, reason: reason.value.trim() } });
    refresh();
  }, action === "pin" ? "Pinned on top" : "Hidden from this list");
  return h("article", { class: "card" },
    h("div", { class: "row" }, h("h3", { class: "grow" }, `${item.rank}. Candidate ${c.handle}`), item.pinned ? h("span", { class: "chip" }, "pinned") : null),
    h("p", { class: "meta" }, `Level ${c.level} · ${c.availability_hours_per_week} h free · open to ${c.open_to.join(", ")}`),
    h("ul", { class: "reasons", "aria-label": "Why recommended" }, item.explanation.reasons.map((r) => h("li", {}, `${r.text} (${r.effect})`))),
    h("p", { class: "meta" }, `Has: ${item.explanation.matched_skills.map((s) => s.name).join(", ") || "none of the asked skills"}`),
    h("div", { class: "row" },
      h("button", { type: "button", onclick: (e) => act(e.target, async () => { await step(opportunity, { action: "invite", candidate: c.handle }); refresh(); }, "Invitation sent") }, "Invite"),
      reason,
      h("button", { type: "button", class: "secondary", onclick: override("pin") }, "Pin"),
      h("button", { type: "button", class: "secondary", onclick: override("hide") }, "Hide")));
}

function editForm(o, refresh) {
  const title = h("input", { type: "text", id: "e-title", class: "wide", value: o.title });
  const hours = h("input", { type: "number", id: "e-hours", min: 0, max: 60, value: o.hours_per_week });
  const seats = h("input", { type: "number", id: "e-seats", min: 1, max: 100, value: o.seats });
  const status = h("select", { id: "e-status" }, ["draft", "open", "filled", "closed"].map((s) => h("option", { value: s, selected: s === o.status }, s)));
  return h("details", {}, h("summary", {}, "Edit this opportunity"),
    h("form", {
      class: "card",
      onsubmit: (e) => {
        e.preventDefault();
        act(e.submitter, async () => {
          await api(`/api/v1/opportunities/${enc(o.external_id)}`, { method: "PATCH", body: { title: title.value, hours_per_week: Number(hours.value), seats: Number(seats.value), status: status.value } });
          refresh();
        }, "Saved");
      },
    }, h("label", { for: "e-title" }, "Title"), title, h("label", { for: "e-hours" }, "Hours a week"), hours,
    h("label", { for: "e-seats" }, "Seats"), seats, h("label", { for: "e-status" }, "Status"), status, h("p", {}, h("button", { type: "submit" }, "Save changes"))));
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
    return [
      h("h2", {}, `${fresh.title} (${fresh.external_id})`),
      h("p", { class: "meta" }, `${words(fresh.kind)} · ${fresh.hours_per_week} h/week · asks ${fresh.required_skills.map((s) => `${s.name} ${s.level}`).join(", ") || "no skills"}`),
      editForm(fresh, render),
      pipelineBoard(fresh.external_id, board, render),
      h("section", { "aria-labelledby": "rec-h" }, h("h2", { id: "rec-h" }, "Recommended candidates (identities hidden until they apply)"),
        candidates.error ? h("p", { class: "error" }, candidates.error.message) : candidates.items.map((item) => candidateCard(fresh.external_id, item, render))),
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
    const select = h("select", { id: "pick-opp", class: "grow" }, page.items.map((o) => h("option", { value: o.external_id }, `${o.title} (${words(o.kind)}, ${o.status}, ${o.external_id})`)));
    const open = () => detail(page.items.find((o) => o.external_id === select.value), pane);
    select.addEventListener("change", open);
    open();
    return h("div", { class: "card" }, h("label", { for: "pick-opp" }, "Opportunity"), h("div", { class: "row" }, select));
  });
}

export function post(me, root) {
  const title = h("input", { type: "text", id: "p-title", class: "wide", required: true });
  const kind = h("select", { id: "p-kind" }, [["gig", "Gig"], ["mentorship", "Mentorship"], ["role", "Role"]].map(([v, t]) => h("option", { value: v }, t)));
  const hours = h("input", { type: "number", id: "p-hours", min: 0, max: 60, value: 4, required: true });
  const weeks = h("input", { type: "number", id: "p-weeks", min: 1, max: 260, value: 6 });
  const start = h("input", { type: "date", id: "p-start" });
  const seats = h("input", { type: "number", id: "p-seats", min: 1, max: 100, value: 1 });
  const suggested = h("div");
  let skills = [];
  const suggest = async (e) => act(e.target, async () => {
    if (!title.value.trim()) throw new Error("Write the title first.");
    const r = await api(`/api/v1/opportunities/suggest-skills?title=${enc(title.value.trim())}&limit=12`);
    skills = r.skills.map((s) => ({ ...s, box: h("input", { type: "checkbox", id: `s-${s.skill_id}`, checked: s.essential }), level: h("select", { "aria-label": `Level for ${s.label}` }, [1, 2, 3, 4, 5].map((n) => h("option", { value: n, selected: n === (s.essential ? 3 : 2) }, String(n)))) }));
    suggested.replaceChildren(
      h("p", { class: "meta" }, r.occupation ? `Typical for ${r.occupation.label}: tick what the work needs, and the level.` : "No occupation matched the title well: the opportunity needs skills of its own."),
      h("ul", { class: "plain" }, skills.map((s) => h("li", { class: "row" }, h("label", { class: "inline", for: s.box.id }, s.box, `${s.label}${s.essential ? "" : " (optional)"}`), s.level))));
  });
  root.append(h("h1", {}, "Post an opportunity"), h("form", {
    class: "card",
    onsubmit: (e) => {
      e.preventDefault();
      act(e.submitter, async () => {
        const chosen = skills.filter((s) => s.box.checked);
        const made = await api("/api/v1/opportunities", {
          method: "POST",
          body: {
            external_id: `O-${Date.now().toString(36).toUpperCase()}`,
            kind: kind.value, title: title.value.trim(), owner_external_id: me.subject_external_id,
            hours_per_week: Number(hours.value), duration_weeks: kind.value === "role" ? null : Number(weeks.value) || null,
            start_date: start.value || null, seats: Number(seats.value),
            required_skills: chosen.filter((s) => s.essential).map((s) => ({ skill_id: s.skill_id, level: Number(s.level.value) })),
            preferred_skills: chosen.filter((s) => !s.essential).map((s) => ({ skill_id: s.skill_id, level: Number(s.level.value) })),
          },
        });
        say(`Posted: ${made.title} (${made.external_id})`);
        location.hash = "opportunities";
        location.reload();
      });
    },
  },
  h("label", { for: "p-title" }, "Title"), h("div", { class: "row" }, title, h("button", { type: "button", class: "secondary", onclick: suggest }, "Suggest skills")),
  suggested,
  h("label", { for: "p-kind" }, "Kind"), kind,
  h("label", { for: "p-hours" }, "Hours a week"), hours,
  h("label", { for: "p-weeks" }, "Weeks"), weeks,
  h("label", { for: "p-start" }, "Starts"), start,
  h("label", { for: "p-seats" }, "Seats"), seats,
  h("p", {}, h("button", { type: "submit" }, "Post"))));
}
