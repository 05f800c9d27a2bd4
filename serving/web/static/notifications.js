// The signed-in person's notification choices: channels, the digest of new matches, quiet.
import { act, api, h, load } from "./ui.js";

const CHANNELS = [
  ["email", "E-mail"],
  ["slack", "Slack"],
  ["teams", "Microsoft Teams"],
];
const DIGESTS = [
  ["off", "Off"],
  ["daily", "Daily"],
  ["weekly", "Weekly"],
];

export function settings(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Notifications"), body);
  const render = () => load(body, async () => {
    const p = await api("/api/v1/me/notifications");
    // E-mail can be chosen only where the company sends it and the profile has an address.
    const usable = (value) => value !== "email" || Boolean(p.email_available && p.email);
    const boxes = CHANNELS.map(([value]) => h("input", {
      type: "checkbox", id: `notify-${value}`, value, checked: usable(value) && p.channels.includes(value), disabled: !usable(value),
    }));
    const emailNote = !p.email_available ? " (not set up here)" : p.email ? ` (${p.email})` : " (no address on your profile)";
    const hook = (channel, text) => {
      const input = h("input", { type: "url", id: `${channel}-hook`, class: "wide", autocomplete: "off", placeholder: p[`${channel}_webhook_url`] || "https://…" });
      const hint = h("p", { class: "meta", id: `${channel}-hook-hint` },
        p[`${channel}_webhook_url`] ? `Saved: ${p[`${channel}_webhook_url`]}. Leave empty to keep it.` : "None saved.");
      input.setAttribute("aria-describedby", hint.id);
      return { input, nodes: [h("label", { for: input.id }, `Your ${text} incoming webhook`), input, hint] };
    };
    const slack = hook("slack", "Slack");
    const teams = hook("teams", "Microsoft Teams");
    const digest = DIGESTS.map(([value, text]) => h("label", { class: "inline", for: `digest-${value}` },
      h("input", { type: "radio", name: "digest", id: `digest-${value}`, value, checked: p.digest === value }), text));
    const quiet = h("input", { type: "checkbox", id: "notify-quiet", checked: p.quiet });
    const removeHooks = h("input", { type: "checkbox", id: "remove-hooks" });
    return [
      h("form", {
        class: "card",
        onsubmit: (e) => {
          e.preventDefault();
          act(e.submitter, async () => {
            const chosen = {
              channels: boxes.filter((b) => b.checked && !b.disabled).map((b) => b.value),
              digest: body.querySelector("input[name=digest]:checked").value,
              quiet: quiet.checked,
            };
            for (const [channel, field] of [["slack", slack], ["teams", teams]]) {
              if (removeHooks.checked) chosen[`${channel}_webhook_url`] = null;
              else if (field.input.value.trim()) chosen[`${channel}_webhook_url`] = field.input.value.trim();
            }
            await api("/api/v1/me/notifications", { method: "PUT", body: chosen });
            render();
          }, "Notification choices saved");
        },
      },
      h("fieldset", {}, h("legend", {}, "Tell me about invitations, offers, approvals and decisions by"),
        boxes.map((b, i) => h("label", { class: "inline", for: b.id }, b, CHANNELS[i][1] + (b.value === "email" ? emailNote : "")))),
      ...slack.nodes,
      ...teams.nodes,
      h("label", { class: "inline", for: "remove-hooks" }, removeHooks, "Remove my saved webhooks"),
      h("fieldset", {}, h("legend", {}, "A digest of new matches"), digest),
      h("label", { class: "inline", for: "notify-quiet" }, quiet, "Quiet: send me nothing at all"),
      h("button", { type: "submit" }, "Save")),
    ];
  });
  render();
}
