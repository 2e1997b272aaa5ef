// Small behaviours shared by every page. No inline scripts (a strict CSP stays possible).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-navigate]");
  if (select && select.value) {
    window.location.assign(select.value);
  }
});

// Upload progress for big exports: send the form with XHR and show how much has gone.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-upload-progress]");
  if (!form || !window.FormData) {
    return;
  }
  event.preventDefault();
  const bar = form.querySelector("progress");
  const request = new XMLHttpRequest();
  request.open("POST", form.action || window.location.href);
  request.upload.addEventListener("progress", (e) => {
    if (bar && e.lengthComputable) {
      bar.hidden = false;
      bar.value = Math.round((100 * e.loaded) / e.total);
    }
  });
  request.addEventListener("load", () => {
    if (request.responseURL && request.responseURL !== window.location.href) {
      window.location.assign(request.responseURL);
    } else {
      document.open();
      document.write(request.responseText);
      document.close();
    }
  });
  form.querySelectorAll("button").forEach((b) => (b.disabled = true));
  request.send(new FormData(form));
});

// After htmx changed the address (filters pushed into the URL), switching the language
// must come back to the same filtered page, not the one first loaded.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form.language");
  const next = form && form.querySelector("input[name=next]");
  if (next) {
    next.value = window.location.pathname + window.location.search;
  }
});

// The top bar's "Manage" menu closes on a click elsewhere and on Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details[data-navmenu][open]").forEach((menu) => {
    if (!menu.contains(event.target)) {
      menu.open = false;
    }
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    document.querySelectorAll("details[data-navmenu][open]").forEach((menu) => {
      menu.open = false;
    });
  }
});
