// Highlights the words of a search in plain text. The text stays text (text nodes);
// only the matching words are wrapped in <mark>, so nothing a server or a document
// says can become markup. Used by content search results, the text preview and
// citation snippets.

const WORD = /[\p{L}\p{N}_]+/gu;
const MAX_TERMS = 20;

/** The distinct lower-cased words of a query (as the server's search splits it). */
export function searchTerms(query) {
  const words = String(query || "").toLowerCase().match(WORD) || [];
  return [...new Set(words)].slice(0, MAX_TERMS);
}

/** Whether ``word`` is a form of ``term``: the same word, or sharing its stem (the
 * server's full-text search stems, so "reports" finds "report"). */
function sameStem(word, term) {
  if (word === term) return true;
  let common = 0;
  while (common < word.length && common < term.length && word[common] === term[common]) common += 1;
  return common >= 3 && common >= Math.min(word.length, term.length) - 2;
}

/** A fragment of ``text`` with every word matching one of ``terms`` in a <mark>. */
export function markText(text, terms) {
  const fragment = document.createDocumentFragment();
  const source = String(text || "");
  if (!terms.length) {
    fragment.append(source);
    return fragment;
  }
  let last = 0;
  for (const match of source.matchAll(WORD)) {
    const word = match[0].toLowerCase();
    if (!terms.some((term) => sameStem(word, term))) continue;
    if (match.index > last) fragment.append(source.slice(last, match.index));
    const mark = document.createElement("mark");
    mark.textContent = match[0];
    fragment.append(mark);
    last = match.index + match[0].length;
  }
  if (last < source.length) fragment.append(source.slice(last));
  return fragment;
}
