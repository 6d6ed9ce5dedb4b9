// Small DOM helpers shared by the page's sections.
export const $ = (selector) => document.querySelector(selector);

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) node.append(child);
  }
  return node;
}

export function showMessage(text) {
  const box = $("#message");
  box.textContent = text;
  box.hidden = false;
}

export function clearMessage() {
  const box = $("#message");
  box.textContent = "";
  box.hidden = true;
}

/** Run an async UI action; an error is shown as the page's message. */
export async function guarded(action) {
  try {
    return await action();
  } catch (error) {
    showMessage(error.message || String(error));
    return undefined;
  }
}
