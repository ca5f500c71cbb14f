/* kb help centre: the contact page (theme/kb-contact.html). While the customer types, it shows the
   articles that may answer the question: from kb serve's /api/suggest when the site is served by
   kb serve (GET api/health answers), else from Pagefind in the browser. "This answered my
   question" closes the form. Deflections, submissions and the suggestions shown are reported to
   api/events only when kb serve answers; a static host gets nothing. No dependencies. */
(function () {
  "use strict";

  var root = document.querySelector("[data-kb-contact]");
  if (!root || !window.fetch || !window.URL) return; // the direct contact links stay
  var d = root.dataset;
  var form = root.querySelector(".kb-contact-form");
  var subject = form.querySelector("[name=subject]");
  var description = form.querySelector("[name=description]");
  var email = form.querySelector("[name=email]");
  var button = form.querySelector(".kb-contact-form__send");
  var box = form.querySelector(".kb-contact-suggestions");
  var list = box.querySelector("ul");
  var status = form.querySelector(".kb-contact-form__status");
  var thanks = root.querySelector(".kb-contact-thanks");
  var api = new URL(d.api || "api/", document.baseURI);
  var site = new URL(d.root || "./", document.baseURI);
  var SHOWN = 5;
  var DELAY = 350; // ms of quiet typing before asking
  var shown = []; // the suggestions on screen: {ref, title, url}
  var reported = ""; // the refs last reported as shown
  var asked = 0; // the latest request: older answers are dropped
  var timer = 0;
  var served = null;
  var pagefind = null;

  function isServed() {
    if (!served) {
      served = fetch(new URL("health", api).href, {
        headers: { Accept: "application/json" },
        cache: "no-store",
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) { return !!j && (j.status === "ok" || j.status === "degraded"); })
        .catch(function () { return false; });
    }
    return served;
  }

  function report(payload) {
    return isServed().then(function (yes) {
      if (!yes) return; // without kb serve nothing is sent
      payload.lang = d.lang;
      return fetch(new URL("events", api).href, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
        keepalive: true, // the page may be left right after (mailto:, the helpdesk)
      }).catch(function () {});
    });
  }

  function fromServer(text) {
    return fetch(new URL("suggest", api).href, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ text: text, lang: d.lang, limit: SHOWN }),
    })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (j) {
        // an abstention still lists its candidates: shown when words of the text matched them
        return j.suggestions.filter(function (s) {
          var terms = s.reasons && s.reasons.matched_terms;
          return !j.abstained || (terms && terms.length > 0);
        }).map(function (s) {
          return { ref: s.id, title: s.title, url: new URL(s.url, site).href };
        });
      });
  }

  function loadPagefind() {
    if (!pagefind) {
      var bundle = new URL(d.bundle || "pagefind/", document.baseURI).href;
      pagefind = import(bundle + "pagefind.js");
    }
    return pagefind;
  }

  function fromPagefind(text) {
    var words = text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) || [];
    if (!words.length) return Promise.resolve([]);
    return loadPagefind().then(function (pf) {
      return pf.search(words.slice(0, 12).join(" ")).then(function (found) {
        if (found && found.results.length) return found.results.slice(0, SHOWN);
        // nothing has every word: the longest words one by one, pages found by more first
        var longest = words.filter(function (w, i) { return words.indexOf(w) === i; })
          .sort(function (a, b) { return b.length - a.length; }).slice(0, 4);
        return Promise.all(longest.map(function (w) { return pf.search(w); })).then(function (all) {
          var hits = {};
          var order = [];
          all.forEach(function (res) {
            (res ? res.results : []).slice(0, 10).forEach(function (r, rank) {
              if (!hits[r.id]) { hits[r.id] = { r: r, n: 0, rank: rank }; order.push(r.id); }
              hits[r.id].n += 1;
            });
          });
          order.sort(function (a, b) { return hits[b].n - hits[a].n || hits[a].rank - hits[b].rank; });
          return order.slice(0, SHOWN).map(function (id) { return hits[id].r; });
        });
      });
    }).then(function (results) {
      return Promise.all(results.map(function (r) { return r.data(); }));
    }).then(function (pages) {
      return pages.map(function (p) {
        var url = new URL(p.url, site);
        return { ref: url.pathname, title: (p.meta && p.meta.title) || p.url, url: url.href };
      });
    });
  }

  function render(items) {
    shown = items;
    list.textContent = "";
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.className = "kb-contact-suggestion";
      var link = document.createElement("a");
      link.className = "kb-contact-suggestion__link";
      link.id = "kb-contact-suggestion-" + i;
      link.href = item.url;
      link.textContent = item.title;
      var yes = document.createElement("button");
      yes.type = "button";
      yes.className = "md-button kb-contact-suggestion__answered";
      yes.textContent = d.answered;
      yes.setAttribute("aria-describedby", link.id);
      yes.addEventListener("click", function () { deflect(item); });
      li.appendChild(link);
      li.appendChild(yes);
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
    var refs = items.map(function (item) { return item.ref; });
    if (refs.length && refs.join("\n") !== reported) {
      reported = refs.join("\n");
      report({ event: "suggestions", articles: refs, source: "contact" });
    }
  }

  function suggest() {
    var text = (subject.value + "\n\n" + description.value).trim();
    var mine = ++asked;
    if (text.length < 3) { render([]); return; }
    isServed()
      .then(function (yes) {
        if (!yes) return fromPagefind(text);
        return fromServer(text).catch(function () { return fromPagefind(text); });
      })
      .then(function (items) { if (mine === asked) render(items.slice(0, SHOWN)); })
      .catch(function () { if (mine === asked) render([]); });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, DELAY);
  }

  function finish(message, item) {
    form.hidden = true;
    thanks.hidden = false;
    thanks.textContent = message;
    if (item) {
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title;
      thanks.appendChild(document.createTextNode(" "));
      thanks.appendChild(link);
    }
    thanks.focus();
  }

  function deflect(item) {
    report({ event: "deflection", article: item.ref, source: "contact" });
    finish(d.deflected, item);
  }

  function refs() {
    return shown.map(function (item) { return item.ref; });
  }

  function sendToServer(fields) {
    button.disabled = true;
    status.textContent = d.sending;
    fields.email = email && email.value.trim() ? email.value.trim() : null;
    fields.lang = d.lang;
    fields.suggested = refs();
    fetch(new URL("requests", api).href, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(fields),
    })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        report({ event: "submission", suggested: refs(), source: "contact" });
        finish(d.sent);
      })
      .catch(function () {
        button.disabled = false;
        status.textContent = d.failed;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.reportValidity()) return;
    var fields = { subject: subject.value.trim(), description: description.value.trim() };
    if (d.to === "server") { sendToServer(fields); return; }
    var target;
    if (d.to === "email") {
      target = "mailto:" + d.email + "?subject=" + encodeURIComponent(fields.subject) +
        "&body=" + encodeURIComponent(fields.description);
    } else {
      var url = new URL(d.url, document.baseURI);
      if (d.method !== "link") {
        url.searchParams.set("subject", fields.subject);
        url.searchParams.set("description", fields.description);
      }
      target = url.href;
    }
    var sent = report({ event: "submission", suggested: refs(), source: "contact" });
    var wait = new Promise(function (resolve) { window.setTimeout(resolve, 500); });
    Promise.race([sent, wait]).then(function () {
      if (d.to === "email") finish(d.mailOpened);
      window.location.href = target;
    });
  });

  subject.addEventListener("input", schedule);
  description.addEventListener("input", schedule);
  form.hidden = false;
  isServed();
  if (subject.value || description.value) schedule(); // text the browser restored
})();
