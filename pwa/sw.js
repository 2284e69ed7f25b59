/* Sésame's service worker. The server serves it at /sw.js with its version,
 * the precache list and the shared scripts injected (server/web/sw.py).
 *
 * Caches, named by version; unknown ones are deleted on activation:
 *   sesame-static-<v>  the app's files (hashed URLs), precached at install
 *   sesame-pages-<v>   pages the person opened, and editor shells
 * Pages: network first (a slow network falls back to the copy after 4 s),
 * the copy marked data-served="cache" so the page says how old it is. A file
 * made on this device and never seen by the server is answered with its
 * procedure's editor shell (its task list for /files/<id>), which the page
 * fills from IndexedDB.
 * Messages: skip-waiting (the person accepted the update), warm / refresh
 * (cache these pages now), forget-pages (another person on this device).
 * Background Sync "outbox": send the outbox (Chromium; every browser also
 * retries from the page).
 */
"use strict";
var VERSION = "__VERSION__";
var STATIC = "sesame-static-" + VERSION;
var PAGES = "sesame-pages-" + VERSION;
var PRECACHE = __PRECACHE__;
importScripts.apply(self, __SCRIPTS__);

var NO_CACHE = /^\/(signin|signup|recover|enrol|signout|sync|uploads|sw\.js)/;
var SHELL = /^\/files\/([0-9a-f-]{36})(?:\/(situation|identity|address|checklist|messages))?$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(PRECACHE); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    var old = keys.filter(function (k) { return k.indexOf("sesame-") === 0 && k !== STATIC && k !== PAGES; });
    // Pages known to the previous version are fetched again for this one.
    var known = old.filter(function (k) { return k.indexOf("sesame-pages-") === 0; }).map(function (k) {
      return caches.open(k).then(function (c) { return c.keys(); }).then(function (requests) {
        return warm(requests.map(function (r) { return new URL(r.url).pathname + new URL(r.url).search; }));
      });
    });
    return Promise.all(known).catch(function () {}).then(function () {
      return Promise.all(old.map(function (k) { return caches.delete(k); }));
    });
  }).then(function () { return self.clients.claim(); }));
});

function cacheable(response) {
  var type = response.headers.get("content-type") || "";
  var control = response.headers.get("cache-control") || "";
  return response.ok && !response.redirected && type.indexOf("text/html") === 0 && control.indexOf("no-store") === -1;
}

/* Fetch pages into the cache, three at a time. A redirect (signed out) is not
   followed: it would only fetch the sign-in page. With onlyMissing, pages
   already kept are not fetched again (the editor shells rarely change). */
var warming = {}; // pages being fetched now: a second request for them waits for nothing

function warm(urls, onlyMissing) {
  var queue = (urls || []).filter(function (url) { return !warming[url]; });
  queue.forEach(function (url) { warming[url] = true; });
  return caches.open(PAGES).then(function (cache) {
    function next() {
      var url = queue.shift();
      if (!url) return null;
      var kept = onlyMissing ? cache.match(url) : Promise.resolve(null);
      return kept.then(function (hit) {
        if (hit) return null;
        return fetch(url, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
          if (cacheable(response)) return cache.put(url, response);
          return null;
        });
      }).catch(function () {}).then(function () {
        delete warming[url];
        return next();
      });
    }
    return Promise.all([next(), next(), next()]);
  });
}

/* Say on the page that it comes from the device, not the network. */
function mark(response, how) {
  return response.text().then(function (text) {
    return new Response(text.replace('data-served="network"', 'data-served="' + how + '"'), {
      status: response.status,
      headers: response.headers,
    });
  });
}

function procedureOf(fileId) {
  var idb = self.Sesame.idb;
  return idb.get("records", "file:" + fileId).then(function (record) {
    if (record) return record.data.procedure;
    return idb.all("outbox").then(function (entries) {
      var made = entries.filter(function (e) { return e.command.op === "file.create" && e.command.args.file_id === fileId; })[0];
      return made ? made.command.args.procedure : null;
    });
  });
}

function fromDevice(url) {
  return caches.open(PAGES).then(function (cache) {
    // The exact page, else the same page without its query (?done=… after a form).
    return cache.match(url.pathname + url.search).then(function (hit) {
      return hit || (url.search ? cache.match(url.pathname) : null);
    }).then(function (hit) {
      // Else a page precached at install (/verify), never opened through the worker yet.
      return hit || caches.match(url.pathname);
    }).then(function (hit) {
      if (hit) return mark(hit, "cache");
      var shell = SHELL.exec(url.pathname);
      var found = shell
        ? procedureOf(shell[1]).then(function (procedure) {
          return procedure ? cache.match("/files/shell/" + procedure + "/" + (shell[2] || "tasks")) : null;
        })
        : Promise.resolve(null);
      return found.then(function (page) {
        if (page) return mark(page, "shell");
        return caches.match("/offline").then(function (offline) {
          return offline ? mark(offline, "cache") : Response.error();
        });
      });
    });
  });
}

function page(request, url) {
  var network = fetch(request).then(function (response) {
    if (cacheable(response) && !NO_CACHE.test(url.pathname)) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(url.pathname + url.search, copy); });
    }
    return response;
  });
  var slow = new Promise(function (resolve) { setTimeout(resolve, 4000); }).then(function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(url.pathname + url.search); }).then(function (hit) {
      return hit ? mark(hit, "cache") : network;
    });
  });
  return Promise.race([network, slow]).catch(function () { return fromDevice(url); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        // A file not precached (the QR decoder of /verify, fetched only by the
        // browsers that need it) is kept once fetched: its URL is hashed.
        if (response.ok && url.search.indexOf("v=") === 1) {
          var copy = response.clone();
          caches.open(STATIC).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
    return;
  }
  if (request.mode === "navigate" && !/^\/(sync|uploads)/.test(url.pathname)) event.respondWith(page(request, url));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "skip-waiting") self.skipWaiting();
  else if (data.type === "warm") event.waitUntil(warm(data.urls, true));
  else if (data.type === "refresh") event.waitUntil(warm(data.urls, false));
  else if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES).then(function () { return self.Sesame.idb.clear("records"); }));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag !== "outbox") return;
  event.waitUntil(self.Sesame.idb.get("meta", "account").then(function (account) {
    return account ? self.Sesame.outbox.flush(account) : { ok: true };
  }).then(function (result) {
    if (!result.ok && result.reason === "offline") throw new Error("retry later");
  }));
});

/* Web Push (ADR 0024). The payload is JSON {title, body, path, lang, dir}, a
 * neutral sentence already in the person's language; {path, discreet} when the
 * person chose no words at all: a bare sign (•, as notify's other channels).
 * One tag for every push, so a burst leaves one notification; it rings again
 * only if the one it replaces is old.
 * A click opens the payload's path in an open window of Sésame, else a new one
 * — offline too: the fetch handler above serves the page from the cache. */
var webPush = (self.Sesame = self.Sesame || {}).push = {
  TAG: "sesame",
  SIGN: "\u2022",
  ICON: "__ICON__",
  QUIET_MS: 10 * 60 * 1000,
  /* A path of this site, never another site's address. */
  target: function (path) {
    var safe = typeof path === "string" && path.charAt(0) === "/" && path.charAt(1) !== "/" && path.charAt(1) !== "\\";
    return new URL(safe ? path : "/dashboard", self.location.origin).href;
  },
  options: function (data, renotify) {
    var options = { icon: webPush.ICON, badge: webPush.ICON, tag: webPush.TAG, renotify: renotify, data: { path: data.path || "/dashboard" } };
    if (!data.discreet) {
      options.body = typeof data.body === "string" ? data.body : "";
      if (data.lang) options.lang = data.lang;
      if (data.dir) options.dir = data.dir;
    }
    return options;
  },
  show: function (data) {
    data = data && typeof data === "object" ? data : {};
    var title = data.discreet ? webPush.SIGN : (typeof data.title === "string" && data.title) || "Sésame";
    return self.registration.getNotifications({ tag: webPush.TAG }).then(function (shown) {
      var recent = shown.some(function (n) { return Date.now() - n.timestamp < webPush.QUIET_MS; });
      return self.registration.showNotification(title, webPush.options(data, !recent));
    });
  },
  /* The window the click goes to: one already on that page, else any window of
     ours (taken to that page), else a new one. Resolves to the URL opened. */
  open: function (path) {
    var url = webPush.target(path);
    return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      var same = windows.filter(function (w) { return w.url === url; })[0];
      if (same) return same.focus().catch(function () { return same; }).then(function () { return url; });
      var ours = windows.filter(function (w) { return new URL(w.url).origin === self.location.origin; })[0];
      if (ours && ours.navigate) {
        return ours.navigate(url).then(function (moved) {
          var client = moved || ours;
          return client.focus().catch(function () { return client; });
        }).then(function () { return url; }, function () {
          return self.clients.openWindow(url).then(function () { return url; });
        });
      }
      return self.clients.openWindow(url).then(function () { return url; });
    });
  },
};

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = {}; // not JSON: still a sign, with no words
  }
  event.waitUntil(webPush.show(data));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(webPush.open((event.notification.data || {}).path));
});
