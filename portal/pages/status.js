// Status board: per line of business, open / closed / emergency right now, why, the message, until when.
import { h, stateBadge, table, when } from "../ui.js";

export async function render(main, ctx) {
  const s = await ctx.api.get("/status");
  main.append(
    h("h1", {}, "Status board"),
    h("p", {}, "Active version ", h("code", { id: "active-version" }, s.active_version), " · as of ", when(s.at)),
    table(
      ["Line of business", "Now", "Why", "Message callers hear", "Until", "Regions"],
      s.lines_of_business.map((l) => [
        h("span", { "data-lob": l.line_of_business }, `${l.name} (${l.line_of_business})`),
        h("span", { "data-state": l.state, id: `state-${l.line_of_business}` }, stateBadge(l.state)),
        l.why,
        l.message || "—",
        h("span", { id: `until-${l.line_of_business}` }, when(l.until)),
        (l.regions || []).join(", ") || "—",
      ]),
      "Computed by the routing engine for the active version, now.",
    ),
  );
}
