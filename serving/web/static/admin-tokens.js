// Access tokens: issue one (its secret is shown once, with a copy button), list them (never
// the secret), revoke one. A person's token acts as that person; only HR and admin tokens
// may carry the auditor permission.
import { act, api, h, load, say, words } from "./ui.js";

const ROLES = [["employee", "Employee"], ["lead", "Project lead"], ["hr", "HR"], ["admin", "Administrator"], ["scim", "Provisioning (SCIM)"]];
const PERSON = new Set(["employee", "lead", "hr"]);
const AUDITOR = new Set(["hr", "admin"]);
const roleName = (role) => ROLES.find(([r]) => r === role)?.[1] || words(role);
// ISO dates (YYYY-MM-DD), as everywhere in the app; the stored instant is UTC.
const day = (iso) => (iso ? String(iso).slice(0, 10) : "never");

export function tokens(me, root) {
  const list = h("div");
  const shown = h("div", { "aria-live": "polite" });
  const role = h("select", { id: "token-role" }, ROLES.map(([value, text]) => h("option", { value }, text)));
  const subject = h("input", { id: "token-subject", type: "text", autocomplete: "off", "aria-describedby": "token-subject-hint" });
  const label = h("input", { id: "token-label", type: "text", class: "wide", placeholder: "e.g. Ada's laptop" });
  const auditor = h("input", { id: "token-auditor", type: "checkbox" });
  const days = h("input", { id: "token-days", type: "number", min: 1, max: 3650, value: 90 });
  const hint = h("p", { id: "token-subject-hint", class: "meta" });
  const fit = () => {
    const person = PERSON.has(role.value);
    subject.required = person;
    hint.textContent = person ? "Needed: the token acts as this person, and what it does is logged under their name."
      : role.value === "scim" ? "None: a provisioning token acts as no person. It opens /scim/v2 and nothing else; paste it into the HR system's or identity provider's SCIM settings (docs/scim.md)."
      : "Optional for an administrator's token.";
    subject.disabled = role.value === "scim";
    if (subject.disabled) subject.value = "";
    auditor.disabled = !AUDITOR.has(role.value);
    if (auditor.disabled) auditor.checked = false;
  };
  role.addEventListener("change", fit);
  fit();
  const create = h("button", { type: "submit" }, "Create the token");
  const form = h("form", { class: "card", "aria-labelledby": "token-new-h" },
    h("h2", { id: "token-new-h" }, "Create a token"),
    h("div", { class: "token-grid" },
      h("div", {}, h("label", { for: "token-role" }, "Role"), role),
      h("div", {}, h("label", { for: "token-subject" }, "Acts as (employee ID)"), subject, hint),
      h("div", {}, h("label", { for: "token-label" }, "Label (who has it, what for)"), label),
      h("div", {}, h("label", { for: "token-days" }, "Expires after (days)"), days)),
    h("label", { class: "inline", for: "token-auditor" }, auditor, " Auditor permission: may read served rankings item by item (each read is logged; HR and admin tokens only)"),
    h("div", { class: "row" }, create));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { role: role.value, label: label.value.trim(), scopes: auditor.checked ? ["auditor"] : [], days: Number(days.value) || undefined };
    if (subject.value.trim()) body.subject_external_id = subject.value.trim();
    const issued = await act(create, () => api("/api/v1/tokens", { method: "POST", body }), "Token created: copy it now.");
    if (!issued) return;
    showOnce(shown, issued);
    form.reset();
    fit();
    refresh();
  });
  const refresh = () => load(list, async () => {
    const all = await api("/api/v1/tokens");
    if (!all.length) return h("p", {}, "No tokens yet.");
    return h("ul", { class: "plain token-list" }, all.map((t) => tokenRow(t, refresh)));
  });
  root.append(form, shown, h("section", { "aria-labelledby": "token-list-h" },
    h("h2", { id: "token-list-h" }, "Tokens"),
    h("p", { class: "meta" }, "Only a keyed digest of each token is stored: a lost token cannot be shown again; revoke it and create another."),
    list));
  refresh();
}

function showOnce(root, issued) {
  const secret = h("input", { id: "token-secret", type: "text", readonly: true, value: issued.token, class: "grow mono" });
  const copy = h("button", { type: "button" }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(issued.token);
    } catch {
      secret.select(); // no clipboard access (plain http, or a browser that refuses): the text is selected to copy by hand
      document.execCommand("copy");
    }
    say("Copied to the clipboard.");
  });
  const done = h("button", { type: "button", class: "secondary" }, "I have copied it");
  done.addEventListener("click", () => root.replaceChildren());
  root.replaceChildren(h("section", { class: "card token-once", "aria-labelledby": "token-once-h" },
    h("h2", { id: "token-once-h" }, "Copy the new token now"),
    h("p", {}, `This is the only time it is shown. ${roleName(issued.role)} token${issued.subject_external_id ? ` acting as ${issued.subject_external_id}` : ""}, expires ${day(issued.expires_at)}.`),
    h("label", { for: "token-secret" }, "Token"),
    h("div", { class: "row" }, secret, copy),
    h("div", { class: "row" }, done)));
  secret.focus();
  secret.select();
}

function tokenRow(t, refresh) {
  const state = { active: "Active", revoked: `Revoked ${day(t.revoked_at)}`, expired: `Expired ${day(t.expires_at)}` }[t.state] || t.state;
  const who = [roleName(t.role), t.subject_external_id ? `acts as ${t.subject_external_id}` : null,
    t.scopes.length ? `with ${t.scopes.map(words).join(", ")} permission` : null, t.demo ? "demo token" : null].filter(Boolean).join(", ");
  const item = h("li", { class: `token-row ${t.state}` },
    h("div", { class: "grow" },
      h("b", {}, t.label || "No label"), " ", h("span", { class: `chip ${t.state === "active" ? "ok" : "miss"}` }, state),
      h("div", { class: "meta" }, `${who}. Created ${day(t.created_at)}, expires ${day(t.expires_at)}. Id ${t.token_id}.`)));
  if (t.state === "active") {
    const name = t.label || `token ${t.token_id}`;
    const whose = t.subject_external_id ? ` (acts as ${t.subject_external_id})` : "";
    const revoke = h("button", { type: "button", class: "danger", "aria-label": `Revoke ${name}${whose}` }, "Revoke");
    // Revoking cannot be undone: a second, explicit step names the token and its person.
    revoke.addEventListener("click", () => {
      const confirmId = `revoke-ask-${t.token_id}`;
      const yes = h("button", { type: "button", class: "danger" }, "Yes, revoke it");
      const no = h("button", { type: "button", class: "secondary" }, "Keep it");
      const ask = h("div", { class: "token-confirm", role: "group", "aria-labelledby": confirmId },
        h("p", { id: confirmId }, `Revoke “${name}”${whose}? It stops working at once, and cannot be turned back on.`),
        h("div", { class: "row" }, yes, no));
      no.addEventListener("click", () => {
        ask.replaceWith(revoke);
        revoke.focus();
      });
      ask.addEventListener("keydown", (event) => {
        if (event.key === "Escape") no.click();
      });
      yes.addEventListener("click", async () => {
        const done = await act(yes, () => api(`/api/v1/tokens/${encodeURIComponent(t.token_id)}/revoke`, { method: "POST" }), `“${name}” revoked: it no longer opens anything.`);
        if (done) refresh();
      });
      revoke.replaceWith(ask);
      no.focus();
    });
    item.append(revoke);
  }
  return item;
}
