/**
 * The history's times in the reader's own time zone. The page is rendered at the edge,
 * which does not know the reader's zone, so it writes UTC (labelled so) inside
 * `<time datetime>`; this small same-origin script (the CSP allows `script-src 'self'`,
 * no inline script) rewrites each time in the zone the browser reports and says which
 * zone in the column's heading. Without script the page stays correct, in UTC. The CSV
 * export keeps UTC: a file has no zone to assume.
 */
export const LOCAL_TIMES_SCRIPT_PATH = '/__paywall/assets/local-times-v1.js';

export const LOCAL_TIMES_SCRIPT = `(() => {
  let zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch { return; }
  if (!zone) return;
  const pad = (n) => String(n).padStart(2, '0');
  for (const t of document.querySelectorAll('time[data-local]')) {
    const d = new Date(t.getAttribute('datetime'));
    if (Number.isNaN(d.getTime())) continue;
    const date = t.querySelector('.date');
    const time = t.querySelector('.time');
    if (!date || !time) continue;
    date.textContent = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
    time.textContent = pad(d.getHours()) + ':' + pad(d.getMinutes());
    t.title = t.getAttribute('datetime').slice(0, 16).replace('T', ' ') + ' UTC';
  }
  for (const th of document.querySelectorAll('[data-local-heading]')) th.textContent = 'When (' + zone.replace(/_/g, ' ') + ')';
})();
`;
