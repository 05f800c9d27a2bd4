// A posting's pipeline as a board: a column per stage side by side (stacked on a phone), each
// person a card with buttons for the steps allowed next. Moving is by buttons (keyboard and
// screen reader alike); after a move, focus follows the card to its new column.
import { act, api, h, say, words } from "./ui.js";

const enc = encodeURIComponent;
// The columns, left to right, and the stages each holds.
export const COLUMNS = [
  ["applied", "Applied", ["invited", "applied"]],
  ["shortlisted", "Shortlisted", ["shortlisted"]],
  ["offered", "Offered or accepted", ["offered", "accepted"]],
  ["assigned", "Assigned", ["assigned"]],
  ["completed", "Completed", ["completed"]],
];
const CLOSED = ["rejected", "withdrawn", "declined", "lapsed"];
// The step that moves a person into each column (dragging is a shortcut for these buttons).
const INTO = { shortlisted: "shortlist", offered: "offer", assigned: "assign", completed: "complete" };
const REASONS = [["skills", "Skills"], ["availability", "Availability"], ["timing", "Timing"], ["other", "Other"]];
const STEP_WORDS = {
  invite: "Invite", shortlist: "Shortlist", offer: "Offer", assign: "Assign", complete: "Complete", reject: "Reject",
};
const DONE = {
  invite: "Invitation sent", shortlist: "Moved to Shortlisted", offer: "Offer sent: moved to Offered or accepted",
  assign: "Assigned: the seat is taken", reject: "Rejected, with the reason logged", complete: "Marked complete",
};
const STAGE_WORDS = {
  invited: "Invited, no answer yet", applied: "Applied", shortlisted: "Shortlisted", offered: "Offered, waiting for their answer",
  accepted: "Accepted the offer", assigned: "Assigned", completed: "Completed", rejected: "Rejected", withdrawn: "Withdrew",
  declined: "Declined", waitlisted: "On the waitlist", lapsed: "Invitation or offer lapsed",
};
const APPROVAL_WORDS = {
  pending: "Waiting for their manager's approval before you can assign", approved: "Their manager approved",
  declined: "Their manager declined", cancelled: "Approval no longer needed",
};
const HELD = { at_or_above: "at the level asked", below: "below the level asked", held: "held", not_held: "not held" };
const SHARE = { none: "none", some: "some", most: "most", all: "all" };

/** A person's name once they revealed themselves (applied, accepted an invitation), else the
 *  alias their handle reads as. */
export const nameOf = (candidate) => (candidate.identity ? candidate.identity.name : candidate.alias);

/** What a masked card shows, in words: only what the posting asks about. */
export function cardLine(c) {
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

export function skillList(c) {
  if (!c.asked_skills) return null;
  return h("ul", { class: "plain", "aria-label": "Asked skills" }, c.asked_skills.map((s) => h("li", {},
    `${s.name}${s.required ? "" : " (preferred)"}: ${HELD[s.held]}`)));
}

export const step = (opportunity, body) => api(`/api/v1/opportunities/${enc(opportunity)}/pipeline`, { method: "POST", body });

/** The controls for a pair's allowed steps; `moved(pairId)` re-renders and refocuses. */
function stepControls(opportunity, pair, moved) {
  const handle = pair.candidate.handle;
  const who = nameOf(pair.candidate);
  const id = `p${pair.id}`;
  const simple = [];
  const folded = [];
  for (const action of pair.allowed_next) {
    if (action === "reject") {
      const reason = h("select", { id: `${id}-reason` }, REASONS.map(([v, t]) => h("option", { value: v }, t)));
      folded.push(h("details", { class: "step-more" }, h("summary", {}, `Reject ${who}…`),
        h("label", { for: `${id}-reason` }, "Reason"), h("div", { class: "row" }, reason, h("button", {
          type: "button", class: "danger",
          onclick: (e) => act(e.target, async () => { await step(opportunity, { action, candidate: handle, reason_code: reason.value }); moved(pair.id); }, DONE.reject),
        }, "Reject"))));
    } else if (action === "complete") {
      const rating = h("select", { id: `${id}-rating` }, [5, 4, 3, 2, 1].map((n) => h("option", { value: n }, `${n} of 5`)));
      const used = h("input", { type: "text", id: `${id}-used`, placeholder: "SQL:4, Python:3" });
      folded.push(h("details", { class: "step-more" }, h("summary", {}, `Complete ${who}'s work…`),
        h("label", { for: `${id}-rating` }, "Rating"), rating,
        h("label", { for: `${id}-used` }, "Skills used, with levels"), used,
        h("p", {}, h("button", {
          type: "button",
          onclick: (e) => act(e.target, async () => {
            const skills_used = used.value.split(",").map((x) => x.trim()).filter(Boolean).map((x) => {
              const [skill, level] = x.split(":");
              return { name: skill.trim(), level: Number(level || 3) };
            });
            await step(opportunity, { action, candidate: handle, rating: Number(rating.value), skills_used });
            moved(pair.id);
          }, DONE.complete),
        }, "Mark complete"))));
    } else {
      simple.push(h("button", {
        type: "button", "data-step": action,
        onclick: (e) => act(e.target, async () => { await step(opportunity, { action, candidate: handle }); moved(pair.id); }, DONE[action] || "Done"),
      }, STEP_WORDS[action] || words(action)));
    }
  }
  return [simple.length ? h("div", { class: "row" }, simple) : null, folded];
}

function pairCard(opportunity, pair, moved) {
  const c = pair.candidate;
  const headingId = `pair-${pair.id}-name`;
  const approval = pair.approval.status !== "none"
    ? h("p", { class: "meta" }, `${APPROVAL_WORDS[pair.approval.status] || words(pair.approval.status)}${pair.approval.reason ? `: “${pair.approval.reason}”` : ""}${pair.approval.escalated ? " (escalated to HR)" : ""}`)
    : null;
  return h("article", {
    class: "card pair", "data-pair": pair.id, tabindex: "-1", "aria-labelledby": headingId,
    draggable: pair.allowed_next.length ? "true" : null,
    ondragstart: (e) => { e.dataTransfer.setData("text/plain", String(pair.id)); e.dataTransfer.effectAllowed = "move"; },
  },
    h("h4", { id: headingId }, nameOf(c)),
    c.identity && c.identity.email ? h("p", { class: "meta" }, c.identity.email) : null,
    h("p", { class: "meta" }, `${STAGE_WORDS[pair.stage] || words(pair.stage)}${pair.origin === "invitation" ? " (you invited them)" : ""}`),
    h("p", { class: "meta" }, cardLine(c)),
    pair.note ? h("p", {}, `“${pair.note}”`) : null,
    approval,
    stepControls(opportunity, pair, moved));
}

// A closed pair in words: a lapse says why as the server stored it (seats taken, the person
// left; an old one just "lapsed"); a rejection its reason code.
function closedWords(pair) {
  if (pair.stage === "lapsed") return pair.lapsed || STAGE_WORDS.lapsed;
  return `${STAGE_WORDS[pair.stage] || words(pair.stage)}${pair.reason_code ? ` (${words(pair.reason_code)})` : ""}`;
}

/**
 * The board. `board`: the pipeline answer; `moved(pairId)`: re-render, then focus that card.
 */
export function pipelineBoard(opportunity, board, moved, { recommended, kind }) {
  const all = Object.values(board.stages).flat();
  const taken = board.seats_taken ?? board.seats_filled;
  const full = taken >= board.seats;
  const heading = h("h2", { id: "pipeline-h", tabindex: "-1" }, "Pipeline");
  const summary = h("p", { class: "meta", id: "seats-line" },
    `${taken} of ${board.seats} ${board.seats === 1 ? "seat" : "seats"} taken · ${full || board.status === "filled" ? "filled" : words(board.status)}`);
  const waitlist = board.stages.waitlisted || [];
  const closed = CLOSED.flatMap((s) => board.stages[s] || []);
  const byId = new Map(all.map((p) => [String(p.id), p]));
  // Dropping a card on a column takes the step into it, when the card's stage allows it.
  const drop = (key, title) => (e) => {
    e.preventDefault();
    const pair = byId.get(e.dataTransfer.getData("text/plain"));
    const action = INTO[key];
    if (!pair || pair.stage === key) return;
    const who = nameOf(pair.candidate);
    if (!action || !pair.allowed_next.includes(action)) {
      say(`${who} cannot move to ${title} from ${STAGE_WORDS[pair.stage] || pair.stage}: use the buttons on the card.`, true);
      return;
    }
    if (action === "complete") {
      const more = document.querySelector(`[data-pair="${pair.id}"] details.step-more:last-of-type`);
      if (more) { more.open = true; more.querySelector("select")?.focus(); }
      return;
    }
    act(null, async () => { await step(opportunity, { action, candidate: pair.candidate.handle }); moved(pair.id); }, DONE[action]);
  };
  const columns = COLUMNS.map(([key, title, stages]) => {
    const pairs = stages.flatMap((s) => board.stages[s] || []);
    // Invited people share the first column but are not counted in it: they have not applied.
    const invited = pairs.filter((p) => p.stage === "invited");
    const counted = pairs.filter((p) => p.stage !== "invited");
    const id = `col-${key}`;
    return h("section", {
      class: pairs.length ? "column" : "column empty", "aria-labelledby": id, "data-column": key,
      ondragover: (e) => e.preventDefault(), ondrop: drop(key, title),
    },
      h("h3", { id }, `${title} (${counted.length})`),
      pairs.length ? null : h("p", { class: "meta" }, "Nobody"),
      counted.map((p) => pairCard(opportunity, p, moved)),
      invited.length ? h("p", { class: "meta invited-h", "data-invited": invited.length },
        `Invited, not applied yet (${invited.length})`) : null,
      invited.map((p) => pairCard(opportunity, p, moved)));
  });
  const applied = board.applicants ?? 0;
  const appliedLine = h("p", { class: "meta", id: "applied-line" },
    `${applied} ${applied === 1 ? "person" : "people"} applied, whatever stage they reached since (the number My opportunities shows); people you invited count once they accept.`);
  return h("section", { "aria-labelledby": "pipeline-h", class: "pipeline" },
    heading, summary, appliedLine,
    all.length ? null : h("p", { class: "meta" }, recommended ? "Nobody yet: invite someone recommended below." : "Nobody yet."),
    h("div", { class: "board" }, columns),
    // Only a mentorship keeps a waitlist: shown once it is full, or while anyone waits.
    waitlist.length || (full && kind === "mentorship") ? h("section", { class: "card waitlist", "aria-labelledby": "waitlist-h" },
      h("h3", { id: "waitlist-h" }, `Waitlist (${waitlist.length})`),
      waitlist.length
        ? [h("p", { class: "meta" }, "In the order they joined: when a seat frees up, the first is offered it."),
          h("ol", {}, waitlist.map((p) => h("li", {}, `${nameOf(p.candidate)}${p.candidate.identity && p.candidate.identity.email ? ` (${p.candidate.identity.email})` : ""}`)))]
        : h("p", { class: "meta" }, "Nobody is waiting for a seat.")) : null,
    closed.length ? h("details", { class: "closed" }, h("summary", {}, `Closed (${closed.length}): rejected, withdrawn, declined or lapsed`),
      h("ul", { class: "plain" }, closed.map((p) => h("li", {}, `${nameOf(p.candidate)}: ${closedWords(p)}`)))) : null);
}
