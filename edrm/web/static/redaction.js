// Drawing redaction areas on a page image (progressive: without script, the area is typed in
// as X,Y,W,H fractions and the boxes are listed in the table below the pages).
//  - [data-redact-page=N]: a page; its [data-box] children are placed from data-x/y/w/h
//    (fractions of the page, origin top-left).
//  - Dragging on a page draws a box; its page and X,Y,W,H go into the form
//    [data-redact-form] (fields named page and box), which is then shown.

const place = (el, x, y, w, h) => {
  el.style.left = `${x * 100}%`;
  el.style.top = `${y * 100}%`;
  el.style.width = `${w * 100}%`;
  el.style.height = `${h * 100}%`;
};

for (const box of document.querySelectorAll("[data-box]")) {
  const d = box.dataset;
  place(box, Number(d.x), Number(d.y), Number(d.w), Number(d.h));
  box.hidden = false;
}

const form = document.querySelector("[data-redact-form]");
const round = (v) => Math.round(v * 10000) / 10000;
const clamp = (v) => Math.min(1, Math.max(0, v));

for (const page of document.querySelectorAll("[data-redact-page]")) {
  let start = null;
  let drawing = null;
  const at = (event) => {
    const r = page.getBoundingClientRect();
    return { x: clamp((event.clientX - r.left) / r.width), y: clamp((event.clientY - r.top) / r.height) };
  };
  page.addEventListener("pointerdown", (event) => {
    if (!form || event.button !== 0) return;
    event.preventDefault();
    page.setPointerCapture(event.pointerId);
    start = at(event);
    for (const old of document.querySelectorAll(".edrm-redact-box--drawing")) old.remove();
    drawing = document.createElement("div");
    drawing.className = "edrm-redact-box edrm-redact-box--drawing";
    drawing.setAttribute("aria-hidden", "true");
    page.append(drawing);
    place(drawing, start.x, start.y, 0, 0);
  });
  page.addEventListener("pointermove", (event) => {
    if (!start) return;
    const now = at(event);
    place(drawing, Math.min(start.x, now.x), Math.min(start.y, now.y), Math.abs(now.x - start.x), Math.abs(now.y - start.y));
  });
  page.addEventListener("pointerup", (event) => {
    if (!start) return;
    const now = at(event);
    const x = Math.min(start.x, now.x);
    const y = Math.min(start.y, now.y);
    const w = Math.abs(now.x - start.x);
    const h = Math.abs(now.y - start.y);
    start = null;
    if (w < 0.005 || h < 0.003) {
      drawing.remove();
      return;
    }
    form.elements.page.value = page.dataset.redactPage;
    form.elements.box.value = [x, y, w, h].map(round).join(",");
    const area = form.querySelector("input[name=kind][value=area]");
    if (area) area.checked = true;
    form.scrollIntoView({ behavior: "smooth", block: "nearest" });
    form.elements.exemption.focus({ preventScroll: true });
  });
}
