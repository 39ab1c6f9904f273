// Parley's comment counts for an article list: every element with data-parley-count (the
// story's id or canonical URL, as its embed says) gets "N comments", from one request.
// Reads only; sends no cookie and no token.
(() => {
  "use strict";
  const me = document.currentScript || document.querySelector('script[src*="/count.js"]');
  const BASE = new URL(me.src, location.href).origin;
  const els = [...document.querySelectorAll("[data-parley-count]")];
  const keys = [...new Set(els.map((e) => e.dataset.parleyCount).filter(Boolean))];
  if (!keys.length) return;
  const q = new URLSearchParams();
  keys.slice(0, 200).forEach((k) => q.append("story", k));
  fetch(BASE + "/api/v1/embed/counts?" + q, { credentials: "omit", mode: "cors" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status))))
    .then((data) => {
      els.forEach((e) => {
        const n = data.counts[e.dataset.parleyCount];
        if (n !== undefined) e.textContent = n + (n === 1 ? " comment" : " comments");
      });
    })
    .catch(() => { /* the list stays as the page wrote it */ });
})();
