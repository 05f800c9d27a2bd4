// Why a list is empty or short: the server's reasons in its words, and each change it names as
// a button to the page where that change is made (where the app has one).
import { h } from "./ui.js";

const GO_LABEL = { profile: "Edit your profile", applications: "Open My applications", posting: "Edit this posting" };

let boxes = 0;

/**
 * `why`: the `why` of a matches or candidates answer; `title`: the box's heading;
 * `go(where, field)`: opens the page and field a change is made on (null: only the words).
 */
export function whyBox(why, title, go) {
  const id = `why-${++boxes}`;
  const changes = why.changes.map((c) => h("li", { class: "row" },
    h("span", { class: "grow" }, c.text),
    c.where && go ? h("button", { type: "button", class: "secondary", onclick: () => go(c.where, c.field) }, GO_LABEL[c.where]) : null));
  return h("section", { class: "card why", "aria-labelledby": id },
    h("h3", { id }, title),
    h("p", {}, why.summary),
    why.rules.length ? h("ul", { class: "reasons", "aria-label": "What left them out" }, why.rules.map((r) => h("li", {}, r.text))) : null,
    changes.length ? [h("p", { class: "meta" }, "What could change it:"), h("ul", { class: "plain" }, changes)] : null);
}

/** Focus `selector` once it is on the page (the section it is in loads on its own time). */
export function focusWhenShown(selector, { open = true, tries = 100 } = {}) {
  const found = document.querySelector(selector);
  if (found) {
    const details = found.closest("details");
    if (open && details) details.open = true;
    found.scrollIntoView({ block: "center" });
    found.focus();
    return;
  }
  if (tries > 0) setTimeout(() => focusWhenShown(selector, { open, tries: tries - 1 }), 50);
}
