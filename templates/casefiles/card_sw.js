{% load static %}// Offline e-cards (see static/js/ecard.js). Network first; Cache Storage only when the network fails.
"use strict";
var CACHE = "huicai-ecard-v1";
var ECARD = /^\/cards\/\d+\/$/;
var STATIC = "{% get_static_prefix %}";
var LOGIN = "{% url 'login' %}";
// The answers that mean "this browser may no longer have this e-card"; anything else (a 500, a 429, a 409, an
// unrelated redirect) keeps a good offline copy. A logout also clears it at once (Clear-Site-Data).
var GONE = [401, 403, 404];

function toLogin(url) { return new URL(url, self.location.origin).pathname === LOGIN; }

// A navigation answers a redirect as an opaque one (its target unreadable): ask once more, following it.
function redirectsToLogin(response, key) {
  if (response.redirected) return Promise.resolve(toLogin(response.url));
  if (response.type !== "opaqueredirect") return Promise.resolve(false);
  return fetch(key, { credentials: "same-origin" }).then(function (again) {
    return again.redirected && toLogin(again.url);
  }, function () { return false; });
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  var ecard = ECARD.test(url.pathname);
  if (!ecard && url.pathname.indexOf(STATIC) !== 0) return;
  var key = ecard ? url.pathname : url.pathname + url.search;
  event.respondWith(fetch(request).then(function (response) {
    return caches.open(CACHE).then(function (cache) {
      if (response.ok && response.type === "basic" && !response.redirected) {
        return cache.put(key, response.clone());
      }
      if (!ecard) return;
      // Signed out, or no longer this browser's card: forget the offline copy.
      if (GONE.indexOf(response.status) !== -1) return cache.delete(key);
      return redirectsToLogin(response, key).then(function (gone) { if (gone) return cache.delete(key); });
    }).then(function () { return response; });
  }, function () {
    return caches.match(key).then(function (cached) { return cached || Response.error(); });
  }));
});
