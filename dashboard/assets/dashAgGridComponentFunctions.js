// Cell renderers for dash-ag-grid. EntityLink shows the cell's text as a link to an artist or track page,
// while the cell's value (what sorting, filtering and CSV export use) stays the plain name.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

dagcomponentfuncs.EntityLink = function (props) {
  var params = props.colDef.cellRendererParams;
  var kind = params.kindField && props.data ? props.data[params.kindField] : params.kind; // mixed-kind grids
  var idField = props.colDef.cellRendererParams.idField;
  var id = props.data ? props.data[idField] : null;
  if (!id) {
    return props.value;
  }
  var href = "/" + kind + "/" + encodeURIComponent(id).replace(/%3A/g, ":");
  return React.createElement("a", { href: href }, props.value);
};
