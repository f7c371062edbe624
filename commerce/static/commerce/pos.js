// The POS page: find products by SKU or name and add them, choose the customer with the customer selector,
// see the promotions per line and on the total (priced by the server at every change), take the payment and
// complete the sale. Each sale carries an idempotency key, kept until the sale is done, so pressing the
// button twice or retrying after a lost answer never sells twice.
// Keyboard: F2 product search, F4 customer search, F9 complete the sale; arrows and Enter in the results.
(function () {
  "use strict";

  const root = document.getElementById("pos");
  if (!root) return;
  const $ = (selector) => root.querySelector(selector);
  const urls = { products: root.dataset.productsApi, price: root.dataset.priceApi, sales: root.dataset.salesApi };

  const state = { lines: [], customer: null, key: newKey(), results: [], active: -1, priceToken: 0, busy: false };

  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  async function call(method, url, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      Object.assign(options.headers, { "Content-Type": "application/json", "X-CSRFToken": csrfToken() });
      options.body = JSON.stringify(body);
    }
    try {
      const response = await fetch(url, options);
      let data = null;
      try { data = await response.json(); } catch (error) { data = null; }
      return { status: response.status, body: data };
    } catch (error) {
      return { status: 0, body: null };
    }
  }

  function messages(body, fallback) {
    const errors = (body && body.errors) || [];
    return errors.length ? errors.map((e) => e.detail).join(" ") : fallback;
  }

  function say(text, kind) {
    const status = $("#pos-status");
    status.textContent = text || "";
    status.className = `mt-2 ${kind === "error" ? "text-danger" : ""}`;
  }

  // Products ------------------------------------------------------------------------------------------
  const search = $("#pos-product-search");
  const list = $("#pos-product-results");
  let searchToken = 0;

  function renderResults() {
    list.replaceChildren(...state.results.map((product, index) => {
      const item = document.createElement("li");
      item.id = `pos-product-option-${index}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", index === state.active ? "true" : "false");
      item.dataset.index = String(index);
      item.className = `list-group-item list-group-item-action${index === state.active ? " active" : ""}`;
      item.textContent = `${product.sku} · ${product.name} · ${product.unit_price} ${product.currency}`;
      return item;
    }));
    const open = state.results.length > 0;
    list.hidden = !open;
    search.setAttribute("aria-expanded", open ? "true" : "false");
    if (open && state.active >= 0) search.setAttribute("aria-activedescendant", `pos-product-option-${state.active}`);
    else search.removeAttribute("aria-activedescendant");
  }

  async function findProducts() {
    const query = search.value.trim();
    const token = ++searchToken;
    if (!query) { state.results = []; state.resultsFor = ""; renderResults(); return; }
    const url = `${urls.products}?q=${encodeURIComponent(query)}&active=true&page_size=8&ordering=sku`;
    const { status, body } = await call("GET", url);
    if (token !== searchToken) return;
    state.results = status === 200 ? body.results : [];
    state.resultsFor = query;
    const exact = state.results.findIndex((p) => p.sku.toLowerCase() === query.toLowerCase());
    state.active = exact >= 0 ? exact : state.results.length ? 0 : -1;
    renderResults();
    $("#pos-product-count").textContent = state.results.length ? `${state.results.length} products found` : "No product found";
  }

  function addProduct(product) {
    const line = state.lines.find((l) => l.product.id === product.id);
    if (line) line.quantity += 1;
    else state.lines.push({ product, quantity: 1, priced: null });
    search.value = "";
    state.results = [];
    state.resultsFor = "";
    renderResults();
    $("#pos-product-count").textContent = "";
    say(`${product.name} added.`);
    renderLines();
    reprice();
    search.focus();
  }

  search.addEventListener("input", findProducts);
  search.addEventListener("keydown", async (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!state.results.length) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      state.active = (state.active + step + state.results.length) % state.results.length;
      renderResults();
    } else if (event.key === "Enter") {
      event.preventDefault();
      // A scanner types the SKU and Enter at once: answer for what is in the box, not an earlier part of it.
      if (search.value.trim() && state.resultsFor !== search.value.trim()) await findProducts();
      if (state.active >= 0 && state.results[state.active]) addProduct(state.results[state.active]);
    } else if (event.key === "Escape") {
      state.results = [];
      renderResults();
    }
  });
  search.addEventListener("blur", () => window.setTimeout(() => { state.results = []; renderResults(); }, 150));
  list.addEventListener("mousedown", (event) => event.preventDefault());
  list.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) addProduct(state.results[Number(option.dataset.index)]);
  });

  // Basket --------------------------------------------------------------------------------------------
  const body = $("#pos-lines tbody");

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  // Rows are made when lines are added or removed; a new price only fills their figures (renderPrices), so
  // a quantity being typed is never replaced under the cashier's fingers.
  function renderLines() {
    body.replaceChildren(...state.lines.map((line, index) => {
      const row = document.createElement("tr");
      row.dataset.sku = line.product.sku;
      const name = cell(`${line.product.sku} · ${line.product.name}`);
      const small = document.createElement("small");
      small.className = "d-block text-success pos-line-promotions";
      name.appendChild(small);
      const quantityCell = document.createElement("td");
      const quantity = document.createElement("input");
      Object.assign(quantity, { type: "number", min: "1", max: "100000", value: String(line.quantity), className: "form-control form-control-sm pos-quantity" });
      quantity.setAttribute("aria-label", `Quantity of ${line.product.name}`);
      quantity.addEventListener("change", () => {
        const value = Math.round(Number(quantity.value));
        line.quantity = Number.isFinite(value) && value >= 1 ? Math.min(value, 100000) : 1;
        quantity.value = String(line.quantity);
        reprice();
      });
      quantityCell.appendChild(quantity);
      const removeCell = document.createElement("td");
      const remove = document.createElement("button");
      Object.assign(remove, { type: "button", className: "btn btn-outline-danger btn-sm", textContent: "Remove" });
      remove.setAttribute("aria-label", `Remove ${line.product.name}`);
      remove.addEventListener("click", () => {
        state.lines.splice(index, 1);
        renderLines();
        reprice();
        search.focus();
      });
      removeCell.appendChild(remove);
      row.append(name, quantityCell, cell(line.product.unit_price, "text-end"), cell("", "text-end pos-line-amount"),
        cell("", "text-end pos-line-discount"), cell("", "text-end pos-line-net"), removeCell);
      return row;
    }));
    $("#pos-empty").hidden = state.lines.length > 0;
    renderPrices();
  }

  function renderPrices() {
    body.querySelectorAll("tr").forEach((row, index) => {
      const line = state.lines[index];
      const priced = line && line.priced;
      row.querySelector(".pos-line-amount").textContent = priced ? priced.amount : "";
      row.querySelector(".pos-line-discount").textContent = priced ? priced.discount : "";
      row.querySelector(".pos-line-net").textContent = priced ? priced.net : "";
      row.querySelector(".pos-line-promotions").textContent = priced
        ? priced.promotions.map((p) => `${p.name} −${p.amount}`).join(", ") : "";
    });
  }

  function renderTotals(priced) {
    const currency = priced && priced.currency ? ` ${priced.currency}` : "";
    $("#pos-subtotal").textContent = priced ? `${priced.subtotal}${currency}` : "0.00";
    $("#pos-discount").textContent = priced ? `${priced.discount}${currency}` : "0.00";
    $("#pos-total").textContent = priced ? `${priced.total}${currency}` : "0.00";
    const applied = $("#pos-promotions");
    applied.replaceChildren(...((priced && priced.promotions) || []).map((p) => {
      const item = document.createElement("li");
      item.textContent = `${p.name}: −${p.amount}${currency}`;
      return item;
    }));
    $("#pos-promotions-box").hidden = !(priced && priced.promotions.length);
    state.total = priced ? priced.total : "0.00";
    updateChange();
  }

  async function reprice() {
    const token = ++state.priceToken;
    const request = {
      customer: state.customer && !state.customer.anonymous ? state.customer.reference : "",
      lines: state.lines.map((l) => ({ product: l.product.id, quantity: l.quantity })),
    };
    const { status, body: priced } = await call("POST", urls.price, request);
    if (token !== state.priceToken) return; // a newer change is being priced
    if (status === 503) offerAnonymous();
    if (status !== 200) {
      say(messages(priced, "The basket could not be priced."), "error");
      return;
    }
    priced.lines.forEach((p, index) => { if (state.lines[index]) state.lines[index].priced = p; });
    renderPrices();
    renderTotals(priced);
  }

  // Customer and payment ------------------------------------------------------------------------------
  const selectorRoot = $("[data-customer-selector]");
  const anonymousBox = $("#pos-anonymous");
  function chooseCustomer(customer) {
    state.customer = customer;
    $("#pos-customer-name").textContent = customer ? customer.label : "none chosen";
    if (customer) anonymousBox.hidden = true;
    reprice();
  }
  selectorRoot.addEventListener("customer-selector:change", (event) => chooseCustomer(event.detail));
  // The customers (an external CRM) cannot be reached: say so and offer the anonymous customer, so selling goes on.
  function offerAnonymous() {
    anonymousBox.hidden = false;
  }
  selectorRoot.addEventListener("customer-selector:unavailable", () => {
    offerAnonymous();
    say("The customers cannot be reached now: you can sell to the anonymous customer.", "error");
  });
  $("#pos-use-anonymous").addEventListener("click", () => {
    chooseCustomer({ anonymous: true, reference: "", label: "Anonymous customer" });
    say("Selling to the anonymous customer.");
    complete.focus();
  });

  const tendered = $("#pos-tendered");
  function updateChange() {
    const cash = $("#pos-method-cash").checked;
    $("#pos-cash").hidden = !cash;
    const given = Number(tendered.value);
    const due = Number(state.total || 0);
    $("#pos-change").textContent = cash && tendered.value && given >= due ? (given - due).toFixed(2) : "—";
  }
  root.querySelectorAll("input[name=payment_method]").forEach((radio) => radio.addEventListener("change", updateChange));
  tendered.addEventListener("input", updateChange);

  const complete = $("#pos-complete");
  async function completeSale() {
    if (state.busy) return; // one request at a time; the key makes a repeat harmless anyway
    if (!state.lines.length) { say("Add at least one product.", "error"); search.focus(); return; }
    if (!state.customer) { say("Choose a customer first.", "error"); selectorRoot.customerSelector.focus(); return; }
    state.busy = true;
    complete.disabled = true;
    complete.setAttribute("aria-busy", "true");
    say("Completing the sale…");
    const method = root.querySelector("input[name=payment_method]:checked").value;
    const { status, body: result } = await call("POST", urls.sales, {
      idempotency_key: state.key,
      customer: state.customer.anonymous ? "" : state.customer.reference,
      anonymous: Boolean(state.customer.anonymous),
      lines: state.lines.map((l) => ({ product: l.product.id, quantity: l.quantity })),
      payment_method: method,
    });
    state.busy = false;
    complete.disabled = false;
    complete.removeAttribute("aria-busy");
    if (status === 200 || status === 201) {
      const done = $("#pos-done");
      $("#pos-done-text").textContent =
        `Sale completed: order ${result.number}, ${result.total} ${result.currency} paid by ${method}` +
        (result.crm_reference ? `, CRM reference ${result.crm_reference}.` : ".");
      $("#pos-done-order").href = result.url;
      done.hidden = false;
      $("#pos-sale").hidden = true;
      say("");
      $("#pos-new-sale").focus();
      return;
    }
    if (status === 503) offerAnonymous();
    // Nothing was sold: the same key may be sent again once the problem is put right.
    say(status === 0 ? "No answer from the server; press the button again to retry." : messages(result, "The sale could not be completed."), "error");
  }
  complete.addEventListener("click", completeSale);

  $("#pos-new-sale").addEventListener("click", () => {
    state.lines = [];
    state.key = newKey();
    tendered.value = "";
    selectorRoot.customerSelector.clear();
    anonymousBox.hidden = true;
    renderLines();
    renderTotals(null);
    $("#pos-done").hidden = true;
    $("#pos-sale").hidden = false;
    search.focus();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "F2") { event.preventDefault(); search.focus(); }
    else if (event.key === "F4") { event.preventDefault(); selectorRoot.customerSelector.focus(); }
    else if (event.key === "F9") { event.preventDefault(); if (!$("#pos-sale").hidden) completeSale(); }
  });

  renderLines();
  renderTotals(null);
  search.focus();
})();
