// Approvals: a gig that takes a large share of someone's week waits for their manager (and,
// once it waited too long, for HR).
import { act, api, h, load, pct } from "./ui.js";

const enc = encodeURIComponent;

export function approvals(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Approvals"), body);
  const render = () => load(body, async () => {
    const r = await api("/api/v1/approvals");
    if (!r.items.length) return h("p", { class: "meta" }, "Nothing is waiting for your approval.");
    return r.items.map((a) => {
      const id = `why-${a.pair_id}`;
      const reason = h("textarea", { id, maxlength: "2000", required: true });
      const decide = (decision) => (e) => act(e.target, async () => {
        if (reason.value.trim().length < 3) throw new Error("Give a reason (at least 3 characters): the employee and HR see it.");
        await api(`/api/v1/approvals/${enc(a.opportunity.external_id)}/${enc(a.employee.external_id)}`, { method: "POST", body: { decision, reason: reason.value.trim() } });
        render();
      }, decision === "approve" ? "Approved" : "Declined");
      return h("article", { class: "card" },
        h("h2", {}, `${a.employee.name}: ${a.opportunity.title}`),
        h("p", {}, `${a.hours_per_week} h a week (${pct(a.share_of_week)} of a working week)${a.opportunity.duration_weeks ? ` for ${a.opportunity.duration_weeks} weeks` : ""}, in ${a.opportunity.department}.`),
        h("p", { class: "meta" }, `Already committed: ${a.other_commitments_hours_per_week} h a week · free hours on the profile: ${a.availability_hours_per_week}${a.approval.escalated ? " · escalated to HR" : ""}`),
        a.hours_per_week + a.other_commitments_hours_per_week > a.availability_hours_per_week
          ? h("p", { class: "error" }, `This asks more than the ${a.availability_hours_per_week} free hours the profile gives.`) : null,
        h("label", { for: id }, "Reason"), reason,
        h("div", { class: "row" },
          h("button", { type: "button", onclick: decide("approve") }, "Approve"),
          h("button", { type: "button", class: "danger", onclick: decide("decline") }, "Decline")));
    });
  });
  render();
}
