// The moderators' workspace, keyboard first. The pages work without this file: links,
// and POST forms that answer 303 back to the queue with the next card selected. With it,
// the keys act on the selected card (or on every ticked card), decisions go through the
// moderators' JSON API (/api/v1/admin/...) without a reload, the card leaves the list,
// the next one is selected and the queue counts follow. On a card's own page the keys
// press the same buttons and the forms post as they would without the script.
(function () {
  "use strict";
  var root = document.getElementById("workspace");
  if (!root) return;
  root.classList.add("js");
  var list = document.getElementById("mod-queue");
  var flash = document.getElementById("mod-flash");
  var help = document.getElementById("mod-help");
  var bulkForm = document.getElementById("bulk-form");
  var queue = root.dataset.queue;
  var story = root.dataset.story;
  var DONE = JSON.parse(root.dataset.done || "{}");
  var API = "/api/v1/admin";
  // The latest decisions made on this page, for u: their ids, the cards they took out of
  // the list (with where they were) and the cards they left in place.
  var last = null;
  var countsAsked = 0;

  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".mod-card")); }
  function busy(card) { return card.classList.contains("is-busy"); }
  function live() { return cards().filter(function (c) { return !busy(c); }); }
  function selected() { return document.querySelector(".mod-card.is-selected:not(.is-busy)") || live()[0] || null; }
  function ticked() {
    return live().filter(function (c) { var t = c.querySelector(".mod-tick"); return t && t.checked; });
  }

  function select(card, focus) {
    cards().forEach(function (c) { c.classList.remove("is-selected"); c.removeAttribute("aria-current"); });
    if (!card) return;
    card.classList.add("is-selected");
    card.setAttribute("aria-current", "true");
    if (focus !== false) {
      card.focus({ preventScroll: true });
      card.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    var all = live(), to = all.indexOf(selected()) + step;
    if (to >= all.length && list) {
      loadMore().then(function () {
        var more = live();
        if (more.length > all.length) select(more[all.length]);
      });
      return;
    }
    select(all[Math.max(0, Math.min(to, all.length - 1))]);
  }

  // The card to select once ``targets`` leave: the first one after them, else the last before.
  function nextAfter(targets) {
    var all = cards(), first = all.indexOf(targets[0]), lastAt = all.indexOf(targets[targets.length - 1]);
    var free = function (c) { return !busy(c) && targets.indexOf(c) < 0; };
    for (var i = lastAt + 1; i < all.length; i++) if (free(all[i])) return all[i];
    for (var j = first - 1; j >= 0; j--) if (free(all[j])) return all[j];
    return null;
  }

  // --- talking to the server ------------------------------------------------------
  function send(url, body) {
    var options = { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error((data.error && data.error.message) || "the server answered " + response.status);
        }
        return data;
      });
    }, function () { throw new Error("the server could not be reached; nothing was decided"); });
  }

  function counts(delta) {
    var mine = root.querySelector('.mod-count[data-queue="' + queue + '"]');
    if (mine && delta) mine.textContent = Math.max(0, Number(mine.textContent) + delta);
    var asked = ++countsAsked;
    var url = API + "/queue?limit=1&queue=" + encodeURIComponent(queue) +
      (story ? "&story=" + encodeURIComponent(story) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || asked !== countsAsked) return;  // a later answer is on its way
        Object.keys(data.counts).forEach(function (q) {
          var el = root.querySelector('.mod-count[data-queue="' + q + '"]');
          if (el) el.textContent = data.counts[q];
        });
      }, function () {});
  }

  // A card's author facts (history, sanctions) as its own page has them now.
  function refresh(card) {
    fetch("/moderate/comments/" + card.dataset.id, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("#card-" + card.dataset.id + " .mod-author");
        var old = card.querySelector(".mod-author");
        if (fresh && old) old.replaceWith(document.importNode(fresh, true));
      }, function () {});
  }

  var loading = null;
  function loadMore() {
    var link = document.getElementById("mod-load-more");
    if (!link) return Promise.resolve();
    if (loading) return loading;
    loading = fetch(link.href, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("more comments could not be loaded"); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        doc.querySelectorAll("#mod-queue > .mod-card").forEach(function (card) {
          if (document.getElementById(card.id)) return;
          card.classList.remove("is-selected");
          card.removeAttribute("aria-current");
          list.appendChild(document.importNode(card, true));
        });
        var more = doc.getElementById("mod-load-more");
        if (more) link.href = more.getAttribute("href"); else link.parentNode.remove();
        if (!document.querySelector(".mod-card.is-selected")) select(live()[0]);
        emptied();
      })
      .catch(function (error) { showError(error.message); })
      .then(function () { loading = null; });
    return loading;
  }

  // --- what the page says -------------------------------------------------------
  function text(decisions) {
    var first = decisions[0];
    if (!first) return "";
    if (decisions.length > 1) return (DONE.many[first.decision] || "{n} decisions").replace("{n}", decisions.length) + ".";
    var reason = first.reason || "";
    var line = (DONE[first.decision] || first.decision).replace("{c}", first.comment_id)
      .replace("{a}", first.author_id).replace("{r}", reason.charAt(0).toUpperCase() + reason.slice(1));
    if (reason && first.decision !== "undo") line += ": " + reason;
    return line + ".";
  }

  function say(line, undoable) {
    flash.textContent = "";
    var span = document.createElement("span");
    span.className = "mod-flash-text";
    span.textContent = line;
    flash.appendChild(span);
    if (undoable) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "mod-undo-button";
      button.textContent = "Undo";
      button.addEventListener("click", undo);
      flash.appendChild(button);
    }
  }

  function showError(message) {
    var box = document.getElementById("mod-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "mod-error";
      box.className = "form-error mod-error";
      box.setAttribute("role", "alert");
      flash.parentNode.insertBefore(box, flash.nextSibling);
    }
    box.textContent = message;
  }

  function clearError() {
    var box = document.getElementById("mod-error");
    if (box) box.remove();
  }

  // The next page is fetched while a few cards are left, so that working the queue never
  // waits for it at the page's end.
  var PREFETCH_AT = 5;
  function emptied() {
    var empty = document.getElementById("mod-empty"), left = live().length;
    if (empty) empty.hidden = left > 0;
    if (left <= PREFETCH_AT && document.getElementById("mod-load-more")) loadMore();
  }

  // --- deciding ------------------------------------------------------------------
  // Whether a comment decided so is still listed in this queue: a decision takes it out
  // of an open queue (a sanction that leaves it as it is aside); Approved keeps what
  // readers see, Rejected what they do not.
  function stays(decision) {
    var hides = ["reject", "ban", "suspend"].indexOf(decision) >= 0;
    var shows = ["approve", "fold"].indexOf(decision) >= 0;
    if (queue === "approved") return !hides;
    if (queue === "rejected") return !shows;
    return decision === "premoderate" || decision === "trust";
  }

  function reasonOf(form) {  // as parley.web.moderate.reason_of reads the same form
    var chosen = form.elements.reason ? form.elements.reason.value.trim() : "";
    var typed = form.elements.reason_text ? form.elements.reason_text.value.trim() : "";
    return chosen && typed ? chosen + ": " + typed : chosen || typed;
  }

  function act(targets, decision, url, body, pick) {
    var leaving = !stays(decision);
    clearError();
    targets.forEach(function (c) { c.classList.add("is-busy"); c.setAttribute("aria-busy", "true"); });
    if (leaving) select(nextAfter(targets));
    return send(url, body).then(function (answer) {
      var made = pick(answer), removed = [], kept = [];
      targets.forEach(function (card) {
        card.classList.remove("is-busy");
        card.removeAttribute("aria-busy");
        var tick = card.querySelector(".mod-tick");
        if (tick) tick.checked = false;
        if (leaving) {
          removed.push({ card: card, parent: card.parentNode, before: card.nextSibling });
          card.remove();
        } else {
          kept.push(card);
          refresh(card);
        }
      });
      last = { ids: made.map(function (d) { return d.id; }), removed: removed, kept: kept };
      say(text(made), true);
      counts(-removed.length);
      emptied();
    }, function (error) {
      targets.forEach(function (c) { c.classList.remove("is-busy"); c.removeAttribute("aria-busy"); });
      if (leaving) select(targets[0]);
      showError(error.message);
    });
  }

  function decide(card, decision, form) {
    var body = {};
    if (decision === "reject") body.reason = reasonOf(form);
    if (decision === "fold") body.notice = form.elements.notice.value;
    act([card], decision, API + "/comments/" + card.dataset.id + "/" + decision, body,
      function (answer) { return [answer.decision]; });
  }

  function sanction(card, kind, form) {
    var body = { sanction: kind, reason: reasonOf(form) };
    if (kind === "suspend") body.days = Number(form.elements.days.value);
    act([card], kind, API + "/comments/" + card.dataset.id + "/sanction", body,
      function (answer) { return [answer]; });
  }

  function bulk(form, decision) {
    var chosen = ticked();
    if (!chosen.length) {
      showError("Select comments first: x selects the card you are on.");
      return;
    }
    var body = { comment_ids: chosen.map(function (c) { return Number(c.dataset.id); }), decision: decision };
    if (decision === "reject") body.reason = reasonOf(form);
    if (decision === "fold") body.notice = form.elements.notice.value;
    act(chosen, decision, API + "/decisions/bulk", body, function (answer) { return answer.decisions; });
  }

  function undo() {
    if (!last) {  // a decision made before this page loaded: its Undo form posts as it is
      var form = flash.querySelector("form.mod-undo");
      if (form) form.requestSubmit();
      return;
    }
    var done = last;
    last = null;
    clearError();
    // One request for a bulk decision too: the server undoes all of it or none.
    var rest = done.ids.slice(1);
    send(API + "/decisions/" + done.ids[0] + "/undo", rest.length ? { also: rest } : undefined).then(function (answer) {
      var made = answer.undone || [answer];
      for (var i = done.removed.length - 1; i >= 0; i--) {
        var r = done.removed[i];
        r.parent.insertBefore(r.card, r.before && r.before.parentNode === r.parent ? r.before : null);
      }
      done.kept.forEach(refresh);
      var back = done.removed.length ? done.removed[0].card : done.kept[0];
      if (back) select(back);
      say(text(made), false);
      counts(done.removed.length);
      emptied();
    }, function (error) { showError(error.message); });
  }

  // --- forms and keys --------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target, kind = form.dataset.kind;
    if (!list || !kind || kind === "undo") return;  // a card's own page, and Undo forms, post as they are
    event.preventDefault();
    var button = event.submitter;
    if (!button || !button.value) return;
    if (kind === "bulk") { bulk(form, button.value); return; }
    var card = form.closest(".mod-card");
    if (!card || busy(card)) return;
    if (kind === "decide") decide(card, button.value, form);
    else if (kind === "sanction") sanction(card, button.value, form);
  });

  document.addEventListener("click", function (event) {
    var more = event.target.closest("#mod-load-more");
    if (more) {
      event.preventDefault();
      loadMore();
      return;
    }
    var card = event.target.closest(".mod-card");
    if (card && !busy(card) && !card.classList.contains("is-selected")) select(card, false);
  });

  function press(scope, selector) {  // the button a key stands for, pressed
    var button = scope && scope.querySelector(selector);
    if (button) button.form.requestSubmit(button);
  }
  function scope() { return ticked().length && bulkForm ? bulkForm : selected(); }
  function focusIn(scopeEl, selector) {
    var input = scopeEl && scopeEl.querySelector(selector);
    if (input) input.focus();
  }

  var KEYS = {
    j: function () { move(1); },
    k: function () { move(-1); },
    a: function () { press(scope(), ".mod-approve-button"); },
    r: function () { focusIn(scope(), "input[name=reason_text]"); },
    f: function () { press(scope(), ".mod-fold-button"); },
    b: function () { focusIn(selected(), ".mod-ban-reason"); },
    u: undo,
    x: function () {
      var tick = selected() && selected().querySelector(".mod-tick");
      if (tick) tick.checked = !tick.checked;
    },
    o: function () {
      var link = selected() && selected().querySelector(".mod-open");
      if (link) window.location.href = link.href;
    },
    "?": function () { if (help) help.hidden = !help.hidden; },
  };

  function typing(el) {
    if (!el || !el.tagName) return false;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable) return true;
    return el.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(el.type);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) {
      if (event.key === "Escape") {
        event.preventDefault();
        var card = event.target.closest(".mod-card");
        event.target.blur();
        select(card || selected());
      }
      return;
    }
    var action = KEYS[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // Live counts: every moderator's decisions and every new report or comment move the tabs'
  // counts as they happen (GET /api/v1/admin/queue/events); EventSource reconnects by itself.
  if (window.EventSource && root.querySelector(".mod-count")) {
    var stream = new EventSource("/api/v1/admin/queue/events" + (story ? "?story=" + encodeURIComponent(story) : ""));
    stream.addEventListener("counts", function (event) {
      var data = JSON.parse(event.data);
      countsAsked++;  // newer than any count asked for before it
      Object.keys(data.counts).forEach(function (q) {
        var el = root.querySelector('.mod-count[data-queue="' + q + '"]');
        if (el) el.textContent = data.counts[q];
      });
    });
  }
})();
