// Another framework's globals, as an old AMD/jQuery page has them, plus a record of the page's
// own globals before Kefu loads, so a test can tell what Kefu added.
window.define = function define() {};
window.define.amd = { jQuery: true };
window.require = function require() {};
window.$ = window.jQuery = function jQuery() { return {}; };
window.process = { env: { NODE_ENV: "production" } };
Object.defineProperty(Array.prototype, "first", { value: function () { return this[0]; } });
window.__globalsBeforeKefu = Object.keys(window);
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
