// What an employee sees: matches with reasons (searched, filtered, paged), saved and dismissed
// opportunities, applications, a career path, the profile.
import { act, api, h, likelySkills, load, say, tabs, words } from "./ui.js";
import { focusWhenShown, whyBox } from "./why.js";
import { rankingNotice } from "./rights.js";
import {
  STAGE_WORDS, applyControls, askedSkillChips, learningList, opportunityHref, pairButtons, postingLine, saveButton, skillChips, step,
} from "./opportunity.js";

const KINDS = [["gig", "Gigs"], ["mentorship", "Mentorships"], ["role", "Roles"], ["saved", "Saved"], ["dismissed", "Not for me"]];
const PAGE = 10;

const me_ = (me) => encodeURIComponent(me.subject_external_id);
const PLURAL = { gig: "gigs", mentorship: "mentorships", role: "roles" };
const PROFILE_FIELDS = { availability_hours_per_week: "#hours", location: "#location", skills: "#add-skill" };
// The filters each kind was last searched with: they stay when the person comes back from an
// opportunity's page.
const lastFilters = {};

/** Where a change named by a list's `why` is made: the section's tab, then its field. */
const goTo = (kind) => (where, field) => {
  document.querySelector(`#tabs [data-name="${where}"]`).click();
  const selector = field === "open_to" ? `#open-${kind}` : PROFILE_FIELDS[field];
  if (selector) focusWhenShown(selector);
};

/** Why a list of `kind` came back empty or short, when it did. */
function whyMatches(body, kind) {
  if (!body.why) return null;
  const n = body.items.length;
  const title = n ? `Why only ${n} ${n === 1 ? kind : PLURAL[kind]} ${n === 1 ? "shows" : "show"}` : `Why no ${kind} shows`;
  return whyBox(body.why, title, goTo(kind));
}

/** A strength people can read. Gigs and roles: the required skills held at the level asked.
 *  Mentorships: what the mentee gets, the skills on offer they can grow (never "0 of 3
 *  required": a mentee is there to learn them). */
function strength(explanation, kind) {
  const asked = [...explanation.matched_skills, ...explanation.missing_skills];
  if (kind === "mentorship") {
    const grow = [...explanation.missing_skills, ...explanation.matched_skills.filter((s) => s.level < s.level_required)];
    if (!asked.length) return ["good", "Mentoring"];
    const names = grow.slice(0, 3).map((s) => s.name).join(", ");
    return grow.length
      ? ["good", `Offers ${grow.length} skill${grow.length === 1 ? "" : "s"} to grow: ${names}${grow.length > 3 ? "…" : ""}`]
      : ["partial", "You already hold every skill on offer at the mentor's level"];
  }
  const required = asked.filter((s) => s.required);
  const held = explanation.matched_skills.filter((s) => s.required);
  const atLevel = held.filter((s) => s.level >= s.level_required).length;
  if (!required.length) return ["good", "Good match"];
  if (!held.length) return ["partial", `A stretch: ${required.length === 1 ? "not the required skill" : `none of the ${required.length} required skills`} yet`];
  // Held at the level asked counts whole, held below it half.
  const share = (atLevel + 0.5 * (held.length - atLevel)) / required.length;
  const text = `${held.length} of ${required.length} required skill${required.length === 1 ? "" : "s"}${held.length > atLevel ? ` (${atLevel} at the level asked)` : ""}`;
  if (share >= 0.8) return ["strong", `Strong match: ${text}`];
  if (share >= 0.4) return ["good", `Good match: ${text}`];
  return ["partial", `Partial match: ${text}`];
}

function dismissButton(o, card) {
  return h("button", {
    type: "button", class: "secondary",
    onclick: (e) => act(e.target, async () => {
      await api(`/api/v1/opportunities/${encodeURIComponent(o.external_id)}/dismissals`, { method: "POST" });
      // The card gives way to a line that can bring it back; Undo puts the same card back
      // where it was (no reload: the pages shown with Show more stay).
      const was = [...card.childNodes];
      const undo = h("button", {
        type: "button", class: "secondary",
        onclick: (ev) => act(ev.target, async () => {
          await api(`/api/v1/opportunities/${encodeURIComponent(o.external_id)}/dismissals`, { method: "DELETE" });
          card.replaceChildren(...was);
          card.classList.remove("dismissed");
          card.querySelector("h3").focus();
        }, `${o.title} is back in your matches`),
      }, "Undo");
      card.replaceChildren(h("div", { class: "row" }, h("span", { class: "grow" }, `Dismissed ${o.title}.`), undo));
      card.classList.add("dismissed");
      undo.focus();
    }, `Dismissed ${o.title}`),
  }, "Not for me");
}

function matchCard(me, item, refresh) {
  const o = item.opportunity;
  const ex = item.explanation;
  const [cls, text] = strength(ex, o.kind);
  const whatIf = h("div", { class: "meta", "aria-live": "polite" });
  const apply = applyControls(o, (message) => { say(message); refresh(); });
  const card = h("article", { class: "card", "aria-labelledby": `m-${o.external_id}` });
  // A time-zone difference is something to weigh, whichever way it moved the score: neither
  // a gap anyone closes nor a reason the work suits them.
  const zone = (r) => r.feature === "timezone_gap_hours";
  const gaps = (ex.gaps || []).filter((g) => !zone(g));
  const weigh = [...ex.reasons, ...(ex.gaps || [])].filter(zone);
  const reasons = ex.reasons.filter((r) => !zone(r));
  const fill = (...parts) => card.append(...parts.flat(Infinity).filter(Boolean));
  fill(
    h("div", { class: "row" },
      h("h3", { id: `m-${o.external_id}`, class: "grow", tabindex: "-1" }, h("a", { href: opportunityHref(o.external_id) }, o.title)),
      h("span", { class: `strength ${cls}` }, text)),
    h("p", { class: "meta" }, postingLine(o)),
    reasons.length ? h("ul", { class: "reasons", "aria-label": "Why this match" }, reasons.map((r) => h("li", {}, r.text))) : null,
    gaps.length ? h("div", { class: "gaps" }, h("span", { class: "meta" }, "The gap:"),
      h("ul", { class: "reasons gap", "aria-label": "The gap" }, gaps.map((g) => h("li", {}, g.text)))) : null,
    weigh.length ? h("div", { class: "gaps" }, h("span", { class: "meta" }, "Worth knowing:"),
      h("ul", { class: "reasons", "aria-label": "Worth knowing" }, weigh.map((g) => h("li", {}, g.text)))) : null,
    o.kind === "mentorship"
      ? [skillChips(ex.missing_skills, "", "On offer, new to you:", { offered: true }),
        skillChips(ex.matched_skills, "ok", "On offer, you hold:", { offered: true })]
      : askedSkillChips(ex.matched_skills, ex.missing_skills),
    ex.learning.length ? h("details", {}, h("summary", {}, "Ways to close the gap"), learningList(ex.learning)) : null,
    whatIf,
    h("div", { class: "row" },
      apply.open,
      saveButton(o, item.saved),
      dismissButton(o, card),
      ex.paused ? null : h("button", {
        type: "button", class: "secondary",
        onclick: (e) => act(e.target, async () => {
          const w = await api(ex.what_if);
          const edit = w.best && `${w.best.edit.change === "add" ? "add" : "raise"} ${w.best.edit.skill_name} to level ${w.best.edit.to_level}`;
          whatIf.textContent = !w.best
            ? "No one skill would move this up."
            : w.best.rank < w.current.rank
              ? `What if: ${edit} → rank ${w.best.rank} (now ${w.current.rank}).`
              : `What if: it is already your number ${w.current.rank}; to ${edit} would make it a closer match still.`;
        }),
      }, "What would move it up?")),
    apply.box);
  return card;
}

function invitationCard(pair, refresh) {
  const o = pair.opportunity;
  const answer = (action, done) => (e) => act(e.target, async () => { await step(o.external_id, { action }); refresh(); }, done);
  return h("article", { class: "card invitation" },
    h("h3", {}, pair.lapsed ? "Lapsed invitation: " : "Invitation: ", h("a", { href: opportunityHref(o.external_id) }, o.title)),
    pair.note ? h("p", {}, `“${pair.note}”`) : null,
    h("p", { class: "meta" }, postingLine(o)),
    pair.lapsed
      ? h("p", { class: "lapsed" }, pair.lapsed)
      : h("div", { class: "row" },
        h("button", { type: "button", onclick: answer("accept_invitation", "Invitation accepted: you have applied") }, "Accept"),
        h("button", { type: "button", class: "secondary", onclick: answer("decline_invitation", "Invitation declined") }, "Decline")));
}

/** The search and filter form of one kind; `run(filters)` asks for the list. */
function filterForm(kind, facets, current, run) {
  const id = (name) => `f-${kind}-${name}`;
  const field = (name, label, control) => h("div", { class: "field" }, h("label", { for: id(name) }, label), control);
  const q = h("input", { type: "search", id: id("q"), value: current.q || "", placeholder: "title, description or skill" });
  const hours = h("input", { type: "number", id: id("hours"), min: 0, max: 80, step: 1, value: current.hours_max ?? "" });
  const choose = (name, options, value, anyText) => h("select", { id: id(name) },
    h("option", { value: "" }, anyText),
    options.map((o) => h("option", { value: o.value ?? o, selected: (o.value ?? o) === value }, o.text ?? o)));
  const department = choose("dept", facets.departments || [], current.department || "", "Any department");
  const places = (facets.locations || []).filter((l) => l.toLowerCase() !== "remote");
  const location = choose("where", [{ value: "remote", text: "Remote" }, ...places], current.location || "", "Anywhere I can work");
  const skill = h("input", { type: "text", id: id("skill"), value: current.skill || "", placeholder: "e.g. SQL" });
  const from = h("input", { type: "date", id: id("from"), value: current.starts_from || "" });
  const until = h("input", { type: "date", id: id("until"), value: current.starts_until || "" });
  const read = () => ({
    q: q.value.trim(), hours_max: hours.value === "" ? null : Number(hours.value), department: department.value,
    location: location.value, skill: skill.value.trim(), starts_from: from.value, starts_until: until.value,
  });
  const active = Object.values(current).some((v) => v !== "" && v !== null && v !== undefined);
  return h("form", {
    class: "card filters", role: "search", "aria-label": `Search ${PLURAL[kind]}`,
    onsubmit: (e) => { e.preventDefault(); run(read()); },
  },
  h("details", { open: active || window.innerWidth > 600 },
    h("summary", {}, "Search and filter"),
    h("div", { class: "filter-grid" },
      field("q", "Words", q), field("hours", "Hours a week, at most", hours), field("dept", "Department", department),
      field("where", "Where", location), field("skill", "A skill it asks for", skill),
      field("from", "Starts on or after", from), field("until", "Starts on or before", until)),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Search"),
      h("button", { type: "button", class: "secondary", onclick: () => run({}) }, "Clear filters"))));
}

function query(kind, filters, offset) {
  const params = new URLSearchParams({ kind, limit: String(PAGE) });
  if (offset) params.set("offset", String(offset));
  for (const [key, value] of Object.entries(filters)) {
    if (value !== "" && value !== null && value !== undefined) params.set(key, String(value));
  }
  return params;
}

function kindList(me, kind, target) {
  const filters = lastFilters[kind] || {};
  const render = () => load(target, async () => {
    const body = await api(`/api/v1/employees/${me_(me)}/matches?${query(kind, filters, 0)}`);
    const invitations = body.invitations.map((p) => invitationCard(p, render));
    const list = h("div", { class: "cards" }, body.items.map((item) => matchCard(me, item, render)));
    const filtered = Object.keys(body.filters || {}).length > 0;
    const summary = h("p", { class: "meta", role: "status", id: `sum-${kind}` });
    let shown = body.items.length;
    const tell = () => {
      summary.textContent = filtered
        ? `${body.matched} ${body.matched === 1 ? kind : PLURAL[kind]} match your filters; showing ${shown}.`
        : `Showing ${shown} of ${body.matched} ${PLURAL[kind]} that fit you.`;
    };
    tell();
    let next = body.next_offset;
    const more = h("button", { type: "button", class: "secondary more" }, "Show more");
    more.addEventListener("click", () => act(more, async () => {
      const page = await api(`/api/v1/employees/${me_(me)}/matches?${query(kind, filters, next)}`);
      const cards = page.items.map((item) => matchCard(me, item, render));
      list.append(...cards);
      shown += page.items.length;
      next = page.next_offset;
      tell();
      if (next === null || next === undefined) more.remove();
      if (cards.length) cards[0].querySelector("h3").focus();
      return page.items.length;
    }, (n) => `${n} more shown: ${shown} of ${body.matched}`));
    const paused = body.ranking && body.ranking.policy === "paused"
      ? h("p", { class: "notice paused" }, `HR has paused automated ranking of ${PLURAL[kind]}: these come in order of how close their skills are to yours, without reasons.`)
      : null;
    const empty = !body.items.length && filtered
      ? h("p", { class: "card" }, "Nothing matches these filters. Clear some to see more.") : null;
    return [
      filterForm(kind, body.facets || {}, filters, (wanted) => { lastFilters[kind] = wanted; kindList(me, kind, target); }),
      ...invitations, summary, paused, list, empty,
      next !== null && next !== undefined ? more : null,
      filtered ? null : whyMatches(body, kind),
      kind === "role" ? nextMoves(me, body.next_moves) : null,
    ];
  });
  render();
}

/** Saved, or dismissed ("Not for me"), each with the way back. */
function reactionList(me, which, target) {
  const render = () => load(target, async () => {
    const body = await api(`/api/v1/employees/${me_(me)}/${which === "saved" ? "saves" : "dismissals"}`);
    if (!body.items.length) {
      return h("p", { class: "meta" }, which === "saved"
        ? "Nothing saved yet: Save a match to keep it here."
        : "Nothing dismissed. What you mark “Not for me” waits here, so you can bring it back.");
    }
    return [
      h("p", { class: "meta" }, which === "saved" ? `${body.items.length} saved, newest first.` : `${body.items.length} dismissed, newest first: they stay out of your matches until you bring them back.`),
      body.items.map(({ opportunity: o, at, stage }) => h("article", { class: "card", "aria-labelledby": `${which}-${o.external_id}` },
        h("div", { class: "row" },
          h("h3", { id: `${which}-${o.external_id}`, class: "grow" }, h("a", { href: opportunityHref(o.external_id) }, o.title)),
          // Already in the workflow: say where, rather than invite a second application.
          stage && stage !== "none" ? h("span", { class: "stage-word" }, STAGE_WORDS[stage] || words(stage)) : null),
        h("p", { class: "meta" }, `${postingLine(o)} · ${which === "saved" ? "saved" : "dismissed"} ${at.slice(0, 10)}${o.status !== "open" ? ` · ${o.status === "filled" ? "every seat is taken" : words(o.status)}` : ""}`),
        h("div", { class: "row" }, h("button", {
          type: "button", class: "secondary",
          onclick: (e) => act(e.target, async () => {
            await api(`/api/v1/opportunities/${encodeURIComponent(o.external_id)}/${which === "saved" ? "saves" : "dismissals"}`, { method: "DELETE" });
            render();
          }, which === "saved" ? `Removed ${o.title} from your saved list` : `${o.title} is back in your matches`),
        }, which === "saved" ? "Unsave" : "Bring it back")))),
    ];
  });
  render();
}

export function matches(me, root) {
  const { list, panel } = tabs(KINDS, (kind, target) => {
    if (kind === "saved" || kind === "dismissed") reactionList(me, kind, target);
    else kindList(me, kind, target);
  }, { label: "Kinds of opportunity" });
  root.append(h("h1", {}, "My matches"), rankingNotice("employee"), list, panel);
}

/** Occupations next to the person's own, readiest first, with the gap: worth aiming at
 *  whether or not such a role is posted now. */
function nextMoves(me, moves) {
  if (!moves || !moves.length) return null;
  return h("section", { class: "card", "aria-labelledby": "moves-h" },
    h("h3", { id: "moves-h" }, "Good next moves"),
    h("p", { class: "meta" }, "Work next to yours, the one you are readiest for first. Aim for one to plan the path there."),
    h("ul", { class: "plain" }, moves.map((m) => h("li", {},
      h("div", { class: "row" },
        h("span", { class: "grow" }, h("b", {}, m.label), ` · you hold ${m.held.length} of the ${m.held.length + m.gap_total} skills and tools it asks for`),
        h("button", {
          type: "button", class: "secondary",
          onclick: (e) => act(e.target, async () => {
            await api(`/api/v1/employees/${me_(me)}/career-target`, { method: "PUT", body: { occupation_id: m.occupation_id } });
            document.querySelector('#tabs [data-name="career"]').click();
          }, `Your target is now ${m.label}`),
        }, `Aim for ${m.label}`)),
      m.gap.length ? h("ul", { class: "chips", "aria-label": `To learn for ${m.label}` }, m.gap.slice(0, 6).map((g) => h("li", { class: "chip miss" }, g.label))) : null))));
}

function pairCard(pair, refresh) {
  const o = pair.opportunity;
  const buttons = pairButtons(pair, refresh);
  const approval = pair.approval.status !== "none"
    ? h("p", { class: "meta" }, `Manager approval: ${pair.approval.status}${pair.approval.reason ? ` (“${pair.approval.reason}”)` : ""}`) : null;
  return h("article", { class: "card" },
    h("div", { class: "row" }, h("h3", { class: "grow" }, h("a", { href: opportunityHref(o.external_id) }, o.title)), h("span", { class: "chip" }, STAGE_WORDS[pair.stage] || words(pair.stage))),
    h("p", { class: "meta" }, `${words(o.kind).replace(/^./, (c) => c.toUpperCase())} · ${o.hours_per_week} h a week${pair.ends_on ? ` · until ${pair.ends_on}` : ""}${pair.waitlist_position ? ` · number ${pair.waitlist_position} on the waitlist` : ""}`),
    pair.lapsed ? h("p", { class: "lapsed" }, pair.lapsed) : null,
    approval,
    buttons.length ? h("div", { class: "row" }, buttons) : null);
}

/** Accepted offers and current work commit hours: what is left, or by how much it is over. */
function committedWords(committed, free) {
  if (!committed) return `You have committed none of your ${free} free hours a week.`;
  const left = free - committed;
  if (left < 0) return `You have committed ${committed} h a week (accepted offers and current work): ${-left} h a week more than the ${free} free hours your profile gives.`;
  return `${left} of your ${free} free hours a week are left after the ${committed} h you have committed (accepted offers and current work).`;
}

export function applications(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "My applications"), body);
  const render = () => load(body, async () => {
    const p = await api(`/api/v1/employees/${me_(me)}/pipeline`);
    const groups = [
      ["offers", "Offers to answer"], ["invitations", "Invitations to answer"], ["applications", "Applications"],
      ["waitlists", "Waitlists"], ["assignments", "Current work"], ["closed", "Finished and closed"],
    ];
    const proposals = await api(`/api/v1/employees/${me_(me)}/skill-proposals`);
    const pending = proposals.items.filter((x) => x.status === "pending");
    return [
      h("p", { class: "meta", id: "committed-hours" }, committedWords(p.committed_hours_per_week, p.availability_hours_per_week)),
      pending.length ? h("section", { class: "card", "aria-labelledby": "proposals" },
        h("h2", { id: "proposals" }, "Skills your work showed"),
        pending.map((x) => h("div", { class: "row" },
          h("span", { class: "grow" }, `${x.label}: level ${x.level} (your profile says ${x.current_level || "nothing"})`),
          h("button", { type: "button", onclick: (e) => act(e.target, async () => { await api(`/api/v1/employees/${me_(me)}/skill-proposals/${encodeURIComponent(x.skill_id)}`, { method: "POST", body: { decision: "accept" } }); render(); }, "Added to your profile") }, "Add to my profile"),
          h("button", { type: "button", class: "secondary", onclick: (e) => act(e.target, async () => { await api(`/api/v1/employees/${me_(me)}/skill-proposals/${encodeURIComponent(x.skill_id)}`, { method: "POST", body: { decision: "decline" } }); render(); }) }, "No thanks")))) : null,
      ...groups.filter(([key]) => p[key].length).map(([key, title]) =>
        h("section", { class: "stage" }, h("h2", {}, title), p[key].map((pair) => pairCard(pair, render)))),
      groups.some(([key]) => p[key].length) ? null : h("p", { class: "meta" }, "Nothing yet: apply from My matches."),
    ];
  });
  render();
}

export function career(me, root) {
  const body = h("div");
  const search = h("input", { type: "search", id: "target-q", class: "grow", placeholder: "e.g. data scientist" });
  const found = h("div");
  const roles = h("div");
  root.append(h("h1", {}, "Career path"),
    h("form", {
      class: "card",
      onsubmit: async (e) => {
        e.preventDefault();
        await act(null, async () => {
          const r = await api(`/api/v1/occupations/normalize?q=${encodeURIComponent(search.value)}&limit=5`);
          found.className = "row";
          found.replaceChildren(...r.items.map((o) => h("button", {
            type: "button", class: "secondary",
            onclick: (ev) => act(ev.target, async () => {
              await api(`/api/v1/employees/${me_(me)}/career-target`, { method: "PUT", body: { occupation_id: o.occupation_id } });
              render();
            }, `Your target is now ${o.label}`),
          }, o.label)));
        });
      },
    }, h("label", { for: "target-q" }, "Where do you want to be? Search an occupation"),
    h("div", { class: "row" }, search, h("button", { type: "submit" }, "Search")), found,
    h("p", { class: "meta" }, "Or aim at a role posted here:"), roles),
    body);
  load(roles, async () => {
    const r = await api(`/api/v1/employees/${me_(me)}/matches?kind=role&limit=5`);
    if (!r.items.length) return r.why ? whyMatches(r, "role") : h("span", { class: "meta" }, "no open role matches you now.");
    return h("div", { class: "row" }, r.items.map((item) => h("button", {
      type: "button", class: "secondary",
      onclick: (ev) => act(ev.target, async () => {
        await api(`/api/v1/employees/${me_(me)}/career-target`, { method: "PUT", body: { opportunity_external_id: item.opportunity.external_id } });
        render();
      }, `Your target is now ${item.opportunity.title}`),
    }, item.opportunity.title)));
  });
  const render = () => load(body, async () => {
    let path;
    try {
      path = await api(`/api/v1/employees/${me_(me)}/career-path`);
    } catch (error) {
      if (error.status === 409) return h("p", { class: "meta" }, "No target yet: search for where you want to be.");
      throw error;
    }
    const share = path.progress.share;
    return [
      h("h2", {}, `Towards: ${path.target.label}`),
      h("p", {}, `${path.progress.skills_met} of ${path.progress.skills_needed} skills at the level needed.`),
      h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(share * 100), "aria-label": "Progress to your target" },
        h("span", { class: `w${Math.round(share * 10)}` })),
      path.gap.length ? h("section", {}, h("h3", {}, "The gap"), h("ul", { class: "chips" }, path.gap.map((g) => h("li", { class: "chip miss" }, `${g.name} ${g.level_held}→${g.level_needed}`)))) : h("p", { class: "notice" }, "No gap left: you hold every skill at the level needed."),
      path.path.length ? h("section", {}, h("h3", {}, "Next steps, in order"),
        h("ol", {}, path.path.map((s) => h("li", {}, `${words(s.kind).replace(/^./, (c) => c.toUpperCase())}: `,
          s.kind === "course" ? s.title : h("a", { href: opportunityHref(s.external_id) }, s.title),
          ` (${s.hours} h${s.hours_are === "per week" ? " a week" : " in all"}) builds ${s.builds.map((b) => `${b.name} to ${b.to}`).join(", ")}`)))) : null,
      path.not_closed.length ? h("p", { class: "meta" }, `Built part of the way only by what is open now: ${path.not_closed.map((g) => g.name).join(", ")}.`) : null,
      path.not_covered.length ? h("p", { class: "meta" }, `Nothing open builds yet: ${path.not_covered.map((g) => g.name).join(", ")}.`) : null,
    ];
  });
  render();
}

const KIND_PLURAL = { gig: "Gigs", mentorship: "Mentorships", role: "Roles" };

/** "Open to: gigs, mentorships and roles" (never "gig mentorship role"). */
function openToWords(kinds) {
  const names = ["gig", "mentorship", "role"].filter((k) => kinds.includes(k)).map((k) => PLURAL[k]);
  if (!names.length) return "Open to: nothing yet (choose below what you would take on).";
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  return `Open to: ${list}`;
}

export function profile(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Profile"), body);
  const render = () => load(body, async () => {
    const p = await api(`/api/v1/employees/${me_(me)}`);
    const maybe = await api(`/api/v1/employees/${me_(me)}/suggested-skills`);
    const privacy = await api(`/api/v1/employees/${me_(me)}/quiet-mode`);
    const setLevel = (skill, level) => api(`/api/v1/employees/${me_(me)}/skills/${encodeURIComponent(skill)}`, { method: "PUT", body: { level } });
    const levelSelect = (id, value, onchange, label) => h("select", { id, "aria-label": label, onchange },
      [1, 2, 3, 4, 5].map((n) => h("option", { value: n, selected: n === value }, `${n} ${["", "aware", "basic", "working", "advanced", "expert"][n]}`)));
    const skills = h("ul", { class: "plain" }, p.skills.map((s) => h("li", { class: "row" },
      h("span", { class: "grow" }, s.name),
      levelSelect(`lv-${s.skill_id}`, s.level, (e) => act(e.target, () => setLevel(s.skill_id, Number(e.target.value)), `${s.name}: level ${e.target.value}`), `Level of ${s.name}`),
      h("button", { type: "button", class: "danger", onclick: (e) => act(e.target, async () => { await api(`/api/v1/employees/${me_(me)}/skills/${encodeURIComponent(s.skill_id)}`, { method: "DELETE" }); render(); }, `Removed ${s.name}`) }, `Remove`))));
    const add = h("input", { type: "text", id: "add-skill", list: "skill-options", class: "grow", autocomplete: "off" });
    const options = h("datalist", { id: "skill-options" });
    let found = [];
    let asked = 0; // each keystroke's question is numbered: a slower earlier answer is dropped
    add.addEventListener("input", async () => {
      const ticket = ++asked;
      if (add.value.trim().length < 2) return;
      try {
        const r = await api(`/api/v1/skills/normalize?q=${encodeURIComponent(add.value)}&limit=6`);
        if (ticket !== asked) return; // a later keystroke asked since: its answer decides
        found = likelySkills(r.items);
        options.replaceChildren(...found.map((s) => h("option", { value: s.label })));
      } catch { /* typing on: the next keystroke asks again */ }
    });
    const addLevel = levelSelect("add-level", 3, null, "Level of the new skill");
    const interests = h("input", { type: "text", id: "interests", class: "wide", value: p.interests.join(", ") });
    const aspirations = h("textarea", { id: "aspirations" }, p.aspirations);
    const hours = h("input", { type: "number", id: "hours", min: 0, max: 60, step: 1, value: p.availability_hours_per_week });
    const location = h("input", { type: "text", id: "location", autocomplete: "address-level2", value: p.location });
    const openTo = ["gig", "mentorship", "role"].map((k) => h("input", { type: "checkbox", id: `open-${k}`, value: k, checked: p.open_to.includes(k) }));
    const quiet = h("input", { type: "checkbox", id: "quiet", checked: privacy.quiet_mode });
    return [
      h("section", { class: "card" }, h("h2", {}, `${p.name}, ${p.title}`), h("p", { class: "meta" }, `${p.department} · level ${p.level} · ${p.location}${p.occupation ? ` · ${p.occupation.label}` : ""}`),
        h("p", { class: "meta", id: "open-to-line" }, openToWords(p.open_to))),
      h("section", { class: "card", "aria-labelledby": "skills-h" }, h("h2", { id: "skills-h" }, "My skills"), skills,
        h("label", { for: "add-skill" }, "Add a skill"), h("div", { class: "row" }, add, options, addLevel,
          h("button", {
            type: "button",
            onclick: (e) => act(e.target, async () => {
              const typed = add.value.trim();
              if (!typed) throw new Error("Type a skill first.");
              const hit = found.find((s) => s.label.toLowerCase() === typed.toLowerCase());
              if (hit) {
                await setLevel(hit.skill_id, Number(addLevel.value));
                say(`Added ${hit.label}`);
              } else {
                // Not one of the suggestions: the server resolves the name as an import does
                // (synonyms, typos), or keeps it as a skill of your own for HR to review.
                const before = new Set(p.skills.map((x) => x.skill_id));
                const saved = await api(`/api/v1/employees/${me_(me)}`, {
                  method: "PATCH",
                  body: { skills: [...p.skills.map((x) => ({ skill_id: x.skill_id, level: x.level })), { name: typed, level: Number(addLevel.value) }] },
                });
                const made = saved.skills.find((x) => !before.has(x.skill_id));
                say(made ? (made.name.toLowerCase() === typed.toLowerCase() ? `Added ${made.name}` : `Added as ${made.name}`) : "You already have that skill");
              }
              render();
            }),
          }, "Add"))),
      maybe.skills.length ? h("section", { class: "card", "aria-labelledby": "maybe-h" }, h("h2", { id: "maybe-h" }, "Skills you may have"),
        h("p", { class: "meta" }, `Usual for ${maybe.occupation ? maybe.occupation.label : "your occupation"}; confirm the ones you have.`),
        h("ul", { class: "plain" }, maybe.skills.slice(0, 8).map((s) => h("li", { class: "row" }, h("span", { class: "grow" }, s.label),
          h("button", { type: "button", class: "secondary", onclick: (e) => act(e.target, async () => { await setLevel(s.skill_id, 2); render(); }, `${s.label} added at level 2`) }, "I have this"))))) : null,
      h("form", {
        class: "card",
        onsubmit: (e) => {
          e.preventDefault();
          act(e.submitter, async () => {
            const saved = await api(`/api/v1/employees/${me_(me)}`, {
              method: "PATCH",
              body: {
                interests: interests.value.split(",").map((x) => x.trim()).filter(Boolean),
                aspirations: aspirations.value,
                availability_hours_per_week: Number(hours.value),
                location: location.value.trim() || p.location,
                open_to: openTo.filter((c) => c.checked).map((c) => c.value),
              },
            });
            document.getElementById("open-to-line").textContent = openToWords(saved.open_to);
          }, "Profile saved");
        },
      },
      h("h2", {}, "What I am looking for"),
      h("label", { for: "interests" }, "Interests (separated by commas)"), interests,
      h("label", { for: "aspirations" }, "Aspirations"), aspirations,
      h("label", { for: "hours" }, "Free hours a week"), hours,
      h("label", { for: "location" }, "Where I work (on-site work elsewhere is not shown)"), location,
      h("fieldset", {}, h("legend", {}, "Open to"), openTo.map((c) => h("label", { class: "inline", for: c.id }, c, KIND_PLURAL[c.value]))),
      h("button", { type: "submit" }, "Save")),
      h("section", { class: "card" }, h("h2", {}, "Privacy"),
        h("label", { class: "inline", for: "quiet" }, quiet, "Quiet mode: my manager sees none of my applications until an approval is needed"),
        h("button", { type: "button", class: "secondary", onclick: (e) => act(e.target, () => api(`/api/v1/employees/${me_(me)}/quiet-mode`, { method: "PUT", body: { quiet_mode: quiet.checked } }), quiet.checked ? "Quiet mode on" : "Quiet mode off") }, "Save privacy")),
    ];
  });
  render();
}
