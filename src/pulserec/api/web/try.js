// "Try it": choose a user, see and act on recommendations, search, chat, similar, history.
import { api, enc, getItem, getItems, timing } from "./api.js";
import { $, h, clearMessage, guarded, showMessage } from "./ui.js";

const state = { mode: "user", newUserId: null, session: [] };
let generation = 0; // only the latest refresh renders (an older answer may arrive later)
const K = 10;

function currentUser() {
  if (state.mode === "user") return $("#user-select").value || null;
  if (state.mode === "new") return state.newUserId;
  return null;
}

function label(item) {
  return item.title || item.id;
}

// who made an item: the attributes read as creators on the server (core/creators.py)
const CREATOR_FIELDS = ["creator", "creators", "artist", "artists", "author", "authors",
  "director", "directors", "band", "composer", "brand"];
const DISPLAY_FIELDS = (document.querySelector('meta[name="pulserec-display-fields"]')?.content || "")
  .split(",").map((name) => name.trim()).filter(Boolean);

function shown(value) {
  if (Array.isArray(value)) return value.filter((v) => typeof v === "string" || typeof v === "number").join(", ");
  if (typeof value === "boolean") return value ? "yes" : "no";
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

/** The line under a card's title: the configured display fields, else the creator. */
export function byline(item) {
  const attributes = item.attributes || {};
  if (DISPLAY_FIELDS.length) {
    return DISPLAY_FIELDS
      .map((name) => [name, shown(attributes[name])]).filter(([, v]) => v)
      .map(([name, v]) => (CREATOR_FIELDS.includes(name) ? `by ${v}` : `${name.replace(/_/g, " ")} ${v}`))
      .join(" · ");
  }
  const creator = CREATOR_FIELDS.map((name) => shown(attributes[name])).find(Boolean);
  return creator ? `by ${creator}` : "";
}

async function cards(list, ranked, { actions = true } = {}) {
  const details = await getItems(ranked.map((r) => r.id));
  list.replaceChildren(...ranked.map((r, i) => card(r, details[i], actions)));
}

function card(ranked, item, actions) {
  const name = label(item);
  const tags = [...new Set([...(item.categories || []), ...(item.tags || [])])];
  const score = typeof ranked.score === "number" ? ranked.score.toFixed(3) : "";
  const by = byline(item);
  return h("li", { class: "card", "data-item-id": ranked.id },
    h("h4", { text: name }),
    by ? h("div", { class: "byline", text: by }) : null,
    h("div", { class: "meta", text: `id ${ranked.id}${score ? ` · score ${score}` : ""}${ranked.sources ? ` · ${ranked.sources.join(", ")}` : ""}` }),
    h("div", {}, tags.map((t) => h("span", { class: "tag", text: t }))),
    ranked.explanation ? h("p", { class: "why", text: ranked.explanation }) : null,
    actions ? h("div", { class: "actions" },
      h("button", { type: "button", "data-action": "click", "aria-label": `Click ${name}` , text: "Click" }),
      h("button", { type: "button", "data-action": "like", "aria-label": `Like ${name}`, text: "Like" }),
      h("button", { type: "button", "data-action": "dislike", "aria-label": `Dislike ${name}`, text: "Dislike" }),
      h("button", { type: "button", "data-action": "skip", "aria-label": `Skip ${name}`, text: "Skip" }),
      h("select", { "data-role": "rating", "aria-label": `Rating for ${name}` },
        [5, 4, 3, 2, 1].map((v) => h("option", { value: v, text: `${v}★` }))),
      h("button", { type: "button", "data-action": "rating", "aria-label": `Rate ${name}`, text: "Rate" }),
      h("button", { type: "button", "data-action": "similar", "aria-label": `Items similar to ${name}`, text: "Similar" }),
    ) : null,
  );
}

export async function refresh() {
  const mine = ++generation;
  const list = $("#recs");
  list.setAttribute("aria-busy", "true");
  try {
    const user = currentUser();
    let response;
    if (user) {
      response = await api(`/v1/recommend/${enc(user)}?k=${K}&explain=true`);
    } else if (state.mode === "anon" && state.session.length) {
      response = await api("/v1/recommend/session", { method: "POST", body: { items: state.session, k: K } });
    } else {
      response = await api(`/v1/popular?k=${K}`);
    }
    const { body, ms } = response;
    await getItems(body.items.map((r) => r.id));
    if (mine !== generation) return;
    $("#recs-title").textContent = user ? `Recommendations for ${user}` : state.mode === "anon" && state.session.length ? "Recommendations for this visit" : "Trending now";
    await cards(list, body.items);
    $("#recs-timing").textContent = `${body.items.length} items · ${timing(body.took_ms, ms)} · model ${body.model_version}`;
    if (!body.items.length) list.replaceChildren(h("li", { class: "hint", text: "Nothing to recommend." }));
  } finally {
    if (mine === generation) list.setAttribute("aria-busy", "false");
  }
  if (mine === generation) await history();
}

async function history() {
  const list = $("#history");
  const user = currentUser();
  if (!user) {
    const seen = await getItems(state.session.slice(-10).reverse());
    list.replaceChildren(...seen.map((item) => h("li", { text: `visited ${label(item)}` })));
    if (!seen.length) list.replaceChildren(h("li", { class: "hint", text: "Nothing yet in this visit." }));
    return;
  }
  let events = [];
  try {
    events = (await api(`/v1/users/${enc(user)}/events?limit=10`)).body.events;
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  const items = await getItems(events.map((e) => e.item_id).filter(Boolean));
  const byId = new Map(items.map((item) => [item.id, item]));
  list.replaceChildren(...events.map((e) => {
    const item = e.item_id ? byId.get(e.item_id) : null;
    const value = e.value !== null && e.value !== undefined ? ` ${e.value}` : "";
    const what = item ? label(item) : e.query ? `“${e.query}”` : "";
    return h("li", { text: `${e.type}${value} · ${what}` });
  }));
  if (!events.length) list.replaceChildren(h("li", { class: "hint", text: "No events yet." }));
}

async function act(action, itemId, value) {
  clearMessage();
  if (action === "similar") return similar(itemId);
  const user = currentUser();
  if (!user) {
    if (state.mode === "new") {
      showMessage("Create the new user first (enter an id and your tastes).");
      return undefined;
    }
    state.session = [...state.session.filter((id) => id !== itemId), itemId];
    return refresh();
  }
  const event = { user_id: user, item_id: itemId, type: action };
  if (action === "rating") event.value = Number(value);
  const { ms } = await api("/v1/events", { method: "POST", body: { events: [event] } });
  await refresh();
  $("#recs-timing").textContent += ` · event stored in ${ms.toFixed(1)} ms`;
  return undefined;
}

async function similar(itemId) {
  const item = await getItem(itemId);
  const { body, ms } = await api(`/v1/items/${enc(itemId)}/similar?k=6`);
  const details = await getItems(body.items.map((r) => r.id));
  $("#similar-hint").textContent = `Similar to ${label(item)} (${timing(body.took_ms, ms)})`;
  $("#similar").replaceChildren(...details.map((d, i) => h("li", { text: `${label(d)} (${body.items[i].score.toFixed(3)})` })));
}

async function search(event) {
  event.preventDefault();
  clearMessage();
  const q = $("#search-q").value;
  const user = currentUser();
  const { body, ms } = await api(`/v1/search?q=${enc(q)}&k=${K}${user ? `&user_id=${enc(user)}` : ""}`);
  await cards($("#search-results"), body.items);
  $("#search-timing").textContent = `${body.items.length} results · ${timing(body.took_ms, ms)}`;
}

async function chat(event) {
  event.preventDefault();
  clearMessage();
  const message = $("#chat-msg").value;
  const user = currentUser();
  const { body, ms } = await api("/v1/chat", { method: "POST", body: user ? { message, user_id: user } : { message } });
  $("#chat-reply").textContent = body.reply;
  await cards($("#chat-items"), body.items || []);
  $("#chat-timing").textContent = timing(body.took_ms, ms);
}

async function createUser(event) {
  event.preventDefault();
  clearMessage();
  const id = $("#new-user-id").value.trim();
  const preferences = $("#new-user-prefs").value.trim();
  const user = { id };
  if (preferences) user.preferences = preferences;
  await api("/v1/users", { method: "POST", body: { users: [user] } });
  state.newUserId = id;
  await refresh();
  await chatExample().catch(() => ""); // only a hint: a failure leaves the plain one
}

const USER_PAGE = 200;
let userQuery = 0; // only the latest search fills the picker
let searchTimer = null;

/** Fill the picker with the first users, or those whose id contains the search box's text
 * (GET /v1/users?q=), so any user can be found, not only the first page. */
export async function loadUsers() {
  const mine = ++userQuery;
  const text = $("#user-search").value.trim();
  const query = text ? `&q=${enc(text)}` : "";
  const { body } = await api(`/v1/users?limit=${USER_PAGE}${query}`);
  if (mine !== userQuery) return false;
  const select = $("#user-select");
  const previous = select.value;
  select.replaceChildren(...body.users.map((u) => h("option", { value: u.id, text: `${u.id} (${u.events} events)` })));
  if (previous && body.users.some((u) => u.id === previous)) select.value = previous;
  const shown = body.users.length;
  $("#user-count").textContent = text
    ? `${body.total} match${body.total === 1 ? "" : "es"}${body.total > shown ? `, first ${shown} shown` : ""}`
    : body.total > shown ? `first ${shown} of ${body.total} users: search to find others` : "";
  if (!text && !shown) {
    $("#mode-anon").checked = true;
    state.mode = "anon";
  }
  return select.value !== previous;
}

async function searchUsers() {
  clearMessage();
  if (await loadUsers() && state.mode === "user") await refresh();
}

function setMode(mode) {
  state.mode = mode;
  $("#new-user-form").hidden = mode !== "new";
  $("#user-select").disabled = mode !== "user";
  $("#user-search").disabled = mode !== "user";
  if (mode === "new") $("#new-user-id").focus();
  return refresh();
}

export function initTry() {
  document.querySelectorAll('input[name="mode"]').forEach((radio) =>
    radio.addEventListener("change", () => guarded(() => setMode(radio.value))));
  $("#user-select").addEventListener("change", () => guarded(() => { clearMessage(); return refresh(); }));
  $("#user-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => guarded(searchUsers), 250);
  });
  $("#refresh").addEventListener("click", () => guarded(() => { clearMessage(); return refresh(); }));
  $("#new-user-form").addEventListener("submit", (e) => guarded(() => createUser(e)));
  $("#search-form").addEventListener("submit", (e) => guarded(() => search(e)));
  $("#chat-form").addEventListener("submit", (e) => guarded(() => chat(e)));
  document.addEventListener("click", (e) => {
    const button = e.target.closest(".card button[data-action]");
    if (!button) return;
    const cardNode = button.closest(".card");
    const rating = cardNode.querySelector('select[data-role="rating"]');
    guarded(() => act(button.dataset.action, cardNode.dataset.itemId, rating ? rating.value : undefined));
  });
}

/** The chat's example, drawn from the catalog: "<category> by <creator>", "<category>, no
 * <other category>" or "something like <title>". */
export async function chatExample() {
  const { body } = await api("/v1/popular?k=20&window=3650d&include=item");
  const items = body.items.map((r) => r.item || {}).filter((item) => item.title);
  const counts = new Map();
  for (const item of items) for (const c of item.categories || []) counts.set(c, (counts.get(c) || 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c);
  const withCreator = items.find((item) => byline({ attributes: item.attributes }).startsWith("by "));
  let example = "";
  if (ranked.length && withCreator) {
    const creator = CREATOR_FIELDS.map((name) => shown((withCreator.attributes || {})[name])).find(Boolean);
    const category = (withCreator.categories || [])[0] || ranked[0];
    example = `${category.toLowerCase()} like ${creator}`;
  } else if (ranked.length > 1) {
    example = `${ranked[0].toLowerCase()}, no ${ranked[1].toLowerCase()}`;
  } else if (items.length) {
    example = `something like ${items[0].title}`;
  }
  if (example) $("#chat-msg").placeholder = `e.g. ${example}`;
  return example;
}

export async function startTry() {
  try {
    await loadUsers();
  } catch (error) {
    if (error.status !== 401) throw error;
    // the user list is personal data: without the key (the page asks for it) show trending
    if (state.mode === "user") {
      $("#mode-anon").checked = true;
      state.mode = "anon";
    }
  }
  await refresh();
  await chatExample().catch(() => ""); // only a hint: a failure leaves the plain one
}
