// The admin console: what a company's administrator does on day one.
import { h } from "./ui.js";

export function console_(me, root) {
  root.append(h("h1", {}, "Admin console"));
}
