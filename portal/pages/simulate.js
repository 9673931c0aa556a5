// Test a contact: route a described contact with a draft, a version or the active version, at a chosen time and
// queue load, and read the decision with its explanation.
import { h, field, table, show } from "../ui.js";
import { showError } from "../app.js";

function lines(text) {
  return text.split("\n").map((x) => x.trim()).filter(Boolean);
}

export async function render(main, ctx) {
  const { document: doc, draft } = await ctx.document();
  const entries = Object.entries(doc.entry_points || {}).sort(([, a], [, b]) => (a.channel === "VOICE" ? 0 : 1) - (b.channel === "VOICE" ? 0 : 1));
  const entry = h("select", { id: "sim-entry" }, entries.map(([k, e]) => h("option", { value: k, "data-channel": e.channel || "VOICE" }, `${k} (${e.channel || "VOICE"})`)));
  const caller = h("input", { type: "text", id: "sim-caller", placeholder: "+15551234567 (optional)" });
  const channel = h("select", { id: "sim-channel" }, ["VOICE", "CHAT", "TASK", "EMAIL"].map((c) => h("option", { value: c }, c)));
  const at = h("input", { type: "datetime-local", id: "sim-at" });
  const attributes = h("textarea", { id: "sim-attributes", rows: "3", placeholder: "name=value per line" });
  const metrics = h("textarea", { id: "sim-metrics", rows: "3", placeholder: "queue_key metric=value per line, e.g. cards_general agents_available=0" });
  const follow = () => { channel.value = entry.selectedOptions[0]?.dataset.channel || "VOICE"; };
  entry.addEventListener("change", follow);
  follow();
  const which = h("select", { id: "sim-config" }, h("option", { value: "" }, "the active version"), draft ? h("option", { value: draft.draft_id, selected: true }, `draft ${draft.draft_id}`) : null);
  const out = h("div", { id: "sim-result", "aria-live": "polite" });
  const run = async (e) => {
    e.preventDefault();
    const attrs = Object.fromEntries(lines(attributes.value).map((l) => [l.split("=")[0].trim(), l.slice(l.indexOf("=") + 1).trim()]));
    const m = {};
    for (const l of lines(metrics.value)) {
      const [queue, pair] = l.split(/\s+/, 2);
      if (!pair || !pair.includes("=")) continue;
      (m[queue] ||= {})[pair.split("=")[0]] = Number(pair.split("=")[1]);
    }
    const body = { contact: { entry_point: entry.value, caller: caller.value.trim(), channel: channel.value, attributes: attrs }, metrics: m };
    if (at.value) body.at = new Date(at.value).toISOString();
    if (which.value) body.draft_id = which.value;
    try {
      const r = (await ctx.api.post("/simulate", body)).body;
      const d = r.decision;
      out.replaceChildren(
        h("h2", {}, "Decision: ", h("span", { id: "sim-status" }, d.status)),
        h("p", { id: "sim-explanation" }, d.explanation),
        table(["Field", "Value"], Object.entries(d).filter(([k]) => k !== "explanation").map(([k, v]) => [h("code", {}, k), h("span", { class: "mono" }, show(v))]), `${r.config} at ${r.at}`),
      );
    } catch (err) { showError(err); }
  };
  main.append(
    h("h1", {}, "Test a contact"),
    h("form", { onsubmit: run },
      h("div", { class: "row" }, field("Entry point", entry), field("Channel", channel), field("Caller number", caller), field("Date and time", at, "empty: now")),
      field("Configuration", which),
      field("Contact attributes", attributes),
      field("Queue metrics", metrics, "what the live metrics would say"),
      h("button", { type: "submit", class: "primary", id: "sim-run" }, "Route this contact")),
    out,
  );
}
