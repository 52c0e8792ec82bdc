// Uploads each chosen file on its own request, shows its upload progress, then follows its
// ingest job until it is filed, put on the triage list, found to be a duplicate, or rejected.
// A filed file also says what its class means for it (retention.js).
import { consequenceOf } from "./retention.js";

const form = document.getElementById("upload-form");
const results = document.getElementById("upload-results");
const tbody = results.querySelector("tbody");
const jobUrl = (id) => form.dataset.jobUrl.replace(/0$/, String(id));
const docUrl = (id) => form.dataset.docUrl.replace(/0$/, String(id));

function row(name) {
  const tr = document.createElement("tr");
  tr.className = "govuk-table__row";
  for (let i = 0; i < 3; i += 1) {
    const td = document.createElement("td");
    td.className = "govuk-table__cell";
    tr.appendChild(td);
  }
  tr.cells[0].textContent = name;
  tr.cells[1].textContent = "Waiting";
  tbody.appendChild(tr);
  return tr;
}

function showResult(tr, job) {
  const cell = tr.cells[2];
  cell.textContent = "";
  if (job.status === "failed") {
    tr.cells[1].textContent = "Rejected";
    cell.textContent = job.error || "This file could not be read";
    return;
  }
  const words = { filed: "Filed in " + (job.class_code || ""), triage: "On your triage list", duplicate: "Already in edrm" };
  tr.cells[1].textContent = "Done";
  const link = document.createElement("a");
  link.className = "govuk-link";
  link.href = docUrl(job.document_id);
  link.textContent = words[job.outcome] || job.outcome;
  cell.appendChild(link);
  if (job.error) {
    // Kept, but not where it was sent (e.g. no such class): say why, in the row.
    const why = document.createElement("span");
    why.className = "govuk-error-message edrm-upload-refused";
    const text = job.error.startsWith(`${job.filename}: `) ? job.error.slice(job.filename.length + 2) : job.error;
    why.textContent = `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
    cell.appendChild(why);
  }
  if (job.outcome === "filed" && job.class_code && form.dataset.consequenceUrl) {
    consequenceOf(form.dataset.consequenceUrl, job.class_code).then((answer) => {
      if (!answer.consequence) return;
      const note = document.createElement("span");
      note.className = "govuk-body-s edrm-consequence";
      note.textContent = ` ${answer.consequence}`;
      cell.appendChild(note);
    });
  }
}

async function follow(tr, id) {
  for (;;) {
    const response = await fetch(jobUrl(id), { headers: { Accept: "application/json" } });
    const job = await response.json();
    if (job.status === "done" || job.status === "failed") {
      showResult(tr, job);
      return;
    }
    tr.cells[1].textContent = job.status === "running" ? "Reading" : "Queued";
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function send(file, tr) {
  return new Promise((resolve) => {
    const data = new FormData();
    data.append("files", file, file.name);
    const into = form.querySelector("#into").value.trim();
    if (into) data.append("into", into);
    for (const role of ["creator", "contributor"]) {
      const people = form.querySelector(`#${role}`).value.trim();
      if (people) data.append(role, people);
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", form.dataset.csrf);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) tr.cells[1].textContent = `Uploading ${Math.round((100 * e.loaded) / e.total)}%`;
    });
    xhr.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = { error: xhr.statusText }; }
      if (xhr.status === 202) {
        tr.cells[1].textContent = "Queued";
        resolve(follow(tr, body.job_id));
      } else {
        tr.cells[1].textContent = "Not sent";
        tr.cells[2].textContent = body.error || `The server answered ${xhr.status}`;
        resolve();
      }
    });
    xhr.addEventListener("error", () => {
      tr.cells[1].textContent = "Not sent";
      tr.cells[2].textContent = "The connection failed; try again";
      resolve();
    });
    xhr.send(data);
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const files = Array.from(form.querySelector("#files").files);
  if (!files.length) return;
  results.hidden = false;
  const rows = files.map((f) => row(f.name));
  await Promise.all(files.map((f, i) => send(f, rows[i])));
});
