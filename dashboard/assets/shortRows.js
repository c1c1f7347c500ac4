// A server-drawn table (dashboard/short_rows.py, used by dashboard/short_table.py): one React component draws
// the header, every <tr> and <td> and the pager from what the server already formatted, where a Dash component
// per header cell, sort button, row, cell, link and sparkline made dash-renderer track ~30 more components per
// table (its work on a warm load grows with the components it tracks). A header click or Previous / Next is
// reported in the `clicked` prop ({sort: field} or {page: "previous" | "next"}, with a count so a second click on
// the same header fires again); the server redraws the table (dashboard/short_table.py, one callback).
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

  function header(column, click) {
    var label = text(column.label);
    var style = column.minWidth ? { minWidth: Number(column.minWidth) + "px" } : undefined;
    if (column.sort !== "ascending" && column.sort !== "descending" && column.sort !== "none") {
      return h("th", { scope: "col", className: column.className || undefined, style: style }, label);
    }
    var arrow = column.sort === "descending" ? " \u25BC" : column.sort === "ascending" ? " \u25B2" : "";
    return h("th", { scope: "col", className: column.className || undefined, style: style, "aria-sort": column.sort },
      h("button", { type: "button", title: "Sort by " + label, onClick: function () { click({ sort: column.field }); },
        className: "btn btn-link btn-sm p-0 text-reset fw-semibold text-decoration-none short-table-sort" },
        label, h("span", { "aria-hidden": "true" }, arrow)));
  }

  function pager(props, click) {
    var p = props.pager;
    if (!p || typeof p !== "object") {
      return null;
    }
    return h("div", { className: "d-flex align-items-center justify-content-end small" },
      h("span", { className: "me-2" }, text(p.text)),
      h("button", { type: "button", disabled: !p.previous, className: "btn btn-outline-secondary btn-sm me-1",
        onClick: function () { click({ page: "previous" }); } }, "\u2039 Previous"),
      h("button", { type: "button", disabled: !p.next, className: "btn btn-outline-secondary btn-sm",
        onClick: function () { click({ page: "next" }); } }, "Next \u203A"));
  }

  function ShortTable(props) {
    var head = Array.isArray(props.head) ? props.head : [];
    var classes = Array.isArray(props.classes) ? props.classes : [];
    var rows = Array.isArray(props.rows) ? props.rows : [];
    if (rows.length === 0) {
      return h("div", { className: "text-muted small py-2" }, text(props.empty));
    }
    var count = props.clicked && typeof props.clicked.n === "number" ? props.clicked.n : 0;
    function click(what) {
      if (typeof props.setProps === "function") {
        props.setProps({ clicked: Object.assign({ n: count + 1 }, what) });
      }
    }
    var body = h("tbody", null, rows.map(function (row, i) {
      var cells = Array.isArray(row) ? row : [];
      return h("tr", { key: i }, cells.map(function (cell, j) {
        return h("td", { key: j, className: classes[j] || undefined }, content(cell));
      }));
    }));
    var table = h("table", { className: "table table-sm table-hover align-middle mb-1 small" },
      h("thead", null, h("tr", null, head.map(function (column, j) {
        return h(window.React.Fragment, { key: j }, header(column, click));
      }))), body);
    return h(window.React.Fragment, null, h("div", { className: "table-responsive short-table" }, table),
      pager(props, click));
  }

  window.hitscope = Object.assign(window.hitscope || {}, { ShortTable: ShortTable });
})();
