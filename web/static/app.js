// Progressive enhancement only: every page works without this file. Plain JS, no build step.
(function () {
  "use strict";

  // Local times: <time datetime> shows the reader's own clock instead of UTC.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) {
        t.title = t.textContent;
        t.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
      }
    });
  }

  // Like without reload: post the form with fetch, update the count and the pressed state. On any
  // failure the form is submitted the ordinary way, which shows the error page.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches("form[data-like]")) return;
    e.preventDefault();
    var button = form.querySelector("button");
    // aria-disabled and a flag, not disabled: a disabled button loses the keyboard's focus, which
    // went back to the top of the page.
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    fetch(form.action, { method: "POST", headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (state) {
        form.querySelector("[data-like-count]").textContent = state.like_count;
        button.setAttribute("aria-pressed", state.liked ? "true" : "false");
        form.action = form.action.replace(/\/(like|unlike)$/, state.liked ? "/unlike" : "/like");
        button.firstChild.textContent = state.liked ? "♥ " : "♡ ";
        var label = button.querySelector(".visually-hidden");
        if (label) label.textContent = state.liked ? "likes; you like this, press to unlike" : "likes; press to like";
        button.removeAttribute("aria-disabled");
      })
      .catch(function () { form.submit(); });
  });

  // Confirm destructive buttons: the form asks, or the button that submits it (staff's Delete
  // submits the page's shared moderation form).
  document.addEventListener("submit", function (e) {
    var asker = e.submitter && e.submitter.hasAttribute("data-confirm") ? e.submitter : e.target;
    var msg = asker.getAttribute && asker.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  }, true);

  // Preview in place: render the body through /preview instead of reloading the form.
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-preview]");
    if (!button) return;
    var form = button.closest("form[data-composer]");
    var target = form && form.querySelector("[data-preview-target]");
    if (!target) return;
    e.preventDefault();
    var body = new URLSearchParams();
    body.set("body", form.querySelector("textarea[name=body]").value);
    fetch("/preview", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        target.innerHTML = "<h2>Preview</h2>";
        var div = document.createElement("div");
        div.className = "post-body";
        div.setAttribute("data-testid", "preview");
        div.innerHTML = html; // rendered and sanitised by the server, as a stored post is
        target.appendChild(div);
      })
      .catch(function () { button.form.requestSubmit(button); });
  });

  // Quote and reply without leaving the thread: fill the reply box at the bottom of the page.
  document.addEventListener("click", function (e) {
    var link = e.target.closest("[data-quote], [data-reply-to]");
    if (!link) return;
    var box = document.querySelector("[data-testid=reply-box] form[data-composer]");
    if (!box) return;
    e.preventDefault();
    var textarea = box.querySelector("textarea[name=body]");
    var setReplyTo = function (id) {
      var input = box.querySelector("input[name=in_reply_to]");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = "in_reply_to";
        box.appendChild(input);
      }
      input.value = id;
    };
    var id = link.getAttribute("data-quote") || link.getAttribute("data-reply-to");
    setReplyTo(id);
    if (!link.hasAttribute("data-quote")) { textarea.focus(); return; }
    fetch(link.href, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var quoted = doc.querySelector("textarea[name=body]");
        textarea.value = (textarea.value ? textarea.value.replace(/\s*$/, "\n\n") : "") + (quoted ? quoted.value : "");
        textarea.focus();
        textarea.setSelectionRange(textarea.value.length, textarea.value.length);
      })
      .catch(function () { window.location = link.href; });
  });

  // Load more: fetch the next page and append its items to the list, replacing the link.
  document.addEventListener("click", function (e) {
    var link = e.target.closest("a[data-load-more]");
    if (!link) return;
    var list = document.querySelector("[data-testid=" + link.getAttribute("data-load-more") + "]");
    if (!list) return;
    e.preventDefault();
    fetch(link.href, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.querySelector("[data-testid=" + link.getAttribute("data-load-more") + "]");
        var first = null;
        if (next) {
          Array.prototype.slice.call(next.children).forEach(function (item) {
            var node = document.adoptNode(item);
            if (!first) first = node;
            list.appendChild(node);
            localTimes(node);
          });
        }
        var more = doc.querySelector("a[data-load-more]");
        if (more) { link.href = more.href; } else { link.parentNode.removeChild(link); }
        if (first) {
          var focusable = first.querySelector("a");
          if (focusable) focusable.focus();
        }
      })
      .catch(function () { window.location = link.href; });
  });

  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
})();
