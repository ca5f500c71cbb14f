/* kb agents' site: the ticket assistant (theme/kb-assist.html). An agent pastes a ticket (or opens
   assist/?ticket=ID&subject=...&text=... from a helpdesk sidebar or bookmarklet); kb serve's
   /api/suggest answers with the articles, their reasons and confidence, or abstains. Each
   suggestion can be linked to the ticket (POST api/links) or flagged (POST api/flags); the ticket
   can become a draft article (POST api/drafts), downloaded or written by the server. Requests go
   with the agent's session cookie (same origin). Customer text is only ever set as textContent.
   No dependencies, no inline script. */
(function () {
  "use strict";

  var root = document.querySelector("[data-kb-assist]");
  if (!root || !window.fetch || !window.URL) return;
  var d = root.dataset;
  var s = {};
  try { s = JSON.parse(d.strings || "{}"); } catch (e) { s = {}; }
  var api = new URL(d.api || "api/", document.baseURI);
  var site = new URL(d.root || "./", document.baseURI);
  var form = root.querySelector(".kb-assist__form");
  var ticket = form.querySelector("[name=ticket]");
  var subject = form.querySelector("[name=subject]");
  var text = form.querySelector("[name=text]");
  var go = form.querySelector(".kb-assist__go");
  var draftButton = form.querySelector(".kb-assist__draft");
  var status = root.querySelector(".kb-assist__status");
  var results = root.querySelector(".kb-assist__results");
  var heading = results.querySelector("h2");
  var list = results.querySelector("ol");
  var asked = 0;

  function t(key, values) {
    var out = s[key] || key;
    Object.keys(values || {}).forEach(function (k) { out = out.split("{" + k + "}").join(String(values[k])); });
    return out;
  }

  function say(message) { status.textContent = message || ""; }

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content != null) node.textContent = content;
    return node;
  }

  // POST JSON to the API with the session cookie; resolves {status, body}; rejects when offline
  function post(path, payload) {
    return fetch(new URL(path, api).href, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        return { status: r.status, body: body || {} };
      });
    });
  }

  function failed(answer) {
    if (answer.status === 401 || answer.status === 403) return t("assist_signin");
    // a static host (no kb serve behind it) answers POSTs without kb's JSON error
    if (!(answer.body && answer.body.error) && [404, 405, 501].indexOf(answer.status) >= 0) return t("assist_offline");
    return t("assist_failed", { error: (answer.body && answer.body.error) || "HTTP " + answer.status });
  }

  function offline() { say(t("assist_offline")); }

  function ticketText() {
    return [subject.value.trim(), text.value.trim()].filter(Boolean).join("\n");
  }

  function reasons(r) {
    var parts = [];
    if (r.matched_terms && r.matched_terms.length) parts.push(t("assist_matched") + ": " + r.matched_terms.join(", "));
    if (r.section) parts.push(t("assist_section") + ": " + r.section);
    return parts.join(" · ");
  }

  function linkButton(item, row) {
    var b = el("button", "md-button kb-assist__link", t("assist_link"));
    b.type = "button";
    b.addEventListener("click", function () {
      var id = ticket.value.trim();
      if (!id) { say(t("assist_need_ticket")); ticket.focus(); return; }
      b.disabled = true;
      post("links", { ticket: id, article: item.id, lang: d.lang }).then(function (a) {
        if (a.status === 200 || a.status === 201) {
          var done = el("span", "kb-assist__done", t("assist_linked", { ticket: id }));
          done.setAttribute("role", "status");
          b.replaceWith(done);
        } else { b.disabled = false; say(failed(a)); }
      }, function () { b.disabled = false; offline(); });
    });
    row.appendChild(b);
  }

  function flagButton(item, row, li) {
    var b = el("button", "md-button kb-assist__flag", t("assist_flag"));
    b.type = "button";
    b.setAttribute("aria-expanded", "false");
    var box = el("form", "kb-assist__flag-form");
    box.hidden = true;
    var n = li.dataset.rank;
    var fieldset = el("fieldset");
    fieldset.appendChild(el("legend", "", t("assist_flag_reason")));
    ["outdated", "wrong", "unclear", "other"].forEach(function (reason, i) {
      var label = el("label", "kb-assist__reason");
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "reason";
      input.value = reason;
      input.required = true;
      if (i === 0) input.checked = true;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + t("assist_reason_" + reason)));
      fieldset.appendChild(label);
    });
    box.appendChild(fieldset);
    var commentId = "kb-assist-comment-" + n;
    var commentLabel = el("label", "", t("assist_flag_comment"));
    commentLabel.htmlFor = commentId;
    var comment = document.createElement("textarea");
    comment.id = commentId;
    comment.rows = 2;
    comment.maxLength = 2000;
    box.appendChild(commentLabel);
    box.appendChild(comment);
    var send = el("button", "md-button md-button--primary", t("assist_flag_send"));
    send.type = "submit";
    box.appendChild(send);
    b.addEventListener("click", function () {
      box.hidden = !box.hidden;
      b.setAttribute("aria-expanded", String(!box.hidden));
      if (!box.hidden) box.querySelector("input").focus();
    });
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      var reason = box.querySelector("input[name=reason]:checked");
      var payload = { article: item.id, reason: reason ? reason.value : "other", comment: comment.value };
      if (ticket.value.trim()) payload.ticket = ticket.value.trim();
      send.disabled = true;
      post("flags", payload).then(function (a) {
        if (a.status === 201) {
          var done = el("p", "kb-assist__done", t("assist_flagged"));
          done.setAttribute("role", "status");
          box.replaceWith(done);
          b.remove();
          myFlags();
        } else { send.disabled = false; say(failed(a)); }
      }, function () { send.disabled = false; offline(); });
    });
    row.appendChild(b);
    li.appendChild(box);
  }

  function show(answer) {
    list.textContent = "";
    var items = answer.suggestions || [];
    heading.textContent = answer.abstained ? t("assist_none") : t("assist_title");
    results.classList.toggle("kb-assist__results--abstained", !!answer.abstained);
    if (answer.abstained && items.length) {
      list.setAttribute("aria-label", t("assist_weak"));
    } else {
      list.removeAttribute("aria-label");
    }
    items.forEach(function (item, i) {
      var r = item.reasons || {};
      var li = el("li", "kb-assist__item");
      li.dataset.rank = String(i + 1);
      li.dataset.article = item.id;
      var title = el("a", "kb-assist__title", item.title || item.id);
      title.href = new URL(r.section_url || item.url || "", site).href;
      li.appendChild(title);
      var pct = Math.round((item.score || 0) * 100);
      li.appendChild(el("span", "kb-assist__confidence", t("assist_confidence", { n: pct })));
      var why = reasons(r);
      if (why) li.appendChild(el("p", "kb-assist__why", why));
      var row = el("div", "kb-assist__buttons");
      linkButton(item, row);
      flagButton(item, row, li);
      li.insertBefore(row, li.querySelector(".kb-assist__flag-form"));
      list.appendChild(li);
    });
    results.hidden = false;
    say(answer.keywords_only ? t("assist_keywords_only") : "");
    heading.focus();
  }

  function suggest() {
    var words = ticketText();
    if (!words) return;
    var mine = ++asked;
    go.disabled = true;
    say(t("assist_working"));
    post("suggest", { text: words, lang: d.lang, limit: 5 }).then(function (a) {
      if (mine !== asked) return;
      go.disabled = false;
      if (a.status === 200) show(a.body); else say(failed(a));
    }, function () { go.disabled = false; offline(); });
  }

  function download(name, content) {
    var blob = new Blob([content], { type: "text/markdown;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); suggest(); });
  draftButton.addEventListener("click", function () {
    if (!text.value.trim() && !subject.value.trim()) { text.focus(); return; }
    var payload = { text: text.value, subject: subject.value, lang: d.lang };
    if (ticket.value.trim()) payload.ticket = ticket.value.trim();
    draftButton.disabled = true;
    post("drafts", payload).then(function (a) {
      draftButton.disabled = false;
      if (a.status !== 201) { say(failed(a)); return; }
      if (a.body.path) { say(t("assist_written", { file: a.body.path })); return; }
      download(a.body.filename, a.body.markdown);
      say(t("assist_drafted", { file: a.body.filename }));
    }, function () { draftButton.disabled = false; offline(); });
  });

  // the agent's own flags, newest first (GET api/flags?mine=1)
  function myFlags() {
    var box = root.querySelector(".kb-assist__mine");
    if (!box) return;
    fetch(new URL("flags?mine=1", api).href, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        var flags = (j && j.flags) || [];
        var ul = box.querySelector("ul");
        ul.textContent = "";
        flags.slice(0, 10).forEach(function (f) {
          var li = el("li", "kb-list__item");
          var a = el("a", "", f.title || f.article);
          if (f.url) a.href = new URL(f.url, site).href;
          li.appendChild(a);
          var note = t("assist_reason_" + f.reason) + " · " + String(f.at || "").slice(0, 10);
          li.appendChild(el("span", "kb-list__note", f.comment ? note + " · " + f.comment : note));
          ul.appendChild(li);
        });
        box.hidden = flags.length === 0;
      })
      .catch(function () {});
  }

  // prefilled from the URL: a helpdesk sidebar app or a bookmarklet opens assist/?ticket=...&text=...
  var params = new URLSearchParams(window.location.search);
  if (params.get("ticket")) ticket.value = params.get("ticket").slice(0, 100);
  if (params.get("subject")) subject.value = params.get("subject").slice(0, 500);
  if (params.get("text")) text.value = params.get("text").slice(0, 20000);
  if (ticketText()) suggest();
  myFlags();
})();
