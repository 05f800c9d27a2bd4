// The notification outbox for an administrator: how many messages are pending, sent, failed;
// each message's recipient, channel, attempts and last error; a failed one sent again.
import { act, api, h, load, words } from "./ui.js";

const STATUSES = [["failed", "Failed"], ["pending", "Pending"], ["sending", "Sending"], ["sent", "Sent"], ["cancelled", "Cancelled"], ["", "All"]];

export function outbox(me, root) {
  const status = h("select", { id: "outbox-status" }, STATUSES.map(([value, text]) => h("option", { value }, text)));
  const list = h("div");
  const render = () => load(list, async () => {
    const query = status.value ? `?status=${status.value}` : "";
    const body = await api(`/api/v1/notifications/outbox${query}`);
    const counts = h("p", { class: "meta", id: "outbox-counts" }, STATUSES.filter(([v]) => v).map(([v, text]) => `${text}: ${body.counts[v] ?? 0}`).join(" · "));
    if (!body.items.length) return [counts, h("p", {}, "No messages with this status.")];
    const rows = body.items.map((m) => h("tr", {},
      h("td", {}, String(m.id)),
      h("td", {}, words(m.event)),
      h("td", {}, m.recipient_external_id || "company channel"),
      h("td", {}, m.channel),
      h("td", {}, m.subject),
      h("td", {}, words(m.status)),
      h("td", {}, String(m.attempts)),
      h("td", {}, m.last_error || "—"),
      h("td", {}, m.status === "failed"
        ? h("button", { type: "button", class: "secondary", "aria-label": `Retry message ${m.id}`, onclick: (e) => act(e.target, async () => { await api(`/api/v1/notifications/outbox/${m.id}/retry`, { method: "POST" }); render(); }, `Message ${m.id} will be sent again`) }, "Retry")
        : "")));
    return [counts, h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Notification messages" },
      h("table", {}, h("caption", {}, "Messages, newest first"),
        h("thead", {}, h("tr", {}, ["#", "Event", "To", "Channel", "Subject", "Status", "Attempts", "Last error", "Action"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows)))];
  });
  status.addEventListener("change", render);
  root.append(h("section", { class: "card", "aria-labelledby": "outbox-h" },
    h("h2", { id: "outbox-h" }, "Notifications"),
    h("p", { class: "meta" }, "E-mail and chat messages about invitations, offers, approvals and decisions. A message that failed every attempt waits here to be retried (docs/notifications.md)."),
    h("label", { for: "outbox-status" }, "Show"), status, list));
  render();
}
