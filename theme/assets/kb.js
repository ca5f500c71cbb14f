/* kb help centre: the "Was this helpful?" control and Mermaid (search: kb-search.js). No dependencies. */
(function () {
  "use strict";

  function voted(article, value) {
    // remember a vote on this device, so a reload does not offer the buttons again
    var key = "kb-voted:" + article;
    try {
      if (value) window.localStorage.setItem(key, value);
      return window.localStorage.getItem(key);
    } catch (e) {
      return null; // storage switched off: one vote per page view
    }
  }

  function setupFeedback(form) {
    var endpoint = form.dataset.endpoint;
    if (!endpoint || !window.fetch) return; // no endpoint: the control stays hidden
    var ask = form.querySelector(".kb-feedback__ask");
    var reason = form.querySelector(".kb-feedback__reason");
    var thanks = form.querySelector(".kb-feedback__thanks");
    var sent = false;
    form.hidden = false;

    function thank(text) {
      ask.hidden = true;
      reason.hidden = true;
      thanks.hidden = false;
      thanks.textContent = text;
    }

    if (voted(form.dataset.article)) {
      thank(form.dataset.thanks);
      return;
    }

    function send(payload) {
      if (sent) return; // one vote per article
      sent = true;
      voted(form.dataset.article, payload.helpful ? "yes" : "no");
      thank(form.dataset.thanks);
      thanks.focus(); // the button that had the focus is gone
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

  function setupHeader() {
    // phones: the header search opens from a button; the language menu closes like a menu
    var header = document.querySelector(".kb-header");
    if (!header) return;
    var toggle = header.querySelector(".kb-search-toggle");
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var open = header.classList.toggle("kb-header--search-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        var input = header.querySelector(".kb-header__search input");
        if (open && input) input.focus();
      });
    }
    var menus = document.querySelectorAll("details.kb-lang-menu");
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) {
        if (menu.open && !menu.contains(event.target)) menu.open = false;
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      menus.forEach(function (menu) {
        if (menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
      if (toggle && header.classList.contains("kb-header--search-open")) {
        header.classList.remove("kb-header--search-open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  function setupMermaid() {
    // flowcharts render into the light DOM from the vendored Mermaid: no CDN, printable, testable
    var nodes = document.querySelectorAll(".kb-mermaid");
    if (!nodes.length || !window.mermaid) return;
    // in the site's palette (Material's colour variables), not Mermaid's default lavender
    var style = window.getComputedStyle(document.body);
    function colour(name, fallback) {
      var value = style.getPropertyValue(name).trim();
      return /^(#|rgb|hsl)/.test(value) ? value : fallback;
    }
    var primary = colour("--md-primary-fg-color", "#009485");
    var text = colour("--md-default-fg-color", "#000000");
    window.mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme: "base",
      flowchart: { useMaxWidth: true, nodeSpacing: 30, rankSpacing: 36 },
      themeVariables: {
        fontFamily: style.fontFamily,
        fontSize: "14px",
        primaryColor: colour("--md-default-bg-color", "#ffffff"),
        primaryBorderColor: primary,
        primaryTextColor: text,
        secondaryColor: colour("--md-code-bg-color", "#f5f5f5"),
        tertiaryColor: colour("--md-code-bg-color", "#f5f5f5"),
        lineColor: primary,
        textColor: text,
        edgeLabelBackground: colour("--md-default-bg-color", "#ffffff"),
      },
    });
    window.mermaid.run({ nodes: nodes });
  }

  function start() {
    setupHeader();
    setupMermaid();
    document.querySelectorAll("form.kb-feedback").forEach(setupFeedback);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
