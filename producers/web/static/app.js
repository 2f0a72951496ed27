// Cognitest UI: commands go through the JSON API (with the session's CSRF token), errors are shown
// next to the form that caused them, and regions marked data-refresh-on follow the event stream.
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

function fieldValue(field) {
  if (field.type === "checkbox") return field.checked;
  if (field.dataset.json !== undefined) {
    try { return field.value.trim() ? JSON.parse(field.value) : null; }
    catch (e) { throw new Error(`${field.labels?.[0]?.textContent || field.name}: not valid JSON (${e.message})`); }
  }
  if (field.dataset.list !== undefined) return field.value.split(",").map(v => v.trim()).filter(Boolean);
  if (field.type === "number") return field.value === "" ? null : Number(field.value);
  return field.value === "" ? null : field.value;
}

function setPath(target, path, value) {
  const keys = path.split(".");
  let at = target;
  for (const key of keys.slice(0, -1)) at = at[key] ??= {};
  at[keys[keys.length - 1]] = value;
}

function bodyOf(form) {
  const body = form.dataset.body ? JSON.parse(form.dataset.body) : {};
  for (const field of form.querySelectorAll("input[name], select[name], textarea[name]")) {
    if (field.type === "file" || field.name === "csrf_token") continue;
    const value = fieldValue(field);
    if (value !== null && !(Array.isArray(value) && !value.length && field.dataset.keepEmpty === undefined)) setPath(body, field.name, value);
  }
  return body;
}

function say(form, message, ok = false) {
  let box = form.querySelector("[role=alert]");
  if (!box) { box = document.createElement("p"); box.setAttribute("role", "alert"); form.append(box); }
  box.className = ok ? "notice" : "error";
  box.textContent = message;
}

async function send(form) {
  const method = (form.dataset.method || "POST").toUpperCase();
  const url = new URL(form.dataset.api, location.origin);
  if (form.dataset.wait !== "false") url.searchParams.set("wait", "true");
  // one key per change: a retry after an unknown outcome (503, a lost connection) reuses it and is
  // deduplicated; after an answer (success or a refusal to correct) the next submission gets a new one
  // (crypto.randomUUID needs a secure context; getRandomValues works on plain http too)
  form.dataset.idempotencyKey ||= "ui-" + [...crypto.getRandomValues(new Uint8Array(16))].map(b => b.toString(16).padStart(2, "0")).join("");
  const init = { method, headers: { "X-CSRF-Token": csrf(), "Idempotency-Key": form.dataset.idempotencyKey },
                 credentials: "same-origin" };
  if (form.dataset.upload !== undefined) {
    init.body = new FormData(form);
  } else if (method !== "DELETE" || form.dataset.body) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(bodyOf(form));
  }
  const response = await fetch(url, init);
  if (response.status !== 503) delete form.dataset.idempotencyKey;
  const text = await response.text();
  let answer = {};
  try { answer = text ? JSON.parse(text) : {}; } catch { answer = { message: text }; }
  if (!response.ok) {
    const where = (answer.details || []).map(d => `${(d.loc || []).filter(p => p !== "body").join(".")}: ${d.msg}`);
    throw new Error(where.length ? `${answer.message} (${where.join("; ")})` : answer.message || `HTTP ${response.status}`);
  }
  return answer;
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.dataset.api) return;
  event.preventDefault();
  if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
  const button = form.querySelector("button[type=submit], button:not([type])");
  if (button) button.disabled = true;
  try {
    const answer = await send(form);
    if (form.dataset.show) { say(form, form.dataset.show.replace(/\{(\w+)\}/g, (_, k) => answer[k] ?? ""), true); return; }
    const next = form.dataset.then;
    if (next) location.assign(next.replace(/\{(\w+)\}/g, (_, k) => answer[k] ?? answer.resource_id ?? ""));
    else location.reload();
  } catch (error) {
    say(form, error.message);
  } finally {
    if (button) button.disabled = false;
  }
});

// drag and drop onto an upload form's drop zone
for (const zone of document.querySelectorAll(".drop")) {
  const input = zone.querySelector("input[type=file]");
  zone.addEventListener("dragover", e => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", e => {
    e.preventDefault(); zone.classList.remove("over");
    input.files = e.dataTransfer.files;
    zone.querySelector(".chosen").textContent = [...input.files].map(f => f.name).join(", ");
  });
  input.addEventListener("change", () => { zone.querySelector(".chosen").textContent = [...input.files].map(f => f.name).join(", "); });
}

// live regions: refetch this page and swap the region when a matching event arrives
const project = document.body.dataset.project;
const regions = [...document.querySelectorAll("[data-refresh-on]")];
const feed = document.querySelector("[data-live-feed]");
if (project && (regions.length || feed)) {
  // applied=true: each event arrives once the read models show it, so one refetch per burst is enough
  const source = new EventSource(`/api/v1/events/stream?project=${project}&named=false&applied=true`);
  let pending = null, settle = null;
  const matches = (pattern, type) => pattern.split(/\s+/).some(p => p === type || (p.endsWith("*") && type.startsWith(p.slice(0, -1))));
  const refresh = async () => {
    pending = null;
    const html = await (await fetch(location.href, { credentials: "same-origin" })).text();
    const fresh = new DOMParser().parseFromString(html, "text/html");
    for (const region of regions) {
      const replacement = fresh.getElementById(region.id);
      if (!replacement) continue;
      // what the person has open, and is typing into, survives the refresh
      const open = new Set([...region.querySelectorAll("details[open][id]")].map(d => d.id));
      const focused = document.activeElement && region.contains(document.activeElement) ? document.activeElement.id : null;
      const typed = new Map([...region.querySelectorAll("input[id], textarea[id], select[id]")]
        .filter(f => f.value !== f.defaultValue).map(f => [f.id, f.value]));
      region.innerHTML = replacement.innerHTML;
      for (const id of open) { const d = document.getElementById(id); if (d) d.open = true; }
      for (const [id, value] of typed) { const f = document.getElementById(id); if (f) f.value = value; }
      if (focused) document.getElementById(focused)?.focus();
    }
  };
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (feed) {
      const item = document.createElement("li");
      item.textContent = `${event.time.slice(11, 19)}  ${event.type}  ${event.actor}`;
      feed.prepend(item);
      while (feed.children.length > 50) feed.lastChild.remove();
    }
    if (!regions.some(r => matches(r.dataset.refreshOn, event.type))) return;
    if (!pending) pending = setTimeout(refresh, 200);
    // the last event of a burst may come in while a refetch is on its way: one more after it
    clearTimeout(settle);
    settle = setTimeout(refresh, 1000);
  };
  // what happened between rendering this page and the stream's subscription (or while it
  // reconnected) is only seen by refetching once the stream is open
  source.onopen = () => { if (regions.length && !pending) pending = setTimeout(refresh, 0); };
  window.cognitestStream = source;
}

// keyboard shortcuts: "?" lists them, "g" then a letter opens a page of the project, "/" goes to the
// page's search box; never while typing into a field
const GO = [["d", "", "Dashboard"], ["q", "/requirements", "Requirements"], ["p", "/plans", "Plans"],
            ["c", "/cases", "Test cases"], ["r", "/runs", "Runs"], ["i", "/issues", "Issues"],
            ["a", "/automations", "Automations"], ["e", "/events", "Event log"], ["m", "/members", "Members"],
            ["s", "/settings", "Settings"]];
let help = null, leader = 0;
function shortcuts() {
  if (!help) {
    help = document.createElement("dialog");
    help.className = "shortcuts";
    help.setAttribute("aria-labelledby", "shortcuts-title");
    const title = Object.assign(document.createElement("h2"), { id: "shortcuts-title", textContent: "Keyboard shortcuts" });
    const list = document.createElement("dl");
    const rows = [["?", "this list"], ["/", "search on this page"], ["Esc", "close"]];
    if (project) rows.push(...GO.map(([key, , label]) => [`g ${key}`, label]));
    for (const [keys, what] of rows) {
      list.append(Object.assign(document.createElement("dt"), { textContent: keys }),
                  Object.assign(document.createElement("dd"), { textContent: what }));
    }
    const close = Object.assign(document.createElement("button"), { type: "button", textContent: "Close" });
    close.addEventListener("click", () => help.close());
    help.append(title, list, close);
    document.body.append(help);
  }
  help.open ? help.close() : help.showModal();
}
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey || target.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return;
  if (event.key === "?") { event.preventDefault(); shortcuts(); return; }
  if (event.key === "/") {
    const search = document.querySelector("input[type=search], input[name=q]");
    if (search) { event.preventDefault(); search.focus(); }
    return;
  }
  if (event.key === "g" && project) { leader = Date.now(); return; }
  if (leader && Date.now() - leader < 1500) {
    leader = 0;
    const found = GO.find(([key]) => key === event.key);
    if (found) location.assign(`/ui/projects/${project}${found[1]}`);
  }
});
