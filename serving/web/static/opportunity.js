// One opportunity as the signed-in person sees it (`#opportunity=<external id>`): the posting in
// full, its lead and seats, what the person holds and lacks for it, their place in its pipeline,
// and Apply / Save / Not for me from there. Pieces the match cards share live here too.
import { act, api, h, say, words } from "./ui.js";

export const STAGE_WORDS = {
  applied: "Applied", shortlisted: "Shortlisted", accepted: "Offer accepted", invited: "Invited",
  offered: "Offer", waitlisted: "On the waitlist", assigned: "Assigned", completed: "Completed",
  rejected: "Not selected", withdrawn: "Withdrawn", declined: "Declined", lapsed: "Lapsed",
};

export const opportunityHref = (externalId) => `#opportunity=${encodeURIComponent(externalId)}`;
const path = (externalId) => `/api/v1/opportunities/${encodeURIComponent(externalId)}`;
export const step = (externalId, body) => api(`${path(externalId)}/pipeline`, { method: "POST", body });

/** "Gig · Finance · Remote · 6 h a week for 8 weeks · starts 2026-12-01" */
export function postingLine(o) {
  const hours = `${o.hours_per_week} h a week${o.duration_weeks ? ` for ${o.duration_weeks} weeks` : ""}`;
  return [words(o.kind).replace(/^./, (c) => c.toUpperCase()), o.department, o.location, hours, o.start_date ? `starts ${o.start_date}` : null]
    .filter(Boolean).join(" · ");
}

/** Ways to close a gap, each a link: a gig or mentorship to its page, a course to its catalogue page. */
export function learningList(learning) {
  if (!learning.length) return null;
  return h("ul", { class: "plain" }, learning.map((l) => {
    const effort = l.kind === "course" ? `${l.hours} h in all` : `${l.hours} h a week`;
    const builds = `builds ${l.skill_name} to ${l.kind === "course" ? l.level_to : l.level}`;
    const link = l.kind === "course"
      ? (l.url ? h("a", { href: l.url, target: "_blank", rel: "noopener" }, l.title, h("span", { class: "visually-hidden" }, " (opens a new tab)")) : h("span", {}, l.title))
      : h("a", { href: opportunityHref(l.external_id) }, l.title);
    return h("li", {}, `${words(l.kind).replace(/^./, (c) => c.toUpperCase())}: `, link, ` (${effort}; ${builds}${l.closes_gap ? "" : ", part of the way"})`);
  }));
}

const LEVEL_WORDS = ["", "aware", "basic", "working", "advanced", "expert"];

/** Skills as chips. `offered`: a mentorship's skills on offer, with the mentor's level in words
 *  (there to be learned, not a requirement failed). */
export function skillChips(list, cls, label, { offered = false } = {}) {
  if (!list.length) return null;
  const text = (s) => (offered
    ? `${s.name} (mentor: ${LEVEL_WORDS[s.level_required] || s.level_required}${s.level ? `, you: ${LEVEL_WORDS[s.level] || s.level}` : ""})`
    : `${s.name} (${s.level ? `level ${s.level}, asks ${s.level_required}` : `asks level ${s.level_required}`})`);
  return h("div", {}, h("span", { class: "meta" }, label),
    h("ul", { class: "chips" }, list.map((s) =>
      h("li", { class: `chip ${cls}` }, `${text(s)}${s.inferred_from ? ` (typical for: ${s.inferred_from})` : ""}`))));
}

/** A gig's or role's skills, required apart from preferred, so the chips add up to the
 *  strength line's "2 of 6 required skills" (preferred ones never counted among them). */
export function askedSkillChips(matched, missing) {
  const req = (list, want) => list.filter((s) => Boolean(s.required) === want);
  return [
    skillChips(req(matched, true), "ok", "You have (required):"),
    skillChips(req(missing, true), "miss", "To learn (required):"),
    skillChips(req(matched, false), "ok", "Also asked for (preferred), you have:"),
    skillChips(req(missing, false), "miss", "Also asked for (preferred), to learn:"),
  ];
}

/** Save / Unsave as one button that says what it will do, kept true to the server. */
export function saveButton(o, saved) {
  let on = saved;
  const button = h("button", { type: "button", class: "secondary", "aria-pressed": String(on) }, on ? "Saved ✓ (unsave)" : "Save");
  button.addEventListener("click", () => act(button, async () => {
    await api(`${path(o.external_id)}/saves`, { method: on ? "DELETE" : "POST" });
    on = !on;
    button.textContent = on ? "Saved ✓ (unsave)" : "Save";
    button.setAttribute("aria-pressed", String(on));
    return on;
  }, (nowOn) => (nowOn ? `Saved ${o.title}` : `Removed ${o.title} from your saved list`)));
  return button;
}

/** An application form behind an Apply button. */
export function applyControls(o, onApplied) {
  const note = h("textarea", { id: `note-${o.external_id}`, maxlength: "2000" });
  const box = h("div", { class: "hidden" },
    h("label", { for: `note-${o.external_id}` }, "A note to the lead (optional)"), note,
    h("div", { class: "row" }, h("button", {
      type: "button",
      onclick: (e) => act(e.target, async () => {
        await step(o.external_id, { action: "apply", note: note.value });
        onApplied(`Applied to ${o.title}`);
      }),
    }, "Send application")));
  const open = h("button", { type: "button", "aria-expanded": "false" }, "Apply");
  open.addEventListener("click", () => {
    box.classList.toggle("hidden");
    open.setAttribute("aria-expanded", String(!box.classList.contains("hidden")));
    if (!box.classList.contains("hidden")) note.focus();
  });
  return { open, box };
}

/** The steps a pair allows its employee, as buttons (rating with its choice). */
export function pairButtons(pair, refresh) {
  const o = pair.opportunity;
  return pair.allowed_next.map((action) => {
    if (action === "rate") {
      const rating = h("select", { "aria-label": `Rate ${o.title}` }, [5, 4, 3, 2, 1].map((n) => h("option", { value: n }, `${n} of 5`)));
      return h("span", { class: "row" }, rating, h("button", {
        type: "button",
        onclick: (e) => act(e.target, async () => { await step(o.external_id, { action: "rate", rating: Number(rating.value) }); refresh(); }, "Thank you for rating it"),
      }, "Rate"));
    }
    const cls = action.startsWith("decline") || action === "withdraw" ? "danger" : "";
    return h("button", {
      type: "button", class: cls,
      onclick: (e) => act(e.target, async () => { await step(o.external_id, { action }); refresh(); }, `${words(action)}: done`),
    }, words(action).replace(/^./, (c) => c.toUpperCase()));
  });
}

/** The page itself, into `root`. */
export async function opportunityPage(me, root, externalId, back_ = { href: "#matches", text: "Back to My matches" }) {
  const back = h("p", {}, h("a", { href: back_.href }, `← ${back_.text}`));
  const heading = h("h1", { tabindex: "-1" }, "Opportunity");
  const body = h("div");
  root.replaceChildren(back, heading, body);
  const render = async () => {
    body.replaceChildren(h("p", { class: "meta" }, "Loading…"));
    try {
      const view = me.subject_external_id
        ? await api(`/api/v1/employees/${encodeURIComponent(me.subject_external_id)}/opportunities/${encodeURIComponent(externalId)}`)
        : { opportunity: await api(path(externalId)), lead: null, for_you: null };
      heading.textContent = view.opportunity.title;
      body.replaceChildren(...content(view, render));
    } catch (error) {
      heading.textContent = "Opportunity not found";
      body.replaceChildren(h("p", { class: "error", role: "alert" }, error.status === 404
        ? "There is no such opportunity, or it is not posted (a draft is its lead's alone)."
        : error.message));
    }
  };
  await render();
  heading.focus();
}

function content(view, refresh) {
  const o = view.opportunity;
  const mine = view.for_you;
  const seats = view.seats_taken ?? o.seats_taken ?? null;
  const facts = h("dl", { class: "facts" },
    h("dt", {}, "Lead"), h("dd", {}, view.lead ? `${view.lead.name}, ${view.lead.title}` : "No longer on record"),
    h("dt", {}, "Department"), h("dd", {}, o.department),
    h("dt", {}, "Where"), h("dd", {}, o.location),
    h("dt", {}, "Hours"), h("dd", {}, `${o.hours_per_week} h a week${o.duration_weeks ? ` for ${o.duration_weeks} weeks` : ""}`),
    h("dt", {}, "Starts"), h("dd", {}, o.start_date || "When the lead and you agree"),
    h("dt", {}, "Levels"), h("dd", {}, `${o.level_min} to ${o.level_max}`),
    h("dt", {}, "Seats"), h("dd", {}, seats === null ? `${o.seats}` : `${seats} of ${o.seats} taken`),
    h("dt", {}, "State"), h("dd", {}, view.state || words(o.status)));
  const parts = [
    h("p", { class: "meta" }, postingLine(o)),
    h("section", { class: "card", "aria-labelledby": "opp-about" }, h("h2", { id: "opp-about" }, "About it"),
      h("p", { class: "description" }, o.description || "No description yet."), facts),
  ];
  if (!mine) return parts;
  if (mine.own) {
    parts.push(h("p", { class: "notice" }, "This is your own posting."));
    return parts;
  }
  const missing = mine.missing_skills.length;
  parts.push(h("section", { class: "card", "aria-labelledby": "opp-you" }, h("h2", { id: "opp-you" }, "You and this work"),
    o.kind === "mentorship"
      ? [skillChips(mine.missing_skills, "", "On offer, new to you:", { offered: true }),
        skillChips(mine.matched_skills, "ok", "On offer, you hold:", { offered: true })]
      : askedSkillChips(mine.matched_skills, mine.missing_skills),
    !mine.matched_skills.length && !missing ? h("p", { class: "meta" }, "It lists no skills.") : null,
    mine.learning.length ? [h("h3", {}, "Ways to close the gap"), learningList(mine.learning)] : null));
  const pair = mine.pair;
  if (pair) {
    parts.push(h("section", { class: "card", "aria-labelledby": "opp-stage" },
      h("h2", { id: "opp-stage" }, `Where you stand: ${STAGE_WORDS[pair.stage] || words(pair.stage)}`),
      pair.lapsed ? h("p", { class: "lapsed" }, pair.lapsed) : null,
      pair.note ? h("p", {}, `“${pair.note}”`) : null,
      pair.allowed_next.length ? h("div", { class: "row" }, pairButtons({ ...pair, opportunity: o }, refresh)) : null));
    return parts;
  }
  const actions = h("div", { class: "row" });
  const open = o.status === "open" && !(view.state || "").startsWith("Every seat");
  if (open) {
    const apply = applyControls(o, (message) => { say(message); refresh(); });
    actions.append(apply.open);
    parts.push(h("section", { class: "card", "aria-labelledby": "opp-act" }, h("h2", { id: "opp-act" }, "Interested?"), actions, apply.box));
  } else {
    parts.push(h("section", { class: "card", "aria-labelledby": "opp-act" }, h("h2", { id: "opp-act" }, "Interested?"),
      h("p", {}, o.status === "filled" || (view.state || "").startsWith("Every seat")
        ? "Every seat is taken: it no longer takes applications." : "It is not open to applications."), actions));
  }
  actions.append(saveButton(o, mine.saved), dismissButton(o, mine.dismissed, refresh));
  return parts;
}

function dismissButton(o, dismissed, refresh) {
  return h("button", {
    type: "button", class: "secondary",
    onclick: (e) => act(e.target, async () => {
      await api(`${path(o.external_id)}/dismissals`, { method: dismissed ? "DELETE" : "POST" });
      refresh();
    }, dismissed ? `${o.title} is back in your matches` : `Dismissed ${o.title}: it leaves your matches`),
  }, dismissed ? "Bring it back to my matches" : "Not for me");
}
