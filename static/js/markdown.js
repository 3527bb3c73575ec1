// A small, safe markdown renderer for the assistant's replies.
//
// Model text is untrusted. Nothing here parses HTML: elements are made with
// createElement and text is set with textContent, so "<img onerror=…>" stays text.
// Supported: paragraphs, fenced code blocks, headings, bullet and numbered lists,
// block quotes, inline code, **bold**, *italic*/_italic_, [links](http…) and bare
// http(s) URLs. Links only ever point at http(s) and open with rel=noopener.

const FENCE = /^\s*(```|~~~)\s*([\w+#.-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^(\s*)([-*+])\s+(.*)$/;
const NUMBERED = /^(\s*)(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;
const BLANK = /^\s*$/;
const INLINE =
  /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|\[([^\]\n]+)\]\(([^)\s]+)\)|\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__|\*(?=[^\s*])([^*\n]*?[^\s*])\*|(?<![\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?![\w])|(https?:\/\/[^\s<>()[\]]*[^\s<>()[\].,;:!?'"])/;

/** A DocumentFragment for the markdown text. */
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (BLANK.test(line)) {
      i += 1;
    } else if (FENCE.test(line)) {
      i = codeBlock(lines, i, fragment);
    } else if (HEADING.test(line)) {
      const [, hashes, content] = line.match(HEADING);
      const heading = document.createElement(`h${Math.min(6, hashes.length + 2)}`);
      appendInline(heading, content);
      fragment.append(heading);
      i += 1;
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      i = list(lines, i, fragment);
    } else if (QUOTE.test(line)) {
      i = quote(lines, i, fragment);
    } else {
      i = paragraph(lines, i, fragment);
    }
  }
  return fragment;
}

function codeBlock(lines, start, parent) {
  const [, fence, language] = lines[start].match(FENCE);
  const body = [];
  let i = start + 1;
  while (i < lines.length && lines[i].trim() !== fence) {
    body.push(lines[i]);
    i += 1;
  }
  const pre = document.createElement("pre");
  const code = document.createElement("code");
  if (language) code.dataset.language = language;
  code.textContent = body.join("\n");
  pre.append(code);
  parent.append(pre);
  return i + 1; // past the closing fence (or the end of an unfinished stream)
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || BULLET.test(line) || NUMBERED.test(line) || QUOTE.test(line);
}

function paragraph(lines, start, parent) {
  const p = document.createElement("p");
  let i = start;
  while (i < lines.length && !BLANK.test(lines[i]) && (i === start || !startsBlock(lines[i]))) {
    if (i > start) p.append(document.createElement("br"));
    appendInline(p, lines[i].trim());
    i += 1;
  }
  parent.append(p);
  return i;
}

function quote(lines, start, parent) {
  const block = document.createElement("blockquote");
  const inner = [];
  let i = start;
  while (i < lines.length && QUOTE.test(lines[i])) {
    inner.push(lines[i].match(QUOTE)[1]);
    i += 1;
  }
  block.append(renderMarkdown(inner.join("\n")));
  parent.append(block);
  return i;
}

function itemMatch(line) {
  const bullet = line.match(BULLET);
  if (bullet) return { indent: bullet[1].length, ordered: false, text: bullet[3] };
  const numbered = line.match(NUMBERED);
  if (numbered) return { indent: numbered[1].length, ordered: true, text: numbered[3], number: Number(numbered[2]) };
  return null;
}

function list(lines, start, parent) {
  const first = itemMatch(lines[start]);
  const listEl = document.createElement(first.ordered ? "ol" : "ul");
  if (first.ordered && first.number !== 1) listEl.start = first.number;
  let item = null;
  let i = start;
  while (i < lines.length) {
    const line = lines[i];
    const match = itemMatch(line);
    if (match && match.indent <= first.indent && match.ordered === first.ordered) {
      item = document.createElement("li");
      appendInline(item, match.text);
      listEl.append(item);
    } else if (match && match.indent > first.indent) {
      i = list(lines, i, item); // a nested list belongs to the current item
      continue;
    } else if (!BLANK.test(line) && /^\s+/.test(line) && item) {
      item.append(document.createElement("br")); // an indented continuation line
      appendInline(item, line.trim());
    } else if (BLANK.test(line) && i + 1 < lines.length && itemMatch(lines[i + 1])?.ordered === first.ordered) {
      // a blank line between items of the same list
    } else {
      break;
    }
    i += 1;
  }
  parent.append(listEl);
  return i;
}

/** Append text with inline markup to parent, as elements and text nodes only. */
export function appendInline(parent, text) {
  let rest = text;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) {
      parent.append(document.createTextNode(rest));
      return;
    }
    if (match.index) parent.append(document.createTextNode(rest.slice(0, match.index)));
    parent.append(inlineNode(match));
    rest = rest.slice(match.index + match[0].length);
  }
}

function inlineNode(match) {
  const [whole, , code, linkText, linkUrl, bold, boldUnderscore, italic, italicUnderscore, bareUrl] = match;
  if (code !== undefined) {
    const node = document.createElement("code");
    node.textContent = code.replace(/^ (.*) $/, "$1");
    return node;
  }
  if (linkText !== undefined) return link(linkText, linkUrl, whole);
  if (bold !== undefined || boldUnderscore !== undefined) {
    const node = document.createElement("strong");
    appendInline(node, bold ?? boldUnderscore);
    return node;
  }
  if (italic !== undefined || italicUnderscore !== undefined) {
    const node = document.createElement("em");
    appendInline(node, italic ?? italicUnderscore);
    return node;
  }
  return link(bareUrl, bareUrl, whole);
}

/** An <a> for http(s) URLs only; anything else (javascript:, data:, relative) stays text. */
export function safeHref(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function link(text, url, original) {
  const href = safeHref(url);
  if (!href) return document.createTextNode(original);
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.rel = "noopener noreferrer";
  anchor.target = "_blank";
  if (text === url) anchor.textContent = text; // a bare URL: no further markup inside
  else appendInline(anchor, text);
  return anchor;
}
