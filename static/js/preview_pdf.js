// The PDF preview: pdf.js (pdfjs-dist from npm, served as static/vendor/pdfjs like the
// other vendor libraries) draws one page at a time on a canvas, with its text layer on
// top so the words of a search or a citation are highlighted where they stand on the
// page. The bytes come through the one download path (Range requests); pdf.js parses
// them in its own worker, with eval off. Loaded on demand: the Files and chat pages do not pay for it
// until a PDF is opened.

import { GlobalWorkerOptions, TextLayer, getDocument } from "../vendor/pdfjs/pdf.min.mjs";
import { el } from "./dom.js";
import { markText } from "./marks.js";
import { clampPage, pageBar } from "./preview_pages.js";

GlobalWorkerOptions.workerSrc = new URL("../vendor/pdfjs/pdf.worker.min.mjs", import.meta.url).href;
const MAX_SCALE = 2;
const ERRORS_ONLY = 0; // pdf.js VerbosityLevel.ERRORS

/**
 * A paged view of the PDF at ``url`` opened at ``page``; ``width`` is the room it
 * has (CSS pixels). Returns { node, destroy } once the first page is drawn.
 */
export async function pdfView(url, { page, terms, width, title }) {
  // Only the byte ranges the shown pages need are fetched (the download answers Range
  // requests), so page 212 of a long PDF opens without downloading the whole file.
  const source = { url, disableAutoFetch: true, disableStream: true, isEvalSupported: false, enableXfa: false, verbosity: ERRORS_ONLY };
  const loading = getDocument(source);
  const doc = await loading.promise;
  const stage = el("div", { className: "pdf-stage", role: "document", "aria-label": title });
  let drawing = null;
  const bar = pageBar(doc.numPages, (n) => show(n));
  async function show(n) {
    drawing?.cancel();
    const target = clampPage(n, doc.numPages);
    bar.show(target);
    drawing = drawPage(doc, target, { terms, width });
    const node = await drawing.done;
    if (node) stage.replaceChildren(node);
    node?.querySelector("mark")?.scrollIntoView({ block: "center" });
  }
  await show(page);
  return {
    node: el("div", { className: "pdf-view" }, bar.node, stage),
    destroy: () => {
      drawing?.cancel();
      loading.destroy();
    },
  };
}

/** Draw page ``n``: { done: Promise<element|null>, cancel() } (null when cancelled). */
function drawPage(doc, n, { terms, width }) {
  let render = null;
  let observer = null;
  let cancelled = false;
  const done = (async () => {
    const page = await doc.getPage(n);
    const scale = Math.min(MAX_SCALE, width / page.getViewport({ scale: 1 }).width);
    const viewport = page.getViewport({ scale });
    const ratio = window.devicePixelRatio || 1;
    const canvas = el("canvas", { className: "pdf-canvas", width: Math.floor(viewport.width * ratio), height: Math.floor(viewport.height * ratio) });
    const text = el("div", { className: "textLayer" });
    const sheet = el("div", { className: "pdf-page", dataset: { page: String(n) } }, canvas, text);
    const widthAtOne = viewport.width / scale;
    for (const [name, value] of [["--total-scale-factor", String(scale)], ["--scale-round-x", "1px"], ["--scale-round-y", "1px"], ["width", `${Math.floor(viewport.width)}px`], ["aspect-ratio", `${viewport.width} / ${viewport.height}`]]) {
      sheet.style.setProperty(name, value);
    }
    // The sheet shrinks with the dialog (a phone turned, a window narrowed): the canvas
    // scales by CSS, and the text layer follows through pdf.js's --total-scale-factor.
    observer = new ResizeObserver(() => {
      if (sheet.clientWidth) sheet.style.setProperty("--total-scale-factor", String(sheet.clientWidth / widthAtOne));
    });
    observer.observe(sheet);
    render = page.render({ canvas, viewport, transform: ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0] });
    try {
      await render.promise;
    } catch (error) {
      if (error?.name === "RenderingCancelledException") return null;
      throw error;
    }
    if (cancelled) return null;
    const layer = new TextLayer({ textContentSource: page.streamTextContent(), container: text, viewport });
    await layer.render();
    if (terms.length) for (const span of layer.textDivs) span.replaceChildren(markText(span.textContent, terms));
    return sheet;
  })();
  return {
    done,
    cancel() {
      cancelled = true;
      render?.cancel();
      observer?.disconnect();
    },
  };
}
