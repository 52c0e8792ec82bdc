// Records management and filing helpers (progressive: every page works without them).
//  - [data-select-all="NAME"]: a checkbox that ticks or clears every checkbox named NAME in its form.
//  - [data-consequence="URL"]: a class or folder field; the element named by its
//    data-consequence-target says what filing there means ("kept until March 2032, then destroyed").

for (const all of document.querySelectorAll("[data-select-all]")) {
  const boxes = () => all.form.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`);
  all.hidden = false;
  const label = all.form.querySelector(`label[for="${all.id}"]`);
  if (label) label.hidden = false;
  all.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
  });
}

const sentence = (text) => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;

// What filing in `code` means: { code, consequence } or { error } (both in plain words).
export async function consequenceOf(url, code) {
  if (!code) return {};
  const response = await fetch(`${url}?code=${encodeURIComponent(code)}`, {
    headers: { Accept: "application/json" },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return { error: sentence(body.error || "that class could not be checked") };
  return { code: body.code, consequence: sentence(body.consequence) };
}

for (const field of document.querySelectorAll("[data-consequence]")) {
  const target = document.getElementById(field.dataset.consequenceTarget);
  if (!target) continue;
  let timer = null;
  let asked = 0;
  const update = () => {
    const ticket = ++asked;
    consequenceOf(field.dataset.consequence, field.value.trim()).then((answer) => {
      if (ticket !== asked) return;
      if (answer.error) target.textContent = answer.error;
      else if (answer.consequence) target.textContent = `Filed in ${answer.code}: ${answer.consequence.charAt(0).toLowerCase()}${answer.consequence.slice(1)}`;
      else target.textContent = "";
    });
  };
  field.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  });
  field.addEventListener("change", update);
  if (field.value.trim()) update();
}
