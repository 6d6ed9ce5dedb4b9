// Calls to the pulserec API: the key (X-API-Key), honest errors, timings, an item cache.
const KEY_STORE = "pulserec-key";
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details || [];
  }
}

export function getKey() {
  try { return localStorage.getItem(KEY_STORE) || ""; } catch { return ""; }
}

export function setKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORE, key); else localStorage.removeItem(KEY_STORE);
  } catch { /* storage refused: the key lives for this call only */ }
}

/** Called with every ApiError with status 401 (the page then asks for a key). */
export function onUnauthorized(fn) { listeners.add(fn); }

/** fetch a /v1 path; resolves {body, ms} (round trip), rejects with ApiError. */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  const key = getKey();
  if (key) headers["X-API-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const started = performance.now();
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, `the server could not be reached (${error.message})`);
  }
  const ms = performance.now() - started;
  let data = null;
  const text = await response.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const err = data && data.error;
    let message = err && err.message ? err.message : (text || response.statusText);
    if (err && err.details && err.details.length) {
      message += " (" + err.details.map((d) => `${d.field}: ${d.message}`).join("; ") + ")";
    }
    const error = new ApiError(response.status, `${response.status} ${err ? err.code : response.statusText}: ${message}`, err && err.details);
    if (response.status === 401) listeners.forEach((fn) => fn(error));
    throw error;
  }
  return { body: data, ms };
}

/** A binary resource under /v1 (sent with the key) as an object URL. */
export async function blobUrl(path) {
  const headers = {};
  const key = getKey();
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(path, { headers });
  if (!response.ok) throw new ApiError(response.status, `${response.status}: ${path}`);
  return URL.createObjectURL(await response.blob());
}

export const enc = encodeURIComponent;

const items = new Map();

/** Item details by id, fetched once each (a missing item resolves to a stub). */
export function getItem(id) {
  if (!items.has(id)) {
    const promise = api(`/v1/items/${enc(id)}`)
      .then((r) => r.body)
      .catch((error) => {
        items.delete(id);
        if (error.status === 404) return { id, title: null, tags: [], categories: [] };
        throw error;
      });
    items.set(id, promise);
  }
  return items.get(id);
}

export function getItems(ids) { return Promise.all(ids.map(getItem)); }

export function timing(took, ms) {
  const server = typeof took === "number" ? `server ${took.toFixed(1)} ms · ` : "";
  return `${server}round trip ${ms.toFixed(1)} ms`;
}
