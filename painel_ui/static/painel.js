// The ops page: reads and changes through the same /admin API curl uses.
// The session cookie authenticates; changes carry the page's CSRF token.
"use strict";

const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const PAGE_SIZE = 50;
// pt-BR names of request types and detail fields, from content/messages.toml.
const LABELS = JSON.parse(document.body.dataset.labels || "{}");
let requestsCursor = null;

function $(selector) {
  return document.querySelector(selector);
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function nameOf(group, key) {
  return (LABELS[group] || {})[key] || key;
}

function when(iso) {
  if (!iso) return "";
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? iso : moment.toLocaleString("pt-BR");
}

function notify(text, isError) {
  const notice = $("#notice");
  notice.textContent = text;
  notice.classList.toggle("error", Boolean(isError));
  notice.hidden = false;
}

async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (method !== "GET") options.headers["X-CSRFToken"] = CSRF;
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 401) {
    window.location.reload(); // the session ended: the page asks for the token again
    throw new Error("sessão encerrada");
  }
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || data.error || "erro " + response.status);
  return data;
}

function button(label, action) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "button small";
  element.textContent = label;
  element.addEventListener("click", async () => {
    element.disabled = true;
    try {
      await action();
    } catch (problem) {
      notify(problem.message, true);
      element.disabled = false;
    }
  });
  return element;
}

// --- requests ---
function requestFilters() {
  const form = new FormData($("#request-filters"));
  const query = new URLSearchParams();
  for (const name of ["type", "status", "since"]) {
    const value = form.get(name);
    if (value) query.set(name, value);
  }
  return query;
}

function contactOf(item) {
  const details = item.details || {};
  return [details.name, item.phone, details.address, details.cep].filter(Boolean).join(" · ");
}

function detailsOf(item) {
  const skip = new Set(["name", "address", "cep"]);
  return Object.entries(item.details || {})
    .filter(([key, value]) => !skip.has(key) && value !== "" && value != null)
    .map(([key, value]) => nameOf("fields", key) + ": " + (typeof value === "object" ? JSON.stringify(value) : value))
    .join("; ");
}

function requestRow(item) {
  const row = document.createElement("tr");
  row.dataset.protocol = item.protocol;
  cell(row, item.protocol, "mono");
  cell(row, nameOf("types", item.type));
  cell(row, when(item.created_at));
  cell(row, contactOf(item));
  cell(row, detailsOf(item), "details");
  const action = cell(row, "");
  if ((item.status || "open") === "open") {
    action.appendChild(button("Resolvido", async () => {
      await api("POST", "/admin/requests/" + encodeURIComponent(item.protocol) + "/handled");
      row.remove();
      notify("Protocolo " + item.protocol + " marcado como resolvido.");
    }));
  } else {
    action.textContent = "resolvido";
  }
  return row;
}

async function loadRequests(more) {
  const query = requestFilters();
  query.set("limit", PAGE_SIZE);
  if (more && requestsCursor) query.set("cursor", requestsCursor);
  $("#requests-csv").href = "/admin/requests.csv?" + requestFilters().toString();
  const data = await api("GET", "/admin/requests?" + query.toString());
  const body = $("#requests tbody");
  if (!more) body.replaceChildren();
  for (const item of data.requests || []) body.appendChild(requestRow(item));
  requestsCursor = data.next_cursor || null;
  $("#requests-more").hidden = !requestsCursor;
  $("#requests-empty").hidden = body.children.length > 0;
}

// --- outages ---
function outageRow(item) {
  const row = document.createElement("tr");
  const prefixes = item.cep_prefixes || [];
  cell(row, prefixes.length ? prefixes.join(", ") : "todas as áreas");
  cell(row, item.message);
  cell(row, when(item.expected_end));
  cell(row, when(item.started_at));
  cell(row, item.ended_at ? when(item.ended_at) : "em andamento");
  cell(row, item.customers_told ?? 0, "number");
  const action = cell(row, "");
  if (!item.ended_at) {
    action.appendChild(button("Encerrar", async () => {
      if (!window.confirm("Encerrar esta queda? Os clientes avisados recebem a mensagem de volta do serviço.")) {
        throw new Error("Encerramento cancelado.");
      }
      await api("DELETE", "/admin/outages/" + encodeURIComponent(item.id));
      notify("Queda encerrada.");
      await loadOutages();
    }));
  }
  return row;
}

async function loadOutages() {
  const data = await api("GET", "/admin/outages");
  const body = $("#outages tbody");
  body.replaceChildren(...(data.outages || []).map(outageRow));
  $("#outages-empty").hidden = body.children.length > 0;
}

async function startOutage(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const prefixes = String(form.get("cep_prefixes") || "")
    .split(/[\s,;]+/)
    .map((part) => part.replace(/\D/g, ""))
    .filter(Boolean);
  const body = { cep_prefixes: prefixes, message: String(form.get("message") || "").trim() };
  const end = form.get("expected_end");
  if (end) body.expected_end = new Date(String(end)).toISOString();
  try {
    await api("POST", "/admin/outages", body);
    event.target.reset();
    notify("Queda registrada: os clientes dessas áreas já recebem o aviso.");
    await loadOutages();
  } catch (problem) {
    notify(problem.message, true);
  }
}

// --- conversations with a person ---
function handoffRow(item) {
  const row = document.createElement("tr");
  cell(row, item.phone, "mono");
  cell(row, item.protocol, "mono");
  cell(row, when(item.last_activity));
  cell(row, "").appendChild(button("Devolver ao Theo", async () => {
    await api("POST", "/admin/handoffs/" + encodeURIComponent(item.phone) + "/release");
    row.remove();
    $("#handoffs-empty").hidden = $("#handoffs tbody").children.length > 0;
    notify("Conversa devolvida ao Theo.");
  }));
  return row;
}

async function loadHandoffs() {
  const data = await api("GET", "/admin/handoffs");
  const body = $("#handoffs tbody");
  body.replaceChildren(...(data.handoffs || []).map(handoffRow));
  $("#handoffs-empty").hidden = body.children.length > 0;
}

// --- stats ---
const SERIES = [
  ["resolved", "resolved"],
  ["handed_over", "handed"],
  ["abandoned", "abandoned"],
];

function bar(flow, figures, widest) {
  const line = document.createElement("div");
  line.className = "bar-line";
  const label = document.createElement("span");
  label.className = "bar-label";
  label.textContent = nameOf("flows", flow);
  line.appendChild(label);
  const track = document.createElement("span");
  track.className = "bar-track";
  for (const [key, className] of SERIES) {
    const part = document.createElement("span");
    part.className = "bar " + className;
    part.style.width = widest ? (100 * (figures[key] || 0)) / widest + "%" : "0";
    part.title = key + ": " + (figures[key] || 0);
    track.appendChild(part);
  }
  line.appendChild(track);
  const total = document.createElement("span");
  total.className = "bar-total";
  total.textContent = figures.started || 0;
  line.appendChild(total);
  return line;
}

function stopsOf(figures) {
  return Object.entries(figures.abandoned_at || {})
    .sort((a, b) => b[1] - a[1])
    .map(([step, count]) => step + " (" + count + ")")
    .join(", ");
}

async function loadStats(event) {
  if (event) event.preventDefault();
  const since = new FormData($("#stats-form")).get("since");
  const query = since ? "?since=" + encodeURIComponent(since) : "";
  const data = await api("GET", "/admin/stats" + query);
  const flows = Object.entries(data.flows || {});
  const widest = Math.max(1, ...flows.map(([, f]) => (f.resolved || 0) + (f.handed_over || 0) + (f.abandoned || 0)));
  $("#stats-chart").replaceChildren(...flows.map(([flow, figures]) => bar(flow, figures, widest)));
  $("#stats tbody").replaceChildren(...flows.map(([flow, figures]) => {
    const row = document.createElement("tr");
    cell(row, nameOf("flows", flow));
    for (const key of ["started", "resolved", "handed_over", "abandoned"]) cell(row, figures[key] || 0, "number");
    cell(row, stopsOf(figures));
    return row;
  }));
}

function guarded(load) {
  return (...args) => load(...args).catch((problem) => notify(problem.message, true));
}

document.addEventListener("DOMContentLoaded", () => {
  $("#request-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(loadRequests)(false);
  });
  $("#requests-more").addEventListener("click", () => guarded(loadRequests)(true));
  $("#outage-form").addEventListener("submit", startOutage);
  $("#stats-form").addEventListener("submit", guarded(loadStats));
  guarded(loadRequests)(false);
  guarded(loadOutages)();
  guarded(loadHandoffs)();
  guarded(loadStats)();
});
