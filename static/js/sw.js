/* Offline lessons: a small service worker, served at /sw.js (scope "/") by courses.views.
   Hand-written rather than Workbox: Workbox's runtime is either loaded from Google's CDN
   (workbox-sw), which the Content-Security-Policy and the no-CDN rule forbid, or bundled by
   workbox-build with a bundler this project does not otherwise need; what it would do here is
   three small strategies, below.

   - Lesson and course pages (they carry <meta name="lms-offline" content="lesson">): network
     first; each one the learner opens is kept, and shown from the cache when offline.
   - Static files and lesson images: cache first, kept as the learner opens them.
   - Everything else (quizzes, certificates, admin, forms): the network only. Offline, a page
     that says so: quizzes need a connection.
   Logging out (or reaching the login page) empties the cache: staff share window computers. */
"use strict";
var VERSION = "lms-offline-v1";
var PAGES = VERSION + "-pages";
var ASSETS = VERSION + "-assets";
var OFFLINE_URL = "/offline/";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(PAGES).then(function (cache) { return cache.add(new Request(OFFLINE_URL, { credentials: "same-origin" })); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf(VERSION) !== 0; }).map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "clear") {
    event.waitUntil(caches.delete(PAGES).then(function () { return caches.delete(ASSETS); }).then(function () {
      return caches.open(PAGES).then(function (cache) { return cache.add(OFFLINE_URL); }).catch(function () {});
    }));
  }
});

function isAsset(url) {
  return url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/media/images/") === 0;
}

function offlinePage(url) {
  var kind = url.pathname.indexOf("/quiz/") === 0 ? "quiz" : "page";
  return caches.open(PAGES).then(function (cache) { return cache.match(OFFLINE_URL); }).then(function (response) {
    if (!response) return new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
    return response.text().then(function (html) {
      return new Response(html.replace('data-offline-kind="page"', 'data-offline-kind="' + kind + '"'), {
        status: 503, headers: { "Content-Type": "text/html; charset=utf-8" }
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.ok && !response.redirected && type.indexOf("text/html") === 0) {
          var copy = response.clone();
          copy.text().then(function (html) {
            if (html.indexOf('name="lms-offline" content="lesson"') !== -1) {
              caches.open(PAGES).then(function (cache) {
                cache.put(request, new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } }));
              });
            }
          });
        }
        return response;
      }).catch(function () {
        return caches.open(PAGES).then(function (cache) { return cache.match(request, { ignoreSearch: true }); })
          .then(function (cached) { return cached || offlinePage(url); });
      })
    );
    return;
  }

  if (isAsset(url)) {
    event.respondWith(
      caches.open(ASSETS).then(function (cache) {
        return cache.match(request).then(function (cached) {
          if (cached) return cached;
          return fetch(request).then(function (response) {
            if (response.ok) cache.put(request, response.clone());
            return response;
          });
        });
      })
    );
  }
});
