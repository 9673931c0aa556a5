// The portal shell: sign-in, navigation (#page), the current draft, and one module per page (pages/*.js).
import * as api from "./api.js";
import { h, notice } from "./ui.js";

const PAGES = ["status", "closures", "hours", "queues", "callbacks", "review", "history", "simulate", "audit"];
const DRAFT_KEY = "trunkline.draft";

/** What every page gets: the API, the current draft, and the document being edited. */
export const ctx = {
  api,
  me: null,
  draft() {
    return JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
  },
  setDraft(draft) {
    if (draft) sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
    else sessionStorage.removeItem(DRAFT_KEY);
    renderDraftBar();
  },
  /** The document of the open draft, else of the active version: {document, source, draft}. */
  async document() {
    const draft = ctx.draft();
    if (draft) {
      try {
        const d = await api.get(`/drafts/${encodeURIComponent(draft.draft_id)}`);
        if (d.state === "open" || d.state === "pending_approval") {
          ctx.setDraft({ draft_id: d.draft_id, base_version: d.base_version, revision: d.revision, state: d.state });
          return { document: d.document, source: `draft ${d.draft_id}`, draft: d };
        }
      } catch (e) {
        if (e.status !== 404) throw e;
      }
      ctx.setDraft(null);
    }
    const status = await api.get("/status");
    const v = await api.get(`/versions/${encodeURIComponent(status.active_version)}`);
    return { document: v.document, source: `active version ${status.active_version}`, draft: null };
  },
  /** Save one operations-owned field into the draft (a draft is started from the active version if needed). */
  async setField(path, value) {
    let draft = ctx.draft();
    if (!draft) {
      const created = (await api.post("/drafts")).body;
      draft = { draft_id: created.draft_id, base_version: created.base_version, revision: created.revision, state: "open" };
      ctx.setDraft(draft);
    }
    const body = { set: [{ path, value }] };
    if (draft.revision) body.revision = draft.revision;
    const saved = (await api.patch(`/drafts/${encodeURIComponent(draft.draft_id)}`, body)).body;
    ctx.setDraft({ ...draft, revision: saved.revision, state: saved.state });
    notice(`Saved to draft ${draft.draft_id}. Nothing changes for callers until it is published (Review & publish).`);
  },
  can(role) {
    return Boolean(ctx.me && (ctx.me.roles.includes(role) || role === "viewer"));
  },
};

export function showError(error) {
  const details = (error.details || []).map((d) => (typeof d === "string" ? d : d.path ? `${d.path}${d.reason ? `: ${d.reason}` : ""}` : JSON.stringify(d)));
  notice(`${error.status ? `${error.status} ` : ""}${error.message}${details.length ? ` — ${details.slice(0, 5).join("; ")}` : ""}`, "error");
}

function renderDraftBar() {
  const bar = document.getElementById("draftbar");
  const draft = ctx.draft();
  bar.replaceChildren();
  if (!draft) return;
  bar.append(
    `Editing draft `,
    h("code", {}, draft.draft_id),
    ` (from ${draft.base_version}, ${draft.state || "open"}). `,
    h("a", { href: "#review" }, "Review & publish"),
    " · ",
    h("button", { type: "button", onclick: () => { ctx.setDraft(null); route(); } }, "Forget this draft"),
  );
}

async function renderWho() {
  const who = document.getElementById("who");
  who.replaceChildren();
  if (!ctx.me) return;
  who.append(
    h("span", {}, `${ctx.me.user} · ${ctx.me.roles.join(", ")}${ctx.me.lines_of_business.length ? ` · ${ctx.me.lines_of_business.join(", ")}` : ""}`),
    h("button", { type: "button", onclick: async () => { ctx.me = null; await api.signOut(); route(); } }, "Sign out"),
  );
}

async function signInPage(main) {
  const config = await api.loadConfig();
  main.replaceChildren(h("h1", {}, "Sign in"));
  const box = h("div", { class: "signin" });
  if (config.mode === "dev") {
    box.append(
      h("p", { class: "muted" }, "DEV ONLY — local sign-in of `make portal`: one user per role. Production signs in through corporate single sign-on."),
      ...["viewer", "editor", "publisher", "approver"].map((role) =>
        h("button", { type: "button", id: `signin-${role}`, onclick: async () => { try { await api.signInDev(role); await start(); } catch (e) { showError(e); } } }, `Sign in as ${role}`),
      ),
    );
  } else {
    box.append(h("p", {}, "Use your corporate account."), h("button", { type: "button", class: "primary", id: "signin", onclick: () => api.signInHosted() }, "Sign in"));
  }
  main.append(box);
}

let generation = 0; // the latest navigation wins: an older page still loading is dropped, never mixed in

export async function route() {
  const mine = ++generation;
  const main = document.getElementById("main");
  const page = PAGES.includes(location.hash.slice(1)) ? location.hash.slice(1) : "status";
  for (const a of document.querySelectorAll("nav a")) {
    if (a.getAttribute("href") === `#${page}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  main.removeAttribute("data-page");
  if (!api.session()) {
    ctx.me = null;
    renderWho();
    return signInPage(main);
  }
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    if (!ctx.me) {
      ctx.me = await api.get("/me");
      renderWho();
    }
    const module = await import(`./pages/${page}.js`);
    const view = h("div", { class: "view" });
    await module.render(view, ctx);
    if (mine !== generation) return;
    main.replaceChildren(view);
    main.setAttribute("data-page", page);
    document.title = `${view.querySelector("h1")?.textContent || page} — Trunkline`;
  } catch (e) {
    if (mine !== generation) return;
    showError(e);
    if (e.status === 401) return signInPage(main);
    main.replaceChildren(h("h1", {}, "Could not load this page"), h("p", {}, e.message));
  }
}

async function start() {
  notice("");
  await route();
}

window.addEventListener("hashchange", () => route());
// A click in the navigation starts afresh; a page that moves on by itself (publish → status) keeps its notice.
document.querySelector("nav").addEventListener("click", () => notice(""));
(async () => {
  try {
    await api.loadConfig();
    await api.completeSignIn();
  } catch (e) {
    showError(e);
  }
  renderDraftBar();
  await route();
})();
