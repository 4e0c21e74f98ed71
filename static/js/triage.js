// Progressive enhancement only: "select all" and the selection count. Without it, rows are ticked one by one.
document.documentElement.classList.add("js");
document.addEventListener("change", (event) => {
  const form = event.target.closest("form.bulk");
  if (!form) return;
  const boxes = [...form.querySelectorAll('input[name="selected"]')];
  const all = form.querySelector("[data-select-all]");
  if (event.target === all) boxes.forEach((box) => { box.checked = all.checked; });
  const checked = boxes.filter((box) => box.checked).length;
  all.checked = checked > 0 && checked === boxes.length;
  all.indeterminate = checked > 0 && checked < boxes.length;
  form.querySelector("[data-selected-count]").textContent = checked ? `${checked} selected` : "None selected";
});

// Choosing how many rows a page shows applies at once (the form has a button for when scripts are off).
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-submit-on-change]")) event.target.form.requestSubmit();
});
