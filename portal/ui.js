// DOM helpers: every value is set as text (never innerHTML), so nothing from the API can become markup.

/** h("button", {class: "primary", onclick}, "Save") → element. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "value") el.value = value;
    else if (name === "checked") el.checked = Boolean(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let uid = 0;
/** A labelled control: <label for=id>text</label> + the control (accessible names for every input). */
export function field(text, control, hint) {
  const id = control.id || `f${++uid}`;
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, text, hint ? h("span", { class: "hint" }, ` — ${hint}`) : null), control);
}

export function table(headers, rows, caption) {
  return h(
    "table",
    {},
    caption ? h("caption", { class: "muted" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))),
  );
}

export function notice(message, kind = "ok") {
  const el = document.getElementById("notice");
  el.className = message ? kind : "";
  el.textContent = message || "";
}

/** A readable one-line value: strings as is, the rest as compact JSON. */
export function show(value) {
  if (value === undefined) return "—";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export function stateBadge(state) {
  return h("span", { class: `state state-${state}` }, state);
}

/** ISO instant → "2026-12-04 14:05 (local)" for people; keeps the raw value in a title. */
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n) => String(n).padStart(2, "0");
  return h("time", { datetime: iso, title: iso }, `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`);
}

/** The diff the API returns ({path, kind, before, after}) as a table people can read. */
export function diffTable(changes) {
  if (!changes || changes.length === 0) return h("p", { class: "muted" }, "No changes.");
  return table(
    ["Field", "Change", "Before", "After"],
    changes.map((c) => [h("code", {}, c.path), h("span", { class: `kind-${c.kind}` }, c.kind), h("span", { class: "mono" }, show(c.before)), h("span", { class: "mono" }, show(c.after))]),
  );
}
