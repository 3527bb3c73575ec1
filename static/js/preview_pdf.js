// The PDF preview: pdf.js (pdfjs-dist from npm, served as static/vendor/pdfjs like the
// other vendor libraries) draws one page at a time on a canvas, with its text layer on
// top so the words of a search or a citation are highlighted where they stand on the
// page. The bytes come through the one download path (Range requests); pdf.js parses
// them in its own worker, with eval off. Loaded on demand: the Files and chat pages do not pay for it
// until a PDF is opened.

import { GlobalWorkerOptions, TextLayer, getDocument } from "../vendor/pdfjs/pdf.min.mjs";
import { el } from "./dom.js";
import { markText } from "./marks.js";
import { clampPage, loadingSheet, pageBar } from "./preview_pages.js";

GlobalWorkerOptions.workerSrc = new URL("../vendor/pdfjs/pdf.worker.min.mjs", import.meta.url).href;
const MAX_SCALE = 2; // fitting the width never enlarges a page past this
const MIN_ZOOM = 0.25;
const MAX_ZOOM = 4;
const ZOOM_STEP = 1.25;
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
  const view = el("div", { className: "pdf-view" });
  let drawing = null;
  let current = 1;
  let zoom = null; // null: fit the width; else the pdf.js scale chosen with + and −
  let shownScale = 1;
  const bar = pageBar(doc.numPages, (n) => show(n));
  const zoomBar = zoomControls({
    zoomIn: () => rezoom(Math.min(MAX_ZOOM, shownScale * ZOOM_STEP)),
    zoomOut: () => rezoom(Math.max(MIN_ZOOM, shownScale / ZOOM_STEP)),
    fit: () => rezoom(null),
  });
  function rezoom(scale) {
    zoom = scale;
    view.classList.toggle("zoomed", zoom !== null);
    return show(current);
  }
  async function show(n) {
    drawing?.cancel();
    const target = clampPage(n, doc.numPages);
    const turning = target !== current || !stage.firstChild;
    current = target;
    bar.show(target);
    // Another page takes its place at once (at its size, saying "Loading page N…");
    // the same page zoomed replaces the one shown once it is drawn.
    const place = (sheet) => stage.replaceChildren(sheet);
    drawing = drawPage(doc, target, { terms, width, zoom, laidOut: turning ? place : null });
    const node = await drawing.done;
    if (!node) return;
    shownScale = Number(node.dataset.scale);
    zoomBar.show(shownScale, zoom === null);
    if (!turning) place(node);
    node.querySelector("mark")?.scrollIntoView({ block: "center" });
  }
  await show(page);
  view.append(el("div", { className: "pdf-toolbar" }, bar.node, zoomBar.node), stage);
  return {
    node: view,
    destroy: () => {
      drawing?.cancel();
      loading.destroy();
    },
  };
}

/** − 100% + and "Fit width": { node, show(scale, fitted) }. */
function zoomControls({ zoomIn, zoomOut, fit }) {
  const button = (label, text, action) => el("button", { type: "button", className: "btn btn-small", "aria-label": label, title: label, text, onclick: action });
  const out = button("Zoom out", "−", zoomOut);
  const into = button("Zoom in", "+", zoomIn);
  const fitWidth = button("Fit to width", "", fit);
  fitWidth.append("Fit", el("span", { className: "fit-word", text: " width" })); // "Fit" alone on a phone
  const level = el("span", { className: "zoom-level", role: "status", "aria-live": "polite" });
  return {
    node: el("div", { className: "zoom-bar", role: "group", "aria-label": "Zoom" }, out, level, into, fitWidth),
    show(scale, fitted) {
      level.textContent = `${Math.round(scale * 100)}%`;
      out.disabled = scale <= MIN_ZOOM + 1e-6;
      into.disabled = scale >= MAX_ZOOM - 1e-6;
      fitWidth.setAttribute("aria-pressed", String(fitted));
    },
  };
}

/** Draw page ``n``, handing its sheet to ``laidOut`` as soon as its size is known:
 * { done: Promise<element|null>, cancel() } (null when cancelled). */
function drawPage(doc, n, { terms, width, zoom = null, laidOut }) {
  let render = null;
  let observer = null;
  let cancelled = false;
  const done = (async () => {
    const page = await doc.getPage(n);
    const scale = zoom ?? Math.min(MAX_SCALE, width / page.getViewport({ scale: 1 }).width);
    const viewport = page.getViewport({ scale });
    const ratio = window.devicePixelRatio || 1;
    const canvas = el("canvas", { className: "pdf-canvas", width: Math.floor(viewport.width * ratio), height: Math.floor(viewport.height * ratio) });
    const text = el("div", { className: "textLayer" });
    const sheet = loadingSheet(n, { width: viewport.width, ratio: viewport.height / viewport.width });
    Object.assign(sheet.dataset, { page: String(n), scale: String(scale) });
    sheet.prepend(canvas, text);
    const widthAtOne = viewport.width / scale;
    for (const [name, value] of [["--total-scale-factor", String(scale)], ["--scale-round-x", "1px"], ["--scale-round-y", "1px"], ["aspect-ratio", `${viewport.width} / ${viewport.height}`]]) {
      sheet.style.setProperty(name, value);
    }
    if (!cancelled) laidOut?.(sheet);
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
    sheet.classList.remove("loading");
    sheet.removeAttribute("aria-busy");
    sheet.querySelector(".pdf-loading")?.remove();
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
