/*! Kefu 客服 help widget loader v__KEFU_VERSION__ — the one file a site includes. */
// The loader is small on purpose: it draws only the launcher, inside an open shadow root (host
// styles cannot reach in, ours cannot leak out), and defines `window.Kefu`. The wasm widget and
// the KB bundle load when the browser is idle, or at once when the visitor points at, focuses or
// clicks the launcher, or at once when a message saved offline on an earlier page waits to be
// sent. Calls to `Kefu.*` made before that are queued and replayed, never lost.
// The file names below are filled in by `cargo xtask dist` and carry content hashes.
(function () {
  "use strict";
  var existing = window.Kefu;
  if (existing && existing.version) return; // included twice: keep the first

  var GLUE = "__KEFU_GLUE__";
  var WASM = "__KEFU_WASM__";
  var CSS = "__KEFU_CSS__";
  var KB = "__KEFU_KB__";
  var VERSION = "__KEFU_VERSION__";
  // Only the launcher's label is needed before the widget loads; the widget's string tables
  // (src/i18n.rs) hold the same words, and a unit test keeps the two in step.
  var LABELS = { "zh-CN": "帮助", "zh-TW": "幫助", en: "Help" };
  var OUTBOX = "kefu.outbox.v1";
  var EVENTS = ["ready", "open", "close", "search", "article-view", "flow-complete", "ticket-created"];

  var script = document.currentScript;
  var base = new URL(".", script && script.src ? script.src : document.baseURI).href;
  var data = (script && script.dataset) || {};
  var options = {};
  var listeners = {};
  var queue = [];
  var widget = null; // the wasm controller, once mounted
  var loading = false;
  var failed = false;
  var host, shell, launcher;

  function warn(message) {
    console.error("[kefu] " + message);
  }

  function pick(name) {
    return options[name] !== undefined ? options[name] : data[name];
  }

  function absolute(url) {
    return url ? new URL(url, document.baseURI).href : null;
  }

  function list(value) {
    if (Array.isArray(value)) return value;
    return value ? String(value).split(",").map(function (s) { return s.trim(); }) : [];
  }

  function localeOf(tag) {
    tag = String(tag || "").toLowerCase().replace(/_/g, "-");
    if (tag.slice(0, 2) === "en") return "en";
    if (tag.slice(0, 2) !== "zh") return null;
    return /-(hant|tw|hk|mo)\b/.test(tag) && !/-hans\b/.test(tag) ? "zh-TW" : "zh-CN";
  }

  function languages() {
    return Array.prototype.slice.call(navigator.languages || [navigator.language || ""]);
  }

  function config() {
    return {
      kbUrl: absolute(pick("kb")) || base + KB,
      endpoint: absolute(pick("endpoint")),
      locale: pick("locale") || null,
      languages: languages(),
      contactEmail: pick("contactEmail") || null,
      contactPhone: pick("contactPhone") || null,
      wechat: pick("wechat") || null,
      wechatQr: absolute(pick("wechatQr")),
      hours: pick("hours") || null,
      timeZone: pick("timeZone") || null,
      escalation: pick("escalation") || null,
      analytics: pick("analytics") || null,
      categories: list(pick("categories")).filter(Boolean),
      consent: pick("consent") || null,
      page: pick("page") || location.pathname,
      version: VERSION,
    };
  }

  // Appearance is the loader's: it must be right before the widget loads. Custom properties are
  // set through the CSSOM, which a strict style-src policy allows (a style attribute it forbids).
  function applyLook() {
    var position = pick("position") === "bottom-left" ? "bottom-left" : "bottom-right";
    var theme = pick("theme");
    shell.setAttribute("data-position", position);
    shell.setAttribute("data-theme", theme === "dark" || theme === "light" ? theme : "auto");
    [["color", "--kefu-brand"], ["radius", "--kefu-radius"], ["font", "--kefu-font"]].forEach(function (pair) {
      var value = pick(pair[0]);
      if (value) host.style.setProperty(pair[1], String(value));
      else host.style.removeProperty(pair[1]);
    });
    var label = pick("label");
    var locale = localeOf(pick("locale")) || languages().map(localeOf).filter(Boolean)[0] || "zh-CN";
    launcher.lastChild.textContent = label || LABELS[locale];
  }

  function emit(name, detail) {
    (listeners[name] || []).slice().forEach(function (callback) {
      try {
        callback(detail);
      } catch (error) {
        warn("a Kefu.on('" + name + "') listener threw: " + error);
      }
    });
  }

  function load() {
    if (loading || widget || !shell) return;
    loading = true;
    launcher.setAttribute("aria-busy", "true");
    import(base + GLUE)
      .then(function (glue) {
        return glue.default({ module_or_path: base + WASM }).then(function () {
          widget = glue.mount(shell, launcher, config(), emit);
          launcher.removeAttribute("aria-busy");
          emit("ready", { version: VERSION });
          var pending = queue;
          queue = [];
          pending.forEach(function (call) { call(); });
        });
      })
      .catch(function (error) {
        failed = true;
        launcher.removeAttribute("aria-busy");
        warn("the widget could not start: " + error + ". Check that " + base + GLUE + " and " +
          base + WASM + " are served (the .wasm with Content-Type application/wasm) and that a " +
          "Content-Security-Policy allows script-src 'self' 'wasm-unsafe-eval'.");
        queue.forEach(function (call) { call(); });
        queue = [];
      });
  }

  // Runs `method` on the widget now, or queues it until the widget has loaded.
  function call(method, args) {
    return new Promise(function (resolve, reject) {
      function run() {
        if (!widget) return reject(new Error("[kefu] the widget could not load"));
        try {
          resolve(widget[method].apply(widget, args || []));
        } catch (error) {
          reject(error);
        }
      }
      if (widget) return run();
      if (failed) return reject(new Error("[kefu] the widget could not load"));
      queue.push(run);
      load();
    });
  }

  // Whether the outbox (src/outbox.rs, same key) holds a message an earlier page could not send.
  function hasUnsentMessages() {
    try {
      var saved = window.localStorage.getItem(OUTBOX);
      return !!saved && saved !== "[]";
    } catch (error) {
      return false; // storage blocked: nothing can have been saved there either
    }
  }

  function start() {
    if (shell) return;
    host = document.createElement("kefu-widget");
    host.setAttribute("data-kefu-version", VERSION);
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = base + CSS;
    shell = document.createElement("div");
    shell.className = "kefu";
    shell.hidden = true; // until the stylesheet arrives: no flash of an unstyled button
    style.onload = style.onerror = function () { shell.hidden = false; };
    launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "kefu-launcher";
    launcher.setAttribute("aria-haspopup", "dialog");
    launcher.setAttribute("aria-expanded", "false");
    var icon = document.createElement("span");
    icon.className = "kefu-launcher-icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "?";
    launcher.appendChild(icon);
    launcher.appendChild(document.createElement("span"));
    shell.appendChild(launcher);
    root.appendChild(style);
    root.appendChild(shell);
    applyLook();
    document.body.appendChild(host);

    launcher.addEventListener("click", function () {
      api[launcher.getAttribute("aria-expanded") === "true" ? "close" : "open"]();
    });
    ["pointerenter", "focus", "touchstart"].forEach(function (name) {
      launcher.addEventListener(name, load, { once: true, passive: true });
    });
    document.addEventListener("keydown", function (event) {
      var target = event.composedPath()[0] || event.target;
      var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey && !event.isComposing) {
        event.preventDefault();
        api.open();
      }
    });
    if (hasUnsentMessages()) {
      load(); // a message written on an earlier page (offline) goes out now, whatever data-load says
    } else if (pick("load") !== "interaction") {
      var idle = window.requestIdleCallback || function (run) { setTimeout(run, 1500); };
      var whenIdle = function () { idle(load, { timeout: 4000 }); };
      if (document.readyState === "complete") whenIdle();
      else window.addEventListener("load", whenIdle, { once: true });
    }
  }

  var api = {
    version: VERSION,
    /** Sets options (the same names as the data attributes, camelCase) and applies them. */
    init: function (settings) {
      if (!settings || typeof settings !== "object") {
        warn("Kefu.init expects an object such as { locale: 'en', color: '#0a7' }");
        return api;
      }
      Object.keys(settings).forEach(function (key) { options[key] = settings[key]; });
      if (shell) applyLook();
      if (widget) widget.configure(config());
      return api;
    },
    open: function () { return call("open"); },
    close: function () { return call("close"); },
    /** Opens the widget on `query`; resolves with the hits ({ id, kind, title, locale }). */
    search: function (query) { return call("search", [String(query == null ? "" : query)]); },
    startFlow: function (id) { return call("startFlow", [String(id)]); },
    identify: function (person) { return call("identify", [person || {}]); },
    setLocale: function (locale) {
      options.locale = locale;
      if (shell) applyLook();
      return call("setLocale", [String(locale)]);
    },
    on: function (name, callback) {
      if (EVENTS.indexOf(name) < 0 || typeof callback !== "function") {
        warn("Kefu.on(name, callback): name is one of " + EVENTS.join(", "));
        return api;
      }
      (listeners[name] = listeners[name] || []).push(callback);
      if (name === "ready" && widget) callback({ version: VERSION }); // already happened
      return api;
    },
    off: function (name, callback) {
      listeners[name] = (listeners[name] || []).filter(function (c) { return c !== callback; });
      return api;
    },
  };
  window.Kefu = api;

  // A page may have queued calls before this script arrived, with the snippet from README:
  // window.Kefu = window.Kefu || { q: [] }; ... Kefu.q.push(["init", {...}]).
  var early = existing && Array.isArray(existing.q) ? existing.q : [];
  early.forEach(function (entry) {
    if (entry && typeof api[entry[0]] === "function") api[entry[0]].apply(api, entry.slice(1));
  });

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
})();
