// Progressive enhancement only: every page works without this file.
// - Links with data-back go back in history (a plain link elsewhere).
// - Buttons with data-print open the browser's print dialog (the page prints clean).
// - Buttons with data-confirm ask first (data-confirm-if-changed="field" asks only when
//   that field of the form was changed).
// - A form that was submitted disables its submit buttons, so a double click sends it
//   once (the server also refuses a repeated one-time form token).
document.addEventListener("click", function (e) {
  if (e.target.closest("[data-print]")) {
    e.preventDefault();
    window.print();
    return;
  }
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

// A page with data-autoprint goes to the printer as it opens (the cloud signature's QR
// page, after «Принтер готов»: no preview, as the manual has it).
document.addEventListener("DOMContentLoaded", function () {
  if (document.querySelector("[data-autoprint]")) setTimeout(function () { window.print(); }, 200);
});

// After a refused form the server sends back what was typed (#form-echo): put it into
// the form that posted it, mark the fields the refusal names, open a collapsed form.
document.addEventListener("DOMContentLoaded", function () {
  var data = document.getElementById("form-echo");
  if (!data) return;
  var echo;
  try { echo = JSON.parse(data.textContent); } catch (e) { return; }
  // Several forms may post to one address (passed / failed identification): take the one
  // that has the refused fields, else the one that has the typed fields.
  var candidates = Array.prototype.filter.call(document.forms, function (f) {
    return f.getAttribute("action") === echo.action;
  });
  var has = function (f, name) {
    return !!(f.elements[name] || f.elements[name.split(".").pop()]);
  };
  var form = candidates.find(function (f) {
    return echo.errors.some(function (e) { return has(f, e[0]); });
  }) || candidates.find(function (f) {
    return echo.values.some(function (kv) {
      var el = f.elements[kv[0]];
      return el && el.type !== "hidden";
    });
  }) || candidates[0];
  if (!form) return;
  var skip = { csrf: 1, once: 1, version: 1 };
  var byName = {};
  echo.values.forEach(function (kv) { (byName[kv[0]] = byName[kv[0]] || []).push(kv[1]); });
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || skip[el.name] || el.type === "file" || el.type === "hidden") return;
    var values = byName[el.name] || [];
    if (el.type === "checkbox" || el.type === "radio") {
      el.checked = values.indexOf(el.value) >= 0;
    } else if (values.length) {
      el.value = values[0];
    }
  });
  echo.errors.forEach(function (fe) {
    var name = fe[0], last = name.split(".").pop();
    var el = form.elements[name] || form.elements[last];
    if (!el) return;
    if (el.length !== undefined && !el.tagName) el = el[0];
    el.setAttribute("aria-invalid", "true");
    el.classList.add("invalid");
    var note = document.createElement("span");
    note.className = "field-error";
    note.textContent = fe[1];
    el.insertAdjacentElement("afterend", note);
  });
  var details = form.closest("details");
  if (details) details.open = true;
  var first = form.querySelector(".invalid") || form.querySelector("input:not([type=hidden]), textarea, select");
  if (first) first.focus();
});
