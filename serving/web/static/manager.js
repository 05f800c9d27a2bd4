// Approvals: a gig that takes a large share of someone's week waits for their manager (and,
// once it waited too long, for HR). Each states the person's week in words: the free hours
// their profile gives, what is already committed and to what, what this gig asks, what is left.
import { act, api, h, load, pct, words } from "./ui.js";
import { postingLine } from "./opportunity.js";

const enc = encodeURIComponent;
const n = (x) => String(Math.round(x * 10) / 10);

/** "10 h on top of 12 h already committed: 2 h a week more than they have free (20 h)". */
function week(a) {
  const free = a.availability_hours_per_week;
  const committed = a.other_commitments_hours_per_week;
  const left = a.hours_left_per_week;
  const asked = a.hours_per_week;
  const what = (a.commitments || []).map((c) => `${c.title}, ${n(c.hours_per_week)} h${c.ends_on ? ` until ${c.ends_on}` : ""}`);
  // A negative remainder is said as an overrun, never as "leaves -2".
  const outcome = left < 0
    ? `is ${n(-left)} h a week more than they have free (${n(free)} h).`
    : `leaves ${n(left)} of ${n(free)} free hours a week.`;
  const sum = committed
    ? `${n(asked)} h on top of ${n(committed)} h already committed ${outcome}`
    : `${n(asked)} h, with nothing else committed, ${outcome}`;
  const verdict = left < 0
    ? "Approving it asks for more than the free hours their profile gives."
    : "That fits within the free hours their profile gives.";
  const leftWords = left < 0 ? `none: ${n(-left)} h a week over` : `${n(left)} h a week`;
  return h("div", { class: "week" },
    h("dl", { class: "week-figures" },
      h("div", {}, h("dt", {}, "Free hours on their profile"), h("dd", {}, `${n(free)} h a week`)),
      h("div", {}, h("dt", {}, "Already committed"), h("dd", {}, committed ? `${n(committed)} h a week: ${what.join("; ")}` : "nothing")),
      h("div", {}, h("dt", {}, "This gig asks"), h("dd", {}, `${n(asked)} h a week (${pct(a.share_of_week)} of a working week)${a.opportunity.duration_weeks ? ` for ${a.opportunity.duration_weeks} weeks` : ""}${a.opportunity.start_date ? ` from ${a.opportunity.start_date}` : ""}`)),
      h("div", {}, h("dt", {}, "Left"), h("dd", {}, leftWords))),
    h("p", { class: left < 0 ? "over" : "fits" }, h("b", {}, sum), " ", verdict));
}

const skillWords = (list) => list.map((s) => `${s.name} (level ${s.level})`).join(", ");

/** The gig an approval asks about, in place of the list: the posting and the report's week,
 *  never the manager's own fit or an Apply button (the manager is deciding, not applying). */
function gigOfApproval(me, root, a) {
  const o = a.opportunity;
  const back = h("button", { type: "button", class: "link back" }, "← Back to Approvals");
  back.addEventListener("click", () => {
    root.replaceChildren();
    approvals(me, root, a.pair_id);
  });
  const heading = h("h1", { tabindex: "-1" }, o.title);
  root.replaceChildren(
    h("p", {}, back), heading,
    h("p", { class: "meta" }, postingLine(o)),
    h("section", { class: "card", "aria-labelledby": "gig-about" }, h("h2", { id: "gig-about" }, "About it"),
      h("p", { class: "description" }, o.description || "No description yet."),
      h("dl", { class: "facts" },
        h("dt", {}, "Skills required"), h("dd", {}, o.required_skills.length ? skillWords(o.required_skills) : "none listed"),
        o.preferred_skills.length ? [h("dt", {}, "Also asked for (preferred)"), h("dd", {}, skillWords(o.preferred_skills))] : null,
        h("dt", {}, "Starts"), h("dd", {}, o.start_date || "when the lead and the person agree"),
        h("dt", {}, "Seats"), h("dd", {}, `${o.seats_taken ?? 0} of ${o.seats} taken`),
        h("dt", {}, "State"), h("dd", {}, words(o.status)))),
    h("section", { class: "card approval", "aria-labelledby": "gig-week" },
      h("h2", { id: "gig-week" }, `${a.employee.name}'s week`), week(a)));
  heading.focus();
}

export function approvals(me, root, returnTo = null) {
  const body = h("div");
  root.append(h("h1", {}, "Approvals"), body);
  const render = () => load(body, async () => {
    const r = await api("/api/v1/approvals");
    if (!r.items.length) return h("p", { class: "meta" }, "Nothing is waiting for your approval.");
    return r.items.map((a) => {
      const id = `why-${a.pair_id}`;
      const headingId = `approval-${a.pair_id}`;
      const reason = h("textarea", { id, maxlength: "2000", required: true });
      const decide = (decision) => (e) => act(e.target, async () => {
        if (reason.value.trim().length < 3) throw new Error("Give a reason (at least 3 characters): the employee and HR see it.");
        await api(`/api/v1/approvals/${enc(a.opportunity.external_id)}/${enc(a.employee.external_id)}`, { method: "POST", body: { decision, reason: reason.value.trim() } });
        render();
      }, decision === "approve" ? "Approved" : "Declined");
      return h("article", { class: "card approval", "aria-labelledby": headingId },
        h("h2", { id: headingId }, `${a.employee.name}: ${a.opportunity.title}`),
        h("p", { class: "meta" }, `A gig in ${a.opportunity.department}${a.approval.escalated ? " · waited too long: escalated to HR" : ""} · `,
          h("button", { type: "button", class: "link", id: `open-${a.pair_id}`, onclick: () => gigOfApproval(me, root, a) }, `Open the gig: ${a.opportunity.title}`)),
        week(a),
        h("label", { for: id }, "Reason"), reason,
        h("div", { class: "row" },
          h("button", { type: "button", onclick: decide("approve") }, "Approve"),
          h("button", { type: "button", class: "danger", onclick: decide("decline") }, "Decline")));
    });
  });
  // Back from a gig: the keyboard lands where it left, on that approval's link.
  render().then(() => { if (returnTo !== null) document.getElementById(`open-${returnTo}`)?.focus(); });
}
