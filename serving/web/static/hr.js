// What HR sees: fairness by group (before and after re-ranking), outcomes, the audit log with
// replay, each kind's policy and pause, the live models' cards, and the full report.
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
const ratios = (impact) => Object.fromEntries((impact?.categories || []).map((c) => [c.category, c.impact_ratio]));

export function dashboard(me, root) {
  const body = h("div");
  root.append(h("h1", {}, "Fairness"),
    h("p", {}, h("a", { href: "/api/v1/audits/report.html", target: "_blank", rel: "noopener" }, "Open the full report (HTML, with every table and chart)")),
    body);
  load(body, async () => {
    const r = await built("/api/v1/audits/report", body);
    const focus = r.window.focus_attribute;
    const parts = [];
    if (r.breaches.length) parts.push(h("div", { class: "card", role: "alert" }, h("h2", {}, "Below four-fifths"), h("ul", { class: "plain" }, r.breaches.map((b) => h("li", {}, b)))));
    const lists = r.candidate_lists;
    if (lists.selection_after_reranking) {
      const before = lists.selection_before_reranking;
      const after = lists.selection_after_reranking;
      const cats = (after[focus].categories || []).filter((c) => !c.suppressed).map((c) => c.category);
      parts.push(barChart(`Selection rate by ${words(focus)}: on the page leads saw, before and after re-ranking`, cats,
        { "before re-ranking": cats.map((c) => rates(before[focus])[c] ?? null), "after re-ranking": cats.map((c) => rates(after[focus])[c] ?? null) }));
      const cross = Object.keys(after).find((k) => k.includes("×"));
      if (cross) {
        const names = (after[cross].categories || []).filter((c) => !c.excluded && !c.suppressed).map((c) => c.category);
        parts.push(barChart(`Impact ratio by ${cross} (after re-ranking; dashed line: four-fifths)`, names,
          { "impact ratio": names.map((n) => ratios(after[cross])[n] ?? null) }, { max: 1, line: 0.8, format: (v) => num(v, 2) }));
      }
      if (lists.share_by_position) {
        const shares = lists.share_by_position.after || {};
        const groups = Object.keys(shares).sort();
        const positions = lists.share_by_position.positions || [];
        if (groups.length) {
          parts.push(barChart(`Exposure by position: each ${words(focus)} group's share of position 1, 2, … after re-ranking`,
            positions.map((p) => `#${p}`), Object.fromEntries(groups.slice(0, 3).map((g) => [g, shares[g]]))));
        }
      } else if (lists.withheld) {
        parts.push(h("p", { class: "meta" }, lists.withheld));
      }
    } else {
      parts.push(h("p", { class: "meta" }, "No candidate lists were served in this window yet."));
    }
    const decisions = r.lead_decisions;
    if (decisions.shortlisted) {
      const cats = (decisions.shortlisted.gender.categories || []).filter((c) => !c.suppressed).map((c) => c.category);
      parts.push(barChart(`Lead decisions by gender among ${decisions.applications} applications`, cats, {
        shortlisted: cats.map((c) => rates(decisions.shortlisted.gender)[c] ?? null),
        offered: cats.map((c) => rates(decisions.offered.gender)[c] ?? null),
        "taken on": cats.map((c) => rates(decisions.accepted.gender)[c] ?? null),
      }));
    }
    if (r.trend.length) {
      parts.push(barChart(`Weekly impact ratio (${words(focus)}), before and after re-ranking`, r.trend.map((t) => t.week),
        { before: r.trend.map((t) => t.impact_ratio_before), after: r.trend.map((t) => t.impact_ratio_after) }, { max: 1, line: 0.8, format: (v) => num(v, 2) }));
    }
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

export function audit(me, root) {
  const replayBox = h("div", { "aria-live": "polite" });
  const search = h("input", { type: "search", id: "audit-q", class: "grow", placeholder: "request id, kind or opportunity" });
  const lists = h("div");
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
    const r = await api(`/api/v1/audits/rankings?limit=${shown}${/^[A-Za-z0-9._:-]+$/.test(q) ? `&request_id=${enc(q)}` : ""}`);
    let items = r.items;
    if (!items.length && q) {
      const all = await api("/api/v1/audits/rankings?limit=200");
      items = all.items.filter((i) => [i.kind, i.direction, i.query_external_id || ""].some((v) => v.toLowerCase().includes(q.toLowerCase())));
    }
    if (!items.length) return h("p", { class: "meta" }, "No served ranking matches.");
    return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Served rankings" }, h("table", {},
      h("caption", { class: "meta" }, "Served rankings, newest first"),
      h("thead", {}, h("tr", {}, ["", "#", "served", "list", "kind", "for"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, items.map((i) => h("tr", {},
        h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `Replay ranking ${i.seq}`, onclick: () => replay(i.request_id) }, "Replay")),
        h("td", {}, i.seq), h("td", {}, i.served_at.replace("T", " ").slice(0, 19)),
        h("td", {}, i.direction === "employee" ? "an employee's matches" : "a lead's candidates"),
        h("td", {}, i.kind), h("td", {}, i.query_external_id || "(auditors only)"))))),
      items.length >= shown && shown < 200 ? h("button", { type: "button", class: "secondary", onclick: () => { shown = 200; showLists(); } }, "Show more") : null);
  });
  root.append(h("h1", {}, "Audit log"),
    h("form", { class: "card", onsubmit: (e) => { e.preventDefault(); showLists(); } },
      h("label", { for: "audit-q" }, "Find a served ranking"), h("div", { class: "row" }, search, h("button", { type: "submit" }, "Search"))),
    replayBox, lists, h("h2", {}, "Oversight events"), events);
  showLists();
  load(events, async () => {
    const r = await api("/api/v1/audits/oversight");
    if (!r.items.length) return h("p", { class: "meta" }, "No oversight events yet.");
    return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Oversight events" }, h("table", {},
      h("caption", { class: "meta" }, "Pauses, policy changes, pins, hides, reveals and audit reads, newest first"),
      h("thead", {}, h("tr", {}, ["when", "who", "what", "on", "why"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, r.items.slice(0, 100).map((e) => h("tr", {},
        h("td", {}, e.at.replace("T", " ").slice(0, 16)), h("td", {}, `${e.actor} (${e.actor_role})`),
        h("td", {}, words(e.action)), h("td", {}, e.opportunity_external_id || e.kind || ""), h("td", {}, e.reason))))));
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
