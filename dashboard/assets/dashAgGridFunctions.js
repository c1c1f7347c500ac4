// Functions that dash-ag-grid options name as {"function": "..."} (see dashboard/tables.py).
// csvSafeCell: every grid's CSV export runs each cell through it. A text cell that starts with = + - @, a tab or a
// carriage return would run as a formula in a spreadsheet (an imported artist named =HYPERLINK(...)), so it is
// written with a leading single quote, as OWASP advises for CSV injection. Numbers stay numbers.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

dagfuncs.csvSafeCell = function (params) {
  var value = params.value;
  if (value === null || value === undefined) {
    return "";
  }
  if (typeof value !== "string") {
    return value;
  }
  return /^[=+\-@\t\r]/.test(value) ? "'" + value : value;
};
