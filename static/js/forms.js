// Form behaviour that shows only the fields that apply (every field shows without JavaScript).
// Each part starts from a data attribute on the form, so a page that lacks it is left alone:
//   data-subject-switch="<id of the subject type select>"  record form: [data-subjects] blocks;
//   data-domain-switch="<id of the domain select>"          issue form: [data-domain] fieldsets;
//   .agency-group with .select-all                         campaign form: select all agencies;
//   data-indicator-switch                                  scoring indicator form: method and
//                                                          calculator pick the rows and params.
(function () {
  "use strict";

  function onChange(select, update) {
    select.addEventListener("change", update);
    update();
  }

  function subjectSwitch(form) {
    var select = document.getElementById(form.dataset.subjectSwitch);
    if (!select) return;
    onChange(select, function () {
      form.querySelectorAll("[data-subjects]").forEach(function (el) {
        el.hidden = el.dataset.subjects.split(" ").indexOf(select.value) === -1;
      });
    });
  }

  // Only the extra fields of the chosen key domain are saved, so only those show.
  function domainSwitch(form) {
    var select = document.getElementById(form.dataset.domainSwitch);
    if (!select) return;
    onChange(select, function () {
      form.querySelectorAll("[data-domain]").forEach(function (el) {
        el.hidden = el.dataset.domain !== select.value;
      });
    });
  }

  function agencyGroup(group) {
    var all = group.querySelector(".select-all");
    var boxes = group.querySelectorAll("input[name=agencies]");
    if (!all) return;
    function sync() {
      var checked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
      all.checked = checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
    });
    boxes.forEach(function (b) { b.addEventListener("change", sync); });
    sync();
  }

  function indicatorSwitch(form) {
    var method = form.querySelector("#id_method");
    var calculator = form.querySelector("#id_calculator");
    var calculatorRow = form.querySelector("#calculator-row");
    var manualRow = form.querySelector("#manual-default-row");
    if (!method || !calculator || !calculatorRow || !manualRow) return;
    function sync() {
      var computed = method.value === "computed";
      calculatorRow.hidden = !computed;
      manualRow.hidden = computed;
      form.querySelectorAll(".param-group").forEach(function (group) {
        group.hidden = !computed || group.dataset.calculator !== calculator.value;
      });
    }
    calculator.addEventListener("change", sync);
    onChange(method, sync);
  }

  function start() {
    document.querySelectorAll("form[data-subject-switch]").forEach(subjectSwitch);
    document.querySelectorAll("form[data-domain-switch]").forEach(domainSwitch);
    document.querySelectorAll(".agency-group").forEach(agencyGroup);
    document.querySelectorAll("form[data-indicator-switch]").forEach(indicatorSwitch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
