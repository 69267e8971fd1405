// kefu: the little script the pages use. Pages work without it.
// Forms marked data-confirm ask before they are sent (destructive actions).
document.addEventListener("submit", (e) => {
  const form = e.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    e.preventDefault();
  }
});
