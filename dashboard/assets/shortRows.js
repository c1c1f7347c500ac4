// The body of a server-drawn table (dashboard/short_rows.py, used by dashboard/short_table.py): one React
// component draws every <tr> and <td> from the cells the server already formatted, where a Dash component per
// row, cell, link and sparkline made dash-renderer track ~400 more components on Morning (most of a warm load).
// A cell is text, {text, href} (a link inside the app, followed without a page load as dcc.Link does) or
// {points, up, alt, width, height} (a sparkline: an inline SVG polyline, green when up, red when down; points
// only of digits, commas, dots and spaces). Anything else is drawn as text: React escapes it.
(function () {
  var h = window.React.createElement;

  function local(href) {
    return typeof href === "string" && href.charAt(0) === "/" && href.charAt(1) !== "/" && href.charAt(1) !== "\\";
  }

  function follow(event, href) {
    if (event.metaKey || event.shiftKey || event.altKey || event.ctrlKey || event.button !== 0) {
      return; // a new tab or window: the browser's own link
    }
    event.preventDefault();
    window.history.pushState({}, "", href);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    window.scrollTo(0, 0);
  }

  function text(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function content(cell) {
    if (cell === null || typeof cell !== "object") {
      return text(cell);
    }
    if (local(cell.href)) {
      return h("a", { href: cell.href, title: text(cell.text), onClick: function (e) { follow(e, cell.href); } },
        text(cell.text));
    }
    if (typeof cell.points === "string" && /^[0-9., ]*$/.test(cell.points)) {
      var width = Number(cell.width) || 0, height = Number(cell.height) || 0;
      return h("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img",
        "aria-label": text(cell.alt), className: "sparkline" },
        h("polyline", { points: cell.points, fill: "none", stroke: cell.up ? "#198754" : "#dc3545",
          strokeWidth: 1.6 }));
    }
    return text(cell.text);
  }

  function ShortRows(props) {
    var classes = Array.isArray(props.classes) ? props.classes : [];
    var rows = Array.isArray(props.rows) ? props.rows : [];
    return h("tbody", { id: typeof props.id === "string" ? props.id : undefined }, rows.map(function (row, i) {
      var cells = Array.isArray(row) ? row : [];
      return h("tr", { key: i }, cells.map(function (cell, j) {
        return h("td", { key: j, className: classes[j] || undefined }, content(cell));
      }));
    }));
  }

  window.hitscope = Object.assign(window.hitscope || {}, { ShortRows: ShortRows });
})();
