// Markdown for the assistant's replies: marked (GitHub-flavoured markdown), DOMPurify
// (the sanitizer: model text is untrusted) and highlight.js (code), all from npm and
// served from node_modules by Django's static files (chatui/settings.py).
//
// A reply is rendered block by block: marked's lexer splits the text into top-level
// blocks, and a block's element is only rebuilt when its source changed. While a reply
// streams, only the last block changes, so earlier tables and code keep their DOM (no
// flicker, no re-highlighting, no lost text selection).

import DOMPurify from "../vendor/dompurify/purify.es.mjs";
import hljs from "../vendor/highlight/es/highlight.min.js";
import { Marked } from "../vendor/marked/marked.esm.js";

const marked = new Marked({
  gfm: true,
  breaks: true, // a single newline in a reply is a line break, as chat UIs show it
  renderer: {
    // HTML written in the reply is shown as text, as the model wrote it (never markup).
    html({ text }) {
      return escapeHtml(text);
    },
    code({ text, lang }) {
      const language = (lang || "").trim().split(/\s+/)[0].toLowerCase();
      const known = language && hljs.getLanguage(language);
      const html = known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
      const label = known ? language : language || "text";
      return `<pre data-lang="${escapeHtml(label)}"><code class="hljs${known ? ` language-${language}` : ""}">${html}</code></pre>\n`;
    },
  },
});

// Links open in a new tab without handing the page to it; DOMPurify already dropped
// javascript: and other unsafe URLs.
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
  if (node.tagName === "INPUT") node.setAttribute("disabled", "");
});

const PURIFY = { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "button", "textarea", "select"] };

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Sanitized HTML for one markdown source (used for whole messages and single blocks). */
export function markdownToHtml(text) {
  return DOMPurify.sanitize(marked.parse(String(text ?? "")), PURIFY);
}

function blockElement(html) {
  const block = document.createElement("div");
  block.className = "md-block";
  block.innerHTML = html;
  decorateCode(block);
  return block;
}

/** Wraps each code block with a bar naming its language and a copy button. */
function decorateCode(root) {
  for (const pre of root.querySelectorAll("pre")) {
    const bar = document.createElement("div");
    bar.className = "code-bar";
    const lang = document.createElement("span");
    lang.className = "code-lang";
    lang.textContent = pre.dataset.lang || "text";
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "btn btn-ghost btn-small code-copy";
    copy.textContent = "Copy";
    copy.setAttribute("aria-label", `Copy ${lang.textContent} code`);
    bar.append(lang, copy);
    const wrap = document.createElement("div");
    wrap.className = "code-block";
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
  }
}

/**
 * Renders ``text`` into ``container`` (a .md element), reusing the blocks whose source
 * did not change since the last call on the same container.
 */
export function renderMarkdownInto(container, text) {
  const tokens = marked.lexer(String(text ?? "").replace(/\r\n?/g, "\n"));
  const sources = [];
  for (const token of tokens) {
    if (token.type === "space") continue;
    sources.push(token.raw);
  }
  const blocks = Array.from(container.children).filter((node) => node.classList?.contains("md-block"));
  if (blocks.length !== container.children.length) container.replaceChildren();
  const kept = container.children;
  sources.forEach((raw, index) => {
    const existing = kept[index];
    if (existing && existing.dataset.raw === raw) return;
    // Reference-style links need the whole document's definitions: parse with them.
    const html = markdownToHtml(tokens.links && Object.keys(tokens.links).length ? referencesFor(tokens) + raw : raw);
    const block = blockElement(html);
    block.dataset.raw = raw;
    if (existing) existing.replaceWith(block);
    else container.append(block);
  });
  while (kept.length > sources.length) kept[kept.length - 1].remove();
}

function referencesFor(tokens) {
  return Object.entries(tokens.links)
    .map(([label, { href, title }]) => `[${label}]: <${href}>${title ? ` "${title.replace(/"/g, "")}"` : ""}\n`)
    .join("") + "\n";
}

/** The text of the code block that holds ``button`` (for the copy buttons). */
export function codeOf(button) {
  return button.closest(".code-block")?.querySelector("pre code")?.textContent ?? "";
}
