/* pulserec browser snippet (GET /v1/sdk.js): no build step, no dependency.
 *
 *   <script src="https://recs.example.com/v1/sdk.js" data-user="USER_ID" data-key="READ_OR_API_KEY"></script>
 *   pulserec.track("click", "item-42");                 // batched, sent within a second
 *   const list = await pulserec.recommend({ k: 10 });  // {items, impression_id?, ...}
 *   pulserec.track("click", list.items[0].id);          // carries the list's impression_id
 *
 * Events get an event_id here, so a retried batch counts once; they leave in batches (20, or
 * after a second) and on pagehide with keepalive. The server is the script's own origin unless
 * data-url says otherwise; cross-site writes need the server to allow the page's origin.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var base = (data.url || (script ? new URL(script.src, location.href).origin : location.origin)).replace(/\/$/, "");
  var key = data.key || null;
  var userId = data.user || null;
  var queue = [];
  var timer = null;
  var shownIn = {}; // item id -> the impression (experiment) it was last shown in
  var BATCH = 20;
  var WAIT_MS = 1000;

  function id() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function headers(json) {
    var out = { Accept: "application/json" };
    if (json) out["Content-Type"] = "application/json";
    if (key) out["X-API-Key"] = key;
    return out;
  }

  function request(method, path, body, keepalive) {
    return fetch(base + path, {
      method: method,
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      keepalive: !!keepalive,
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          var error = new Error((answer.error && answer.error.message) || response.statusText);
          error.status = response.status;
          error.body = answer;
          throw error;
        }
        return answer;
      });
    });
  }

  function flush(keepalive) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!queue.length) return Promise.resolve({ accepted: 0, duplicates: 0 });
    var batch = queue.splice(0, queue.length);
    return request("POST", "/v1/events", { events: batch }, keepalive).catch(function (error) {
      if (!error.status || error.status >= 500) queue = batch.concat(queue).slice(-1000); // try again later
      throw error;
    });
  }

  function schedule() {
    if (queue.length >= BATCH) return flush();
    if (!timer) timer = setTimeout(function () { flush().catch(function () {}); }, WAIT_MS);
    return Promise.resolve(null);
  }

  function remember(answer) {
    if (answer && answer.impression_id) {
      (answer.items || []).forEach(function (item) { shownIn[item.id] = answer.impression_id; });
    }
    return answer;
  }

  function query(options) {
    var parts = [];
    Object.keys(options || {}).forEach(function (name) {
      var value = options[name];
      (Array.isArray(value) ? value : [value]).forEach(function (one) {
        if (one !== undefined && one !== null) parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(String(one)));
      });
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  window.pulserec = {
    /** Who the events and recommendations are for (an id your site knows). */
    user: function (id) { if (id !== undefined) userId = String(id); return userId; },
    /** Buffer one event; resolves when its batch was sent (or at once while it waits). */
    track: function (type, itemId, options) {
      options = options || {};
      if (!userId) return Promise.reject(new Error("pulserec.user(id) first"));
      var event = { event_id: id(), user_id: userId, type: type };
      if (itemId !== undefined && itemId !== null) event.item_id = String(itemId);
      if (options.value !== undefined) event.value = options.value;
      var impression = options.impression_id || (itemId !== undefined ? shownIn[itemId] : undefined);
      if (impression) event.impression_id = impression;
      queue.push(event);
      return schedule();
    },
    /** The user's list: GET /v1/recommend/{user} with k, filter, boost... as query options. */
    recommend: function (options) {
      if (!userId) return Promise.reject(new Error("pulserec.user(id) first"));
      return request("GET", "/v1/recommend/" + encodeURIComponent(userId) + query(options)).then(remember);
    },
    /** Items shown in an experiment's impression: later events on them carry its id. */
    impression: function (impressionId, itemIds) {
      (itemIds || []).forEach(function (item) { shownIn[item] = impressionId; });
    },
    flush: function () { return flush(false); },
  };
  addEventListener("pagehide", function () { flush(true).catch(function () {}); });
})();
