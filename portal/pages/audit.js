// Audit log: who (from the verified token), when, why, what, and each field's before/after.
import { h, diffTable, table, when } from "../ui.js";

export async function render(main, ctx) {
  const a = await ctx.api.get("/audit?limit=100");
  main.append(
    h("h1", {}, "Audit log"),
    table(
      ["When", "Who", "Action", "Versions", "Why", "Fields"],
      a.records.map((r) => [
        when(r.at),
        h("span", {}, r.actor, r.verified ? "" : h("span", { class: "muted", title: "given to a tool, not from a verified sign-in" }, " (unverified)")),
        r.action,
        h("code", {}, `${r.from_version || "—"} → ${r.to_version || "—"}`),
        r.detail || "—",
        (r.changes || []).length ? h("details", {}, h("summary", {}, `${r.changes.length} field(s)`), diffTable(r.changes)) : "—",
      ]),
      "Newest first.",
    ),
  );
}
