// Progressive enhancements only: every page works without this file, except Copy to clipboard,
// which needs it (the button stays hidden without it).
(function () {
  "use strict";

  // Styles that only make sense with this file (the phone menu folds behind its button).
  document.documentElement.classList.add("js");

  var menuButton = document.querySelector(".menu-button");
  if (menuButton) {
    menuButton.addEventListener("click", function () {
      var open = menuButton.getAttribute("aria-expanded") !== "true";
      menuButton.setAttribute("aria-expanded", open ? "true" : "false");
      menuButton.parentElement.classList.toggle("open", open);
    });
  }

  // Every page is sent with Cache-Control: no-store, because what it shows is live and a wizard step
  // must not come back after Submit. Chrome still restores such a page from its back/forward cache
  // when no cookie changed since; load it again instead, so the server decides what Back shows.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });

  // A form that is being submitted cannot be submitted again by a second click (the server also
  // refuses duplicates; this just spares the user the wait).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    if (form.dataset.submitting === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    window.setTimeout(function () { form.dataset.submitting = ""; }, 5000);
  });

  // A form that came back with messages: move focus to their summary, so the keyboard and the
  // screen reader start there (each message links to its field).
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();

  // Percent-encoding as RFC 6068 wants for mailto: (the server encodes the same way).
  function encode(text) {
    return encodeURIComponent(text).replace(/[!'()*]/g, function (c) {
      return "%" + c.charCodeAt(0).toString(16).toUpperCase();
    });
  }

  // Drafts of messages with a personal link (partnership requests, customer invitations): Open in email
  // and Copy to clipboard take the message as edited, and warn when its link was removed or changed.
  function setUpDraft(draft) {
    var link = draft.dataset.link;
    var subject = draft.querySelector('[name="subject"]');
    var body = draft.querySelector('[name="body"]');
    var email = draft.querySelector('[name="email"]');
    var status = draft.querySelector(".copy-status");
    var open = draft.querySelector(".open-in-email");
    var copy = draft.querySelector(".copy-to-clipboard");

    function keepsLinkOrConfirmed() {
      return body.value.indexOf(link) !== -1 || window.confirm(draft.dataset.linkWarning);
    }

    open.addEventListener("click", function (event) {
      if (!keepsLinkOrConfirmed()) {
        event.preventDefault();
        return;
      }
      open.href = "mailto:" + encode(email.value.trim()) +
        "?subject=" + encode(subject.value) +
        "&body=" + encode(body.value.replace(/\r?\n/g, "\r\n"));
    });

    copy.hidden = false;
    copy.addEventListener("click", function () {
      if (!keepsLinkOrConfirmed()) return;
      function selectInstead() {
        body.focus();
        body.select();
        status.textContent = draft.dataset.copyFallback;
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(body.value).then(function () {
          status.textContent = draft.dataset.copied;
        }, selectInstead);
      } else {
        selectInstead();
      }
    });
  }

  document.querySelectorAll("form.draft[data-link]").forEach(setUpDraft);

  // Copy beside a text shown once (a temporary password): copies the text of the element it names.
  document.querySelectorAll("button.copy-text[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.dataset.copy);
    var status = button.parentElement.querySelector(".copy-status");
    if (!target) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      function selectInstead() {
        var range = document.createRange();
        range.selectNodeContents(target);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        if (status) status.textContent = button.dataset.fallback;
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          if (status) status.textContent = button.dataset.copied;
        }, selectInstead);
      } else {
        selectInstead();
      }
    });
  });

  // A plan select lists every term and billing; with an offer chosen, only the offer's plans stay
  // selectable (the server checks the pair either way).
  document.querySelectorAll("select[data-plans-for]").forEach(function (plan) {
    var offer = document.getElementById(plan.dataset.plansFor);
    if (!offer) return;
    function filter() {
      var chosen = offer.options[offer.selectedIndex];
      var sold = chosen && chosen.dataset.plans ? chosen.dataset.plans.split(" ") : null;
      var firstSold = null;
      Array.prototype.forEach.call(plan.options, function (option) {
        var ok = !sold || sold.indexOf(option.value) >= 0;
        option.disabled = !ok;
        option.hidden = !ok;
        if (ok && firstSold === null) firstSold = option;
      });
      if (plan.selectedOptions.length && plan.selectedOptions[0].disabled && firstSold) {
        firstSold.selected = true;
      }
    }
    offer.addEventListener("change", filter);
    filter();
  });
})();
