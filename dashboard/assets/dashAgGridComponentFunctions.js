// Cell renderers for dash-ag-grid, referenced by name from the column definitions (no eval: the CSP forbids it).
// Each shows the cell's value formatted, while the value itself (what sorting, filtering and CSV export use)
// stays plain: EntityLink a name, Num a number, Spark a list of the last 28 daily values.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

dagcomponentfuncs.EntityLink = function (props) {
  var kind = props.colDef.cellRendererParams.kind;
  var idField = props.colDef.cellRendererParams.idField;
  var id = props.data ? props.data[idField] : null;
  if (!id) {
    return props.value;
  }
  var href = "/" + kind + "/" + encodeURIComponent(id).replace(/%3A/g, ":");
  return React.createElement("a", { href: href, title: props.value }, props.value);
};

// One number format everywhere (dashboard/formats.py says the same in Python).
var NUMBER_FORMATS = {
  pct: function (v) { return (v * 100).toFixed(1) + "%"; },
  count: function (v) { return Math.round(v).toLocaleString("en-US"); },
  signed: function (v) { return (v > 0 ? "+" : "") + v.toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 }); },
  signedpct: function (v) { return (v > 0 ? "+" : "") + v.toFixed(1) + "%"; },
  times: function (v) { return v.toFixed(1) + "×"; },
};

dagcomponentfuncs.Num = function (props) {
  var v = props.value;
  if (v === null || v === undefined || v === "" || isNaN(v)) {
    return "";
  }
  var format = NUMBER_FORMATS[props.colDef.cellRendererParams.format] || NUMBER_FORMATS.count;
  return format(Number(v));
};

dagcomponentfuncs.Spark = function (props) {
  var values = props.value;
  if (!values || !values.length || values.length < 2) {
    return "";
  }
  var w = 84, h = 22, lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
  var span = hi - lo || 1;
  var points = values.map(function (v, i) {
    return ((i / (values.length - 1)) * (w - 2) + 1).toFixed(1) + "," + (h - 2 - ((v - lo) / span) * (h - 4)).toFixed(1);
  }).join(" ");
  var up = values[values.length - 1] >= values[0];
  return React.createElement(
    "svg",
    { width: w, height: h, viewBox: "0 0 " + w + " " + h, className: "sparkline", role: "img",
      "aria-label": "last " + values.length + " days: " + lo + " to " + hi },
    React.createElement("polyline", { points: points, fill: "none", stroke: up ? "#198754" : "#dc3545", strokeWidth: 1.6 })
  );
};
