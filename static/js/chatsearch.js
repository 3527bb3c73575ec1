// Search across chats (titles and message text) in the session list:
// GET /api/chats?q= . While a search is typed the results replace the list; each
// shows the chat's title and an excerpt of the first matching message.

import { api } from "./api.js";
import { clear, el } from "./dom.js";

const DELAY_MS = 200;

export function initChatSearch({ input, results, list, open }) {
  let timer = 0;
  let seq = 0;

  function reset() {
    results.hidden = true;
    list.hidden = false;
    clear(results);
  }

  async function search(q) {
    const mine = ++seq;
    try {
      const page = await api(`/api/chats?page_size=50&q=${encodeURIComponent(q)}`);
      if (mine !== seq) return;
      clear(results);
      if (!page.results.length) results.append(el("li", { className: "empty muted", text: `No chat mentions “${q}”.` }));
      for (const chat of page.results) {
        results.append(
          el(
            "li",
            { className: "search-hit" },
            el(
              "a",
              { href: `?session=${chat.id}`, className: "session-link", dataset: { sessionId: chat.id } },
              el("span", { className: "hit-title", text: chat.title || "Untitled chat" }),
              chat.match ? el("span", { className: "hit-match muted small", text: chat.match }) : null,
            ),
          ),
        );
      }
    } catch (error) {
      clear(results).append(el("li", { className: "error", text: `Search failed: ${error.message}` }));
    }
    results.hidden = false;
    list.hidden = true;
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) {
      seq += 1;
      reset();
      return;
    }
    timer = setTimeout(() => search(q), DELAY_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && input.value) {
      event.preventDefault();
      input.value = "";
      seq += 1;
      reset();
    }
  });
  results.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-session-id]");
    if (!link) return;
    event.preventDefault();
    open(link.dataset.sessionId);
  });
}
