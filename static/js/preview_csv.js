// The CSV preview: a table of the first rows (quoted fields and "" escapes understood).

import { el } from "./dom.js";

const PREVIEW_CSV_ROWS = 200;

/** A table of the CSV's first rows (quoted fields and "" escapes understood). */
export function csvTable(text, cut) {
  const rows = parseCsv(text, PREVIEW_CSV_ROWS + 1);
  if (cut && rows.length > 1) rows.pop(); // the last row may be cut mid-way
  const [head = [], ...rest] = rows;
  const table = el("table", { className: "csv-table" });
  table.append(el("thead", {}, el("tr", {}, head.map((cell) => el("th", { scope: "col", text: cell })))));
  table.append(el("tbody", {}, rest.map((cells) => el("tr", {}, cells.map((cell) => el("td", { text: cell }))))));
  const wrap = el("div", { className: "table-wrap" }, table);
  if (rows.length > PREVIEW_CSV_ROWS) wrap.append(el("p", { className: "muted small", text: `Showing the first ${PREVIEW_CSV_ROWS} rows.` }));
  return wrap;
}

function parseCsv(text, maxRows) {
  const rows = [];
  let rowCells = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      rowCells.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i += 1;
      rowCells.push(cell);
      rows.push(rowCells);
      rowCells = [];
      cell = "";
    } else cell += ch;
  }
  if ((cell || rowCells.length) && rows.length < maxRows) rows.push([...rowCells, cell]);
  return rows;
}

