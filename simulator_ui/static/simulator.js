// Simulador do Theo: a WhatsApp-like chat that talks to the real webhook.
// Every message is posted as a Z-API ReceivedCallback; Theo's replies are read back from
// the console sender through /simulator/api. No bot logic lives here.
"use strict";

(() => {
  const root = document.getElementById("simulator");
  const WEBHOOK_URL = root.dataset.webhookUrl;
  const API_BASE = root.dataset.apiBase;
  const PREFIX = root.dataset.phonePrefix;
  // Next to a real Z-API the API needs ADMIN_TOKEN: typed once, kept for this tab only.
  const TOKEN_REQUIRED = root.dataset.tokenRequired === "true";
  const TOKEN_KEY = "theo-simulador-token";
  const PHONE_PATTERN = new RegExp(`^${PREFIX}\\d{9}$`);
  const STORAGE_KEY = "theo-simulador-v1";
  const MAX_KEPT_ITEMS = 300;
  const FAKE_MEDIA = "https://simulador.invalid/";
  const REQUEST_KINDS = {
    visit: "Visita técnica",
    ticket: "Chamado de suporte",
    lead: "Contratação (lead)",
    coverage_interest: "Aviso de cobertura",
    cancellation: "Cancelamento",
    plan_change: "Alteração de plano",
    handoff: "Atendente humano",
  };
  const STATUS_LABELS = {
    sending: "enviando",
    sent: "entregue",
    read: "respondida",
    failed: "não enviada",
  };

  const $ = (id) => document.getElementById(id);
  const els = {
    messages: $("messages"),
    composer: $("composer"),
    message: $("message"),
    phoneForm: $("phone-form"),
    phone: $("phone"),
    phoneError: $("phone-error"),
    customerList: $("customer-list"),
    newCustomer: $("new-customer"),
    reset: $("reset"),
    subtitle: $("chat-subtitle"),
    audio: $("send-audio"),
    image: $("send-image"),
    dialog: $("options-dialog"),
    optionsList: $("options-list"),
    debugPhone: $("debug-phone"),
    debugState: $("debug-state"),
    debugProtocol: $("debug-protocol"),
    debugWebhook: $("debug-webhook"),
    debugData: $("debug-data"),
    debugRequests: $("debug-requests"),
    tokenDialog: $("token-dialog"),
    tokenForm: $("token-form"),
    tokenInput: $("token"),
    tokenError: $("token-error"),
  };

  const customers = new Map();
  const bubbleNodes = new WeakMap();
  let current = null;
  let queue = Promise.resolve();
  let pending = 0;
  let panelOpener = null;
  let tokenInMemory = "";
  let tokenWaiters = [];

  // ---- WhatsApp text formatting (escape first, then markers) ----
  const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const URL_PATTERN = /https?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g;

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
  }

  function applyMarker(html, marker, tag) {
    // WhatsApp only formats markers that hug the text and stand outside words.
    const m = marker.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    const pattern = new RegExp(
      `(^|[^\\p{L}\\p{N}${m}])${m}(?=\\S)([^\\n]*?\\S)${m}(?![\\p{L}\\p{N}${m}])`,
      "gu",
    );
    return html.replace(pattern, `$1<${tag}>$2</${tag}>`);
  }

  function formatInline(raw) {
    let html = escapeHtml(raw);
    html = html.replace(/```([^`]+?)```/g, "<code>$1</code>");
    html = applyMarker(html, "*", "strong");
    html = applyMarker(html, "_", "em");
    html = applyMarker(html, "~", "s");
    return html.replace(/\n/g, "<br>");
  }

  function formatWhatsApp(text) {
    const parts = [];
    let last = 0;
    for (const match of text.matchAll(URL_PATTERN)) {
      parts.push(formatInline(text.slice(last, match.index)));
      const url = escapeHtml(match[0]);
      parts.push(`<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`);
      last = match.index + match[0].length;
    }
    parts.push(formatInline(text.slice(last)));
    return parts.join("");
  }

  // ---- Small helpers ----
  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function icon(path) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const shape = document.createElementNS("http://www.w3.org/2000/svg", "path");
    shape.setAttribute("d", path);
    svg.append(shape);
    return svg;
  }

  const ICONS = {
    list: "M3 6h2v2H3zm4 0h14v2H7zM3 11h2v2H3zm4 0h14v2H7zm-4 5h2v2H3zm4 0h14v2H7z",
    document: "M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zm-1 7V3.5L18.5 9z",
    mic: "M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-3.1a7 7 0 0 0 6-6.9z",
    image: "M21 19V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2zM8.5 13.5l2.5 3 3.5-4.5 4.5 6H5z",
    ticks: "M18 7l-1.4-1.4-6.3 6.3 1.4 1.4zm4.2-1.4L11.7 16.2 7.5 12l-1.4 1.4 5.6 5.6 12-12zM.4 13.4 6 19l1.4-1.4L1.8 12z",
    tick: "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z",
  };

  function formatPhone(phone) {
    return `+${phone.slice(0, 2)} ${phone.slice(2, 4)} ${phone.slice(4, 9)}-${phone.slice(9)}`;
  }

  function clock(iso) {
    const moment = iso ? new Date(iso) : new Date();
    return moment.toLocaleTimeString("pt-BR", { hour: "2-digit", minute: "2-digit" });
  }

  function newMessageId() {
    const random = window.crypto && crypto.randomUUID
      ? crypto.randomUUID().replace(/-/g, "")
      : Math.random().toString(16).slice(2) + Date.now().toString(16);
    return `SIM${random.toUpperCase()}`;
  }

  // ---- Admin token ----
  function storedToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || tokenInMemory;
    } catch {
      return tokenInMemory;
    }
  }

  function keepToken(token) {
    tokenInMemory = token;
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // Storage refused (private window): the token lives until the page is closed.
    }
  }

  // Resolves once a token was typed; rejects if the dialog is dismissed.
  function askToken(problem) {
    return new Promise((resolve, reject) => {
      tokenWaiters.push({ resolve, reject });
      els.tokenError.textContent = problem || "";
      els.tokenError.hidden = !problem;
      if (problem) els.tokenInput.setAttribute("aria-invalid", "true");
      if (!els.tokenDialog.open) els.tokenDialog.showModal();
      els.tokenInput.focus();
    });
  }

  function settleTokenWaiters(settle) {
    const waiters = tokenWaiters;
    tokenWaiters = [];
    for (const waiter of waiters) settle(waiter);
  }

  function onTokenSubmit(event) {
    event.preventDefault();
    const token = els.tokenInput.value.trim();
    if (!token) {
      els.tokenError.textContent = "Digite o token.";
      els.tokenError.hidden = false;
      els.tokenInput.setAttribute("aria-invalid", "true");
      els.tokenInput.focus();
      return;
    }
    keepToken(token);
    els.tokenInput.value = "";
    els.tokenInput.removeAttribute("aria-invalid");
    els.tokenDialog.close();
    settleTokenWaiters((waiter) => waiter.resolve());
  }

  function onTokenCancel() {
    settleTokenWaiters((waiter) =>
      waiter.reject(new Error("sem o token de administrador o simulador não funciona neste servidor")),
    );
  }

  // fetch with the token when one is needed; a refused token is asked for again.
  async function authorizedFetch(url, options = {}) {
    if (TOKEN_REQUIRED && !storedToken()) await askToken();
    for (;;) {
      const token = storedToken();
      const headers = { ...options.headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) };
      const response = await fetch(url, { ...options, headers });
      if (response.status !== 401 || !TOKEN_REQUIRED) return response;
      keepToken("");
      await askToken("Token recusado. Confira o ADMIN_TOKEN e tente de novo.");
    }
  }

  async function getJson(url, options = {}) {
    const response = await authorizedFetch(url, {
      ...options,
      headers: { Accept: "application/json", ...options.headers },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(body.detail || `HTTP ${response.status}`);
    }
    return body;
  }

  // ---- Customers and storage ----
  function makeCustomer(phone) {
    return { phone, transcript: [], lastReplyId: null, protocol: null };
  }

  function customer(phone) {
    if (!customers.has(phone)) customers.set(phone, makeCustomer(phone));
    return customers.get(phone);
  }

  function randomPhone() {
    for (;;) {
      const digits = String(Math.floor(Math.random() * 1e8)).padStart(8, "0");
      const phone = `${PREFIX}9${digits}`;
      if (!customers.has(phone)) return phone;
    }
  }

  // Next to Z-API the transcript shows real customers' data: it is kept for this tab only.
  function transcriptStorage() {
    return TOKEN_REQUIRED ? sessionStorage : localStorage;
  }

  function save() {
    const kept = [...customers.values()].map((c) => ({
      ...c,
      transcript: c.transcript.slice(-MAX_KEPT_ITEMS),
    }));
    try {
      transcriptStorage().setItem(STORAGE_KEY, JSON.stringify({ current: current?.phone, customers: kept }));
    } catch {
      // Private windows may refuse storage: the simulator still works, it just forgets.
    }
  }

  function restore() {
    let stored = null;
    try {
      stored = JSON.parse(transcriptStorage().getItem(STORAGE_KEY) || "null");
    } catch {
      stored = null;
    }
    for (const saved of stored?.customers || []) {
      if (PHONE_PATTERN.test(saved.phone)) customers.set(saved.phone, { ...makeCustomer(saved.phone), ...saved });
    }
    return stored?.current && customers.has(stored.current) ? stored.current : null;
  }

  // ---- Rendering the chat ----
  function renderNotice() {
    const notice = element("p", "notice");
    notice.textContent =
      "As mensagens vão para o webhook do Theo neste computador, no formato da Z-API. " +
      "Nada é enviado ao WhatsApp de verdade.";
    return notice;
  }

  function renderTranscript() {
    els.messages.replaceChildren(renderNotice());
    let previous = null;
    for (const item of current.transcript) {
      els.messages.append(renderItem(item, previous));
      previous = item;
    }
    if (!current.transcript.length) {
      els.messages.append(element("p", "note", "Diga um “oi” para começar o atendimento."));
    }
    scrollToEnd();
  }

  function renderItem(item, previous) {
    if (item.who === "note") return element("p", "note", item.text);
    const sameSide = previous && previous.who === item.who;
    const bubble = element("div", `bubble bubble-${item.who}${sameSide ? " continued" : ""}`);
    bubble.append(item.who === "theo" ? theoContent(item.entry) : customerContent(item));
    bubble.append(meta(item));
    bubbleNodes.set(item, bubble);
    if (item.who === "theo" && item.entry.options?.length) {
      const wrapper = element("div", "bubble-group bubble-group-theo");
      wrapper.append(bubble, optionsNode(item.entry));
      return wrapper;
    }
    return bubble;
  }

  function theoContent(entry) {
    const fragment = document.createDocumentFragment();
    const text = element("div", "bubble-text");
    text.innerHTML = formatWhatsApp(entry.text || "");
    fragment.append(text);
    if (entry.document_url) {
      const link = element("a", "attachment");
      link.href = entry.document_url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.append(icon(ICONS.document), element("span", "", "Boleto em PDF"));
      fragment.append(link);
    }
    return fragment;
  }

  function customerContent(item) {
    const text = element("div", "bubble-text");
    if (item.kind === "audio" || item.kind === "image") {
      text.classList.add("media");
      text.append(icon(item.kind === "audio" ? ICONS.mic : ICONS.image), element("span", "", item.text));
    } else {
      text.innerHTML = formatWhatsApp(item.text);
    }
    return text;
  }

  function meta(item) {
    const line = element("span", "meta");
    const time = element("time", "", clock(item.at));
    time.dateTime = item.at;
    line.append(time);
    if (item.who === "customer") line.append(statusNode(item.status));
    return line;
  }

  function statusNode(status) {
    const node = element("span", `status status-${status}`);
    node.append(icon(status === "sending" || status === "failed" ? ICONS.tick : ICONS.ticks));
    node.append(element("span", "visually-hidden", STATUS_LABELS[status] || status));
    node.dataset.status = status;
    return node;
  }

  function setStatus(item, status) {
    item.status = status;
    const bubble = bubbleNodes.get(item);
    const old = bubble?.querySelector(".status");
    if (old) old.replaceWith(statusNode(status));
    if (bubble) bubble.dataset.status = status;
  }

  function optionsNode(entry) {
    if (entry.style === "buttons") {
      const row = element("div", "reply-buttons");
      for (const option of entry.options) {
        const button = element("button", "reply-button", option.title);
        button.type = "button";
        button.addEventListener("click", () => tapOption(entry, option));
        row.append(button);
      }
      return row;
    }
    const button = element("button", "list-button");
    button.type = "button";
    button.append(icon(ICONS.list), element("span", "", "Ver opções"));
    button.addEventListener("click", () => openOptions(entry, button));
    return button;
  }

  function addItem(c, item) {
    const previous = c.transcript[c.transcript.length - 1] || null;
    c.transcript.push(item);
    if (c === current) {
      if (!previous) els.messages.querySelector(".note:last-child")?.remove();
      els.messages.append(renderItem(item, previous));
      scrollToEnd();
    }
    renderCustomers();
    save();
    return item;
  }

  function addNote(c, text) {
    return addItem(c, { who: "note", text });
  }

  function scrollToEnd() {
    els.messages.scrollTop = els.messages.scrollHeight;
  }

  // ---- Customer list ----
  function preview(c) {
    const last = [...c.transcript].reverse().find((item) => item.who !== "note");
    if (!last) return "Sem mensagens";
    const text = last.who === "theo" ? last.entry.text : last.text;
    return (last.who === "customer" ? "Você: " : "") + text.replace(/[*_~]/g, "").split("\n")[0];
  }

  function renderCustomers() {
    const items = [...customers.values()].map((c) => {
      const li = element("li");
      const button = element("button", "customer");
      button.type = "button";
      if (c === current) button.setAttribute("aria-current", "true");
      const avatar = element("span", "avatar", c.phone.slice(-2));
      avatar.setAttribute("aria-hidden", "true");
      const label = element("span", "customer-label");
      label.append(element("span", "customer-phone", formatPhone(c.phone)), element("span", "customer-preview", preview(c)));
      button.append(avatar, label);
      button.addEventListener("click", () => {
        openCustomer(c.phone);
        closePanel();
      });
      li.append(button);
      return li;
    });
    els.customerList.replaceChildren(...items);
  }

  function openCustomer(phone) {
    current = customer(phone);
    els.phone.value = phone;
    els.phoneError.hidden = true;
    els.phone.removeAttribute("aria-invalid");
    renderCustomers();
    renderTranscript();
    renderDebug({ state: null, protocol: current.protocol, data: {}, requests: [] });
    save();
    const c = current;
    schedule(async () => {
      await syncReplies(c);
      await refreshDebug(c);
    });
  }

  // ---- Talking to Theo ----
  function schedule(task) {
    pending += 1;
    updateBusy();
    queue = queue
      .then(task)
      .catch((error) => addNote(current, `Erro no simulador: ${error.message}`))
      .finally(() => {
        pending -= 1;
        updateBusy();
      });
    return queue;
  }

  function updateBusy() {
    const busy = pending > 0;
    els.messages.dataset.busy = String(busy);
    els.messages.setAttribute("aria-busy", String(busy));
    els.subtitle.textContent = busy ? "digitando…" : "online";
  }

  function payload(phone, content) {
    const now = Date.now();
    // No instanceId: the webhook checks it only when present, and this is no Z-API instance.
    return {
      isStatusReply: false,
      isEdit: false,
      isGroup: false,
      isNewsletter: false,
      waitingMessage: false,
      messageId: newMessageId(),
      phone,
      fromMe: false,
      momment: now,
      status: "RECEIVED",
      chatName: "Cliente simulado",
      senderName: "Cliente simulado",
      senderPhoto: null,
      photo: null,
      participantPhone: null,
      broadcast: false,
      type: "ReceivedCallback",
      ...content,
    };
  }

  async function postWebhook(phone, content) {
    const started = performance.now();
    const response = await authorizedFetch(WEBHOOK_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload(phone, content)),
    });
    const body = await response.json().catch(() => ({}));
    const elapsed = Math.round(performance.now() - started);
    return { ok: response.ok, code: response.status, body, elapsed };
  }

  async function syncReplies(c) {
    const query = c.lastReplyId ? `?after=${encodeURIComponent(c.lastReplyId)}` : "";
    const data = await getJson(`${API_BASE}/phones/${c.phone}/history${query}`);
    if (!data.after_found) {
      // The server no longer knows this chat (restarted, or reset elsewhere): start clean.
      c.transcript = [];
      c.lastReplyId = null;
      c.protocol = null;
      if (c === current) renderTranscript();
      addNote(c, "O Theo foi reiniciado: a conversa anterior não existe mais no servidor.");
    }
    for (const entry of data.replies) {
      addItem(c, { who: "theo", entry, at: entry.at });
      c.lastReplyId = entry.id;
    }
    save();
    return data.replies.length;
  }

  // Theo answers the webhook first and sends afterwards: poll until its replies stop arriving.
  async function awaitReplies(c, status) {
    if (status !== "queued") return syncReplies(c);
    const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    let total = 0;
    let quietSince = null;
    const started = performance.now();
    while (performance.now() - started < 15000) {
      const got = await syncReplies(c);
      total += got;
      if (got > 0) quietSince = performance.now();
      else if (total > 0 && performance.now() - quietSince >= 600) break;
      await pause(150);
    }
    return total;
  }

  async function deliver(c, shown, content) {
    const item = addItem(c, { who: "customer", ...shown, at: new Date().toISOString(), status: "sending" });
    let result;
    try {
      result = await postWebhook(c.phone, content);
    } catch (error) {
      setStatus(item, "failed");
      const unreachable = error instanceof TypeError; // fetch's network failure
      addNote(c, unreachable ? "Não consegui falar com o Theo. Ele está rodando? (make run)" : `Erro no simulador: ${error.message}`);
      return;
    }
    showWebhook(result);
    if (!result.ok) {
      setStatus(item, "failed");
      addNote(c, `O webhook recusou a mensagem: HTTP ${result.code} ${result.body.detail || ""}`.trim());
      return;
    }
    setStatus(item, "sent");
    if ((await awaitReplies(c, result.body.status)) > 0) setStatus(item, "read");
    explainStatus(c, result.body.status);
    await refreshDebug(c);
  }

  function explainStatus(c, status) {
    if (status === "silent") {
      addNote(c, "O Theo ficou em silêncio: a conversa está com um atendente humano. Digite “menu” para voltar ao Theo.");
    } else if (status === "send_failed") {
      addNote(c, "O Theo respondeu, mas o envio falhou (veja o terminal).");
    } else if (status === "rate_limited") {
      addNote(c, "Limite de mensagens por minuto atingido: o Theo ignorou esta mensagem.");
    } else if (status === "ignored") {
      addNote(c, "O webhook ignorou esta mensagem.");
    }
  }

  function send(shown, content) {
    const c = current;
    schedule(() => deliver(c, shown, content));
  }

  function tapOption(entry, option) {
    const content =
      entry.style === "buttons"
        ? { buttonsResponseMessage: { buttonId: option.id, message: option.title } }
        : {
            listResponseMessage: {
              message: (entry.text || "").split("\n")[0],
              title: option.title,
              selectedRowId: option.id,
            },
          };
    send({ kind: "choice", text: option.title }, content);
    els.message.focus();
  }

  function openOptions(entry, opener) {
    const items = entry.options.map((option) => {
      const li = element("li");
      const button = element("button", "option");
      button.type = "button";
      button.append(element("span", "option-title", option.title));
      if (option.description) button.append(element("span", "option-description", option.description));
      button.addEventListener("click", () => {
        els.dialog.close();
        tapOption(entry, option);
      });
      li.append(button);
      return li;
    });
    els.optionsList.replaceChildren(...items);
    els.dialog.returnFocusTo = opener;
    els.dialog.showModal();
    els.optionsList.querySelector("button")?.focus();
  }

  function resetConversation() {
    const c = current;
    schedule(async () => {
      await getJson(`${API_BASE}/phones/${c.phone}/reset`, { method: "POST" });
      c.transcript = [];
      c.lastReplyId = null;
      c.protocol = null;
      if (c === current) renderTranscript();
      addNote(c, "Conversa reiniciada. Mande uma mensagem para começar um novo atendimento.");
      await refreshDebug(c);
    });
  }

  // ---- Debug panel ----
  function showWebhook(result) {
    const status = result.body.status || result.body.error || "?";
    els.debugWebhook.textContent = `${status} · HTTP ${result.code} · ${result.elapsed} ms`;
  }

  async function refreshDebug(c) {
    const query = c.protocol ? `?protocol=${encodeURIComponent(c.protocol)}` : "";
    const data = await getJson(`${API_BASE}/phones/${c.phone}/session${query}`);
    c.protocol = data.protocol || c.protocol;
    save();
    if (c === current) renderDebug(data);
  }

  function renderDebug(data) {
    els.debugPhone.textContent = formatPhone(current.phone);
    els.debugState.textContent = data.state || "sem conversa";
    els.debugProtocol.textContent = data.protocol || "—";
    els.debugData.textContent = JSON.stringify(data.data || {}, null, 2);
    const items = (data.requests || []).map((recorded) => {
      const li = element("li", "request");
      const title = element("strong", "", REQUEST_KINDS[recorded.kind] || recorded.kind);
      const when = element("span", "request-meta", `${recorded.protocol} · ${clock(recorded.created_at)}`);
      const details = element("pre", "", JSON.stringify(recorded.details, null, 2));
      li.append(title, when, details);
      return li;
    });
    if (!items.length) items.push(element("li", "empty", "Nenhuma solicitação neste protocolo."));
    els.debugRequests.replaceChildren(...items);
  }

  // ---- Narrow screens: the customer list and the debug panel open over the chat ----
  function openPanel(id, opener) {
    root.dataset.panel = id;
    panelOpener = opener;
    for (const button of document.querySelectorAll("[data-open-panel]")) {
      button.setAttribute("aria-expanded", String(button.dataset.openPanel === id));
    }
    $(id).querySelector("[data-close-panel]")?.focus();
  }

  function closePanel() {
    if (!root.dataset.panel) return;
    delete root.dataset.panel;
    for (const button of document.querySelectorAll("[data-open-panel]")) {
      button.setAttribute("aria-expanded", "false");
    }
    panelOpener?.focus();
    panelOpener = null;
  }

  // ---- Wiring ----
  function onPhoneSubmit(event) {
    event.preventDefault();
    const phone = els.phone.value.replace(/\D/g, "");
    if (!PHONE_PATTERN.test(phone)) {
      els.phoneError.textContent = `Use ${PREFIX} seguido de 9 dígitos: esse prefixo é reservado ao simulador.`;
      els.phoneError.hidden = false;
      els.phone.setAttribute("aria-invalid", "true");
      els.phone.focus();
      return;
    }
    openCustomer(phone);
    closePanel();
    els.message.focus();
  }

  function onCompose(event) {
    event.preventDefault();
    const text = els.message.value.trim();
    if (!text) return;
    els.message.value = "";
    send({ kind: "text", text }, { text: { message: text } });
  }

  function wire() {
    if (TOKEN_REQUIRED) {
      els.tokenForm.addEventListener("submit", onTokenSubmit);
      els.tokenDialog.addEventListener("cancel", onTokenCancel);
    }
    els.composer.addEventListener("submit", onCompose);
    els.phoneForm.addEventListener("submit", onPhoneSubmit);
    els.newCustomer.addEventListener("click", () => {
      openCustomer(randomPhone());
      closePanel();
      els.message.focus();
    });
    els.reset.addEventListener("click", resetConversation);
    els.audio.addEventListener("click", () =>
      send(
        { kind: "audio", text: "Mensagem de voz · 0:04" },
        { audio: { ptt: true, seconds: 4, audioUrl: `${FAKE_MEDIA}audio.ogg`, mimeType: "audio/ogg; codecs=opus" } },
      ),
    );
    els.image.addEventListener("click", () =>
      send(
        { kind: "image", text: "Foto" },
        { image: { imageUrl: `${FAKE_MEDIA}foto.jpg`, caption: "", mimeType: "image/jpeg" } },
      ),
    );
    els.dialog.addEventListener("close", () => {
      if (els.dialog.returnValue === "cancel") els.dialog.returnFocusTo?.focus();
      els.dialog.returnValue = "";
    });
    for (const button of document.querySelectorAll("[data-open-panel]")) {
      button.addEventListener("click", () => openPanel(button.dataset.openPanel, button));
    }
    for (const button of document.querySelectorAll("[data-close-panel]")) {
      button.addEventListener("click", closePanel);
    }
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && root.dataset.panel) closePanel();
    });
  }

  wire();
  const start = restore();
  openCustomer(start || randomPhone());
  els.message.focus();
})();
