// A person's rights around the automated ranking: the notice where ranking happens, "Decisions
// about me" (with a review request per decision and corrections of one's record), and HR's
// queues of review requests and corrections.
import { act, api, h, load, words } from "./ui.js";

const FIELDS = [
  ["title", "Title"], ["level", "Level"], ["department", "Department"],
  ["manager_external_id", "Manager (employee id)"], ["hire_date", "Hire date (YYYY-MM-DD)"],
];
const day = (iso) => (iso ? iso.slice(0, 10) : "");
let formCount = 0;

/** Where ranking happens: what it reads and never reads, how to step out and contest it,
 *  and the live model's card. `side`: "employee" or "lead". */
export function rankingNotice(side) {
  const body = h("div", {}, h("p", { class: "meta" }, "Loading…"));
  const box = h("details", { class: "card ranking-notice", "data-notice": side },
    h("summary", {}, side === "lead"
      ? "This list is ranked automatically: what it reads, and what candidates can do"
      : "Your matches are ranked automatically: what it reads, and what you can do"),
    body);
  load(body, async () => {
    const n = await api("/api/v1/me/ranking-notice");
    const direction = side === "lead" ? "opportunity" : "employee";
    const card = n.models.find((m) => m.direction === direction) || n.models[0];
    return [
      h("p", {}, n.automated),
      h("p", {}, h("b", {}, "It reads: "), n.reads.join("; "), "."),
      h("p", {}, h("b", {}, "It never reads: "), n.never_reads.join(", "), "."),
      h("p", {}, h("b", {}, "To stop being ranked: "), n.pause),
      h("p", {}, h("b", {}, "Quiet mode: "), n.quiet_mode),
      h("p", {}, h("b", {}, "Review: "), side === "lead"
        ? "Every candidate can ask for a human review of a decision about them, and see their place in this list and its reasons (never another candidate's)."
        : n.review, side === "lead" ? null : [" ", h("a", { href: "#decisions" }, "Open decisions about me")]),
      card ? h("details", { class: "model-card" }, h("summary", {}, `The live model's card (${card.version})`), h("pre", {}, card.card)) : null,
    ];
  });
  return box;
}

function place(list) {
  if (!list) return null;
  const where = list.position === null
    ? "You were in the list but hidden from its page by a person's decision."
    : list.on_page
      ? `You were number ${list.position} of the ${list.page_size} shown (of ${list.list_length} ranked).`
      : `You were number ${list.position} of ${list.list_length} ranked, below the ${list.page_size} shown.`;
  return h("div", { class: "list-place" },
    h("p", { class: "meta" }, `The lead's list of ${day(list.served_at)}: ${where} Model ${list.model_version}; policy ${list.paused ? "paused (ordered by skill similarity)" : words(list.policy)}.`),
    list.reasons.length ? h("ul", { class: "reasons" }, list.reasons.map((r) => h("li", { class: r.effect === "raises" ? "up" : "down" }, `${r.text} (${r.effect === "raises" ? "raised" : "lowered"} your place)`))) : null);
}

function reviewForm(decision, refresh) {
  const id = `review-${++formCount}`;
  const reason = h("textarea", { id, required: true, maxlength: 2000, rows: 3 });
  return h("details", { class: "ask-review" }, h("summary", {}, "Ask for a review"),
    h("form", {
      onsubmit: (e) => {
        e.preventDefault();
        act(e.submitter, async () => {
          await api("/api/v1/me/reviews", { method: "POST", body: { decision_id: decision.decision_id, reason: reason.value } });
          refresh();
        }, "Review requested: HR will answer you");
      },
    }, h("label", { for: id }, "Why should a person look at this again?"), reason, h("button", { type: "submit" }, "Send the request")));
}

function stepItem(decision, refresh) {
  return h("li", { class: decision.adverse ? "step adverse" : "step", "data-decision": decision.decision_id },
    h("p", {}, h("b", {}, decision.words), ` · ${day(decision.at)} · by ${decision.by === "you" ? "you" : decision.by === "hr" ? "HR" : `the ${decision.by}`}`,
      decision.review ? h("span", { class: "chip" }, `review ${decision.review.status}`) : null),
    place(decision.list),
    decision.can_ask_review ? reviewForm(decision, refresh) : null);
}

function correctionForm(refresh) {
  const field = h("select", { id: "corr-field" }, FIELDS.map(([v, t]) => h("option", { value: v }, t)));
  const value = h("input", { id: "corr-value", required: true, maxlength: 200 });
  const reason = h("textarea", { id: "corr-reason", required: true, maxlength: 2000, rows: 2 });
  return h("form", {
    class: "card", "aria-labelledby": "corr-h",
    onsubmit: (e) => {
      e.preventDefault();
      const v = field.value === "level" ? Number(value.value) : value.value;
      act(e.submitter, async () => {
        await api("/api/v1/me/corrections", { method: "POST", body: { field: field.value, value: v, reason: reason.value } });
        refresh();
      }, "Correction sent to HR");
    },
  }, h("h3", { id: "corr-h" }, "Correct your record"),
  h("p", { class: "meta" }, "HR keeps these fields; propose the right value and say why."),
  h("label", { for: "corr-field" }, "Field"), field,
  h("label", { for: "corr-value" }, "Right value"), value,
  h("label", { for: "corr-reason" }, "Why"), reason,
  h("button", { type: "submit" }, "Propose the correction"));
}

const outcomeText = (x) => (x.status === "open" || x.status === "pending"
  ? `waiting for HR${x.due_at ? ` (answer due ${day(x.due_at)})` : ""}`
  : `${x.status}${x.answer ? `: “${x.answer}”` : ""}${x.remedy ? ` Remedy: ${x.remedy}` : ""}`);

/** The employee's tab. */
export function decisions(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Decisions about me"), rankingNotice("employee"), body);
  const refresh = () => load(body, async () => {
    const [mine, reviews, corrections] = await Promise.all([
      api("/api/v1/me/decisions"), api("/api/v1/me/reviews"), api("/api/v1/me/corrections"),
    ]);
    return [
      mine.items.length ? mine.items.map((p) => h("section", { class: "card decisions", "data-opportunity": p.opportunity.external_id },
        h("h2", {}, p.opportunity.title || p.opportunity.external_id, p.opportunity.kind ? h("span", { class: "meta" }, ` · ${p.opportunity.kind}`) : null),
        h("ol", { class: "plain" }, p.steps.map((s) => stepItem(s, refresh)))))
        : h("p", { class: "meta" }, "Nothing has been decided about you yet."),
      h("section", { "aria-labelledby": "my-reviews-h" }, h("h2", { id: "my-reviews-h" }, "My review requests"),
        reviews.items.length ? h("ul", { class: "plain", id: "my-reviews" }, reviews.items.map((r) => h("li", { "data-review": r.id }, `${words(r.decision)} on ${r.opportunity_external_id}: ${outcomeText(r)}`)))
          : h("p", { class: "meta" }, "None.")),
      h("section", { "aria-labelledby": "my-corr-h" }, h("h2", { id: "my-corr-h" }, "My corrections"),
        corrections.items.length ? h("ul", { class: "plain", id: "my-corrections" }, corrections.items.map((c) => h("li", {}, `${words(c.field)}: ${JSON.stringify(c.current_value)} → ${JSON.stringify(c.proposed_value)}: ${outcomeText(c)}`)))
          : h("p", { class: "meta" }, "None."),
        correctionForm(refresh)),
      h("section", { class: "card" }, h("h2", {}, "What you can do"),
        h("ul", {}, mine.what_you_can_do.map((a) => h("li", {}, h("b", {}, a.action), `: ${a.how}`)))),
    ];
  });
  refresh();
}

function reviewDetail(id, target, refresh) {
  return load(target, async () => {
    const r = await api(`/api/v1/reviews/${id}`);
    const outcome = h("select", { id: "rv-outcome" }, h("option", { value: "upheld" }, "Uphold the decision"), h("option", { value: "overturned" }, "Overturn it"));
    const answer = h("textarea", { id: "rv-answer", rows: 2, maxlength: 2000 });
    const remedy = h("textarea", { id: "rv-remedy", rows: 2, maxlength: 2000 });
    const replay = r.replay
      ? (r.replay.error ? `Replay failed: ${r.replay.error}` : `Replayed list ${r.replay.request_id}: ${r.replay.exact ? "the same scores, order and explanations" : "differs from what was served"}`)
      : "No list of the lead's held this person before the decision.";
    return [
      h("h3", {}, `Request ${r.id}: ${words(r.decision)} on ${r.opportunity_external_id} (${r.employee_external_id})`),
      h("p", {}, `“${r.reason}”`),
      h("p", { class: "meta" }, `Asked ${day(r.created_at)}, due ${day(r.due_at)}${r.overdue ? " · OVERDUE" : ""}`),
      h("h4", {}, "The pipeline's history"),
      h("ol", { class: "history" }, r.history.map((s) => h("li", {}, `${day(s.at)} ${words(s.type)} by ${s.by}${s.actor && s.by !== "you" ? ` (${s.actor})` : ""}${s.details.reason_code ? ` · reason ${s.details.reason_code}` : ""}${s.details.note ? ` · “${s.details.note}”` : ""}`))),
      h("h4", {}, "The list behind it"),
      h("p", { class: "replay" }, replay),
      r.lists.length ? place(r.lists[0]) : null,
      r.status === "open" ? h("form", {
        class: "card",
        onsubmit: (e) => {
          e.preventDefault();
          act(e.submitter, async () => {
            await api(`/api/v1/reviews/${r.id}/decision`, { method: "POST", body: { outcome: outcome.value, answer: answer.value, remedy: remedy.value, version: r.version } });
            refresh();
          }, "Decided; the person is told");
        },
      }, h("label", { for: "rv-outcome" }, "Decision"), outcome,
      h("label", { for: "rv-answer" }, "Reasons (the person reads them)"), answer,
      h("label", { for: "rv-remedy" }, "Remedy (when overturned)"), remedy,
      h("button", { type: "submit" }, "Decide")) : h("p", {}, `Decided: ${outcomeText(r)}`),
    ];
  });
}

function correctionRow(c, refresh) {
  const id = `cr-${c.id}`;
  const answer = h("input", { id, maxlength: 2000 });
  const decide = (outcome) => (e) => act(e.target, async () => {
    await api(`/api/v1/corrections/${c.id}/decision`, { method: "POST", body: { outcome, answer: answer.value, version: c.version } });
    refresh();
  }, outcome === "accepted" ? "Accepted: the record is corrected" : "Refused");
  return h("li", { class: "card", "data-correction": c.id },
    h("p", {}, `${c.employee_external_id}: ${words(c.field)} ${JSON.stringify(c.current_value)} → ${JSON.stringify(c.proposed_value)} · “${c.reason}”`),
    h("label", { for: id }, "Reason (needed to refuse)"), answer,
    h("div", { class: "row" },
      h("button", { type: "button", onclick: decide("accepted") }, "Accept"),
      h("button", { type: "button", class: "secondary", onclick: decide("refused") }, "Refuse")));
}

/** HR's tab: review requests (overdue first) and corrections waiting. */
export function hrQueue(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Reviews and corrections"), body);
  const refresh = () => load(body, async () => {
    const [queue, corrections] = await Promise.all([api("/api/v1/reviews?status=open"), api("/api/v1/corrections?status=pending")]);
    const detail = h("div", { id: "review-detail" });
    const days = h("input", { id: "sla-days", type: "number", min: 1, max: 365, value: queue.sla_days });
    return [
      h("form", {
        class: "row",
        onsubmit: (e) => {
          e.preventDefault();
          act(e.submitter, async () => { await api("/api/v1/reviews/settings", { method: "PUT", body: { days: Number(days.value) } }); refresh(); }, "Service-level time saved");
        },
      }, h("label", { for: "sla-days" }, "Days to answer a review request"), days, h("button", { type: "submit", class: "secondary" }, "Save")),
      h("section", { "aria-labelledby": "rq-h" }, h("h2", { id: "rq-h" }, `Open review requests${queue.overdue ? ` (${queue.overdue} overdue)` : ""}`),
        queue.items.length ? h("ul", { class: "plain", id: "review-queue" }, queue.items.map((r) => h("li", { class: "row", "data-review": r.id },
          h("span", { class: "grow" }, `${r.employee_external_id} · ${words(r.decision)} on ${r.opportunity_external_id} · due ${day(r.due_at)}`),
          r.overdue ? h("span", { class: "chip miss overdue" }, "Overdue") : null,
          h("button", { type: "button", class: "secondary", onclick: () => reviewDetail(r.id, detail, refresh) }, "Open"))))
          : h("p", { class: "meta" }, "No open requests."),
        detail),
      h("section", { "aria-labelledby": "cq-h" }, h("h2", { id: "cq-h" }, "Corrections waiting"),
        corrections.items.length ? h("ul", { class: "plain" }, corrections.items.map((c) => correctionRow(c, refresh)))
          : h("p", { class: "meta" }, "None waiting.")),
    ];
  });
  refresh();
}
