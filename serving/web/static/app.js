// The page: sign in (the token opens a server-side session, its id an HTTP-only cookie), then the sections of one's role.
import { $, api, h, say, tabs, words } from "./ui.js";
import * as employee from "./employee.js";
import { opportunityPage } from "./opportunity.js";
import * as lead from "./lead.js";
import * as manager from "./manager.js";
import * as hr from "./hr.js";
import * as admin from "./admin.js";
import * as notifications from "./notifications.js";
import * as rights from "./rights.js";

function sections(me) {
  const list = [];
  if (me.role === "employee") {
    list.push(["matches", "My matches", employee.matches]);
    list.push(["applications", "My applications", employee.applications]);
    list.push(["career", "Career path", employee.career]);
    list.push(["profile", "Profile", employee.profile]);
  }
  if (me.role === "admin") list.push(["admin", "Admin console", admin.console_]);
  if (me.role === "lead" || me.role === "admin") {
    list.push(["opportunities", "My opportunities", lead.opportunities]);
    list.push(["post", "Post an opportunity", lead.post]);
  }
  if (me.role === "hr" || me.role === "admin") {
    list.push(["dashboard", "Fairness", hr.dashboard]);
    list.push(["outcomes", "Outcomes", hr.outcomes]);
    list.push(["audit", "Audit log", hr.audit]);
    list.push(["policies", "Policies", hr.policies]);
    list.push(["models", "Models", hr.models]);
    list.push(["reviews", "Reviews and corrections", rights.hrQueue]);
  }
  // A manager's people's approvals; HR's the escalated ones.
  if (me.direct_reports > 0 || me.role === "hr" || me.role === "admin") {
    list.push(["approvals", "Approvals", manager.approvals]);
  }
  // A person's own decisions, reviews and corrections (a lead is a person too).
  if ((me.role === "employee" || me.role === "lead") && me.subject_external_id) {
    list.push(["decisions", "Decisions about me", rights.decisions]);
  }
  // Anyone who is a person (not the bootstrap admin) chooses how they hear of things.
  if (me.subject_external_id) list.push(["notifications", "Notifications", notifications.settings]);
  return list;
}

function showSignedIn(me) {
  $("#signin-view").classList.add("hidden");
  $("#signout").classList.remove("hidden");
  // The role in words, and a permission beyond it (an auditor sees names in the audit log).
  const role = me.role === "hr" ? "HR" : words(me.role);
  const extra = (me.scopes || []).map((s) => ` · ${words(s)}`).join("");
  $("#who").textContent = `${me.name || me.subject_external_id || "Administrator"} · ${role}${extra}`;
  const nav = $("#tabs");
  const view = $("#view");
  const list = sections(me);
  const wanted = location.hash.slice(1);
  const { panel, select } = tabs(
    list.map(([name, text]) => [name, text]),
    (name, target) => {
      const section = list.find(([n]) => n === name);
      target.replaceChildren();
      section[2](me, target);
    },
    { container: nav, initial: wanted, onchange: (name) => history.replaceState(null, "", `#${name}`) },
  );
  nav.classList.remove("hidden");
  view.replaceChildren(panel);
  view.classList.remove("hidden");
  // `#opportunity=<id>` opens that posting's page (from a card, an approval, a shared link);
  // going back returns to the section it was opened from.
  const follow = (hash) => {
    const target = hash.slice(1);
    if (target.startsWith("opportunity=")) {
      const id = decodeURIComponent(target.slice("opportunity=".length));
      for (const tab of nav.querySelectorAll("[role=tab]")) tab.setAttribute("aria-selected", "false");
      const home = list.find(([n]) => n === "matches") || list[0];
      opportunityPage(me, panel, id, { href: `#${home[0]}`, text: `Back to ${home[1]}` });
    } else if (list.some(([n]) => n === target)) {
      select(target);
    }
  };
  if (wanted.startsWith("opportunity=")) {
    history.replaceState(null, "", `#${wanted}`);
    follow(`#${wanted}`);
  }
  window.onhashchange = () => follow(location.hash);
}

function showSignedOut(message = "") {
  $("#signin-view").classList.remove("hidden");
  $("#view").classList.add("hidden");
  $("#tabs").classList.add("hidden");
  $("#signout").classList.add("hidden");
  $("#who").textContent = "";
  $("#signin-error").textContent = message;
  ($("#signin").classList.contains("hidden") ? $("#sso-link") : $("#token")).focus();
}

let signedInHere = false; // a sign-in on this page outranks the first check's late answer

$("#signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  signedInHere = true;
  const field = $("#token");
  $("#signin-error").textContent = "";
  try {
    const me = await api("/api/v1/session", { method: "POST", body: { token: field.value.trim() } });
    field.value = "";
    showSignedIn(me);
    say(`Signed in as ${me.name || words(me.role)}`);
  } catch (error) {
    $("#signin-error").textContent = error.status === 401 ? "That token is not valid (or has expired or been revoked)." : error.message;
  }
});

$("#signout").addEventListener("click", async () => {
  let provider = null;
  try {
    const out = await api("/api/v1/session", { method: "DELETE" });
    provider = out.end_session_url || null;
  } finally {
    // A single sign-on also ends at the provider, which sends the browser back here.
    if (provider) location.assign(provider);
    else {
      location.hash = "";
      showSignedOut("You are signed out.");
    }
  }
});

// Single sign-on, where the company's identity provider is set up: a link to it (a navigation,
// not a script's request: the provider's pages take over the tab); the token form stays below
// unless the instance hides it.
(async () => {
  try {
    const sso = await api("/api/v1/sso");
    if (!sso.enabled) return;
    const link = $("#sso-link");
    link.textContent = `Sign in with ${sso.provider_name}`;
    // A deep link opened signed out (`#opportunity=O42`, from an e-mail) survives the provider's
    // round trip: the fragment never reaches a server, so the link hands it over (the server
    // keeps only an in-app fragment). The token form keeps it anyway: the page never reloads.
    const carry = () => {
      link.href = location.hash.length > 1
        ? `${sso.login_url}?return_to=${encodeURIComponent(location.hash)}`
        : sso.login_url;
    };
    carry();
    window.addEventListener("hashchange", carry);
    link.addEventListener("click", carry);
    $("#sso").classList.remove("hidden");
    if (!sso.token_form) $("#signin").classList.add("hidden");
  } catch {
    // No single sign-on offered: the token form is the way in.
  }
})();

(async () => {
  try {
    const session = await api("/api/v1/session");
    if (signedInHere) return;
    if (session.signed_in) showSignedIn(session.me);
    else showSignedOut();
  } catch (error) {
    if (!signedInHere) showSignedOut(error.message);
  }
})();

export { h };
