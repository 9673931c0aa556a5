// Callback settings: on/off, when the offer is made, thresholds, the cap on open callbacks.
import { h, field } from "../ui.js";
import { showError } from "../app.js";

const OFFERS = ["wait_above", "queue_above", "always", "never"];

export async function render(main, ctx) {
  const { document: doc, source } = await ctx.document();
  const rerender = async () => { main.replaceChildren(); await render(main, ctx); };
  main.append(h("h1", {}, "Callback settings"), h("p", { class: "muted" }, `Showing ${source}.`));
  for (const [key, p] of Object.entries(doc.callback_policies || {})) {
    const enabled = h("input", { type: "checkbox", checked: p.enabled !== false });
    const offer = h("select", {}, OFFERS.map((o) => h("option", { value: o, selected: (p.offer || "wait_above") === o }, o)));
    const wait = h("input", { type: "number", min: "0", value: p.wait_seconds ?? "" });
    const inQueue = h("input", { type: "number", min: "0", value: p.contacts_in_queue ?? "" });
    const cap = h("input", { type: "number", min: "1", value: p.max_open_callbacks ?? 500 });
    const num = (input) => (input.value === "" ? null : Number(input.value));
    const save = async () => {
      // All fields of the policy in one PATCH each, in an order that keeps the policy valid at every step.
      const sets = [
        ["wait_seconds", num(wait)],
        ["contacts_in_queue", num(inQueue)],
        ["max_open_callbacks", num(cap) ?? 500],
        ["offer", offer.value],
        ["enabled", enabled.checked],
      ];
      try {
        const draftBefore = ctx.draft();
        const body = { set: sets.map(([name, value]) => ({ path: `callback_policies[${key}].${name}`, value })) };
        if (!draftBefore) await ctx.setField(body.set[0].path, body.set[0].value);
        const draft = ctx.draft();
        const saved = (await ctx.api.patch(`/drafts/${encodeURIComponent(draft.draft_id)}`, { ...body, revision: draft.revision })).body;
        ctx.setDraft({ ...draft, revision: saved.revision });
        await rerender();
      } catch (e) { showError(e); }
    };
    main.append(
      h(
        "div",
        { class: "card" },
        h("h2", {}, `Policy `, h("code", {}, key)),
        h("label", {}, enabled, " Offer callbacks"),
        field("Offer when", offer),
        h("div", { class: "row" }, field("Wait above (seconds)", wait, "for wait_above"), field("Contacts in queue above", inQueue, "for queue_above"), field("Most open callbacks", cap)),
        h("button", { type: "button", onclick: save }, "Save callback settings"),
      ),
    );
  }
}
