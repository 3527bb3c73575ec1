// Stroke icons (24×24, currentColor), built with createElementNS. The same shapes are
// in templates/icon.html for the server-rendered rows.

const SVG = "http://www.w3.org/2000/svg";
const SHAPES = {
  eye: [["path", { d: "M2 12c2.5-4.5 6-7 10-7s7.5 2.5 10 7c-2.5 4.5-6 7-10 7s-7.5-2.5-10-7z" }], ["circle", { cx: 12, cy: 12, r: 3 }]],
  download: [["path", { d: "M12 3v12M7 10l5 5 5-5M4 20h16" }]],
  tag: [["path", { d: "M3 3h8l10 10-8 8L3 11z" }], ["circle", { cx: 7.5, cy: 7.5, r: 1.5 }]],
  pencil: [["path", { d: "M4 20l4-1 11-11-3-3L5 16zM14 6l3 3" }]],
  bolt: [["path", { d: "M13 2L4 14h7l-1 8 9-12h-7z" }]],
  trash: [["path", { d: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6" }]],
  clip: [["path", { d: "M20 11l-8 8a5 5 0 0 1-7-7l9-9a3.5 3.5 0 0 1 5 5l-9 9a2 2 0 0 1-3-3l8-8" }]],
  file: [["path", { d: "M6 2h8l5 5v15H6zM14 2v5h5" }]],
  image: [["rect", { x: 3, y: 4, width: 18, height: 16, rx: 2 }], ["circle", { cx: 9, cy: 10, r: 2 }], ["path", { d: "M21 17l-5-5-9 8" }]],
  share: [["circle", { cx: 18, cy: 5, r: 2.5 }], ["circle", { cx: 6, cy: 12, r: 2.5 }], ["circle", { cx: 18, cy: 19, r: 2.5 }], ["path", { d: "M8.2 10.8l7.6-4.4M8.2 13.2l7.6 4.4" }]],
  close: [["path", { d: "M6 6l12 12M18 6L6 18" }]],
  history: [["path", { d: "M3 12a9 9 0 1 0 3-6.7M3 4v5h5M12 7v5l3 3" }]],
  restore: [["path", { d: "M9 14l-5-5 5-5M4 9h10a6 6 0 0 1 0 12h-3" }]],
  copy: [["rect", { x: 9, y: 9, width: 11, height: 11, rx: 2 }], ["path", { d: "M5 15V5a1 1 0 0 1 1-1h10" }]],
  check: [["path", { d: "M5 12l5 5 9-10" }]],
  redo: [["path", { d: "M20 5v5h-5M20 10a8 8 0 1 0 1.5 5" }]],
  play: [["path", { d: "M7 5l12 7-12 7z" }]],
  left: [["path", { d: "M15 5l-7 7 7 7" }]],
  right: [["path", { d: "M9 5l7 7-7 7" }]],
  slash: [["rect", { x: 3, y: 4, width: 18, height: 16, rx: 3 }], ["path", { d: "M14 8l-4 8" }]],
  help: [["circle", { cx: 12, cy: 12, r: 9 }], ["path", { d: "M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.7.3-1 .9-1 1.7M12 17h.01" }]],
  chart: [["path", { d: "M4 20V4M4 20h16M8 16v-5M12 16V8M16 16v-8" }]],
  table: [["rect", { x: 3, y: 4, width: 18, height: 16, rx: 2 }], ["path", { d: "M3 10h18M3 15h18M9 4v16" }]],
};

export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [key, value] of Object.entries({ viewBox: "0 0 24 24", class: "i", "aria-hidden": "true", focusable: "false" })) {
    svg.setAttribute(key, value);
  }
  for (const [tag, attrs] of SHAPES[name] || []) {
    const shape = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) shape.setAttribute(key, String(value));
    svg.append(shape);
  }
  return svg;
}
