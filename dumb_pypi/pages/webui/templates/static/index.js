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

  // Search: filters and ranks the list already on the page, so it works from any static host.
  var search = document.getElementById("search");
  var list = document.getElementById("projects");
  if (!search || !list) {
    return;
  }
  var noMatch = document.getElementById("no-match");
  var rows = Array.prototype.slice.call(list.children);
  var names = rows.map(function (row) { return row.getAttribute("data-name"); });
  var summaries = rows.map(function (row) {
    var summary = row.getElementsByTagName("span")[0];
    return summary ? summary.textContent.toLowerCase() : "";
  });
  var shown = [];  // the rows the last search showed, best first (none: the whole list, in name order)
  var hidden = false;

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
    var words = text.split(/[-_.\s]+/).filter(Boolean);
    var found = [];
    if (query) {
      for (var i = 0; i < rows.length; i++) {
        var r = rank(i, query, words);
        if (r !== -1) { found.push(r * rows.length + i); }  // by rank, then in name order
      }
      found.sort(function (a, b) { return a - b; });
    }
    var next = found.map(function (key) { return rows[key % rows.length]; });
    if (!query) {
      for (var k = 0; k < shown.length; k++) { shown[k].style.order = ""; }
      list.classList.remove("filtered");
      for (var h = 0; hidden && h < rows.length; h++) { rows[h].hidden = false; }
      hidden = false;
    } else {
      if (!hidden) {
        for (var a = 0; a < rows.length; a++) { rows[a].hidden = true; }
        hidden = true;
      } else {
        for (var b = 0; b < shown.length; b++) { shown[b].hidden = true; shown[b].style.order = ""; }
      }
      for (var c = 0; c < next.length; c++) { next[c].hidden = false; next[c].style.order = String(c); }
    }
    shown = next;
    if (noMatch) { noMatch.hidden = !query || next.length > 0; }
  }

  search.addEventListener("input", update);
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var first = shown.length ? shown[0] : (search.value.trim() ? null : rows[0]);
      if (first) {
        event.preventDefault();
        window.location.href = first.href;
      }
    }
  });
  if (search.value) { update(); }
})();
