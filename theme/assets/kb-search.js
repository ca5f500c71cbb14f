/* kb help centre: the search boxes. Pagefind UI, with query words the site does not know fixed from
   its vocabulary (assets/kb-vocab-<lang>.json, written by kb.site.vocab and loaded on the first
   search): typos, compounds and synonyms. When `kb serve` serves the site, searches and result
   clicks are reported to its api/events. No dependencies; no inline script (the page's CSP). */
(function () {
  "use strict";

  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var lang = (document.documentElement.getAttribute("lang") || "en").toLowerCase();
  // absolute: Pagefind imports its module from here, and "pagefind/" is a bare specifier
  var bundle = new URL(data.kbSearchBundle || "pagefind/", document.baseURI);
  var root = new URL("../", bundle); // the site root: api/health and api/events are below it
  var WORD = /[\p{L}\p{N}]+(?:[-'\u2019][\p{L}\p{N}]+)*/gu;
  var TYPO_MIN = 4; // shorter words are never corrected
  var LONG = 8; // from this length two typos are allowed, one below
  var COMPOUND_MIN = 7;
  var PART_MIN = 3;
  var EVENT_IDLE_MS = 1500;
  // endings cut before comparing with known words, so an inflection the site does not hold
  // ("refunded" beside "refund") is left to Pagefind's stemming rather than "corrected"
  var ENDINGS = {
    en: ["ing", "ies", "ed", "es", "er", "ly", "s"],
    nl: ["heden", "ingen", "tjes", "ing", "jes", "ten", "den", "tje", "en", "te", "de", "je", "e", "s", "t"],
    sv: ["arna", "erna", "orna", "ande", "ende", "heten", "het", "ar", "er", "or", "en", "et", "na", "a", "e", "s", "t"],
  };

  function fold(word) {
    return word.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/ß/g, "ss").replace(/ø/g, "o").replace(/æ/g, "ae");
  }

  function base(word) {
    var endings = ENDINGS[lang.split("-")[0]] || [];
    for (var i = 0; i < endings.length; i++) {
      var e = endings[i];
      if (word.length - e.length >= 4 && word.slice(-e.length) === e) return word.slice(0, -e.length);
    }
    return word;
  }

  // -- the vocabulary --------------------------------------------------------------------------
  var vocabPromise = null;
  var vocab = null;

  function loadVocab() {
    if (!vocabPromise) {
      var url = new URL(data.kbVocab || "../assets/kb-vocab-" + lang + ".json", document.baseURI);
      vocabPromise = fetch(url)
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (json) { vocab = makeVocab(json); return vocab; })
        .catch(function () { vocab = makeVocab(null); return vocab; });
    }
    return vocabPromise;
  }

  function makeVocab(json) {
    var v = { df: new Map(), folded: new Map(), bases: new Set(), stop: new Set(), syn: {}, links: [], list: [] };
    if (!json || json.v !== 1) return v;
    Object.keys(json.df || {}).forEach(function (n) {
      json.df[n].split(" ").forEach(function (w) {
        if (!w) return;
        var f = fold(w);
        v.df.set(w, +n);
        v.list.push([f, w, +n]);
        var seen = v.folded.get(f);
        if (!seen || v.df.get(seen) < +n) v.folded.set(f, w);
        v.bases.add(base(w));
      });
    });
    (json.stop || "").split(" ").forEach(function (w) { if (w) v.stop.add(w); });
    v.syn = json.syn || {};
    v.links = json.links || [];
    return v;
  }

  function known(v, word) {
    return v.df.has(word) || v.stop.has(word) || v.bases.has(base(word));
  }

  // optimal string alignment distance (Damerau-Levenshtein with adjacent swaps), or max + 1
  function distance(a, b, max) {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    var prev2 = null, prev = [], cur, i, j;
    for (j = 0; j <= b.length; j++) prev[j] = j;
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
        if (prev2 && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
        cur[j] = d;
        if (d < best) best = d;
      }
      if (best > max) return max + 1;
      prev2 = prev;
      prev = cur;
    }
    return prev[b.length];
  }

  // the known word closest to `word`: fewest edits, then the most frequent
  function typo(v, word) {
    var f = fold(word);
    var same = v.folded.get(f);
    if (same && same !== word) return same; // only the accents differ
    var max = word.length >= LONG ? 2 : 1;
    var best = null, bestD = max + 1, bestDf = 0;
    for (var i = 0; i < v.list.length; i++) {
      var e = v.list[i];
      if (e[0].length < TYPO_MIN) continue;
      var d = distance(f, e[0], Math.min(max, bestD));
      if (d < bestD || (d === bestD && d <= max && e[2] > bestDf)) {
        best = e[1];
        bestD = d;
        bestDf = e[2];
      }
    }
    return bestD <= max ? best : null;
  }

  // a compound the vocabulary explains: "wachtwoordherstel" -> "wachtwoord herstel"
  function split(v, word) {
    if (!v.links.length || word.length < COMPOUND_MIN) return null;
    var best = null, score = 0;
    for (var i = PART_MIN; i <= word.length - PART_MIN; i++) {
      var head = word.slice(0, i), tail = word.slice(i);
      if (!known(v, tail)) continue;
      var heads = v.links.filter(function (k) { return head.length > k.length && head.slice(-k.length) === k; })
        .map(function (k) { return head.slice(0, -k.length); }).concat([head]);
      for (var j = 0; j < heads.length; j++) {
        var h = heads[j];
        if (h.length >= PART_MIN && known(v, h) && Math.min(h.length, tail.length) > score) {
          best = h + " " + tail;
          score = Math.min(h.length, tail.length);
          break;
        }
      }
    }
    return best;
  }

  // two words that make one known word: "lösen ord" -> "lösenord"
  function join(v, a, b) {
    if (!v.links.length) return null;
    var tries = [""].concat(v.links);
    for (var i = 0; i < tries.length; i++) {
      if (v.df.has(a + tries[i] + b)) return a + tries[i] + b;
    }
    return null;
  }

  function synonym(v, words, start) {
    for (var n = Math.min(4, words.length - start); n > 0; n--) {
      var phrase = words.slice(start, start + n);
      var alts = v.syn[phrase.join(" ")];
      if (!alts || phrase.every(function (w) { return known(v, w); })) continue;
      for (var i = 0; i < alts.length; i++) {
        if (alts[i].split(" ").every(function (w) { return known(v, w); })) return [n, alts[i]];
      }
    }
    return null;
  }

  // the query with its unknown words fixed, or null when nothing needs fixing
  function correct(v, query) {
    var words = query.toLowerCase().match(WORD) || [];
    var out = [], changed = false, i = 0;
    while (i < words.length) {
      var w = words[i];
      var syn = synonym(v, words, i);
      if (syn) {
        out.push(syn[1]);
        i += syn[0];
        changed = true;
        continue;
      }
      var joined = i + 1 < words.length ? join(v, w, words[i + 1]) : null;
      if (joined) {
        out.push(joined);
        i += 2;
        changed = true;
        continue;
      }
      i += 1;
      var fix = null;
      if (!known(v, w) && w.length >= TYPO_MIN && !/[\d\-'\u2019]/.test(w)) {
        fix = v.folded.get(fold(w)) || split(v, w) || typo(v, w);
      }
      if (fix && fix !== w) changed = true;
      out.push(fix || w);
    }
    return changed ? out.join(" ") : null;
  }

  // -- search analytics, only when kb serve serves the site --------------------------------------
  var served = null;

  function sendEvent(payload) {
    if (!window.fetch) return;
    if (!served) {
      served = fetch(new URL("api/health", root), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) { return !!j && typeof j.status === "string"; })
        .catch(function () { return false; });
    }
    if (!payload) return;
    served.then(function (ok) {
      if (!ok) return; // a static host: nothing to send to
      fetch(new URL("api/events", root), {
        method: "POST",
        keepalive: true,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      }).catch(function () {});
    });
  }

  function countResults(query) {
    return import(new URL("pagefind.js", bundle).href)
      .then(function (pf) { return pf.search(query); })
      .then(function (s) { return s && s.results ? s.results.length : 0; })
      .catch(function () { return 0; });
  }

  // -- the boxes ---------------------------------------------------------------------------------
  function phrase(template, query, button) {
    var el = document.createElement(button ? "button" : "span");
    if (button) el.type = "button";
    var parts = (template || "{query}").split("{query}");
    el.appendChild(document.createTextNode(parts[0]));
    var q = document.createElement("em");
    q.textContent = query;
    el.appendChild(q);
    el.appendChild(document.createTextNode(parts.slice(1).join("")));
    return el;
  }

  function setupBox(el, index) {
    if (!el.id) el.id = "kb-search-" + index;
    var state = { kept: null, searched: "", pending: null };
    var notice = document.createElement("p");
    notice.className = "kb-search-fix";
    notice.hidden = true;
    notice.setAttribute("aria-live", "polite");

    var ui = new window.PagefindUI({
      element: "#" + el.id,
      bundlePath: bundle.pathname,
      showImages: false,
      showSubResults: true,
      excerptLength: 24,
      resetStyles: false,
      translations: { placeholder: el.dataset.placeholder || "" },
      processTerm: processTerm,
    });
    // Pagefind's input has a title only; a label of its own for screen readers (axe: label-title-only)
    var labelled = window.setInterval(function () {
      var input = el.querySelector("input");
      if (!input) return;
      input.setAttribute("aria-label", el.dataset.placeholder || input.title || "Search");
      window.clearInterval(labelled);
    }, 50);

    function showNotice(typed, fixed) {
      notice.textContent = "";
      notice.hidden = !fixed;
      if (!fixed) return;
      notice.appendChild(phrase(data.kbCorrected, fixed, false));
      notice.appendChild(document.createTextNode(" "));
      var again = phrase(data.kbOriginal, typed, true);
      again.className = "kb-search-fix__original";
      again.addEventListener("click", function () {
        state.kept = typed.trim().toLowerCase();
        var input = el.querySelector(".pagefind-ui__search-input");
        if (input) input.focus();
        ui.triggerFilters({}); // searches the box's text again, now as typed
      });
      notice.appendChild(again);
      var form = el.querySelector(".pagefind-ui__form");
      var drawer = el.querySelector(".pagefind-ui__drawer");
      if (form && notice.parentNode !== form) form.insertBefore(notice, drawer);
      else if (form && drawer && notice.nextSibling !== drawer) form.insertBefore(notice, drawer);
    }

    function processTerm(term) {
      var typed = term;
      var search = term;
      if (state.kept !== null && state.kept !== term.trim().toLowerCase()) state.kept = null;
      if (!vocab) {
        loadVocab().then(function () {
          var input = el.querySelector(".pagefind-ui__search-input");
          if (input && input.value === typed) ui.triggerFilters({}); // again, with the vocabulary
        });
        showNotice(null, null);
      } else {
        var fixed = state.kept === null ? correct(vocab, term) : null;
        showNotice(typed, fixed);
        if (fixed) search = fixed;
      }
      state.searched = search;
      scheduleSearchEvent(typed, search);
      return search;
    }

    function scheduleSearchEvent(typed, search) {
      sendEvent(null); // asks api/health once
      if (state.pending) clearTimeout(state.pending.timer);
      state.pending = { query: typed.trim(), search: search };
      state.pending.timer = setTimeout(flushSearchEvent, EVENT_IDLE_MS);
    }

    function flushSearchEvent() {
      var p = state.pending;
      state.pending = null;
      if (!p || !p.query) return;
      clearTimeout(p.timer);
      countResults(p.search).then(function (n) {
        sendEvent({ event: "search", lang: lang, query: p.query, results: n });
      });
    }

    el.addEventListener("input", function () { loadVocab(); }, true);
    el.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest(".pagefind-ui__result-link");
      if (!link) return;
      var query = (state.pending && state.pending.query) || (el.querySelector(".pagefind-ui__search-input") || {}).value || "";
      flushSearchEvent();
      var item = link.closest(".pagefind-ui__result");
      var items = Array.prototype.slice.call(el.querySelectorAll(".pagefind-ui__result"));
      var url = new URL(link.getAttribute("href"), document.baseURI);
      sendEvent({ event: "click", lang: lang, query: query.trim(), url: url.pathname, rank: items.indexOf(item) + 1 });
    });
    // the keyboard: ArrowDown from the box to the first result, then from result to result
    el.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      var input = el.querySelector(".pagefind-ui__search-input");
      var links = Array.prototype.slice.call(el.querySelectorAll(".pagefind-ui__result-title .pagefind-ui__result-link"));
      var at = links.indexOf(document.activeElement);
      if (document.activeElement !== input && at < 0) return;
      if (!links.length) return;
      event.preventDefault();
      if (event.key === "ArrowDown") links[Math.min(at + 1, links.length - 1)].focus();
      else if (at <= 0) input.focus();
      else links[at - 1].focus();
    });
  }

  function start() {
    if (typeof window.PagefindUI !== "function") return; // no index built: the boxes stay empty
    document.querySelectorAll("[data-kb-search]").forEach(setupBox);
  }

  window.kbSearch = { correct: function (q) { return loadVocab().then(function (v) { return correct(v, q); }); } };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
