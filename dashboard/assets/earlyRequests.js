// A page's first two Dash requests, `_dash-layout` and `_dash-dependencies`, sent as soon as this file runs
// instead of after the browser has evaluated dash-renderer and the component bundles and mounted React: the
// server builds the page (its queries) while the browser is still busy with the scripts. dash-renderer's own
// first GET of each then gets that answer; every later request, and any when the early one failed, goes out as
// usual. Same URL, credentials and headers as the renderer's (dashboard/first_page.py routes the layout from
// the Referer, which is this page either way). The page's first script, right after Dash's config (dashboard/app.py).
(function () {
  var config = document.getElementById("_dash-config");
  var prefix;
  try {
    var parsed = JSON.parse(config.textContent);
    prefix = parsed.requests_pathname_prefix || parsed.url_base_pathname;
  } catch (e) {
    return; // no Dash config on this page: nothing to start
  }
  if (typeof prefix !== "string" || typeof window.fetch !== "function") {
    return;
  }
  var browserFetch = window.fetch;
  var init = {
    method: "GET",
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
  };
  var early = {};
  ["_dash-layout", "_dash-dependencies"].forEach(function (name) {
    var path = new URL(prefix + name, window.location.href).pathname;
    early[path] = browserFetch(prefix + name, init);
    early[path].catch(function () {}); // a failure is handled when the renderer asks (it asks again)
  });

  window.fetch = function (input, options) {
    var method = ((options && options.method) || (input && input.method) || "GET").toUpperCase();
    var url = typeof input === "string" ? input : input && input.url;
    var path = typeof url === "string" ? new URL(url, window.location.href).pathname : null;
    var pending = method === "GET" && path !== null ? early[path] : undefined;
    if (pending === undefined) {
      return browserFetch.apply(this, arguments);
    }
    delete early[path];
    if (Object.keys(early).length === 0) {
      window.fetch = browserFetch; // both answers handed over: the browser's fetch again
    }
    var self = this, args = arguments;
    return pending.catch(function () {
      return browserFetch.apply(self, args);
    });
  };
})();
