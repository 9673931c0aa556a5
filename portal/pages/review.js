// Draft review: the readable per-field diff against the version it started from, validation, publish, approve.
import { h, field, notice, diffTable, table, when } from "../ui.js";
import { showError } from "../app.js";

export async function render(main, ctx) {
  main.append(h("h1", {}, "Review and publish"));
  const current = ctx.draft();
  const pick = h("input", { type: "text", id: "draft-id", value: current ? current.draft_id : "", placeholder: "d-…" });
  main.append(
    h("form", { onsubmit: (e) => { e.preventDefault(); ctx.setDraft({ draft_id: pick.value.trim(), revision: null, state: "open", base_version: "?" }); main.replaceChildren(); render(main, ctx); } },
      field("Draft", pick, "yours is filled in; paste a colleague's to approve it"),
      h("button", { type: "submit" }, "Open draft")),
  );
  if (!current) return main.append(h("p", {}, "No draft open. Edit something (closures, hours, queues, callbacks) to start one."));
  const d = await ctx.api.get(`/drafts/${encodeURIComponent(current.draft_id)}`);
  if (d.state === "open" || d.state === "pending_approval") {
    ctx.setDraft({ draft_id: d.draft_id, base_version: d.base_version, revision: d.revision, state: d.state });
  }
  const diff = await ctx.api.get(`/diff?from=${encodeURIComponent(d.base_version)}&to=${encodeURIComponent(d.draft_id)}`);
  main.append(
    h("p", {}, "Draft ", h("code", {}, d.draft_id), ` by ${d.author}, from version `, h("code", {}, d.base_version), ` · ${d.state} · revision ${d.revision} · updated `, when(d.updated_at)),
    h("h2", {}, "What changes"),
    diffTable(diff.changes),
  );
  if ((d.approvals || []).length) {
    main.append(h("h2", {}, "Approvals"), table(["By", "When", "Reason", "Revision"], d.approvals.map((a) => [a.approver, when(a.approved_at || a.at), a.reason || "—", a.draft_revision])));
  }
  const result = h("div", { id: "result", "aria-live": "polite" });
  const reason = h("input", { type: "text", id: "publish-reason", maxlength: "500", required: true, placeholder: "why (goes to the audit log)" });
  const act = async (fn) => {
    try { await fn(); } catch (e) {
      showError(e);
      if (e.status === 409 && e.details.length) result.replaceChildren(h("h2", {}, "Someone published meanwhile: what changed"), diffTable(e.details.filter((x) => x.path)));
    }
  };
  const buttons = [
    h("button", { type: "button", id: "validate", onclick: () => act(async () => {
      const v = (await ctx.api.post(`/drafts/${encodeURIComponent(d.draft_id)}/validate`)).body;
      result.replaceChildren(v.valid ? h("p", {}, "Valid: ready to publish.") : table(["Where", "Problem"], v.errors.map((x) => [h("code", {}, x.path), x.reason])));
      notice(v.valid ? "The draft is valid." : `${v.errors.length} problem(s).`, v.valid ? "ok" : "error");
    }) }, "Validate"),
  ];
  if (ctx.can("publisher")) {
    buttons.push(h("button", { type: "button", class: "primary", id: "publish", onclick: () => act(async () => {
      if (!reason.value.trim()) return notice("Give a reason: it goes to the audit log.", "error");
      const r = await ctx.api.post(`/drafts/${encodeURIComponent(d.draft_id)}/publish`, { base_version: d.base_version, reason: reason.value.trim() });
      if (r.status === 202) {
        notice("Waiting for approval by someone else (four-eyes).");
      } else {
        notice(`Published as version ${r.body.version}. Callers get it within the refresh interval.`);
        ctx.setDraft(null);
        location.hash = "#status";
      }
    }) }, "Publish"));
  }
  if (ctx.can("approver")) {
    buttons.push(h("button", { type: "button", id: "approve", onclick: () => act(async () => {
      await ctx.api.post(`/drafts/${encodeURIComponent(d.draft_id)}/approve`, { reason: reason.value.trim() });
      notice("Approved. A publisher can now publish it.");
      main.replaceChildren(); await render(main, ctx);
    }) }, "Approve"));
  }
  if (!ctx.can("publisher") && !ctx.can("approver")) main.append(h("p", { class: "muted" }, "A publisher publishes this draft (send them its id)."));
  main.append(field("Reason", reason), h("div", { class: "row" }, buttons), result);
}
