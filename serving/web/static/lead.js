// What a project lead sees: their postings as a searchable, paged list; each one's pipeline as a
// board, its recommended (masked) candidates, and a form to edit it; and a form to post one.
// An admin sees every posting and posts on a lead's behalf.
import { rankingNotice } from "./rights.js";
import { act, api, h, load, say, words } from "./ui.js";
import { focusWhenShown, whyBox } from "./why.js";
import { cardLine, nameOf, pipelineBoard, skillList, step } from "./lead-board.js";
import { postingForm } from "./lead-form.js";

const enc = encodeURIComponent;
const PAGE = 10;
const POSTED = "talent-posted"; // the posting just made, opened when the list shows

// The edit form's field for each posting field a list's `why` names.
const POSTING_FIELDS = {
  hours_per_week: "#e-hours", level_min: "#e-level-min", level_max: "#e-level-max", location: "#e-location",
  status: "#e-status", seats: "#e-seats", start_date: "#e-start", required_skills: "#e-skill", overrides: "#ov-h + ul button",
};
const goToPosting = (where, field) => {
  // A location field stays disabled while Remote is ticked: the change starts there.
  const selector = field === "location" && document.querySelector("#e-remote:checked") ? "#e-remote" : POSTING_FIELDS[field];
  focusWhenShown(selector || "#e-title");
};

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const hours = (n) => `${Math.round(n * 10) / 10} h`;

/** Why nobody, or so few, are recommended (the server's words; counts of people banded). */
function whyCandidates(candidates) {
  if (candidates.error) return h("p", { class: "error" }, candidates.error.message);
  if (!candidates.why) return null;
  const n = candidates.items.length;
  return whyBox(candidates.why, n ? `Why only ${n} ${n === 1 ? "is" : "are"} recommended` : "Why nobody is recommended", goToPosting);
}

/** A posting that asks no skill is matched with nobody: say so plainly, with the kinds of work
 *  its title is closest to as one-click choices, and the way to add skills. */
function needsSkills(o, refresh) {
  const choices = o.occupation_choices || [];
  return h("section", { class: "card notice-box", "aria-labelledby": "needs-h" },
    h("h3", { id: "needs-h" }, "Nobody is recommended yet: this posting asks for no skills"),
    h("p", {}, choices.length
      ? "Its title is closest to these kinds of work. Choose one to ask for its usual skills, or add skills in Edit this posting."
      : "Its title names no kind of work on its own. Add the skills it needs in Edit this posting."),
    choices.length ? h("div", { class: "row" }, choices.slice(0, 5).map((c) => h("button", {
      type: "button", class: "secondary",
      onclick: (e) => act(e.target, async () => {
        await api(`/api/v1/opportunities/${enc(o.external_id)}`, { method: "PATCH", body: { occupation_id: c.occupation_id } });
        refresh();
      }, `Asking for the usual skills of ${c.label}`),
    }, c.label))) : null,
    h("p", {}, h("button", { type: "button", class: "secondary", onclick: () => focusWhenShown("#e-skill") }, "Add skills")));
}

function candidateCard(opportunity, item, refresh, inPipeline) {
  const c = item.candidate;
  const stage = inPipeline.get(c.handle);
  const reason = h("input", { type: "text", id: `why-${c.handle}`, placeholder: "why (for the audit log)", "aria-label": `Reason to pin or hide ${c.alias}` });
  const override = (action) => (e) => act(e.target, async () => {
    if (reason.value.trim().length < 3) throw new Error("Say why (at least 3 characters): pins and hides are logged for HR.");
    await api(`/api/v1/opportunities/${enc(opportunity)}/overrides`, { method: "POST", body: { candidate: c.handle, action, reason: reason.value.trim() } });
    refresh();
  }, action === "pin" ? "Pinned on top" : "Hidden from this list");
  return h("article", { class: "card" },
    h("div", { class: "row" }, h("h3", { class: "grow" }, `${item.rank}. ${c.alias}`), item.pinned ? h("span", { class: "chip" }, "pinned") : null),
    h("p", { class: "meta" }, cardLine(c)),
    h("ul", { class: "reasons", "aria-label": "Why recommended" }, item.explanation.reasons.map((r) => h("li", {}, `${r.text} (${r.effect})`))),
    skillList(c),
    h("div", { class: "row" },
      stage
        ? h("span", { class: "chip" }, `In your pipeline: ${words(stage)}`)
        : h("button", { type: "button", onclick: (e) => act(e.target, async () => { await step(opportunity, { action: "invite", candidate: c.handle }); refresh(); }, "Invitation sent") }, `Invite ${c.alias.replace(/^Candidate /, "")}`),
      reason,
      h("button", { type: "button", class: "secondary", onclick: override("pin") }, "Pin"),
      h("button", { type: "button", class: "secondary", onclick: override("hide") }, "Hide")));
}

/** A posting's status in one wording: an open one whose seats are all taken (the history's
 *  acceptances count) is matched with nobody, as one marked filled is, so both read "filled". */
const statusWords = (o, taken = o.seats_taken) => (o.status === "filled"
  || (o.status === "open" && taken !== undefined && taken !== null && taken >= o.seats)
  ? "filled" : words(o.status));

/** One line of facts about a posting, in words. */
function facts(o) {
  const when = [
    `${hours(o.hours_per_week)} a week`,
    o.duration_weeks ? `for ${plural(o.duration_weeks, "week")}` : null,
    o.start_date ? `from ${o.start_date}` : null,
  ].filter(Boolean).join(" ");
  return [words(o.kind).replace(/^./, (c) => c.toUpperCase()), statusWords(o), when, o.location === "Remote" ? "remote" : o.location,
    o.department, `levels ${o.level_min} to ${o.level_max}`].filter(Boolean).join(" · ");
}

function asks(o) {
  const say = (s) => `${s.name} (level ${s.level})`;
  return h("p", { class: "meta asks" },
    o.required_skills.length ? `Asks: ${o.required_skills.map(say).join(", ")}` : "Asks no required skill",
    o.preferred_skills.length ? `; prefers ${o.preferred_skills.map(say).join(", ")}` : "",
    o.required_skills.some((s) => s.inferred) ? " (implied by its title)" : "");
}

function detail(me, externalId, root, { focus = false, changed = () => {} } = {}) {
  const render = () => load(root, async () => {
    const [board, fresh, overrides] = await Promise.all([
      api(`/api/v1/opportunities/${enc(externalId)}/pipeline`),
      api(`/api/v1/opportunities/${enc(externalId)}`),
      api(`/api/v1/opportunities/${enc(externalId)}/overrides`),
    ]);
    let candidates = { items: [] };
    if (!fresh.needs_skills) {
      try {
        candidates = await api(`/api/v1/opportunities/${enc(externalId)}/candidates?limit=10`);
      } catch (error) {
        candidates = { items: [], error };
      }
    }
    const inPipeline = new Map(Object.values(board.stages).flat().map((p) => [p.candidate.handle, p.stage]));
    const moved = async (pairId) => {
      await render();
      changed(); // the list's seats and applicants say the same as the board
      // A person rejected leaves the board for the folded list: focus stays near, on it.
      const target = root.querySelector(`[data-pair="${pairId}"]`) || root.querySelector("details.closed > summary") || root.querySelector("#pipeline-h");
      if (target) target.focus();
    };
    return [
      h("p", { class: "back-to-list" }, h("button", {
        type: "button", class: "link",
        onclick: () => {
          const row = document.querySelector(`#opp-results [data-opportunity="${CSS.escape(externalId)}"]`) || document.querySelector("#opp-page");
          row?.scrollIntoView({ block: "center" });
          row?.focus();
        },
      }, "Back to the list of postings")),
      h("h2", { id: "detail-h", tabindex: "-1" }, fresh.title),
      h("p", { class: "meta" }, facts(fresh)),
      fresh.description ? h("p", { class: "description" }, fresh.description) : null,
      asks(fresh),
      fresh.needs_skills ? needsSkills(fresh, render) : null,
      h("details", { class: "edit" }, h("summary", {}, "Edit this posting"), postingForm({ o: fresh, me, saved: () => { render(); changed(); } })),
      pipelineBoard(fresh.external_id, board, moved, { recommended: candidates.items.length > 0, kind: fresh.kind }),
      fresh.needs_skills ? null : h("section", { "aria-labelledby": "rec-h" }, h("h2", { id: "rec-h" }, "Recommended candidates (names hidden until they apply)"),
        rankingNotice("lead"),
        candidates.items.map((item) => candidateCard(fresh.external_id, item, render, inPipeline)), whyCandidates(candidates)),
      overrides.items.length ? h("section", { "aria-labelledby": "ov-h" }, h("h2", { id: "ov-h" }, "Pins and hides"),
        h("ul", { class: "plain" }, overrides.items.map((x) => h("li", { class: "row" },
          h("span", { class: "grow" }, `${x.action === "pin" ? "Pinned" : "Hidden"}: ${x.alias} (“${x.reason}”)`),
          h("button", {
            type: "button", class: "secondary",
            onclick: (e) => act(e.target, async () => { await api(`/api/v1/opportunities/${enc(fresh.external_id)}/overrides/${x.id}`, { method: "DELETE" }); render(); }, "Undone"),
          }, x.action === "pin" ? "Unpin" : "Show again"))))) : null,
    ];
  });
  return render().then(() => {
    if (!focus) return;
    // On a phone the detail sits below the list: bring its heading to the top, then focus it.
    const heading = root.querySelector("#detail-h");
    heading?.scrollIntoView({ block: "start" });
    heading?.focus({ preventScroll: true });
  });
}

/** The searchable, paged list of postings (a lead's own; an admin's all). */
export function opportunities(me, root) {
  const admin = me.role === "admin";
  const q = h("input", { type: "search", id: "opp-q", class: "grow", autocomplete: "off" });
  const kind = h("select", { id: "opp-kind" }, h("option", { value: "" }, "Any kind"),
    [["gig", "Gigs"], ["mentorship", "Mentorships"], ["role", "Roles"]].map(([v, t]) => h("option", { value: v }, t)));
  const status = h("select", { id: "opp-status" }, h("option", { value: "" }, "Any status"),
    ["draft", "open", "filled", "closed"].map((s) => h("option", { value: s }, s[0].toUpperCase() + s.slice(1))));
  const results = h("div", { id: "opp-results" });
  const pane = h("div", { id: "opp-detail" });
  let cursors = [null]; // the cursor of each page seen; the last is the page shown
  let selected = sessionStorage.getItem(POSTED);
  sessionStorage.removeItem(POSTED);

  const open = (externalId, focus) => {
    selected = externalId;
    for (const b of results.querySelectorAll("[data-opportunity]")) {
      if (b.dataset.opportunity === externalId) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    }
    return detail(me, externalId, pane, { focus, changed: () => show({ reopen: false }) });
  };
  const show = ({ reopen = true } = {}) => load(results, async () => {
    const params = new URLSearchParams({ limit: String(PAGE), order: "newest" }); // the latest posted on top
    if (q.value.trim()) params.set("q", q.value.trim());
    if (kind.value) params.set("kind", kind.value);
    if (status.value) params.set("status", status.value);
    const cursor = cursors[cursors.length - 1];
    if (cursor) params.set("cursor", cursor);
    const page = await api(`/api/v1/opportunities?${params}`);
    const pageNumber = cursors.length;
    const pages = Math.max(1, Math.ceil(page.total / PAGE));
    if (!page.items.length) {
      if (!selected) pane.replaceChildren();
      return h("p", { class: "meta" }, page.total || q.value || kind.value || status.value
        ? "No posting matches: try fewer words or another kind or status."
        : admin ? "Nothing is posted yet." : "You have posted nothing yet: see Post an opportunity.");
    }
    if (!selected) selected = page.items[0].external_id;
    const rows = page.items.map((o) => {
      const taken = o.seats_taken ?? 0;
      return h("li", { class: "opp-row" },
        h("button", { type: "button", class: "link", "data-opportunity": o.external_id, "aria-current": o.external_id === selected ? "true" : null, onclick: () => open(o.external_id, true) }, o.title),
        h("span", { class: "meta" }, [
          words(o.kind).replace(/^./, (c) => c.toUpperCase()), statusWords(o),
          `${taken} of ${plural(o.seats, "seat")} taken`, `${o.applicants} applied (any stage)`,
          admin && o.owner_name ? `posted by ${o.owner_name}` : null,
        ].filter(Boolean).join(" · ")));
    });
    if (reopen) open(selected, false);
    return [
      h("p", { class: "meta", id: "opp-page", tabindex: "-1" }, `Page ${pageNumber} of ${pages} · ${plural(page.total, "posting")}`),
      h("p", { class: "meta hint" }, "Applied: the people who applied, whatever stage they reached since, as each board counts them; people you invited count once they accept."),
      h("ul", { class: "plain opp-list", "aria-label": "Postings" }, rows),
      h("div", { class: "row pager" },
        h("button", { type: "button", class: "secondary", disabled: pageNumber === 1, onclick: () => { cursors.pop(); turnPage(); } }, "Previous page"),
        h("button", { type: "button", class: "secondary", disabled: !page.next_cursor || pageNumber >= pages, onclick: () => { cursors.push(page.next_cursor); turnPage(); } }, "Next page")),
    ];
  });
  // The pager's button is replaced with the page: focus moves to the new page's line (read
  // aloud as "Page 2 of 3 · …") rather than falling to the body.
  const turnPage = async () => {
    await show();
    const line = results.querySelector("#opp-page");
    if (!line) return;
    line.focus();
    say(line.textContent.split(" · ")[0]);
  };
  const search = h("form", {
    class: "card row search", role: "search",
    onsubmit: (e) => { e.preventDefault(); cursors = [null]; selected = null; show(); },
  },
  h("div", { class: "grow" }, h("label", { for: "opp-q" }, "Search postings"), q),
  h("div", {}, h("label", { for: "opp-kind" }, "Kind of posting"), kind),
  h("div", {}, h("label", { for: "opp-status" }, "Posting status"), status),
  h("div", { class: "search-go" }, h("button", { type: "submit" }, "Search")));
  root.append(h("h1", {}, admin ? "Opportunities" : "My opportunities"), search, results, pane);
  show();
}

export function post(me, root) {
  root.append(h("h1", {}, me.role === "admin" ? "Post an opportunity for a lead" : "Post an opportunity"), postingForm({
    me,
    saved: (made) => {
      sessionStorage.setItem(POSTED, made.external_id);
      document.querySelector('#tabs [data-name="opportunities"]').click();
    },
  }));
}

export { nameOf };
