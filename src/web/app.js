// Progressive enhancement only: every page works without this file.
// - Links with data-back go back in history (a plain link elsewhere).
// - Buttons with data-confirm ask first (data-confirm-if-changed="field" asks only when
//   that field of the form was changed).
// - A form that was submitted disables its submit buttons, so a double click sends it
//   once (the server also refuses a repeated one-time form token).
document.addEventListener("click", function (e) {
  var back = e.target.closest("[data-back]");
  if (back && window.history.length > 1) {
    e.preventDefault();
    window.history.back();
    return;
  }
  var b = e.target.closest("[data-confirm]");
  if (!b) return;
  var field = b.getAttribute("data-confirm-if-changed");
  if (field && b.form) {
    var f = b.form.elements[field];
    if (!f || f.value === f.defaultValue) return;
  }
  if (!window.confirm(b.getAttribute("data-confirm"))) e.preventDefault();
});
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (form.method && form.method.toLowerCase() === "post") {
    setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
  }
});
