// What HR sees: fairness by group (before and after re-ranking), outcomes, the audit log with
// replay, each kind's policy and pause, the live models' cards, and the full report.
import { lineChart, notJudged, ratioChart } from "./hr-charts.js";
import { act, api, barChart, h, load, num, pct, words } from "./ui.js";

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
      h("summary", {}, `Not enough evidence to judge (${r.cautions.length})`),
      h("ul", { class: "plain" }, r.cautions.map((c) => h("li", {}, c)))));
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
        parts.push(barChart(`Selection rate by ${words(focus)}: on the page leads saw, before and after re-ranking`, cats,
          { "before re-ranking": cats.map((c) => rates(before[focus])[c] ?? null), "after re-ranking": cats.map((c) => rates(after[focus])[c] ?? null) }));
      }
      const cross = Object.keys(after).find((k) => k.includes("×"));
      if (cross) parts.push(ratioChart(`Impact ratio by ${words(cross)}, after re-ranking`, after[cross]));
      if (lists.share_by_position) {
        const shares = lists.share_by_position.after || {};
        const groups = Object.keys(shares).filter((g) => cats.includes(g) && (shares[g] || []).some((v) => v !== null)).sort();
        const positions = lists.share_by_position.positions || [];
        if (groups.length) {
          parts.push(barChart(`Exposure by position: each ${words(focus)} group's share of position 1, 2, … after re-ranking`,
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
        parts.push(barChart(`Lead decisions by gender among ${decisions.applications} applications`, cats, {
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
        figure("Skills confirmed", String(o.skills_gap_closure.skills_confirmed), `${o.skills_gap_closure.profile_updates_accepted} profile updates accepted`),
        figure("Time to proficiency", o.time_to_proficiency.median_days === null ? "n/a" : `${o.time_to_proficiency.median_days} days`, `median of ${o.time_to_proficiency.n}`),
        figure("Mentor load", pct(o.mentors.load), `${o.mentors.waitlisted} waiting`),
        figure("Identity reveals", String(o.identity_reveals), "leads shown who applied"),
        figure("Career paths", String(o.career_paths.people_with_target), `${o.career_paths.roles_filled_by_path_followers} of ${o.career_paths.roles_filled} roles filled by followers`)),
      barChart("Internal fill rate by kind", kinds, { "filled internally": kinds.map((k) => fill.by_kind[k].rate) }),
      barChart("Participation by department", departments, {
        applied: departments.map((d) => part.by_department[d].applied),
        assigned: departments.map((d) => part.by_department[d].assigned),
      }),
      months.length ? barChart("Applications and assignments per month", months, {
        applications: months.map((m) => o.trend[m].applications),
        assignments: months.map((m) => o.trend[m].assignments),
      }, { format: (v) => num(v, 0) }) : null,
      h("p", { class: "meta" }, `Courses: ${o.skills_gap_closure.through_courses}.`),
    ];
  });
}

const when = (iso) => iso.replace("T", " ").slice(0, 16);

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
  const kind = h("select", { id: "audit-kind" }, [["", "any kind"], ["gig", "gigs"], ["mentorship", "mentorships"], ["role", "roles"]].map(([v, t]) => h("option", { value: v }, t)));
  const list = h("select", { id: "audit-list" }, [["", "both"], ["opportunity", "a lead's candidates"], ["employee", "an employee's matches"]].map(([v, t]) => h("option", { value: v }, t)));
  const lists = h("div", { "aria-live": "polite" });
  const events = h("div");
  const replay = (requestId) => act(null, async () => {
    replayBox.replaceChildren(h("p", { class: "meta" }, "Replaying…"));
    const r = await api(`/api/v1/audits/rankings/${enc(requestId)}/replay`);
    replayBox.replaceChildren(h("div", { class: "card" },
      h("h3", {}, `Replay of ${r.request_id}`),
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
      h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Served rankings" }, h("table", { class: "rankings" },
        h("caption", { class: "meta" }, "Served rankings, newest first"),
        h("thead", {}, h("tr", {}, ["", "served", "list", "kind", "for", "request id"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, items.map((i) => h("tr", {},
          h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `Replay ranking ${i.seq}`, onclick: () => replay(i.request_id) }, "Replay")),
          h("td", {}, when(i.served_at)),
          h("td", {}, i.direction === "employee" ? "an employee's matches" : "a lead's candidates"),
          h("td", {}, i.kind), h("td", { class: "for" }, listFor(i)), h("td", { class: "meta" }, i.request_id)))))),
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
    return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Oversight events" }, h("table", {},
      h("caption", { class: "meta" }, "Pauses, policy changes, pins, hides, reveals and audit reads, newest first"),
      h("thead", {}, h("tr", {}, ["when", "who", "what", "on", "why"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, r.items.slice(0, 100).map((e) => h("tr", {},
        h("td", {}, when(e.at)), h("td", {}, who(e)),
        h("td", {}, words(e.action)), h("td", {}, on(e)), h("td", { class: "why" }, e.reason))))));
  });
}

export function policies(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Ranking policies"), body);
  const render = () => load(body, async () => {
    const all = await api("/api/v1/audits/policies");
    return Object.entries(all).map(([kind, p]) => {
      const id = `why-${kind}`;
      const reason = h("input", { type: "text", id, class: "wide", placeholder: "why (logged)" });
      const change = (update, done) => (e) => act(e.target, async () => {
        if (reason.value.trim().length < 3) throw new Error("Say why (at least 3 characters): the change is logged.");
        await api(`/api/v1/audits/policies/${enc(kind)}`, { method: "PUT", body: { ...update, reason: reason.value.trim() } });
        render();
      }, done);
      const chooser = h("select", { id: `pol-${kind}` }, [["fa*ir", "FA*IR (a protected group's share at each prefix)"], ["detgreedy", "DetGreedy (each group's share near its pool share)"], ["off", "Off (the model's order)"]]
        .map(([v, t]) => h("option", { value: v, selected: v === p.policy }, t)));
      return h("article", { class: "card" },
        h("h2", {}, `${words(kind)}s`),
        h("p", {}, p.paused ? "Paused: lists are in plain similarity order." : `Re-ranking: ${p.policy}${p.policy !== "off" ? ` on ${words(p.attribute)}${p.protected ? ` (protected: ${p.protected})` : ""}, alpha ${p.alpha}` : ""}`),
        h("label", { for: `pol-${kind}` }, "Re-ranking policy"), chooser,
        h("label", { for: id }, "Reason"), reason,
        h("div", { class: "row" },
          h("button", { type: "button", class: "secondary", onclick: change({ policy: chooser.value, attribute: p.attribute, paused: p.paused }, "Policy saved") }, "Save policy"),
          p.paused
            ? h("button", { type: "button", onclick: change({ paused: false, policy: p.policy, attribute: p.attribute, protected: p.protected, alpha: p.alpha }, "Resumed") }, `Resume ${kind} ranking`)
            : h("button", { type: "button", class: "danger", onclick: change({ paused: true }, "Paused") }, `Pause ${kind} ranking`)));
    });
  });
  render();
}

export function models(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Live models"), body);
  load(body, async () => {
    const r = await api("/api/v1/audits/models");
    return r.items.map((m) => h("article", { class: "card" },
      h("h2", {}, `${m.direction === "employee" ? "Employees' matches" : "Leads' candidates"}: ${m.version}`),
      h("p", { class: "meta" }, m.source === "company" ? "Trained on this company's history and promoted." : "The packaged cold-start model."),
      markdown(m.card)));
  });
}

/** The few Markdown forms a model card uses: headings, tables, lists and paragraphs. */
function markdown(text) {
  const out = [];
  const lines = text.split("\n");
  const inline = (t) => t.replaceAll("`", "");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith("#")) {
      const level = Math.min(line.match(/^#+/)[0].length + 2, 5);
      out.push(h(`h${level}`, {}, inline(line.replace(/^#+\s*/, ""))));
    } else if (line.startsWith("|")) {
      const rows = [];
      while (i < lines.length && lines[i].startsWith("|")) rows.push(lines[i++]);
      i--;
      const cells = (row) => row.slice(1, -1).split("|").map((c) => inline(c.trim()));
      const body = rows.slice(2).map(cells);
      out.push(h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, cells(rows[0]).map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, body.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))))));
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
