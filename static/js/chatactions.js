// Message actions under each bubble: copy, edit-and-resend (user), regenerate and
// continue (assistant), and the "2/3" arrows between versions left by edits and
// regenerations. Frames: README "Websocket protocol" (edit, regenerate, continue,
// switch_branch); the server answers each with the chat's new `session` frame.

import { el } from "./dom.js";
import { icon } from "./icons.js";
import { busy, nodes, state } from "./chatstate.js";
import { send, setReplying } from "./chatsocket.js";

const UNFINISHED = new Set(["stopped", "error", "interrupted"]);

function actionButton(name, label, iconName) {
  return el("button", { type: "button", className: "icon-btn msg-action", dataset: { action: name }, "aria-label": label, title: label }, icon(iconName));
}

/** The action bar of a finished message: ``{id, role, status, siblings, sibling_index}``. */
export function messageActions(message) {
  const bar = el("div", { className: "msg-actions", role: "toolbar", "aria-label": "Message actions" });
  const siblings = message.siblings || [];
  if (siblings.length > 1) {
    const at = message.sibling_index ?? siblings.indexOf(message.id);
    const prev = actionButton("prev", "Previous version", "left");
    const next = actionButton("next", "Next version", "right");
    prev.disabled = at <= 0;
    next.disabled = at >= siblings.length - 1;
    prev.dataset.target = siblings[at - 1] || "";
    next.dataset.target = siblings[at + 1] || "";
    bar.append(el("span", { className: "branch-nav" }, prev, el("span", { className: "branch-count", text: `${at + 1}/${siblings.length}` }), next));
  }
  bar.append(actionButton("copy", "Copy message", "copy"));
  if (message.role === "user") bar.append(actionButton("edit", "Edit and resend", "pencil"));
  if (message.role === "assistant") {
    bar.append(actionButton("regenerate", "Regenerate answer", "redo"));
    if (UNFINISHED.has(message.status)) bar.append(actionButton("continue", "Continue answer", "play"));
  }
  return bar;
}

/** Asks the server for an action that writes a reply; the page then waits for it. */
function startReply(frame) {
  if (busy()) return;
  if (!send({ session_id: state.sessionId, ...frame })) return;
  state.waitingForReply = true;
  setReplying(true);
}

async function copyText(button, text) {
  try {
    await navigator.clipboard.writeText(text);
    button.replaceChildren(icon("check"));
    button.setAttribute("aria-label", "Copied");
  } catch {
    button.setAttribute("aria-label", "Copy failed");
  }
  setTimeout(() => {
    button.replaceChildren(icon("copy"));
    button.setAttribute("aria-label", "Copy message");
  }, 1500);
}

function editInPlace(bubble) {
  if (bubble.querySelector(".msg-edit")) return;
  const body = bubble.querySelector(".msg-body");
  const box = el("textarea", { className: "msg-edit-input", "aria-label": "Edit your message", rows: 3 });
  box.value = bubble.dataset.source || body.textContent;
  const cancel = el("button", { type: "button", className: "btn btn-ghost btn-small", text: "Cancel" });
  const save = el("button", { type: "submit", className: "btn btn-primary btn-small", text: "Send" });
  const form = el("form", { className: "msg-edit" }, box, el("div", { className: "msg-edit-buttons" }, cancel, save));
  const hidden = Array.from(bubble.children);
  hidden.forEach((node) => (node.hidden = true));
  bubble.append(form);
  bubble.classList.add("editing");
  const close = () => {
    form.remove();
    hidden.forEach((node) => (node.hidden = false));
    bubble.classList.remove("editing");
  };
  cancel.addEventListener("click", close);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const content = box.value.trim();
    if (!content) return;
    close();
    startReply({ type: "edit", message_id: bubble.dataset.messageId, content });
  });
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
}

nodes.messages.addEventListener("click", (event) => {
  const button = event.target.closest(".msg-action");
  const bubble = button?.closest(".msg");
  if (!button || !bubble || button.disabled) return;
  const id = bubble.dataset.messageId;
  const action = button.dataset.action;
  if (action === "copy") copyText(button, bubble.dataset.source ?? bubble.querySelector(".msg-body").textContent);
  else if (action === "edit" && !busy()) editInPlace(bubble);
  else if (action === "regenerate") startReply({ type: "regenerate", message_id: id });
  else if (action === "continue") startReply({ type: "continue", message_id: id });
  else if ((action === "prev" || action === "next") && button.dataset.target && !busy()) {
    send({ type: "switch_branch", session_id: state.sessionId, message_id: button.dataset.target });
  }
});
