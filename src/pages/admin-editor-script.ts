/**
 * Progressive enhancement of the rule editor: add, remove and move rows in the page
 * instead of posting the form. Without it every button still works as a plain post.
 * Fields are posted in document order, so moving a row needs no renaming.
 */
export const EDITOR_SCRIPT = `
(() => {
  const form = document.getElementById('site-form');
  const rows = document.getElementById('rule-rows');
  const template = document.getElementById('rule-template');
  const status = document.getElementById('row-status');
  if (!form || !rows || !template) return;
  let added = 0;

  function renumber() {
    const all = Array.from(rows.children);
    all.forEach((row, i) => {
      row.querySelector('.rule-no').textContent = String(i + 1);
      row.querySelectorAll('[data-label]').forEach((el) => {
        el.setAttribute('aria-label', el.getAttribute('data-label').replace('#', String(i + 1)));
      });
      row.querySelectorAll('button[data-verb]').forEach((b) => { b.value = b.getAttribute('data-verb') + ':' + i; });
      row.querySelector('button[data-verb="up"]').disabled = i === 0;
      row.querySelector('button[data-verb="down"]').disabled = i === all.length - 1;
    });
  }

  rows.addEventListener('input', (e) => {
    if (!e.target.matches('input[name="price"], select[name="unit"]')) return;
    const hint = e.target.closest('td').querySelector('.price-hint');
    if (hint) hint.textContent = '';
  });

  form.addEventListener('click', (e) => {
    const button = e.target.closest('button[name="action"]');
    if (!button) return;
    const verb = button.value.split(':')[0];
    const row = button.closest('tr');
    let focus = button;
    if (verb === 'add') {
      const fresh = template.content.firstElementChild.cloneNode(true);
      added += 1;
      fresh.querySelectorAll('[id]').forEach((el) => { el.id = el.id + '-new' + added; });
      rows.append(fresh);
      focus = fresh.querySelector('input');
      status.textContent = 'Rule added at the end.';
    } else if (verb === 'remove' && row) {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      focus = next ? next.querySelector('button[data-verb="remove"]') : form.querySelector('button[value="add"]');
      status.textContent = 'Rule removed.';
    } else if (verb === 'up' && row && row.previousElementSibling) {
      rows.insertBefore(row, row.previousElementSibling);
      status.textContent = 'Rule moved up.';
    } else if (verb === 'down' && row && row.nextElementSibling) {
      rows.insertBefore(row.nextElementSibling, row);
      status.textContent = 'Rule moved down.';
    } else {
      return;
    }
    e.preventDefault();
    renumber();
    if (focus && !focus.disabled) focus.focus();
  });
})();
`;
