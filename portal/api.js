// Sign-in and API calls for the Trunkline portal. No framework, no build step.
// Production (config.json from the deploy): Cognito hosted UI, authorization code + PKCE (S256); the ID token is
// sent to API Gateway's user-pool authorizer. Local (`make portal`, no config.json on localhost): the dev-only
// sign-in at /dev/login, one user per role. Tokens live in sessionStorage only (gone with the tab).

const TOKEN_KEY = "trunkline.token";
const PKCE_KEY = "trunkline.pkce";
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.details = (body && body.details) || [];
  }
}

let config = null;

/** Where the API and the sign-in are: config.json in production; the local dev server otherwise. */
export async function loadConfig() {
  if (config) return config;
  const reply = await fetch("config.json", { cache: "no-store" }).catch(() => null);
  if (reply && reply.ok) {
    const c = await reply.json();
    config = { mode: c.mode || "hosted", ...c };
  } else if (LOCAL_HOSTS.has(location.hostname)) {
    config = { mode: "dev", api_url: "/api" };
  } else {
    throw new Error("config.json is missing: the portal was not deployed completely");
  }
  config.api_url = (config.api_url || "/api").replace(/\/+$/, "");
  return config;
}

function b64url(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(size) {
  return b64url(crypto.getRandomValues(new Uint8Array(size)));
}

function claimsOf(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch {
    return {};
  }
}

function save(token) {
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(token));
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
  } catch {
    return null;
  }
}

/** Production: go to the hosted UI with a fresh PKCE verifier and state. */
export async function signInHosted() {
  const c = await loadConfig();
  const verifier = randomText(64);
  const state = randomText(24);
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: c.client_id,
    redirect_uri: c.redirect_uri,
    scope: "openid email profile",
    code_challenge: challenge,
    code_challenge_method: "S256",
    state,
  });
  location.assign(`${c.hosted_ui}/oauth2/authorize?${query}`);
}

async function tokenRequest(form) {
  const c = await loadConfig();
  const reply = await fetch(`${c.hosted_ui}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: c.client_id, ...form }),
  });
  if (!reply.ok) throw new ApiError(reply.status, { message: "sign-in failed: the code or session is no longer valid" });
  const t = await reply.json();
  const claims = claimsOf(t.id_token);
  const token = {
    id_token: t.id_token,
    refresh_token: t.refresh_token || (session() || {}).refresh_token,
    expires_at: Date.now() / 1000 + (t.expires_in || 900),
    user: claims.email || claims["cognito:username"] || "",
    groups: claims["cognito:groups"] || [],
  };
  save(token);
  return token;
}

/** Production: back from the hosted UI with ?code=&state=: check the state, trade the code (with the verifier). */
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return null;
  history.replaceState(null, "", location.pathname + location.hash); // the code never stays in the address bar
  const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  if (params.has("error")) throw new ApiError(401, { message: `sign-in refused: ${params.get("error_description") || params.get("error")}` });
  if (!pending || pending.state !== params.get("state")) throw new ApiError(401, { message: "sign-in refused: state mismatch" });
  const c = await loadConfig();
  return tokenRequest({ grant_type: "authorization_code", code: params.get("code"), redirect_uri: c.redirect_uri, code_verifier: pending.verifier });
}

/** Local only: the dev sign-in of `make portal` (one user per role). */
export async function signInDev(role, lob) {
  const query = new URLSearchParams({ role });
  if (lob) query.set("lob", lob);
  const reply = await fetch(`/dev/login?${query}`, { credentials: "same-origin" });
  const body = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new ApiError(reply.status, body);
  const token = { id_token: body.token, expires_at: body.expires_at, user: body.user, groups: body.groups, dev: true };
  save(token);
  return token;
}

export async function signOut() {
  const c = await loadConfig();
  const token = session();
  sessionStorage.clear();
  if (c.mode === "dev" || !token) return;
  if (token.refresh_token) {
    await fetch(`${c.hosted_ui}/oauth2/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: token.refresh_token, client_id: c.client_id }),
    }).catch(() => null);
  }
  location.assign(`${c.hosted_ui}/logout?${new URLSearchParams({ client_id: c.client_id, logout_uri: c.redirect_uri })}`);
}

async function currentToken() {
  const token = session();
  if (!token) return null;
  if (token.expires_at - 30 > Date.now() / 1000) return token;
  const c = await loadConfig();
  if (c.mode !== "dev" && token.refresh_token) {
    try {
      return await tokenRequest({ grant_type: "refresh_token", refresh_token: token.refresh_token });
    } catch {
      /* fall through: sign in again */
    }
  }
  sessionStorage.removeItem(TOKEN_KEY);
  return null;
}

/** One API call; JSON in and out. Throws ApiError (status, code, message, details) on any refusal. */
export async function call(method, path, body) {
  const c = await loadConfig();
  const token = await currentToken();
  if (!token) throw new ApiError(401, { error: "unauthenticated", message: "please sign in" });
  const headers = { Authorization: c.mode === "dev" ? `Bearer ${token.id_token}` : token.id_token };
  const init = { method, headers, credentials: c.mode === "dev" ? "same-origin" : "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const reply = await fetch(c.api_url + path, init);
  const text = await reply.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text.slice(0, 300) };
  }
  if (reply.status === 401) sessionStorage.removeItem(TOKEN_KEY);
  if (!reply.ok) throw new ApiError(reply.status, data);
  return { status: reply.status, body: data };
}

export const get = (path) => call("GET", path).then((r) => r.body);
export const post = (path, body) => call("POST", path, body ?? {});
export const patch = (path, body) => call("PATCH", path, body);
