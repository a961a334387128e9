// The e-card works offline once opened (a holder shows it in a basement clinic): a service worker (scope
// /cards/) answers from Cache Storage when the network is gone. The page stores itself and its two assets right
// away, so the very first visit is enough. Cache-Control: no-store only keeps the HTTP cache out; Cache Storage is
// the page's own: a logout clears it at once (Clear-Site-Data, huicai/accounts.py), and the worker drops an entry when
// the server answers 401/403/404 or sends the browser to sign in (never on a 500, 429 or 409).
(function () {
  "use strict";
  var card = document.querySelector("[data-testid=ecard]");
  var CACHE = "huicai-ecard-v1";
  function showOffline() { document.body.classList.toggle("offline", !navigator.onLine); }
  window.addEventListener("online", showOffline);
  window.addEventListener("offline", showOffline);
  showOffline();
  if (!card || !("serviceWorker" in navigator) || !window.caches) return;
  navigator.serviceWorker.register(card.dataset.sw, { scope: "/cards/" }).then(function () {
    if (!navigator.onLine) return;
    var urls = [location.pathname].concat((card.dataset.assets || "").split(" ").filter(Boolean));
    return caches.open(CACHE).then(function (cache) {
      return Promise.all(urls.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) return cache.put(url, response);
        });
      }));
    }).then(function () { document.documentElement.dataset.offlineReady = "1"; });
  }).catch(function () { /* no offline copy; the page itself works */ });
})();
