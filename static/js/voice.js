// Voice page: a live word count under the sample text, so the minimum is visible while typing.
(() => {
  const update = (area) => {
    const out = document.getElementById(area.dataset.wordCount);
    if (!out) return;
    const words = area.value.trim() === '' ? 0 : area.value.trim().split(/\s+/).length;
    out.textContent = `${words} ${words === 1 ? 'word' : 'words'}`;
  };
  const wire = (root) => {
    root.querySelectorAll('textarea[data-word-count]').forEach((area) => {
      if (area.dataset.wordCountWired) return;
      area.dataset.wordCountWired = '1';
      area.addEventListener('input', () => update(area));
      update(area);
    });
  };
  document.addEventListener('DOMContentLoaded', () => wire(document));
  document.addEventListener('htmx:load', (e) => wire(e.target));
})();
