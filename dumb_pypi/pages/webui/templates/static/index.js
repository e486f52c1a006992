// The web UI's only script; every page loads it. Without it, every page
// works: the home page lists every project, install lines show the index's path.
(function () {
  "use strict";

  // The install line: the index's address, from this page's own (the index does not know where it is served).
  var install = document.getElementById("install-command");
  if (install && install.getAttribute("data-index")) {
    var index = new URL(install.getAttribute("data-index"), window.location.href).href;
    install.textContent = install.textContent.replace(install.getAttribute("data-index"), index);
  }

  // Search: ranks the projects already on the page, so it works from any static host.
  var search = document.getElementById("search");
  var all = document.getElementById("all");
  var results = document.getElementById("results");
  if (!search || !all || !results) {
    return;
  }
  var LIMIT = 100;  // results shown at once: more is a query to narrow
  var noMatch = document.getElementById("no-match");
  var more = document.getElementById("more");
  var rows = Array.prototype.slice.call(all.children);
  var names = rows.map(function (row) { return row.getAttribute("data-name"); });
  var summaries = rows.map(function (row) {
    var summary = row.getElementsByTagName("span")[0];
    return summary ? summary.textContent.toLowerCase() : "";
  });

  // 0: the exact name; 1: a name that starts with the query; 2: one that has it;
  // 3: every word in the name or the summary; -1: no match.
  function rank(i, query, words) {
    var name = names[i];
    if (name === query) { return 0; }
    if (name.lastIndexOf(query, 0) === 0) { return 1; }
    if (name.indexOf(query) !== -1) { return 2; }
    for (var w = 0; w < words.length; w++) {
      if (name.indexOf(words[w]) === -1 && summaries[i].indexOf(words[w]) === -1) { return -1; }
    }
    return 3;
  }

  function update() {
    var text = search.value.toLowerCase().trim();
    var query = text.replace(/[-_.\s]+/g, "-");
    if (!query) {
      results.hidden = true;
      results.textContent = "";
      more.hidden = true;
      noMatch.hidden = true;
      all.classList.remove("searching");
      return;
    }
    var words = text.split(/[-_.\s]+/).filter(Boolean);
    var found = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rank(i, query, words);
      if (r !== -1) { found.push(r * rows.length + i); }  // by rank, then in name order
    }
    found.sort(function (a, b) { return a - b; });
    var shown = document.createDocumentFragment();
    for (var k = 0; k < found.length && k < LIMIT; k++) {
      shown.appendChild(rows[found[k] % rows.length].cloneNode(true));
    }
    results.textContent = "";
    results.appendChild(shown);
    all.classList.add("searching");
    results.hidden = false;
    noMatch.hidden = found.length > 0;
    more.hidden = found.length <= LIMIT;
    more.textContent = "The first " + LIMIT + " of " + found.length + " projects: type more to narrow the search.";
  }

  search.addEventListener("input", update);
  search.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    var first = (results.hidden ? all : results).querySelector("a");
    if (first && first.href) {
      event.preventDefault();
      window.location.href = first.href;
    }
  });
  if (search.value) { update(); }
})();
