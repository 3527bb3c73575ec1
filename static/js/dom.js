// Small DOM helpers: every element is built with createElement and textContent,
// never from HTML strings, so text from users or the model can never become markup.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

const banner = () => document.getElementById("banner");

/** A dismissable message at the top of the page, announced to screen readers. */
export function showBanner(text, kind = "error") {
  const box = banner();
  if (!box) return;
  box.querySelector(".banner-text").textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
}

export function hideBanner() {
  const box = banner();
  if (box) box.hidden = true;
}

document.addEventListener("click", (event) => {
  if (event.target.closest(".banner-close")) hideBanner();
});

/** Open a <dialog> (whose form uses method="dialog"); resolves with the button's value. */
export function ask(dialog) {
  return new Promise((resolve) => {
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue), { once: true });
    dialog.showModal();
  });
}

/** Close buttons (data-close) inside any dialog. */
document.addEventListener("click", (event) => {
  const closer = event.target.closest("dialog [data-close]");
  if (closer) closer.closest("dialog").close("cancel");
});

export function readConfig(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}
