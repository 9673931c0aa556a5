// Holidays, weekly hours and the closed message of each schedule.
import { h, field, notice, table } from "../ui.js";
import { showError } from "../app.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

function intervals(text) {
  return text.split(",").map((x) => x.trim()).filter(Boolean);
}

function scheduleSection(ctx, key, s, rerender) {
  const save = async (name, value) => {
    try { await ctx.setField(`schedules[${key}].${name}`, value); await rerender(); } catch (e) { showError(e); }
  };
  const weekly = s.weekly || {};
  const dayInputs = DAYS.map((d) => h("input", { type: "text", id: `wk-${key}-${d}`, value: (weekly[d] || []).join(", "), placeholder: "closed" }));
  const holidays = s.holidays || [];
  const hDate = h("input", { type: "date" });
  const hName = h("input", { type: "text" });
  const hHours = h("input", { type: "text", placeholder: "closed all day" });
  const closed = h("textarea", { maxlength: "2000" }, s.closed_message || "");
  return h(
    "section",
    { "aria-labelledby": `h-${key}` },
    h("h2", { id: `h-${key}` }, `Schedule ${key} `, h("span", { class: "muted" }, `(${s.time_zone})`)),
    h("h3", {}, "Weekly hours"),
    h("div", { class: "row" }, DAYS.map((d, i) => field(d.toUpperCase(), dayInputs[i], "HH:MM-HH:MM, comma separated"))),
    h("button", { type: "button", onclick: () => save("weekly", Object.fromEntries(DAYS.map((d, i) => [d, intervals(dayInputs[i].value)]))) }, "Save weekly hours"),
    h("h3", {}, "Holidays"),
    table(
      ["Date", "Name", "Hours", ""],
      holidays.map((x, i) => [x.date, x.name, (x.hours || []).join(", ") || "closed", h("button", { type: "button", "aria-label": `Remove holiday ${x.date}`, onclick: () => save("holidays", holidays.filter((_, j) => j !== i)) }, "Remove")]),
    ),
    h(
      "div",
      { class: "row" },
      field("Date", hDate),
      field("Name", hName),
      field("Hours", hHours, "empty: closed all day"),
      h("button", {
        type: "button",
        onclick: () => {
          if (!hDate.value || !hName.value.trim()) return notice("A holiday needs a date and a name.", "error");
          const item = { date: hDate.value, name: hName.value.trim() };
          if (intervals(hHours.value).length) item.hours = intervals(hHours.value);
          return save("holidays", [...holidays, item].sort((a, b) => String(a.date).localeCompare(String(b.date))));
        },
      }, "Add holiday"),
    ),
    h("h3", {}, "Closed message"),
    field("Message callers hear when closed", closed, "empty: the default closed message"),
    h("button", { type: "button", onclick: () => save("closed_message", closed.value.trim() || null) }, "Save closed message"),
  );
}

export async function render(main, ctx) {
  const { document: doc, source } = await ctx.document();
  const rerender = async () => { main.replaceChildren(); await render(main, ctx); };
  main.append(h("h1", {}, "Holidays and hours"), h("p", { class: "muted" }, `Showing ${source}.`));
  for (const [key, s] of Object.entries(doc.schedules || {})) main.append(scheduleSection(ctx, key, s, rerender));
}
