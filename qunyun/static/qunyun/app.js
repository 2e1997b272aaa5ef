// Small behaviours shared by every page. No inline scripts (a strict CSP stays possible).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-navigate]");
  if (select && select.value) {
    window.location.assign(select.value);
  }
});
