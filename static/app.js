// Live filter of the rows of a folder listing while typing; Enter still
// submits the form, which filters on the server across every page.
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-filter-table]")) {
    const table = document.getElementById(input.dataset.filterTable);
    if (!table) continue;
    const rows = Array.from(table.tBodies[0].rows);
    input.addEventListener("input", () => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const row of rows) {
        const name = row.dataset.name || "";
        row.hidden = !words.every((word) => name.includes(word));
      }
    });
  }
});
