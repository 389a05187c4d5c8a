/*! Kefu 客服 help widget loader v__KEFU_VERSION__ — the one file a site includes. */
// It reads the script tag's data attributes, creates the widget's host element with an open
// shadow root (so host styles cannot reach in and ours cannot leak out), then loads the
// wasm-bindgen glue and the wasm and mounts the widget. The names below are filled in by
// `cargo xtask dist`; they carry content hashes so they can be cached forever.
(function () {
  "use strict";
  if (window.Kefu && window.Kefu.version) return; // included twice: keep the first

  var GLUE = "__KEFU_GLUE__";
  var WASM = "__KEFU_WASM__";
  var CSS = "__KEFU_CSS__";
  var KB = "__KEFU_KB__";
  var VERSION = "__KEFU_VERSION__";

  var script = document.currentScript;
  var base = new URL(".", script && script.src ? script.src : document.baseURI).href;
  var data = (script && script.dataset) || {};

  function absolute(url) {
    return new URL(url, document.baseURI).href;
  }

  var config = {
    kbUrl: data.kb ? absolute(data.kb) : base + KB,
    endpoint: data.endpoint ? absolute(data.endpoint) : null,
    locale: data.locale || null,
    languages: Array.prototype.slice.call(navigator.languages || [navigator.language || ""]),
    contactEmail: data.contactEmail || null,
    contactPhone: data.contactPhone || null,
    version: VERSION,
  };

  function start() {
    var host = document.createElement("kefu-widget");
    host.setAttribute("data-kefu-version", VERSION);
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = base + CSS;
    root.appendChild(style);
    document.body.appendChild(host);

    import(base + GLUE)
      .then(function (glue) {
        return glue.default({ module_or_path: base + WASM }).then(function () {
          glue.mount(root, config);
        });
      })
      .catch(function (error) {
        console.error(
          "[kefu] the widget could not start: " + error +
          ". Check that " + base + GLUE + " and " + base + WASM +
          " are served (with Content-Type application/wasm for the .wasm file)."
        );
      });
  }

  window.Kefu = { version: VERSION };
  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  }
})();
