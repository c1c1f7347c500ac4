// A plain-html subtree drawn by one React component (dashboard/static_html.py builds the tree on the server):
// {tag, props, children}, children text, numbers or trees. Only the tags and attributes below are drawn (React
// escapes the text); anything else is left out, so a tree can carry no markup, link, script or handler.
(function () {
  var h = window.React.createElement;
  var TAGS = ["div", "span", "strong", "em", "small", "p", "h2", "h3", "h4", "h5", "h6", "ul", "li", "code", "pre"];

  function draw(node, key) {
    if (node === null || node === undefined) {
      return null;
    }
    if (typeof node === "string" || typeof node === "number") {
      return String(node);
    }
    if (Array.isArray(node)) {
      return node.map(function (child, i) { return draw(child, i); });
    }
    if (typeof node !== "object" || TAGS.indexOf(node.tag) < 0) {
      return null;
    }
    var given = node.props && typeof node.props === "object" ? node.props : {};
    var props = { key: key };
    if (typeof given.className === "string") { props.className = given.className; }
    if (typeof given.title === "string") { props.title = given.title; }
    if (typeof given.role === "string") { props.role = given.role; }
    if (given.style && typeof given.style === "object" && !Array.isArray(given.style)) { props.style = given.style; }
    return h(node.tag, props, draw(node.children));
  }

  function StaticHtml(props) {
    return draw(props.tree, undefined);
  }

  window.hitscope = Object.assign(window.hitscope || {}, { StaticHtml: StaticHtml });
})();
