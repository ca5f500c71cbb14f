/* kb help centre: Pagefind search boxes and the "Was this helpful?" control. No dependencies. */
(function () {
  "use strict";

  // where Pagefind's files are: a data attribute of this script's tag (the CSP refuses inline scripts)
  var script = document.currentScript;
  var bundlePath = (script && script.dataset.kbSearchBundle) || window.kbSearchBundle;

  function setupSearch() {
    if (typeof window.PagefindUI !== "function") return; // no index built: the boxes stay empty
    // an absolute path: Pagefind imports its module from here, and "pagefind/" is a bare specifier
    var bundle = new URL(bundlePath || "pagefind/", document.baseURI).pathname;
    document.querySelectorAll("[data-kb-search]").forEach(function (el, i) {
      if (!el.id) el.id = "kb-search-" + i;
      new window.PagefindUI({
        element: "#" + el.id,
        bundlePath: bundle,
        showImages: false,
        showSubResults: true,
        excerptLength: 24,
        resetStyles: false,
        translations: { placeholder: el.dataset.placeholder || "" },
      });
    });
  }

  function setupFeedback(form) {
    var endpoint = form.dataset.endpoint;
    if (!endpoint || !window.fetch) return; // no endpoint: the control stays hidden
    var ask = form.querySelector(".kb-feedback__ask");
    var reason = form.querySelector(".kb-feedback__reason");
    var thanks = form.querySelector(".kb-feedback__thanks");
    form.hidden = false;

    function send(payload) {
      ask.hidden = true;
      reason.hidden = true;
      thanks.hidden = false;
      thanks.textContent = form.dataset.thanks;
      payload.article = form.dataset.article;
      payload.lang = form.dataset.lang;
      payload.url = window.location.pathname;
      return fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
      }).catch(function () {
        thanks.textContent = form.dataset.thanksOffline;
      });
    }

    form.querySelector(".kb-feedback__yes").addEventListener("click", function () {
      send({ helpful: true });
    });
    form.querySelector(".kb-feedback__no").addEventListener("click", function () {
      ask.hidden = true;
      reason.hidden = false;
      var first = reason.querySelector("input");
      if (first) first.focus();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      send({ helpful: false, reason: data.get("reason") || "", comment: data.get("comment") || "" });
    });
  }

  function setupMermaid() {
    // flowcharts render into the light DOM from the vendored Mermaid: no CDN, printable, testable
    var nodes = document.querySelectorAll(".kb-mermaid");
    if (!nodes.length || !window.mermaid) return;
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    window.mermaid.run({ nodes: nodes });
  }

  function start() {
    setupMermaid();
    setupSearch();
    document.querySelectorAll("form.kb-feedback").forEach(setupFeedback);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
