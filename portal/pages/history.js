// History and rollback: every version, what differs from the active one, roll back to a named version.
import { h, field, notice, diffTable, table, when } from "../ui.js";
import { showError } from "../app.js";

export async function render(main, ctx) {
  const v = await ctx.api.get("/versions");
  const detail = h("div", { id: "history-detail", "aria-live": "polite" });
  const compare = async (id) => {
    try {
      const diff = await ctx.api.get(`/diff?from=${encodeURIComponent(v.active_version)}&to=${encodeURIComponent(id)}`);
      detail.replaceChildren(h("h2", {}, `From the active version ${v.active_version} to ${id}`), diffTable(diff.changes), rollbackForm(id));
    } catch (e) { showError(e); }
  };
  const rollbackForm = (id) => {
    if (!ctx.can("publisher") || id === v.active_version) return h("span");
    const reason = h("input", { type: "text", id: "rollback-reason", maxlength: "500", required: true });
    return h("form", { onsubmit: async (e) => {
      e.preventDefault();
      if (!reason.value.trim()) return notice("Give a reason: it goes to the audit log.", "error");
      try {
        const r = (await ctx.api.post("/rollback", { version: id, reason: reason.value.trim() })).body;
        notice(`Rolled back: version ${r.version} is active (it was ${r.previous}).`);
        location.hash = "#status";
      } catch (err) { showError(err); }
    } }, field(`Reason for rolling back to ${id}`, reason), h("button", { type: "submit", class: "danger", id: "rollback" }, `Roll back to ${id}`));
  };
  main.append(
    h("h1", {}, "History and rollback"),
    h("p", {}, "Active version ", h("code", {}, v.active_version || "none")),
    table(
      ["Version", "Published", "By", "Summary", ""],
      v.versions.map((x) => [
        h("code", {}, x.version_id, x.version_id === v.active_version ? " (active)" : ""),
        when(x.published_at),
        x.published_by,
        x.summary,
        x.version_id === v.active_version ? "—" : h("button", { type: "button", "data-version": x.version_id, onclick: () => compare(x.version_id) }, "Compare / roll back"),
      ]),
    ),
    detail,
  );
}
