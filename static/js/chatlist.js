// The list of chats in the sidebar: items, order and the one marked as open.

import { el } from "./dom.js";
import { icon } from "./icons.js";
import { $, nodes, state } from "./chatstate.js";

function sessionItem(id, title) {
  const label = title || "Untitled chat";
  return el(
    "li",
    { className: "session-item", dataset: { sessionId: id } },
    el("a", { className: "session-link", href: `?session=${id}`, dataset: { title: title || "" }, text: label }),
    el(
      "span",
      { className: "session-actions" },
      el("button", { type: "button", className: "icon-btn", dataset: { action: "rename" }, "aria-label": `Rename ${label}`, title: "Rename" }, icon("pencil")),
      el("button", { type: "button", className: "icon-btn danger", dataset: { action: "delete" }, "aria-label": `Delete ${label}`, title: "Delete" }, icon("trash")),
    ),
  );
}

export function sessionListUpsert(id, title) {
  if (!id) return;
  $("no-sessions")?.remove();
  const existing = nodes.sessions.querySelector(`[data-session-id="${CSS.escape(id)}"]`);
  const item = sessionItem(id, title ?? existing?.querySelector(".session-link").dataset.title);
  if (existing) existing.replaceWith(item);
  else nodes.sessions.prepend(item);
  markActiveSession();
}

export function sessionListTouch(id) {
  const item = id && nodes.sessions.querySelector(`[data-session-id="${CSS.escape(id)}"]`);
  if (item && item !== nodes.sessions.firstElementChild) nodes.sessions.prepend(item);
}

export function markActiveSession() {
  for (const item of nodes.sessions.querySelectorAll(".session-item")) {
    const link = item.querySelector(".session-link");
    if (item.dataset.sessionId === state.sessionId) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}
