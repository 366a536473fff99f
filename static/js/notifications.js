// The notification bell: keeps the unread badge live over Server-Sent Events and loads the
// dropdown when it opens. Without JS the bell still opens and links to /notifications.
(function () {
  'use strict';

  function badgeText(n) {
    if (n <= 0) return '';
    return n > 9 ? '9+' : String(n);
  }

  function label(n) {
    return n > 0 ? 'Notifications, ' + n + ' unread' : 'Notifications, none unread';
  }

  function setCount(menu, n) {
    if (!Number.isFinite(n)) return;
    const badge = menu.querySelector('[data-notif-badge]');
    const bell = menu.querySelector('[data-notif-bell]');
    if (badge) {
      badge.textContent = badgeText(n);
      badge.hidden = n <= 0;
    }
    if (bell) bell.setAttribute('aria-label', label(n));
  }

  function loadMenu(menu) {
    const body = menu.querySelector('[data-notif-body]');
    const url = menu.getAttribute('data-menu-url');
    if (!body || !url) return;
    if (window.htmx) {
      window.htmx.ajax('GET', url, { target: body, swap: 'innerHTML' });
    }
  }

  function listen(menu) {
    const url = menu.getAttribute('data-events-url');
    if (!url || !window.EventSource) return;
    const source = new EventSource(url);
    source.addEventListener('unread', function (e) {
      const n = parseInt(e.data, 10);
      const badge = menu.querySelector('[data-notif-badge]');
      const before = badge ? badge.textContent : '';
      setCount(menu, n);
      if (menu.open && badge && badge.textContent !== before) loadMenu(menu);
    });
    window.addEventListener('pagehide', function () { source.close(); });
  }

  function init() {
    const menu = document.querySelector('[data-notif-menu]');
    if (!menu || menu.dataset.notifReady) return;
    menu.dataset.notifReady = '1';
    menu.addEventListener('toggle', function () {
      if (menu.open) loadMenu(menu);
    });
    // The dropdown's fragment carries the current count (e.g. after "Mark all read").
    document.body.addEventListener('htmx:afterSwap', function (e) {
      if (!menu.contains(e.target)) return;
      const holder = menu.querySelector('[data-notif-count]');
      if (holder) setCount(menu, parseInt(holder.getAttribute('data-notif-count'), 10));
    });
    listen(menu);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
