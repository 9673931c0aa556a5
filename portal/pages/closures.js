// Emergency closures: one click on or off, with the message callers hear and an optional automatic end time.
import { h, field, notice } from "../ui.js";
import { showError } from "../app.js";

function localInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** datetime-local (the browser's zone) → an ISO instant with offset, which the API requires. */
function toIso(local) {
  if (!local) return null;
  return new Date(local).toISOString();
}

function closureCard(ctx, scheduleKey, closures, index, rerender) {
  const c = closures[index];
  const message = h("textarea", { id: `msg-${scheduleKey}-${c.key}`, maxlength: "2000", required: true }, c.message || "");
  const ends = h("input", { type: "datetime-local", id: `ends-${scheduleKey}-${c.key}`, value: localInput(c.ends_at) });
  const save = async (active) => {
    const next = closures.map((x, i) => {
      if (i !== index) return x;
      const item = { ...x, active, message: message.value.trim() };
      const endsAt = toIso(ends.value);
      if (endsAt) item.ends_at = endsAt;
      else delete item.ends_at;
      return item;
    });
    try {
      await ctx.setField(`schedules[${scheduleKey}].emergency_closures`, next);
      await rerender();
    } catch (e) {
      showError(e);
    }
  };
  const toggle = c.active
    ? h("button", { type: "button", class: "primary", id: `off-${scheduleKey}-${c.key}`, onclick: () => save(false) }, "Switch off")
    : h("button", { type: "button", class: "danger", id: `on-${scheduleKey}-${c.key}`, onclick: () => save(true) }, "Switch on");
  return h(
    "div",
    { class: "card" },
    h("h3", {}, `${c.key} — `, c.active ? h("strong", {}, "ON (callers hear the message)") : "off"),
    field("Message callers hear", message, "up to 2000 characters"),
    field("Ends automatically at", ends, "optional; your local time"),
    h("div", { class: "row" }, toggle, h("button", { type: "button", onclick: () => save(c.active) }, "Save message and end time")),
  );
}

export async function render(main, ctx) {
  const { document: doc, source } = await ctx.document();
  const rerender = async () => { main.replaceChildren(); await render(main, ctx); };
  main.append(h("h1", {}, "Emergency closures"), h("p", { class: "muted" }, `Showing ${source}. Changes go to a draft; publish it to take effect.`));
  for (const [key, schedule] of Object.entries(doc.schedules || {})) {
    const closures = schedule.emergency_closures || [];
    const section = h("section", { "aria-labelledby": `h-${key}` }, h("h2", { id: `h-${key}` }, `Schedule ${key}`));
    closures.forEach((_, i) => section.append(closureCard(ctx, key, closures, i, rerender)));
    const newKey = h("input", { type: "text", pattern: "[a-z0-9_]+", placeholder: "e.g. power_outage" });
    const newMessage = h("textarea", { maxlength: "2000" });
    section.append(
      h(
        "details",
        {},
        h("summary", {}, "Add a closure"),
        field("Key", newKey, "lower case, digits, _"),
        field("Message", newMessage),
        h("button", {
          type: "button",
          onclick: async () => {
            if (!newKey.value || !newMessage.value.trim()) return notice("A key and a message are needed.", "error");
            try {
              await ctx.setField(`schedules[${key}].emergency_closures`, [...closures, { key: newKey.value, active: false, message: newMessage.value.trim() }]);
              await rerender();
            } catch (e) { showError(e); }
          },
        }, "Add (switched off)"),
      ),
    );
    main.append(section);
  }
}
