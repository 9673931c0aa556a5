// Queue attributes (what the flow and agents receive) and capacity.
import { h, field } from "../ui.js";
import { showError } from "../app.js";

function parseAttributes(text) {
  const out = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

export async function render(main, ctx) {
  const { document: doc, source } = await ctx.document();
  const rerender = async () => { main.replaceChildren(); await render(main, ctx); };
  const filter = h("input", { type: "search", placeholder: "queue key or name" });
  const list = h("div");
  const draw = () => {
    const q = filter.value.toLowerCase();
    list.replaceChildren();
    const entries = Object.entries(doc.queues || {}).filter(([k, v]) => !q || k.includes(q) || String(v.name || "").toLowerCase().includes(q));
    for (const [key, queue] of entries.slice(0, 50)) {
      const attrs = h("textarea", { rows: "4", id: `attrs-${key}` }, Object.entries(queue.attributes || {}).map(([k, v]) => `${k}=${v}`).join("\n"));
      const capacity = h("input", { type: "number", min: "1", id: `cap-${key}`, value: queue.capacity ?? "" });
      const save = async (name, value) => {
        try { await ctx.setField(`queues[${key}].${name}`, value); await rerender(); } catch (e) { showError(e); }
      };
      list.append(
        h(
          "div",
          { class: "card" },
          h("h2", {}, `${queue.name || key} `, h("code", {}, key), h("span", { class: "muted" }, ` · ${queue.line_of_business || "no line of business"}`)),
          field("Attributes", attrs, "one name=value per line"),
          h("button", { type: "button", onclick: () => save("attributes", parseAttributes(attrs.value)) }, "Save attributes"),
          field("Capacity", capacity, "contacts the queue may hold; empty: unlimited"),
          h("button", { type: "button", id: `save-cap-${key}`, onclick: () => save("capacity", capacity.value ? Number(capacity.value) : null) }, "Save capacity"),
        ),
      );
    }
    if (entries.length > 50) list.append(h("p", { class: "muted" }, `${entries.length - 50} more: narrow the filter.`));
  };
  filter.addEventListener("input", draw);
  main.append(h("h1", {}, "Queue attributes"), h("p", { class: "muted" }, `Showing ${source}.`), field("Filter queues", filter), list);
  draw();
}
