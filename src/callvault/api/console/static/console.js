// callvault console, every page: local times, copy buttons, the account switcher, confirmed forms.
"use strict";

const callvault = {
  csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
  // POST with the session cookie and the CSRF header; resolves to the parsed JSON (or throws).
  async post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": callvault.csrfToken() },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.description || `HTTP ${response.status}`);
    return data;
  },
  localTime(iso) {
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) return iso;
    return when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  },
  // Whole seconds, halves up: the same as the server's clock() in views.py, so a page's times agree.
  clock(seconds) {
    const total = Math.max(0, Math.round(seconds));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? `${h}:` : "") + `${mm}:${String(s).padStart(2, "0")}`;
  },
  localizeTimes(root) {
    for (const el of (root || document).querySelectorAll("time[data-local]")) {
      el.textContent = callvault.localTime(el.getAttribute("datetime"));
      el.title = el.getAttribute("datetime");
    }
  },
};

document.addEventListener("DOMContentLoaded", () => {
  callvault.localizeTimes(document);

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    event.preventDefault();
    const text = button.getAttribute("data-copy");
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = Object.assign(document.createElement("textarea"), { value: text });
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    const status = document.getElementById("copy-status");
    if (status) status.textContent = `Copied ${text}`;
  });

  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }

  // A form with data-confirm opens its <dialog> first; the dialog's confirm button submits the form.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    const dialog = document.getElementById(form.dataset.confirm);
    form.addEventListener("submit", (event) => {
      if (form.dataset.confirmed === "yes" || !dialog) return;
      event.preventDefault();
      dialog.showModal();
    });
    dialog?.querySelector("[data-confirm-yes]")?.addEventListener("click", () => {
      form.dataset.confirmed = "yes";
      dialog.close();
      form.requestSubmit();
    });
    dialog?.querySelector("[data-confirm-no]")?.addEventListener("click", () => dialog.close());
  }
});
