{% load static %}// Offline e-cards (see static/js/ecard.js). Network first; Cache Storage only when the network fails.
"use strict";
var CACHE = "huicai-ecard-v1";
var ECARD = /^\/cards\/\d+\/$/;
var STATIC = "{% get_static_prefix %}";

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
      // Signed out, or no longer this browser's card: forget the offline copy.
      if (ecard) return cache.delete(key);
    }).then(function () { return response; });
  }, function () {
    return caches.match(key).then(function (cached) { return cached || Response.error(); });
  }));
});
