// Profile page: a Copy button for a newly created API token. Without JavaScript the token is selected text.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-select-on-focus]").forEach((input) => {
    input.addEventListener("focus", () => input.select());
  });
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copyTarget);
      const status = document.querySelector("[data-copy-status]");
      try {
        await navigator.clipboard.writeText(input.value);
        status.textContent = "Copied to the clipboard.";
      } catch {
        input.select();
        status.textContent = "Could not copy automatically: the token is selected, press Ctrl+C / ⌘C.";
      }
    });
  });
});
