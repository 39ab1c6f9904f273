// Parley reader page enhancements. The page works without this file; with it,
// replies open in place, posting and "Load more" happen without a reload.
(function () {
  "use strict";
  var section = document.getElementById("comments");
  if (!section) return;
  var form = document.getElementById("comment-form");
  var thread = document.getElementById("thread");
  var home = form ? form.parentNode : null;
  var homeNext = form ? form.nextSibling : null;

  function adjustCount(delta) {
    var heading = document.getElementById("comments-heading");
    var n = Number(heading.dataset.count) + delta;
    heading.dataset.count = n;
    heading.textContent = n + (n === 1 ? " comment" : " comments");
  }

  function newKey() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  // One of the form's message lines (an error, or what the writer of a held comment is
  // told), made the first time it is needed; its class is its id.
  function formMessage(className, role) {
    var box = form.querySelector("." + className);
    if (!box) {
      box = document.createElement("p");
      box.className = className;
      box.id = className;
      box.setAttribute("role", role);
      form.insertBefore(box, form.querySelector("input[name=csrf_token]"));
    }
    return box;
  }

  function showError(message, field) {
    formMessage("form-error", "alert").textContent = message;
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var input = field && form.elements[field];
    if (input && input.focus) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "form-error");
      input.focus();
    }
  }

  // Also drops the box moderation's rephrase answer left, and its hidden rephrased=1:
  // whatever the form sends next is a first attempt unless moderation asks again.
  function clearError() {
    var box = form.querySelector(".form-error");
    if (box) box.remove();
    var rephrase = form.querySelector(".rephrase");
    if (rephrase) rephrase.remove();
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
  }

  // Moderation sent the comment back: the server's own rendering of the writer's text with
  // the flagged words marked (escaped there, like every comment it renders), and the hidden
  // field that marks the next send as rephrased.
  function showRephrase(html) {
    var old = form.querySelector(".rephrase");
    if (old) old.remove();
    form.querySelector(".form-error").insertAdjacentHTML("afterend", html);
  }

  // What the writer of a held or rejected comment is told.
  function showStatus(message) {
    var box = form.querySelector(".form-status");
    if (!message) { if (box) box.remove(); return; }
    formMessage("form-status", "status").textContent = message;
  }

  function replyTo(id, name) {
    var li = document.getElementById("c" + id);
    if (!li) return;
    var article = li.querySelector(":scope > article");
    var actions = article.querySelector(":scope > .comment-actions");
    clearError();  // an answer about another comment
    actions.after(form);
    form.elements.parent_id.value = id;
    form.querySelector("h3").textContent = "Reply to " + name;
    var cancel = form.querySelector(".cancel-reply");
    if (!cancel) {
      cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "cancel-reply";
      cancel.textContent = "Cancel reply";
      cancel.addEventListener("click", resetForm);
      form.querySelector("button[type=submit]").after(cancel);
    }
    form.elements.body.focus();
  }

  function resetForm() {
    if (!form) return;
    clearError();
    home.insertBefore(form, homeNext);
    form.elements.parent_id.value = "";
    form.querySelector("h3").textContent = "Join the discussion";
    var cancel = form.querySelector(".cancel-reply");
    if (cancel) cancel.remove();
    var replying = form.querySelector(".replying");
    if (replying) replying.remove();
  }

  function insertComment(result) {
    var list = thread;
    if (result.anchor_id) {
      var anchor = document.getElementById("c" + result.anchor_id);
      var article = anchor.querySelector(":scope > article");
      list = article.querySelector(":scope > ol.replies");
      if (!list) {
        list = document.createElement("ol");
        list.className = "replies";
        article.appendChild(list);
      }
    }
    var more = list.querySelector(":scope > .load-more-item");
    if (more) more.insertAdjacentHTML("beforebegin", result.html);
    else list.insertAdjacentHTML("beforeend", result.html);
    var added = document.getElementById("c" + result.id);
    if (added) {
      added.setAttribute("tabindex", "-1");
      added.focus();
      // The live stream may have announced it first: it is not new to this reader.
      added.dispatchEvent(new CustomEvent("parley:inserted", { bubbles: true }));
    }
  }

  section.addEventListener("click", function (event) {
    var reply = event.target.closest("a.reply-link");
    if (reply && form) {
      event.preventDefault();
      replyTo(reply.dataset.replyTo, reply.dataset.replyName);
      return;
    }
    var more = event.target.closest("a.load-more");
    if (more) {
      event.preventDefault();
      more.setAttribute("aria-busy", "true");
      fetch(more.dataset.fragment, { headers: { Accept: "text/html" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var item = more.closest("li");
          var list = item.parentNode;
          var before = list.children.length - 1;
          item.outerHTML = html;
          Array.prototype.slice.call(list.children, before).forEach(enhance);
        })
        .catch(function () { window.location = more.href; });
      return;
    }
    var spoiler = event.target.closest(".spoiler");
    if (spoiler) spoiler.classList.toggle("revealed");
  });


  // A guest may edit or delete their own comment for a while after posting: the edit
  // token came back with the post and lives in this browser only.
  var EDIT_WINDOW_MS = Number(section.dataset.editWindow || 0) * 1000;

  function tokenFor(id) {
    try { return localStorage.getItem("parley-edit-" + id); } catch (e) { return null; }
  }

  function addOwnerActions(li) {
    var id = li.dataset.commentId;
    var token = tokenFor(id);
    var time = li.querySelector(":scope > article > header time");
    var actions = li.querySelector(":scope > article > .comment-actions");
    if (!token || !time || !actions || actions.querySelector(".edit-comment")) return;
    if (Date.now() - Date.parse(time.getAttribute("datetime")) > EDIT_WINDOW_MS) return;
    [["Edit", "edit-comment"], ["Delete", "delete-comment"]].forEach(function (pair) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "link-button " + pair[1];
      b.textContent = pair[0];
      actions.appendChild(b);
    });
  }

  function api(method, id, body) {
    return fetch("/api/v1/comments/" + id, {
      method: method,
      headers: { "Content-Type": "application/json", "X-Edit-Token": tokenFor(id) },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      if (r.status === 204) return null;
      return r.json().then(function (data) {
        if (!r.ok) {
          var failure = new Error((data.error && data.error.message) || "Could not save.");
          failure.error = data.error || {};
          throw failure;
        }
        return data;
      });
    });
  }

  function startEdit(li) {
    var article = li.querySelector(":scope > article");
    var body = article.querySelector(".comment-body");
    if (article.querySelector(".edit-form")) return;
    var box = document.createElement("form");
    box.className = "edit-form";
    box.innerHTML = '<label>Edit your comment<textarea name="body" rows="4"></textarea></label>' +
      '<p class="form-error" role="alert" hidden></p><ul class="flagged" hidden></ul>' +
      '<button type="submit">Save</button> <button type="button" class="cancel-edit">Cancel</button>';
    var shown = body.textContent.trim();
    box.elements.body.value = shown;
    body.hidden = true;
    body.after(box);
    // The Markdown the writer typed, rather than the text it rendered to; unless they have
    // started changing the text meanwhile.
    fetch("/api/v1/comments/" + li.dataset.commentId).then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.body_source && box.elements.body.value === shown) box.elements.body.value = data.body_source;
      })
      .finally(function () { box.elements.body.focus(); });
    box.querySelector(".cancel-edit").addEventListener("click", function () { box.remove(); body.hidden = false; });
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      // An edit never changes who may read the comment: text moderation would hide comes
      // back as a rephrase answer, and the comment stays as it was.
      api("PATCH", li.dataset.commentId, { body: box.elements.body.value }).then(function (data) {
        body.innerHTML = data.body_html;  // sanitised by the server when it was written
        box.remove();
        body.hidden = false;
      }).catch(function (err) {
        var msg = box.querySelector(".form-error");
        msg.textContent = err.message;
        msg.hidden = false;
        var flagged = box.querySelector(".flagged");
        flagged.textContent = "";
        flagged.hidden = true;
        if (err.error && err.error.code === "rephrase") {
          (err.error.spans || []).forEach(function (span) {
            var item = document.createElement("li");
            var mark = document.createElement("mark");
            mark.textContent = span.text;
            item.appendChild(mark);
            flagged.appendChild(item);
          });
          flagged.hidden = !flagged.children.length;
        }
      });
    });
  }

  function deleteComment(li) {
    if (!window.confirm("Delete your comment?")) return;
    api("DELETE", li.dataset.commentId).then(function () {
      var article = li.querySelector(":scope > article");
      var body = article.querySelector(".comment-body");
      var details = article.querySelector(":scope > details.notice");
      body.innerHTML = "<p><em>This comment was deleted.</em></p>";
      if (details) details.replaceWith(body);
      article.querySelector(".author").textContent = "Deleted comment";
      var badge = article.querySelector(".badge");
      if (badge) badge.remove();
      article.querySelector(".comment-actions").remove();
      li.classList.add("deleted");
      adjustCount(-1);
    }).catch(function (err) { window.alert(err.message); });
  }

  section.addEventListener("click", function (event) {
    var button = event.target.closest(".edit-comment, .delete-comment");
    if (!button) return;
    var li = button.closest("li.comment");
    if (button.classList.contains("edit-comment")) startEdit(li); else deleteComment(li);
  });

  // Reporting and appealing in place: the same forms the pages without JavaScript show
  // (the report form fetched from the server, the appeal form already on the page), sent
  // with fetch asking for JSON; the answer, or the error, shows where the form was.
  function sendForm(box) {
    return fetch(box.action, { method: "POST", body: new FormData(box), headers: { Accept: "application/json" },
                               credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (data) { return { status: r.status, data: data }; }); });
  }

  function formError(box, message, input) {
    var line = box.querySelector(":scope > .form-error");
    line.textContent = message;
    line.hidden = false;
    box.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", line.id);
      input.focus();
    } else {
      line.setAttribute("tabindex", "-1");
      line.focus();
    }
  }

  function statusInstead(box, className, message) {
    var line = document.createElement("p");
    line.className = className;
    line.setAttribute("role", "status");
    line.setAttribute("tabindex", "-1");
    line.textContent = message;
    box.replaceWith(line);
    line.focus();
    return line;
  }

  // The report form's fields for an error's field: the explanation of illegal content is
  // the report's text; a reason names the radio group.
  function reportInput(box, field) {
    var illegal = box.elements.reason.value === "illegal";
    if (field === "text" && illegal) return box.elements.explanation;
    if (field === "reason") return box.querySelector("input[name=reason]");
    var input = field && box.elements[field];
    return input && input.focus ? input : null;
  }

  function setUpReport(box, link) {
    var illegal = box.querySelector(".report-illegal");
    function showIllegal() { illegal.hidden = box.elements.reason.value !== "illegal"; }
    showIllegal();
    box.addEventListener("change", function (event) { if (event.target.name === "reason") showIllegal(); });
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "link-button cancel-report";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", function () { box.remove(); link.focus(); });
    box.querySelector(".report-buttons").appendChild(cancel);
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = box.querySelector("button[type=submit]");
      button.disabled = true;
      sendForm(box).then(function (res) {
        if (res.status >= 400) {
          var err = res.data.error || {};
          formError(box, err.message || "Could not send the report.", reportInput(box, err.field));
          return;
        }
        statusInstead(box, "report-status", res.data.message);
      }).catch(function () {
        formError(box, "Could not reach the server. Your report is still here; try again.");
      }).finally(function () { button.disabled = false; });
    });
  }

  function openReport(link) {
    var article = link.closest("li.comment").querySelector(":scope > article");
    var open = article.querySelector(":scope > form.report-form");
    if (open) { open.querySelector("input[name=reason]").focus(); return; }
    var done = article.querySelector(":scope > .report-status");
    if (done) done.remove();
    link.setAttribute("aria-busy", "true");
    fetch(link.href + "?fragment=1", { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        // The server's own rendering of its form: every value in it was escaped there.
        article.querySelector(":scope > .comment-actions").insertAdjacentHTML("afterend", html);
        var box = article.querySelector(":scope > form.report-form");
        setUpReport(box, link);
        box.querySelector("input[name=reason]").focus();
      })
      .catch(function () { window.location = link.href; })
      .finally(function () { link.removeAttribute("aria-busy"); });
  }

  function sendAppeal(box) {
    var button = box.querySelector("button[type=submit]");
    button.disabled = true;
    sendForm(box).then(function (res) {
      if (res.status >= 400) {
        var err = res.data.error || {};
        formError(box, err.message || "Could not send the appeal.", err.field === "text" ? box.elements.text : null);
        return;
      }
      // The statement again as the server renders it now: the appeal waits for a moderator.
      var statement = box.closest(".statement");
      if (statement && res.data.html) {
        statement.insertAdjacentHTML("afterend", res.data.html);
        var fresh = statement.nextElementSibling;
        statement.remove();
        var line = fresh.querySelector(".appeal-state");
        if (line) { line.setAttribute("tabindex", "-1"); line.focus(); }
      } else {
        statusInstead(box, "appeal-state", res.data.message);
      }
    }).catch(function () {
      formError(box, "Could not reach the server. Your appeal is still here; try again.");
    }).finally(function () { button.disabled = false; });
  }

  section.addEventListener("click", function (event) {
    var link = event.target.closest("a.report-link");
    if (!link) return;
    event.preventDefault();
    openReport(link);
  });

  section.addEventListener("submit", function (event) {
    var box = event.target.closest("form.appeal-form");
    if (!box) return;
    event.preventDefault();
    sendAppeal(box);
  });

  // What the script adds to comments, on the page and to those "Load more" brings.
  function enhance(root) {
    var comments = root.matches && root.matches("li.comment") ? [root] : [];
    comments = comments.concat(Array.prototype.slice.call(root.querySelectorAll("li.comment")));
    comments.forEach(addOwnerActions);
    root.querySelectorAll(".spoiler").forEach(function (s) { s.setAttribute("tabindex", "0"); });
  }

  enhance(section);
  // A comment the live updates below put on the page, or changed in place.
  section.addEventListener("parley:live", function (event) { enhance(event.target); });

  if (!form) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" },
                         credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (data) { return { status: r.status, data: data }; }); })
      .then(function (res) {
        if (res.status >= 400) {
          var err = res.data.error || {};
          showStatus(null);
          showError(err.message || "Could not post the comment.", err.field);
          if (err.code === "rephrase" && res.data.html) showRephrase(res.data.html);
          return;
        }
        clearError();
        showStatus(res.data.message);
        if (res.data.edit_token) {
          try { localStorage.setItem("parley-edit-" + res.data.id, res.data.edit_token); } catch (e) { /* private mode */ }
        }
        form.elements.body.value = "";
        form.elements.spoiler.checked = false;
        form.elements.idempotency_key.value = newKey();
        resetForm();
        if (!res.data.html) return;  // rejected: nothing to show
        insertComment(res.data);
        var shown = res.data.state === "published" || res.data.state === "folded";
        if (res.status === 201 && shown) adjustCount(1);
        var added = document.getElementById("c" + res.data.id);
        if (added) addOwnerActions(added);
      })
      .catch(function () { showError("Could not reach the server. Your comment is still here; try again."); })
      .finally(function () { button.disabled = false; });
  });
})();

// Recommendations and staff's picks, in place. The thread is the same for every reader
// (cached), so which comments this reader recommended comes from the API; the links work
// without this file too (they open a page with the button).
(function () {
  "use strict";
  var section = document.getElementById("comments");
  if (!section || !window.fetch) return;
  var mine = new Set();

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function mark(link) {
    var on = mine.has(Number(link.dataset.recommend));
    link.setAttribute("role", "button");
    link.setAttribute("aria-pressed", on ? "true" : "false");
    link.firstChild.nodeValue = on ? "Recommended" : "Recommend";
  }

  function markAll(root) {
    root.querySelectorAll("a.recommend-link").forEach(mark);
  }

  function say(link, message) {
    var box = link.parentNode.querySelector(".reaction-status");
    if (!box) {
      box = document.createElement("span");
      box.className = "reaction-status";
      box.setAttribute("role", "status");
      link.parentNode.appendChild(box);
    }
    box.textContent = message || "";
  }

  function send(method, url) {
    return fetch(url, { method: method, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (data) {
          if (!r.ok) throw new Error((data.error && data.error.message) || "Could not save.");
          return data;
        });
      });
  }

  function recommend(link) {
    var id = Number(link.dataset.recommend);
    var on = !mine.has(id);
    link.setAttribute("aria-busy", "true");
    send(on ? "PUT" : "DELETE", "/api/v1/comments/" + id + "/recommendation").then(function (data) {
      if (data.recommended) mine.add(id); else mine.delete(id);
      // Looked up again: a live update may have rendered the comment anew meanwhile.
      section.querySelectorAll('a.recommend-link[data-recommend="' + id + '"]').forEach(function (current) {
        mark(current);
        var count = current.parentNode.querySelector(".recommend-count");
        if (count) {
          count.dataset.count = data.recommend_count;
          count.textContent = plural(data.recommend_count, "recommendation");
        }
        say(current, "");
      });
    }).catch(function (err) { say(link, err.message); })
      .finally(function () { link.removeAttribute("aria-busy"); });
  }

  function feature(link) {
    var id = link.dataset.feature;
    var on = link.dataset.featured !== "1";
    link.setAttribute("aria-busy", "true");
    send(on ? "POST" : "DELETE", "/api/v1/comments/" + id + "/feature").then(function (data) {
      link = section.querySelector('a.feature-link[data-feature="' + id + '"]') || link;  // as above
      link.dataset.featured = data.featured ? "1" : "0";
      link.textContent = data.featured ? "Unfeature" : "Feature";
      var meta = document.querySelector("#c" + id + " > article > .comment-meta");
      var badge = meta && meta.querySelector(".badge-featured");
      if (data.featured && meta && !badge) {
        badge = document.createElement("span");
        badge.className = "badge badge-featured";
        badge.textContent = "Featured";
        meta.querySelector(".author").after(" ", badge);
      } else if (!data.featured && badge) {
        badge.remove();
      }
      say(link, "");
    }).catch(function (err) { say(link, err.message); })
      .finally(function () { link.removeAttribute("aria-busy"); });
  }

  section.addEventListener("click", function (event) {
    var link = event.target.closest("a.recommend-link, a.feature-link");
    if (!link) return;
    event.preventDefault();
    if (link.getAttribute("aria-busy")) return;
    if (link.classList.contains("recommend-link")) recommend(link); else feature(link);
  });
  section.addEventListener("keydown", function (event) {  // a link acting as a button takes Space too
    if (event.key !== " ") return;
    var link = event.target.closest("a.recommend-link");
    if (!link) return;
    event.preventDefault();
    link.click();
  });

  // Staff's rendering of the thread has Feature links; a comment that live updates render
  // again comes in readers' rendering, so staff get its link back here.
  var staff = !!section.querySelector("a.feature-link");
  function restoreFeature(li) {
    var footer = staff && li.querySelector(":scope > article > footer.comment-actions");
    var rec = footer && footer.querySelector("a.recommend-link");
    if (!rec || footer.querySelector("a.feature-link")) return;
    var featured = !!li.querySelector(":scope > article > .comment-meta .badge-featured");
    var link = document.createElement("a");
    link.className = "feature-link";
    link.href = rec.getAttribute("href").replace(/recommend$/, "feature");
    link.dataset.feature = rec.dataset.recommend;
    link.dataset.featured = featured ? "1" : "0";
    link.textContent = featured ? "Unfeature" : "Feature";
    footer.appendChild(link);
  }
  section.addEventListener("parley:live", function (event) {
    var li = event.target.closest && event.target.closest("li.comment");
    if (li) { restoreFeature(li); markAll(li); }
  });

  markAll(section);
  var thread = document.getElementById("thread");
  if (thread && window.MutationObserver) {  // comments that "Load more" and posting bring
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) { if (node.querySelectorAll) markAll(node); });
      });
    }).observe(thread, { childList: true, subtree: true });
  }
  if (section.dataset.slug) {
    fetch("/api/v1/stories/" + encodeURIComponent(section.dataset.slug) + "/recommended",
          { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { recommended: [] }; })
      .then(function (data) {
        (data.recommended || []).forEach(function (id) { mine.add(id); });
        markAll(section);
      })
      .catch(function () { /* the links still work */ });
  }
})();

// Live updates: new comments wait behind "N new comments — show" (so the page does not move
// under the reader), edits, removals and counts change in place. The server sends its own
// rendering of each comment (escaped there, as the page is); without this script, or without
// EventSource, the page is as it was. The stream resumes where it left off by itself
// (Last-Event-ID); if the server turned it away, it tries again a while later.
(function () {
  "use strict";
  var section = document.getElementById("comments");
  var thread = document.getElementById("thread");
  if (!section || !thread || !window.EventSource || !section.dataset.revision) return;
  var single = section.dataset.singleThread === "1";
  var newest = section.dataset.sort === "newest";
  var at = section.dataset.revision;
  var waiting = [];
  var bar = null;

  function count(delta) {
    var heading = document.getElementById("comments-heading");
    var n = Math.max(0, Number(heading.dataset.count) + delta);
    heading.dataset.count = n;
    heading.textContent = n + (n === 1 ? " comment" : " comments");
  }

  function parse(html) {
    var box = document.createElement("template");
    box.innerHTML = html;
    return box.content.firstElementChild;
  }

  // Tells the page's other scripts (owner actions, recommendations) a comment is new here.
  function announce(li) { li.dispatchEvent(new CustomEvent("parley:live", { bubbles: true })); }

  function listFor(data) {
    if (!data.anchor_id) return single ? null : thread;
    var anchor = document.getElementById("c" + data.anchor_id);
    if (!anchor || !anchor.closest("#thread")) return null;
    var article = anchor.querySelector(":scope > article");
    var list = article.querySelector(":scope > ol.replies");
    if (!list) {
      list = document.createElement("ol");
      list.className = "replies";
      article.appendChild(list);
    }
    return list;
  }

  function place(data) {
    var list = listFor(data);
    if (!list) return null;
    var li = parse(data.html);
    if (list === thread && newest) list.insertBefore(li, list.firstElementChild);
    else list.insertBefore(li, list.querySelector(":scope > .load-more-item"));
    if (!li.classList.contains("deleted")) count(1);
    announce(li);
    return li;
  }

  // The comment's own parts change; its replies and any form open in it (a reply, an edit,
  // a report) stay as they are.
  function update(old, data) {
    var fresh = parse(data.html);
    var article = old.querySelector(":scope > article");
    Array.prototype.slice.call(article.children).forEach(function (child) {
      if (child.tagName !== "FORM" && !child.matches("ol.replies")) child.remove();
    });
    var first = article.firstElementChild;
    Array.prototype.slice.call(fresh.querySelector(":scope > article").children).forEach(function (child) {
      if (!child.matches("ol.replies")) article.insertBefore(child, first);
    });
    if (fresh.classList.contains("deleted") && !old.classList.contains("deleted")) count(-1);
    old.className = fresh.className;
    announce(old);
  }

  function showBar() {
    waiting = waiting.filter(function (d) {
      var li = document.getElementById("c" + d.id);
      return !(li && li.closest("#thread"));
    });
    if (!waiting.length) {  // nothing waits: no bar at all, not an empty one
      if (bar) bar.remove();
      bar = null;
      return;
    }
    if (!bar) {
      bar = document.createElement("button");
      bar.type = "button";
      bar.className = "live-new";
      bar.setAttribute("aria-live", "polite");
      bar.addEventListener("click", showWaiting);
      thread.parentNode.insertBefore(bar, thread);
    }
    var n = waiting.length;
    bar.textContent = n + (n === 1 ? " new comment" : " new comments") + " \u2014 show";
  }

  function showWaiting() {
    var first = null;
    waiting.splice(0).forEach(function (data) {
      if (document.getElementById("c" + data.id)) return;
      var li = place(data);
      if (li && !first) first = li;
    });
    showBar();
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.focus();
    }
  }

  section.addEventListener("parley:inserted", showBar);

  function onComment(event) {
    at = event.lastEventId || at;
    var data = JSON.parse(event.data);
    var old = document.getElementById("c" + data.id);
    if (old && old.closest("#thread")) { update(old, data); return; }
    if (old) old.remove();  // the writer's own held comment, now shown to everyone: into the thread
    if (data.state === "deleted") return;  // never on this page: nothing to show
    for (var i = 0; i < waiting.length; i++) {
      if (waiting[i].id === data.id) { waiting[i] = data; return; }
    }
    waiting.push(data);
    showBar();
  }

  function onRemoved(event) {
    at = event.lastEventId || at;
    var id = JSON.parse(event.data).id;
    var before = waiting.length;
    waiting = waiting.filter(function (d) { return d.id !== id; });
    if (waiting.length !== before) showBar();
    var old = document.getElementById("c" + id);
    if (!old || !old.closest("#thread")) return;
    if (!old.classList.contains("deleted")) count(-1);
    var replies = old.querySelector(":scope > article > ol.replies");
    if (!replies) { old.remove(); return; }
    // Its replies stay readable: the comment itself gives way to a line that says so.
    var article = old.querySelector(":scope > article");
    Array.prototype.slice.call(article.children).forEach(function (c) { if (c !== replies) c.remove(); });
    var line = document.createElement("p");
    line.className = "comment-body removed";
    line.textContent = "This comment was removed.";
    article.insertBefore(line, replies);
    old.classList.add("deleted");
  }

  function connect() {
    var source = new EventSource("/api/v1/stories/" + encodeURIComponent(section.dataset.slug) +
                                 "/events?since=" + encodeURIComponent(at));
    source.addEventListener("comment", onComment);
    source.addEventListener("removed", onRemoved);
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 30000 + Math.random() * 30000);
    });
  }
  connect();
})();
