// Click-to-zoom for images and charts in the conversation: a modal <dialog> showing
// the image at full size (Esc, the close button or a click outside closes it).

import { el } from "./dom.js";

export function initZoom(container) {
  const image = el("img", { className: "zoom-image", alt: "" });
  const caption = el("p", { className: "zoom-caption muted small" });
  const close = el("button", { type: "button", className: "btn btn-ghost btn-small zoom-close", "aria-label": "Close the enlarged image", text: "Close" });
  const dialog = el("dialog", { className: "dialog zoom-dialog", "aria-label": "Enlarged image" }, close, image, caption);
  document.body.append(dialog);
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close(); // the backdrop
  });
  container.addEventListener("click", (event) => {
    const target = event.target.closest("img.zoomable");
    if (!target) return;
    event.preventDefault();
    image.src = target.currentSrc || target.src;
    image.alt = target.alt;
    caption.textContent = target.alt.replace(/^Preview of /, "");
    dialog.showModal();
  });
  container.addEventListener("keydown", (event) => {
    if ((event.key === "Enter" || event.key === " ") && event.target.matches?.("img.zoomable")) {
      event.preventDefault();
      event.target.click();
    }
  });
}
