// The admin console: what a company's administrator does on day one. Import people and
// postings from an export, review the custom skills people typed, name skills the company's
// way (aliases), and issue and withdraw access tokens.
import { h, tabs } from "./ui.js";
import { importer } from "./admin-import.js";
import { aliases, reviewQueue } from "./admin-skills.js";
import { tokens } from "./admin-tokens.js";
import { outbox } from "./admin-notifications.js";

const TASKS = [
  ["import", "Import people or postings", importer],
  ["review", "Skills to review", reviewQueue],
  ["aliases", "Skill aliases", aliases],
  ["tokens", "Access tokens", tokens],
  ["notifications", "Notifications", outbox],
];

export function console_(me, root) {
  const { list, panel } = tabs(
    TASKS.map(([name, text]) => [name, text]),
    (name, target) => {
      target.replaceChildren();
      TASKS.find(([n]) => n === name)[2](me, target);
    },
    { label: "Admin tasks" },
  );
  root.append(h("h1", {}, "Admin console"), list, panel);
}
