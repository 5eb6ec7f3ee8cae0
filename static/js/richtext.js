/*
 * A tiny rich-text editor for report sections. Every <textarea data-richtext> becomes a
 * contenteditable box with bold / italic / underline / numbered list / bullet list / heading
 * buttons; the HTML is copied back into the (hidden) textarea on every change and on submit.
 * Without JavaScript the textarea stays a plain one. The server cleans the HTML either way
 * (integrity.richtext.clean_html), so nothing here is trusted.
 */
(function () {
  "use strict";

  var labelsNode = document.getElementById("richtext-labels");
  var labels = labelsNode ? JSON.parse(labelsNode.textContent) : {};
  var BUTTONS = [
    { command: "bold", label: labels.bold || "Bold", text: "B", style: "fw-bold" },
    { command: "italic", label: labels.italic || "Italic", text: "I", style: "fst-italic" },
    { command: "underline", label: labels.underline || "Underline", text: "U", style: "text-decoration-underline" },
    { command: "insertOrderedList", label: labels.ol || "Numbered list", text: "1.", style: "" },
    { command: "insertUnorderedList", label: labels.ul || "Bullet list", text: "•", style: "" },
    { command: "formatBlock", value: "h4", label: labels.heading || "Heading", text: "H", style: "fw-bold" }
  ];

  function button(spec, editor, sync) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm btn-outline-secondary " + spec.style;
    b.textContent = spec.text;
    b.title = spec.label;
    b.setAttribute("aria-label", spec.label);
    b.addEventListener("mousedown", function (event) { event.preventDefault(); });
    b.addEventListener("click", function () {
      editor.focus();
      var value = spec.value;
      if (spec.command === "formatBlock") {
        // Toggle: a heading becomes a paragraph again.
        var current = (document.queryCommandValue("formatBlock") || "").toLowerCase();
        value = current === "h4" ? "p" : "h4";
      }
      document.execCommand(spec.command, false, value || null);
      sync();
    });
    return b;
  }

  function enhance(textarea) {
    var wrapper = document.createElement("div");
    wrapper.className = "richtext border rounded";
    var toolbar = document.createElement("div");
    toolbar.className = "richtext-toolbar btn-toolbar gap-1 p-1 border-bottom bg-light";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", labels.toolbar || "Formatting");
    var editor = document.createElement("div");
    editor.className = "richtext-editor form-control border-0";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    var label = document.querySelector("label[for='" + textarea.id + "']");
    if (label) { editor.setAttribute("aria-label", label.textContent.trim()); }
    editor.style.minHeight = "10rem";
    editor.innerHTML = textarea.value;

    function sync() { textarea.value = editor.innerHTML; }

    BUTTONS.forEach(function (spec) { toolbar.appendChild(button(spec, editor, sync)); });
    editor.addEventListener("input", sync);
    editor.addEventListener("blur", sync);
    // Pasted text arrives as plain text: Word's styles would only be cleaned away later.
    editor.addEventListener("paste", function (event) {
      var text = (event.clipboardData || window.clipboardData).getData("text/plain");
      event.preventDefault();
      document.execCommand("insertText", false, text);
      sync();
    });
    if (textarea.form) { textarea.form.addEventListener("submit", sync); }

    wrapper.appendChild(toolbar);
    wrapper.appendChild(editor);
    textarea.parentNode.insertBefore(wrapper, textarea);
    textarea.hidden = true;
    textarea.setAttribute("aria-hidden", "true");
    if (label) { label.addEventListener("click", function () { editor.focus(); }); }
  }

  document.querySelectorAll("textarea[data-richtext]").forEach(enhance);
})();
