// What HR sees: fairness by group (before and after re-ranking), outcomes, the audit log with
// replay, each kind's policy and pause, the live models' cards, and the full report.
import { bars, lineChart, notJudged, ratioChart, stackTable } from "./hr-charts.js";
import { act, api, h, load, num, pct, say, words } from "./ui.js";

const enc = encodeURIComponent;
// Reports and aggregates are built on the server's worker threads: until one is built the
// server answers 202 with the job; ask again at its `poll` URL after `retry_after` seconds.
async function built(path, root) {
  for (;;) {
    const r = await api(path);
    if (!r || !("poll" in r && "job_id" in r)) return r;
    root.replaceChildren(h("p", { class: "meta" }, `Building the figures (${r.status})…`));
    await new Promise((done) => setTimeout(done, (r.retry_after || 2) * 1000));
    path = r.poll;
  }
}
const rates = (impact) => Object.fromEntries((impact?.categories || []).map((c) => [c.category, c.rate]));
// Groups a chart may draw: neither suppressed for privacy nor too few to judge.
const judged = (impact) => (impact?.categories || []).filter((c) => !notJudged(c)).map((c) => c.category);
const setAside = (impact) => (impact?.categories || []).filter((c) => notJudged(c));

/** The groups a chart leaves out, each with why ("too few to judge (n = 11)"). */
function leftOut(impact) {
  const rows = setAside(impact);
  if (!rows.length) return null;
  return h("p", { class: "meta left-out" }, "Not drawn: ",
    rows.map((r, i) => [i ? "; " : "", `${r.category}: ${r.too_few ? r.too_few.split(":")[0] : notJudged(r)}`]), ".");
}

const COMPARED = ["below four-fifths", "not enough evidence either way", "at or above four-fifths"];

/** Whether any served-list or lead-decision table compared two groups. */
function comparedAnywhere(r) {
  const tables = [
    ...Object.values(r.candidate_lists.selection_after_reranking || {}),
    ...["shortlisted", "offered", "accepted"].map((k) => r.lead_decisions[k]?.gender).filter(Boolean),
  ];
  return tables.some((t) => (t.categories || []).some((c) => COMPARED.includes(c.verdict)));
}

function verdicts(r) {
  const parts = [];
  if (r.breaches.length) {
    parts.push(h("div", { class: "card verdict-box", role: "alert" }, h("h2", {}, "Below four-fifths"),
      h("p", { class: "meta" }, "The whole 95% interval of each impact ratio here is under 0.8."),
      h("ul", { class: "plain" }, r.breaches.map((b) => h("li", {}, b)))));
  } else if (comparedAnywhere(r)) {
    parts.push(h("div", { class: "card" }, h("h2", {}, "No group is below four-fifths"),
      h("p", { class: "meta" }, "No group large enough to judge has its whole 95% interval under 0.8.")));
  } else {
    parts.push(h("div", { class: "card caution" }, h("h2", {}, "No group can be judged yet"),
      h("p", { class: "meta" }, "Every group is too few to judge or not shown, so there is no impact ratio to compare with four-fifths.")));
  }
  if (r.cautions.length) {
    parts.push(h("details", { class: "card caution" },
      h("summary", {}, `Not enough evidence to judge (${new Set(r.cautions).size})`),
      h("ul", { class: "plain" }, [...new Set(r.cautions)].map((c) => h("li", {}, c)))));
  }
  return parts;
}

function servedTrend(r, focus) {
  const weeks = r.trend || [];
  if (weeks.length < 2) {
    const said = weeks.length
      ? `Served candidate lists so far fall in one week (${weeks[0].week}: ${weeks[0].lists} lists); their trend needs at least two weeks.`
      : "No candidate lists were served in this window, so they have no weekly trend yet.";
    return h("p", { class: "trend-empty" }, said);
  }
  const labels = weeks.map((t) => t.week);
  const groups = [...new Set(weeks.flatMap((t) => Object.keys(t.selection_rate || {})))].sort();
  const series = Object.fromEntries(groups.map((g) => [g, weeks.map((t) => t.selection_rate?.[g]?.after ?? null)]));
  if (!groups.length) {
    return h("p", { class: "trend-empty" }, `Served candidate lists fall in ${weeks.length} weeks, but no ${words(focus)} group was large enough to judge in any of them.`);
  }
  const sparse = [...new Set(weeks.flatMap((t) => Object.keys(t.too_few || {})))].sort();
  return [
    lineChart(`Selection rate by ${words(focus)} per week in served candidate lists, after re-ranking (${weeks.length} weeks)`, labels, series),
    weeks.some((t) => t.impact_ratio_after !== null || t.impact_ratio_before !== null)
      ? lineChart(`Lowest impact ratio (${words(focus)}) per week in served candidate lists (dashed line: four-fifths)`, labels,
        { "before re-ranking": weeks.map((t) => t.impact_ratio_before), "after re-ranking": weeks.map((t) => t.impact_ratio_after) },
        { max: Math.max(1, ...weeks.flatMap((t) => [t.impact_ratio_before || 0, t.impact_ratio_after || 0])), line: 0.8, format: (v) => num(v, 2) })
      : h("p", { class: "meta" }, `No week had two ${words(focus)} groups large enough to compare, so there is no weekly impact ratio.`),
    sparse.length ? h("p", { class: "meta" }, `Not drawn in weeks where they were too few to judge or not shown: ${sparse.join(", ")}.`) : null,
  ];
}

function decisionsTrend(r) {
  const weeks = r.lead_decisions?.weekly || [];
  if (weeks.length < 2) {
    return h("p", { class: "trend-empty" }, weeks.length
      ? `Applications so far fall in one week (${weeks[0].week}); their trend needs at least two weeks.`
      : "No applications in this window, so lead decisions have no weekly trend yet.");
  }
  const labels = weeks.map((t) => t.week);
  const groups = [...new Set(weeks.flatMap((t) => Object.keys(t.shortlisted_rate)))].sort();
  if (!groups.length) {
    return h("p", { class: "trend-empty" }, `Applications fall in ${weeks.length} weeks, but no gender group was large enough to judge in any of them (each week reads the ${weeks[0].weeks_read} weeks to it).`);
  }
  const gaps = weeks.filter((t) => groups.some((g) => t.shortlisted_rate[g] === undefined)).length;
  return [
    lineChart(`Shortlisting rate by gender per week of application, each week with the ${weeks[0].weeks_read} weeks to it (${weeks.length} weeks)`, labels,
      Object.fromEntries(groups.map((g) => [g, weeks.map((t) => t.shortlisted_rate[g] ?? null)]))),
    gaps ? h("p", { class: "meta" }, `A gap is a week where that group had too few applicants to judge (under ${r.lead_decisions.shortlisted.gender.min_group} people) or was not shown: ${gaps} of ${weeks.length} weeks.`) : null,
  ];
}

function trend(r, focus) {
  return [h("h2", {}, "Weekly trend"), servedTrend(r, focus), decisionsTrend(r)];
}

export function dashboard(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Fairness"),
    h("p", {}, h("a", { href: "/api/v1/audits/report.html", target: "_blank", rel: "noopener" }, "Open the full report (HTML, with every table and chart)")),
    body);
  load(body, async () => {
    const r = await built("/api/v1/audits/report", body);
    const focus = r.window.focus_attribute;
    const parts = verdicts(r);
    const lists = r.candidate_lists;
    if (lists.selection_after_reranking) {
      const before = lists.selection_before_reranking;
      const after = lists.selection_after_reranking;
      const cats = judged(after[focus]);
      parts.push(h("h2", {}, "Served candidate lists"),
        h("p", { class: "meta" }, `${r.window.served_candidate_lists} lists, ${lists.appearances} appearances. A group under ${after[focus].min_group} people or 2% of the data is too few to judge: it is listed, never charted or flagged.`));
      parts.push(ratioChart(`Impact ratio by ${words(focus)}, after re-ranking`, after[focus]));
      if (cats.length) {
        parts.push(bars(`Selection rate by ${words(focus)}: on the page leads saw, before and after re-ranking`, cats,
          { "before re-ranking": cats.map((c) => rates(before[focus])[c] ?? null), "after re-ranking": cats.map((c) => rates(after[focus])[c] ?? null) }));
      }
      const cross = Object.keys(after).find((k) => k.includes("×"));
      if (cross) parts.push(ratioChart(`Impact ratio by ${words(cross)}, after re-ranking`, after[cross]));
      if (lists.share_by_position) {
        const shares = lists.share_by_position.after || {};
        const groups = Object.keys(shares).filter((g) => cats.includes(g) && (shares[g] || []).some((v) => v !== null)).sort();
        const positions = lists.share_by_position.positions || [];
        if (groups.length) {
          parts.push(bars(`Exposure by position: each ${words(focus)} group's share of position 1, 2, … after re-ranking`,
            positions.map((p) => `#${p}`), Object.fromEntries(groups.slice(0, 3).map((g) => [g, shares[g]]))), leftOut(after[focus]));
        } else {
          parts.push(h("p", { class: "meta" }, `Exposure by position: no ${words(focus)} group held a position often enough to be shown.`));
        }
      } else if (lists.withheld) {
        parts.push(h("p", { class: "meta" }, lists.withheld));
      }
    } else {
      parts.push(h("p", { class: "meta" }, "No candidate lists were served in this window yet."));
    }
    const decisions = r.lead_decisions;
    if (decisions.shortlisted) {
      const cats = judged(decisions.shortlisted.gender);
      parts.push(h("h2", {}, "Lead decisions"));
      if (cats.length) {
        parts.push(bars(`Lead decisions by gender among ${decisions.applications} applications`, cats, {
          shortlisted: cats.map((c) => rates(decisions.shortlisted.gender)[c] ?? null),
          offered: cats.map((c) => rates(decisions.offered.gender)[c] ?? null),
          "taken on": cats.map((c) => rates(decisions.accepted.gender)[c] ?? null),
        }));
      }
      parts.push(ratioChart("Shortlisting impact ratio by gender", decisions.shortlisted.gender));
    }
    parts.push(trend(r, focus));
    return parts;
  });
}

export function outcomes(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Marketplace outcomes"), body);
  load(body, async () => {
    const o = await built("/api/v1/audits/outcomes", body);
    const fill = o.internal_fill_rate;
    const part = o.participation;
    const figure = (label, value, note) => h("div", { class: "figure" }, h("span", { class: "meta" }, label), h("b", {}, value), note ? h("span", { class: "meta" }, note) : null);
    const kinds = Object.keys(fill.by_kind);
    const departments = Object.keys(part.by_department);
    const months = Object.keys(o.trend);
    return [
      h("div", { class: "figures" },
        figure("Internal fill rate", pct(fill.rate), `${fill.filled_internally} of ${fill.posted} posted`),
        figure("Time to first application", o.time_to_first_application.median_days === null ? "n/a" : `${o.time_to_first_application.median_days} days`, `median of ${o.time_to_first_application.n}`),
        figure("Time to fill", o.time_to_fill.median_days === null ? "n/a" : `${o.time_to_fill.median_days} days`, `median of ${o.time_to_fill.n}`),
        figure("Applied", pct(part.applied), `of ${part.employees} employees`),
        figure("Assigned", pct(part.assigned), "of employees"),
        figure("Mobility", num(o.mobility_velocity.assignments_per_100_per_quarter), "assignments per 100 people per quarter"),
        figure("Role moves", num(o.mobility_velocity.role_moves_per_100_per_quarter), "per 100 people per quarter"),
        figure("Skills confirmed by work", String(o.skills_gap_closure.skills_confirmed),
          `${o.skills_gap_closure.profile_updates_accepted} of ${o.skills_gap_closure.profile_updates_proposed ?? 0} proposed profile updates accepted`),
        figure("Time to proficiency", o.time_to_proficiency.median_days === null ? "n/a" : `${o.time_to_proficiency.median_days} days`, `median of ${o.time_to_proficiency.n}`),
        figure("Mentor load", pct(o.mentors.load), `${o.mentors.waitlisted} waiting`),
        figure("Identity reveals", String(o.identity_reveals), "leads shown who applied"),
        figure("Career paths", String(o.career_paths.people_with_target), `${o.career_paths.roles_filled_by_path_followers} of ${o.career_paths.roles_filled} roles filled by followers`)),
      h("p", { class: "meta" }, "Skills confirmed by work: skills used in work completed in this window, counted once for each completed assignment. ",
        "Proposed profile updates: the skills that completed work proposed adding to a profile, and how many the employee accepted. ",
        "Profile edits and imports are not counted: they are what people say they have, not what work confirmed."),
      bars("Internal fill rate by kind", kinds.map((k) => KINDS[k] || words(k)), { "filled internally": kinds.map((k) => fill.by_kind[k].rate) }),
      bars("Participation by department", departments, {
        applied: departments.map((d) => part.by_department[d].applied),
        assigned: departments.map((d) => part.by_department[d].assigned),
      }),
      months.length ? bars("Applications and assignments per month", months, {
        applications: months.map((m) => o.trend[m].applications),
        assignments: months.map((m) => o.trend[m].assignments),
      }, { format: (v) => num(v, 0) }) : null,
      h("p", { class: "meta" }, `Courses: ${o.skills_gap_closure.through_courses}.`),
    ];
  });
}

const when = (iso) => iso.replace("T", " ").slice(0, 16);
const KIND = { gig: "Gig", mentorship: "Mentorship", role: "Role" };
const KINDS = { gig: "Gigs", mentorship: "Mentorships", role: "Roles" };

/** A long id shortened to its first 8 characters; the full value in its title (hover) and
 *  for screen readers. */
function shortId(id) {
  const text = String(id);
  if (text.length <= 12) return text;
  return h("abbr", { class: "id", title: text, "aria-label": text }, `${text.slice(0, 8)}…`);
}

/** Whom a served list was for, in words: the opportunity's title, an employee's name
 *  (auditors), else why it is not shown. */
function listFor(item) {
  if (item.direction === "opportunity") return item.query_name ? `${item.query_name} (${item.query_external_id})` : item.query_external_id;
  if (item.query_external_id) return item.query_name ? `${item.query_name} (${item.query_external_id})` : item.query_external_id;
  return "an employee (auditors only)";
}

export function audit(me, root) {
  const auditor = (me.scopes || []).includes("auditor");
  const replayBox = h("div", { "aria-live": "polite" });
  const search = h("input", {
    type: "search", id: "audit-q", class: "grow", autocomplete: "off",
    placeholder: auditor ? "a person, an opportunity, a request id or words" : "an opportunity, a request id or words",
    "aria-describedby": "audit-q-help",
  });
  const kind = h("select", { id: "audit-kind" }, [["", "Any kind"], ["gig", "Gigs"], ["mentorship", "Mentorships"], ["role", "Roles"]].map(([v, t]) => h("option", { value: v }, t)));
  const list = h("select", { id: "audit-list" }, [["", "Both"], ["opportunity", "A lead's candidates"], ["employee", "An employee's matches"]].map(([v, t]) => h("option", { value: v }, t)));
  const lists = h("div", { "aria-live": "polite" });
  const events = h("div");
  const replay = (requestId) => act(null, async () => {
    replayBox.replaceChildren(h("p", { class: "meta" }, "Replaying…"));
    const r = await api(`/api/v1/audits/rankings/${enc(requestId)}/replay`);
    replayBox.replaceChildren(h("div", { class: "card" },
      h("h3", {}, "Replay of a served ranking"),
      h("p", { class: "meta id-full" }, `Request id ${r.request_id}`),
      h("p", { class: r.exact ? "notice" : "error" }, r.exact ? "Reproduced exactly: same scores, order and explanations." : "Not reproduced exactly."),
      h("ul", { class: "plain" },
        h("li", {}, `Scores match: ${r.scores_match ? "yes" : "no"} (largest difference ${r.max_score_difference})`),
        h("li", {}, `Order matches: ${r.order_match ? "yes" : "no"}`),
        h("li", {}, `Explanations match: ${r.explanation_match ? "yes" : "no"}`),
        h("li", {}, `Model: ${r.model_version}`)),
      r.notes.length ? h("p", { class: "meta" }, r.notes.join(" ")) : null));
    replayBox.scrollIntoView({ block: "nearest" });
    replayBox.querySelector("h3").setAttribute("tabindex", "-1");
    replayBox.querySelector("h3").focus();
  });
  let shown = 30;
  const showLists = () => load(lists, async () => {
    const q = search.value.trim();
    const params = new URLSearchParams({ limit: String(shown) });
    if (q) params.set("q", q);
    if (kind.value) params.set("kind", kind.value);
    if (list.value) params.set("direction", list.value);
    const r = await api(`/api/v1/audits/rankings?${params}`);
    const items = r.items;
    const note = r.note ? h("p", { class: "meta", role: "note" }, r.note) : null;
    if (!items.length) return [h("p", {}, q ? `No served ranking matches “${q}”.` : "No rankings were served yet."), note];
    return [note, h("p", { class: "meta" }, q ? `${items.length}${items.length >= shown ? "+" : ""} served rankings match “${q}”, newest first.` : "The newest served rankings."),
      stackTable("Served rankings, newest first", ["Served", "List", "Kind", "For", "Request", ""], items.map((i) => [
        when(i.served_at),
        i.direction === "employee" ? "an employee's matches" : "a lead's candidates",
        KIND[i.kind] || words(i.kind),
        { cell: listFor(i), class: "for" },
        { cell: shortId(i.request_id), class: "id" },
        h("button", { type: "button", class: "secondary", "aria-label": `Replay ranking ${i.seq}`, onclick: () => replay(i.request_id) }, "Replay"),
      ]), { className: "rankings" }),
      items.length >= shown && shown < 200 ? h("button", { type: "button", class: "secondary", onclick: () => { shown = 200; showLists(); } }, "Show more") : null];
  });
  root.append(h("h1", {}, "Audit log"),
    h("form", { class: "card", role: "search", onsubmit: (e) => { e.preventDefault(); shown = 30; showLists(); } },
      h("label", { for: "audit-q" }, "Find a served ranking"),
      h("div", { class: "row" }, search, h("button", { type: "submit" }, "Search")),
      h("p", { class: "meta", id: "audit-q-help" }, auditor
        ? "Every word must match: a person's id or name, an opportunity's id or title, a request id, a kind or a day (2026-12-05)."
        : "Every word must match: an opportunity's id or title, a request id, a kind or a day (2026-12-05). Finding a person's rankings needs the auditor permission."),
      h("div", { class: "audit-filters" },
        h("div", {}, h("label", { for: "audit-kind" }, "Kind"), kind),
        h("div", {}, h("label", { for: "audit-list" }, "List"), list))),
    replayBox, lists, h("h2", {}, "Oversight events"), events);
  showLists();
  load(events, async () => {
    const r = await api("/api/v1/audits/oversight");
    if (!r.items.length) return h("p", { class: "meta" }, "No oversight events yet.");
    const who = (e) => `${e.actor_name || e.actor} (${words(e.actor_role)})`;
    const on = (e) => (e.opportunity_title ? `${e.opportunity_title} (${e.opportunity_external_id})` : e.opportunity_external_id || (e.kind ? `${words(e.kind)}s` : ""));
    return stackTable("Pauses, policy changes, pins, hides, reveals and audit reads, newest first", ["When", "Who", "What", "On", "Why"],
      r.items.slice(0, 100).map((e) => [when(e.at), who(e), words(e.action), on(e), { cell: e.reason, class: "why" }]), { className: "oversight" });
  });
}

/** What a kind's re-ranking does, in words. */
function policyInWords(p) {
  const attribute = words(p.attribute || "");
  if (p.policy === "fa*ir") {
    return `Re-ranking keeps enough ${p.protected || "protected-group"} people near the top of every list, so that at each point of the list their share is not significantly below their share of the candidates (by ${attribute}).`;
  }
  if (p.policy === "detgreedy") return `Re-ranking keeps each ${attribute} group's share of every list near its share of the candidates.`;
  return "No re-ranking: lists are in the model's order.";
}

/** The same policy as an auditor names it. */
function policyTechnical(p) {
  const name = p.policy === "fa*ir" ? "FA*IR" : p.policy === "detgreedy" ? "DetGreedy" : p.policy;
  return `Method: ${name} on ${words(p.attribute || "")}${p.protected ? `, protected group ${p.protected}` : ""}${p.alpha !== undefined && p.alpha !== null ? `, significance level α = ${p.alpha}` : ""}.`;
}

export function policies(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Ranking policies"), body);
  const render = () => load(body, async () => {
    const all = await api("/api/v1/audits/policies");
    return Object.entries(all).map(([kind, p]) => {
      const id = `why-${kind}`;
      const problem = h("p", { class: "error", id: `${id}-error`, hidden: true });
      const reason = h("input", { type: "text", id, class: "wide", placeholder: "why (logged)", "aria-describedby": `${id}-error` });
      reason.addEventListener("input", () => { problem.hidden = true; reason.removeAttribute("aria-invalid"); });
      const change = (update, done) => (e) => {
        // A missing reason is said beside the field, which takes the focus.
        if (reason.value.trim().length < 3) {
          problem.textContent = "Say why (at least 3 characters): every change is logged with its reason.";
          problem.hidden = false;
          reason.setAttribute("aria-invalid", "true");
          reason.focus();
          say(problem.textContent);
          return;
        }
        act(e.target, async () => {
          await api(`/api/v1/audits/policies/${enc(kind)}`, { method: "PUT", body: { ...kept, ...update, reason: reason.value.trim() } });
          render();
        }, done);
      };
      // A change of policy or pause keeps the kind's exploration as it is.
      const kept = { explore: p.explore, explore_share: p.explore_share, explore_depth: p.explore_depth };
      const { policy: name, ...params } = p;
      const exploring = h("p", { class: "meta" }, p.explore
        ? `Exploration on: about ${Math.round(p.explore_share * 100)}% of a first page's slots, never the first three, show one of the ${p.explore_depth} just below the page.`
        : "Exploration off: every page is the ranking's own order.");
      const chooser = h("select", { id: `pol-${kind}` }, [["fa*ir", "Keep a protected group's share up at every point of the list (FA*IR)"], ["detgreedy", "Keep each group near its share of the candidates (DetGreedy)"], ["off", "Off: the model's order"]]
        .map(([v, t]) => h("option", { value: v, selected: v === p.policy }, t)));
      return h("article", { class: "card" },
        h("h2", {}, KINDS[kind] || words(kind)),
        h("p", {}, p.paused ? "Paused: lists are in plain similarity order." : policyInWords(p)),
        !p.paused && p.policy !== "off" ? h("p", { class: "meta" }, policyTechnical(p)) : null,
        exploring,
        h("label", { for: `pol-${kind}` }, "Re-ranking policy"), chooser,
        h("label", { for: id }, "Reason"), reason, problem,
        h("div", { class: "row" },
          h("button", { type: "button", class: "secondary", onclick: change({ policy: chooser.value, attribute: p.attribute, paused: p.paused }, "Policy saved") }, "Save policy"),
          p.paused
            ? h("button", { type: "button", onclick: change({ paused: false, policy: p.policy, attribute: p.attribute, protected: p.protected, alpha: p.alpha }, "Resumed") }, `Resume ${kind} ranking`)
            : h("button", { type: "button", class: "danger", onclick: change({ paused: true }, "Paused") }, `Pause ${kind} ranking`),
          h("button", { type: "button", class: "secondary", onclick: change({ ...params, policy: name, explore: !p.explore }, p.explore ? "Exploration off" : "Exploration on") }, p.explore ? "Turn exploration off" : "Turn exploration on")));
    });
  });
  render();
}

export function models(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Live models"), body);
  load(body, async () => {
    const r = await api("/api/v1/audits/models");
    // An interleaving challenger that won (its card says so) can be promoted here, by an admin.
    const tests = me.role === "admin" ? (await api("/api/v1/interleaving")).items : [];
    return r.items.map((m) => h("article", { class: "card" },
      h("h2", {}, m.direction === "employee" ? "The model behind employees' matches" : "The model behind leads' candidates"),
      h("p", { class: "meta" }, m.source === "company" ? "Trained on this company's history and promoted." : "The packaged cold-start model.",
        " ", versionInWords(m.version)),
      markdown(m.card),
      ...tests.filter((t) => t.direction === m.direction && t.winner === "challenger").map(promoteWinner)));
  });
}

/** Promote an interleaving test's winning challenger, with the reason the log keeps. */
function promoteWinner(t) {
  const id = `promote-${t.kind}-${t.direction}`;
  const reason = h("input", { type: "text", id, class: "wide", placeholder: "why (logged)" });
  const button = h("button", { type: "button" }, `Promote the challenger (${t.kind} lists)`);
  button.onclick = () => act(button, () => api(`/api/v1/interleaving/${encodeURIComponent(t.kind)}/${encodeURIComponent(t.direction)}/promote`,
    { method: "POST", body: { reason: reason.value.trim() } }), (done) => `Promoted ${done.promoted}: it serves from now on`);
  return h("div", { class: "row" }, h("label", { for: id }, "Reason"), reason, button);
}

/** A model version ("employee-20261205-223952-fa6a198d") as a date, the full id in its title. */
function versionInWords(version) {
  const at = String(version).match(/(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})\d{2}/);
  const said = at ? `Version of ${at[1]}-${at[2]}-${at[3]} ${at[4]}:${at[5]} UTC` : "Version";
  return h("span", {}, `${said} (id `, h("abbr", { class: "id", title: version, "aria-label": version }, String(version).split("-").pop()), ").");
}

// The card's technical names in words; the name stays in a second line for auditors.
const RANKERS = {
  ranker: "This model",
  ranker_from_scratch: "Trained from scratch",
  ranker_continued: "Continued from the live model",
  ranker_no_position_debiasing: "Without position debiasing",
  live: "The live model",
  bm25_skills: "Skill keyword match",
  embedding_similarity: "Profile similarity",
  required_skill_overlap: "Required skills held",
};
const DIRECTIONS = { "employee -> opportunities": "opportunities for an employee", "opportunity -> candidates": "candidates for an opportunity" };

function cellInWords(text) {
  if (RANKERS[text]) return [RANKERS[text], h("span", { class: "meta tech" }, text)];
  // Any other snake_case name (a feature): its words first, the name below.
  if (/^[a-z][a-z0-9]*(_[a-z0-9@]+)+$/.test(text)) {
    const said = words(text);
    return [said.charAt(0).toUpperCase() + said.slice(1), h("span", { class: "meta tech" }, text)];
  }
  return inline(text);
}

/** Inline code: a long hash shortened (its full value in the title), else as written. */
function inline(text) {
  return text.split("`").map((part, i) => {
    if (i % 2 === 0) return part;
    return /^[0-9a-f]{17,}$/i.test(part) ? h("abbr", { class: "id", title: part, "aria-label": part }, `${part.slice(0, 12)}…`) : h("code", {}, part);
  });
}

/** The few Markdown forms a model card uses: headings, tables, lists and paragraphs. */
function markdown(text) {
  const out = [];
  const lines = text.split("\n");
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith("#")) {
      const level = Math.min(line.match(/^#+/)[0].length + 2, 5);
      const title = line.replace(/^#+\s*/, "").replace(/^Model card: (.+) ranker$/, (_, d) => `Model card: how it ranks ${DIRECTIONS[d] || d}`);
      heading = title;
      out.push(h(`h${level}`, {}, inline(title)));
    } else if (line.startsWith("|")) {
      const rows = [];
      while (i < lines.length && lines[i].startsWith("|")) rows.push(lines[i++]);
      i--;
      const cells = (row) => row.slice(1, -1).split("|").map((c) => c.trim());
      const head = cells(rows[0]).map((c) => c.charAt(0).toUpperCase() + c.slice(1));
      out.push(stackTable(heading || head.join(", "), head, rows.slice(2).map((r) => cells(r).map(cellInWords)), { className: "card-table" }));
    } else if (line.startsWith("- ")) {
      const items = [];
      while (i < lines.length && lines[i].startsWith("- ")) items.push(lines[i++].slice(2));
      i--;
      out.push(h("ul", { class: "plain" }, items.map((t) => h("li", {}, inline(t)))));
    } else if (line.trim()) {
      out.push(h("p", {}, inline(line)));
    }
  }
  return h("div", { class: "model-card" }, out);
}
