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

  function newKey() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  function showError(message, field) {
    var box = form.querySelector(".form-error");
    if (!box) {
      box = document.createElement("p");
      box.className = "form-error";
      box.id = "form-error";
      box.setAttribute("role", "alert");
      form.insertBefore(box, form.querySelector("input[name=csrf_token]"));
    }
    box.textContent = message;
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var input = field && form.elements[field];
    if (input && input.focus) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "form-error");
      input.focus();
    }
  }

  function clearError() {
    var box = form.querySelector(".form-error");
    if (box) box.remove();
  }

  function replyTo(id, name) {
    var li = document.getElementById("c" + id);
    if (!li) return;
    var article = li.querySelector(":scope > article");
    var actions = article.querySelector(":scope > .comment-actions");
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
        .then(function (html) { more.closest("li").outerHTML = html; })
        .catch(function () { window.location = more.href; });
      return;
    }
    var spoiler = event.target.closest(".spoiler");
    if (spoiler) spoiler.classList.toggle("revealed");
  });

  section.querySelectorAll(".spoiler").forEach(function (s) { s.setAttribute("tabindex", "0"); });

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
          showError(err.message || "Could not post the comment.", err.field);
          return;
        }
        clearError();
        try { localStorage.setItem("parley-edit-" + res.data.id, res.data.edit_token); } catch (e) { /* private mode */ }
        form.elements.body.value = "";
        form.elements.spoiler.checked = false;
        form.elements.idempotency_key.value = newKey();
        resetForm();
        insertComment(res.data);
      })
      .catch(function () { showError("Could not reach the server. Your comment is still here; try again."); })
      .finally(function () { button.disabled = false; });
  });
})();
