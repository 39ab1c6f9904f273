// Parley's embed: <div data-parley-story="optional id"></div><script src=".../embed.js" async>
// renders the story's thread in place, inside a shadow root, from the same server-rendered
// fragment a server-side include gets (/embed/fragment). Reading, posting, replying,
// editing one's own fresh comment, reporting, recommending and signing in all go through
// Parley's JSON with a token this script holds (memory and the host page's localStorage)
// and sends as X-Parley-Embed: never a cookie, which browsers block in a page elsewhere.
// widget/build.py puts the stylesheet in for __PARLEY_CSS__ and writes parley/web/static/embed.js.
(() => {
  "use strict";
  const me = document.currentScript || document.querySelector('script[src*="/embed.js"]');
  const BASE = new URL(me.src, location.href).origin;
  const KEY = "parley-token:" + BASE;
  const CSS = __PARLEY_CSS__;
  let token = null;
  try { token = localStorage.getItem(KEY); } catch (e) { /* storage off: memory only */ }
  let who = null; // {name, role} once signed in
  const widgets = [];

  const memory = {};
  const remember = (key, value) => {
    memory[key] = value;
    try { if (value) localStorage.setItem(key, value); else localStorage.removeItem(key); } catch (e) { /* memory only */ }
  };
  const recall = (key) => {
    try { return localStorage.getItem(key) || memory[key] || null; } catch (e) { return memory[key] || null; }
  };
  const keep = (t) => { token = t; remember(KEY, t); };

  // One request to Parley: JSON out and in, the token as a header, never credentials.
  async function call(path, { method = "GET", body, headers = {}, auth = true } = {}) {
    const h = Object.assign({}, headers);
    if (body !== undefined) h["Content-Type"] = "application/json";
    if (auth && token) h["X-Parley-Embed"] = token;
    const res = await fetch(BASE + path, { method, headers: h, credentials: "omit", mode: "cors",
                                          body: body === undefined ? undefined : JSON.stringify(body) });
    const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
    if (res.status === 401 && auth && token && (data.error || {}).field === "x-parley-embed") {
      keep(null); who = null; // a token that ended: start again as a new guest
      widgets.forEach((w) => w.showWho());
    }
    if (!res.ok) {
      const err = new Error((data.error || {}).message || "Something went wrong (" + res.status + ")");
      err.data = data; err.status = res.status;
      throw err;
    }
    return data;
  }

  async function write(path, opts) {
    if (!token) keep((await call("/api/v1/embed/token", { method: "POST", auth: false })).token);
    try { return await call(path, opts); } catch (err) {
      if (err.status !== 401 || token) throw err;
      keep((await call("/api/v1/embed/token", { method: "POST", auth: false })).token);
      return call(path, opts);
    }
  }

  const el = (tag, attrs = {}, text) => {
    const e = document.createElement(tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const field = (form, name) => form.elements.namedItem(name);
  const uid = () => Math.random().toString(36).slice(2) + Date.now().toString(36);

  function canonical(host) {
    const link = document.querySelector('link[rel="canonical"]');
    return host.dataset.parleyUrl || (link && link.href) || location.href.split("#")[0];
  }

  function Widget(host) {
    const root = host.attachShadow({ mode: "open" });
    if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      const sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", {}, CSS));
    }
    const theme = host.dataset.parleyTheme;
    const box = el("div", { class: "p " + (theme === "dark" || theme === "auto" ? theme : "light"), part: "parley" });
    const bar = el("div", { class: "bar" });
    const whoBox = el("span", { class: "who" });
    const main = el("div", { class: "main", "aria-live": "polite" }, "Loading comments…");
    box.append(bar, main);
    root.appendChild(box);
    const params = { url: canonical(host), title: host.dataset.parleyTitle || document.title };
    if (host.dataset.parleyStory) params.story = host.dataset.parleyStory;
    if (host.dataset.parleySection) params.section = host.dataset.parleySection;
    let slug = null, sort = "oldest", form = null, thread = null, count = 0, heading = null;
    const edits = {}; // comment id -> {token, source}: the writer's own, while its edit window lasts

    async function fragment(extra) {
      const q = new URLSearchParams(Object.assign({}, params, { sort }, extra || {}));
      const res = await fetch(BASE + "/embed/fragment?" + q, { credentials: "omit", mode: "cors" });
      if (!res.ok) throw new Error(String(res.status));
      return res.text();
    }

    async function load() {
      try {
        const html = await fragment();
        main.innerHTML = html;
        const section = main.querySelector(".parley-thread");
        slug = section.dataset.slug; count = +section.dataset.count;
        thread = section.querySelector("ol.thread");
        heading = section.querySelector(".parley-count");
        if (section.dataset.open === "1") heading.after(form = makeForm());
        markSpoilers(main);
        bar.dataset.ready = "1";
        recommended();
      } catch (err) {
        // A site not allowed to embed gets no CORS answer: fetch says only "Failed to fetch".
        main.textContent = "Comments could not be loaded.";
      }
    }

    function showBar() {
      bar.textContent = "";
      bar.append(el("span", {}, "Sort by"));
      [["oldest", "Oldest"], ["newest", "Newest"], ["replies", "Most replies"], ["top", "Top"]].forEach(([value, label]) => {
        const b = el("button", { type: "button", "data-sort": value, "aria-pressed": String(value === sort) }, label);
        bar.append(b);
      });
      bar.append(whoBox);
      showWho();
    }

    function showWho() {
      whoBox.textContent = "";
      if (who) {
        whoBox.append("Signed in as ", el("strong", {}, who.name), " ");
        whoBox.append(el("button", { type: "button", class: "link-button", "data-act": "signout" }, "Sign out"));
      } else {
        whoBox.append(el("button", { type: "button", class: "link-button", "data-act": "signin" }, "Sign in"));
      }
      if (form) field(form, "author_name").closest("p").hidden = !!who;
    }

    function makeForm() {
      const f = el("form", { class: "comment-form", novalidate: "" });
      f.innerHTML = '<h3 class="form-heading">Join the discussion</h3><p class="form-error" role="alert" hidden></p>' +
        '<p class="form-status" role="status" hidden></p><input type="hidden" name="parent_id" value="">' +
        '<p><label>Name <input name="author_name" maxlength="50" autocomplete="nickname"></label></p>' +
        '<p><label>Email <span class="optional">(optional, never shown)</span> <input name="email" type="email" autocomplete="email"></label></p>' +
        '<p><label>Comment <textarea name="body" rows="4"></textarea></label></p>' +
        '<p class="checkbox"><label><input name="spoiler" type="checkbox" value="1"> Contains spoilers</label></p>' +
        '<p><button type="submit">Post comment</button></p>';
      f.dataset.key = uid();
      f.addEventListener("submit", (ev) => { ev.preventDefault(); post(f); });
      field(f, "author_name").closest("p").hidden = !!who;
      return f;
    }

    const say = (f, cls, text) => {
      const p = f.querySelector("." + cls);
      p.textContent = text || ""; p.hidden = !text;
    };

    async function post(f) {
      say(f, "form-error"); say(f, "form-status");
      const body = {
        author_name: field(f, "author_name").value, email: field(f, "email").value,
        body: field(f, "body").value, parent_id: field(f, "parent_id").value || null,
        spoiler: field(f, "spoiler").checked, idempotency_key: f.dataset.key,
        rephrased: !!f.querySelector('input[name="rephrased"]'),
      };
      const button = f.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const res = await write("/api/v1/embed/stories/" + slug + "/comments", { method: "POST", body });
        const old = f.querySelector(".rephrase"); if (old) old.remove();
        if (res.html) insert(res);
        if (res.edit_token) edits[res.id] = { token: res.edit_token, source: body.body };
        if (res.html) addEdit(res.id);
        if (res.state === "published" || res.state === "folded") {
          count += 1; heading.textContent = count + (count === 1 ? " comment" : " comments");
        }
        field(f, "body").value = ""; field(f, "spoiler").checked = false; f.dataset.key = uid();
        say(f, "form-status", res.message || "Your comment is posted.");
        if (body.parent_id) resetForm();
      } catch (err) {
        say(f, "form-error", err.message);
        const old = f.querySelector(".rephrase"); if (old) old.remove();
        if (err.data && err.data.html) f.querySelector(".form-error").insertAdjacentHTML("afterend", err.data.html);
      } finally {
        button.disabled = false;
      }
    }

    function insert(res) {
      let list = thread;
      if (res.anchor_id) {
        const article = root.getElementById("c" + res.anchor_id).querySelector(":scope > article");
        list = article.querySelector(":scope > ol.replies");
        if (!list) { list = el("ol", { class: "replies" }); article.appendChild(list); }
      }
      const more = list.querySelector(":scope > .load-more-item");
      if (more) more.insertAdjacentHTML("beforebegin", res.html); else list.insertAdjacentHTML("beforeend", res.html);
      markSpoilers(root.getElementById("c" + res.id));
    }

    function addEdit(id) {
      const li = root.getElementById("c" + id);
      const actions = li && li.querySelector(":scope > article > .comment-actions");
      if (!actions) return;
      actions.append(el("button", { type: "button", class: "link-button edit-comment", "data-edit": id }, "Edit"));
    }

    function edit(id) {
      const li = root.getElementById("c" + id);
      const bodyBox = li.querySelector(":scope > article > .comment-body, :scope > article > details > .comment-body");
      if (li.querySelector(".edit-form")) return;
      const f = el("form", { class: "edit-form" });
      f.innerHTML = '<p class="form-error" role="alert" hidden></p><label>Edit your comment <textarea name="body" rows="4"></textarea></label>' +
        '<button type="submit">Save</button> <button type="button" class="link-button" data-act="cancel-edit">Cancel</button>';
      field(f, "body").value = edits[id].source;
      bodyBox.after(f);
      f.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          const text = field(f, "body").value;
          const res = await call("/api/v1/comments/" + id, { method: "PATCH", body: { body: text },
                                                            headers: { "X-Edit-Token": edits[id].token } });
          bodyBox.innerHTML = res.body_html; edits[id].source = text; f.remove(); markSpoilers(bodyBox);
        } catch (err) { say(f, "form-error", err.message); }
      });
    }

    function resetForm() {
      field(form, "parent_id").value = "";
      form.querySelector(".form-heading").textContent = "Join the discussion";
      const cancel = form.querySelector("[data-act=cancel-reply]"); if (cancel) cancel.remove();
      heading.after(form);
    }

    function reply(link) {
      const li = link.closest("li.comment");
      field(form, "parent_id").value = link.dataset.replyTo;
      form.querySelector(".form-heading").textContent = "Reply to " + link.dataset.replyName;
      if (!form.querySelector("[data-act=cancel-reply]")) {
        form.querySelector(".form-heading").after(el("button", { type: "button", class: "link-button", "data-act": "cancel-reply" }, "Cancel reply"));
      }
      li.querySelector(":scope > article > .comment-actions").after(form);
      field(form, "body").focus();
    }

    async function report(link) {
      const li = link.closest("li.comment"), id = link.dataset.report;
      if (li.querySelector(":scope > article > .report-form")) return;
      try {
        const res = await call("/api/v1/embed/stories/" + slug + "/comments/" + id + "/report");
        li.querySelector(":scope > article > .comment-actions").insertAdjacentHTML("afterend", res.html);
        const f = li.querySelector(":scope > article > .report-form");
        f.querySelector(".report-buttons").append(" ", el("button", { type: "button", class: "link-button", "data-act": "cancel-report" }, "Cancel"));
        f.addEventListener("submit", async (ev) => {
          ev.preventDefault();
          const data = {};
          for (const [k, v] of new FormData(f)) if (k !== "csrf_token") data[k] = v;
          data.good_faith = !!data.good_faith;
          try {
            const done = await write("/api/v1/embed/stories/" + slug + "/comments/" + id + "/report", { method: "POST", body: data });
            const note = el("p", { class: "form-status", role: "status" }, done.message);
            f.replaceWith(note);
          } catch (err) { say(f, "form-error", err.message); }
        });
      } catch (err) { link.after(el("span", { class: "form-error" }, " " + err.message)); }
    }

    async function more(link) {
      const q = new URLSearchParams((link.dataset.fragment || "").split("?")[1] || "");
      try {
        const html = await fragment({ sort: q.get("sort") || sort, after: q.get("after") || "" });
        const li = link.closest("li");
        li.insertAdjacentHTML("beforebegin", html);
        li.remove();
        markSpoilers(thread);
      } catch (err) { link.textContent = "Could not load more comments; try again"; }
    }

    async function recommend(link) {
      const id = link.dataset.recommend;
      const on = link.getAttribute("aria-pressed") !== "true";
      try {
        const res = await write("/api/v1/comments/" + id + "/recommendation", { method: on ? "PUT" : "DELETE" });
        markRecommended(link, res.recommended);
        const shown = link.parentNode.querySelector(".recommend-count");
        const n = res.recommend_count;
        if (shown) { shown.dataset.count = n; shown.textContent = n + (n === 1 ? " recommendation" : " recommendations"); }
      } catch (err) { link.after(el("span", { class: "form-error" }, " " + err.message)); }
    }

    function markRecommended(link, on) {
      link.setAttribute("aria-pressed", String(on));
      link.firstChild.textContent = on ? "Recommended" : "Recommend";
    }

    async function recommended() {
      if (!token) return; // a reader without a token has recommended nothing yet
      try {
        const res = await call("/api/v1/stories/" + slug + "/recommended");
        (res.comment_ids || res.recommended || []).forEach((id) => {
          const link = root.querySelector('[data-recommend="' + id + '"]');
          if (link) markRecommended(link, true);
        });
      } catch (e) { /* the buttons still work; they just do not show what is pressed */ }
    }

    function signinForm(anchor) {
      if (root.querySelector(".signin-form")) return;
      const f = el("form", { class: "signin-form" });
      f.innerHTML = '<h3>Sign in</h3><p class="form-error" role="alert" hidden></p>' +
        '<p><label>Email <input name="email" type="email" autocomplete="username"></label></p>' +
        '<p><label>Password <input name="password" type="password" autocomplete="current-password"></label></p>' +
        '<p><button type="submit">Sign in</button> <button type="button" class="link-button" data-act="cancel-signin">Cancel</button></p>';
      bar.after(f);
      f.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          const res = await call("/api/v1/embed/auth/login", { method: "POST", auth: false,
                                 body: { email: field(f, "email").value, password: field(f, "password").value } });
          if (token && token.startsWith("g.")) remember(KEY + ":guest", token); // the guest again after signing out
          keep(res.token); who = res.actor; f.remove();
          widgets.forEach((w) => w.showWho());
        } catch (err) { say(f, "form-error", err.message); }
      });
      field(f, "email").focus();
    }

    async function signout() {
      try { await call("/api/v1/embed/auth/logout", { method: "POST" }); } catch (e) { /* signed out here anyway */ }
      keep(recall(KEY + ":guest")); remember(KEY + ":guest", null); who = null;
      widgets.forEach((w) => w.showWho());
    }

    function markSpoilers(scope) {
      if (scope) scope.querySelectorAll(".spoiler").forEach((s) => s.setAttribute("tabindex", "0"));
    }

    root.addEventListener("click", (ev) => {
      const t = ev.target.closest("a, button, .spoiler");
      if (!t) return;
      const act = t.dataset.act;
      if (t.classList.contains("spoiler")) { t.classList.toggle("revealed"); return; }
      if (t.matches("a.reply-link") && form) { ev.preventDefault(); reply(t); }
      else if (t.matches("a.report-link")) { ev.preventDefault(); report(t); }
      else if (t.matches("a.load-more")) { ev.preventDefault(); more(t); }
      else if (t.dataset.sort) { sort = t.dataset.sort; showBar(); form = null; load(); }
      else if (t.dataset.edit) edit(t.dataset.edit);
      else if (t.dataset.recommend) { ev.preventDefault(); recommend(t); }
      else if (act === "signin") signinForm();
      else if (act === "signout") signout();
      else if (act === "cancel-reply") resetForm();
      else if (act === "cancel-edit") t.closest("form").remove();
      else if (act === "cancel-report" || act === "cancel-signin") t.closest("form").remove();
      else if (t.matches("a.permalink")) {
        ev.preventDefault();
        const target = root.getElementById((t.getAttribute("href") || "").slice(1));
        if (target) target.scrollIntoView();
      }
    });

    showBar();
    load();
    return { showWho, host };
  }

  async function start() {
    if (token && token.startsWith("s.")) {
      try { who = (await call("/api/v1/embed/me")).actor; if (who.role === "guest") who = null; } catch (e) { who = null; }
    }
    document.querySelectorAll("[data-parley-story]").forEach((host) => {
      if (!host.shadowRoot) widgets.push(Widget(host));
    });
  }

  start();
})();
