/* Photos, made small and checked on the phone before they are queued.
 *
 * prepare(file) → {data: ArrayBuffer, name, type, before, after, blurry, dark}
 *   - images are resized so the long side is at most 2000 px and re-encoded as
 *     JPEG at the highest quality (searched between 0.5 and 0.85) that lands
 *     under 480 KB: a fixed quality held for smooth photos, not for textured,
 *     noisy ones (0.6 MB at 0.8). Below quality 0.5 the text of a document
 *     blurs: the long side goes down to 1600, then 1280 px instead, and the
 *     search starts again (bench/photos.py measures both kinds);
 *   - PDFs, and images the browser cannot decode (HEIC on most Androids), are
 *     kept as they are;
 *   - blur is the variance of the Laplacian of a 512 px grey copy (a sharp page
 *     of text scores in the hundreds; a shaken photo, under ~60), darkness the
 *     mean brightness. The caller asks the person, and lets them keep it.
 */
(function (self) {
  "use strict";
  var SIDES = [2000, 1600, 1280];
  var TARGET = 480 * 1024; // under the 500 KB budget, with room for the file's name and headers
  var MIN_QUALITY = 0.5;
  var MAX_QUALITY = 0.85;
  var STEPS = 5; // bisection steps: quality within ~0.01
  var BLUR_LIMIT = 60;
  var DARK_LIMIT = 45;

  function readBuffer(file) {
    return file.arrayBuffer ? file.arrayBuffer() : new Response(file).arrayBuffer();
  }

  function decode(file) {
    if (self.createImageBitmap) return createImageBitmap(file);
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }

  function canvas(width, height) {
    var c = document.createElement("canvas");
    c.width = width;
    c.height = height;
    return c;
  }

  /* Variance of the Laplacian and mean brightness, on a small grey copy. */
  function quality(image) {
    var scale = Math.min(1, 512 / Math.max(image.width, image.height));
    var w = Math.max(3, Math.round(image.width * scale));
    var h = Math.max(3, Math.round(image.height * scale));
    var c = canvas(w, h);
    var ctx = c.getContext("2d");
    ctx.drawImage(image, 0, 0, w, h);
    var px = ctx.getImageData(0, 0, w, h).data;
    var grey = new Float32Array(w * h);
    var sum = 0;
    for (var i = 0; i < w * h; i++) {
      grey[i] = 0.299 * px[i * 4] + 0.587 * px[i * 4 + 1] + 0.114 * px[i * 4 + 2];
      sum += grey[i];
    }
    var n = 0, mean = 0, m2 = 0;
    for (var y = 1; y < h - 1; y++) {
      for (var x = 1; x < w - 1; x++) {
        var k = y * w + x;
        var lap = grey[k - w] + grey[k + w] + grey[k - 1] + grey[k + 1] - 4 * grey[k];
        n++;
        var d = lap - mean;
        mean += d / n;
        m2 += d * (lap - mean);
      }
    }
    return { sharpness: n > 1 ? m2 / (n - 1) : 0, brightness: sum / (w * h) };
  }

  function jpeg(c, q) {
    return new Promise(function (resolve) { c.toBlob(resolve, "image/jpeg", q); });
  }

  /* The best quality under TARGET at this size, else the next smaller size. */
  function encode(image, side) {
    side = side || 0;
    var scale = Math.min(1, SIDES[side] / Math.max(image.width, image.height));
    var c = canvas(Math.round(image.width * scale), Math.round(image.height * scale));
    c.getContext("2d").drawImage(image, 0, 0, c.width, c.height);
    return jpeg(c, MAX_QUALITY).then(function (best) {
      if (!best || best.size <= TARGET) return best && Object.assign(best, { quality: MAX_QUALITY, side: SIDES[side] });
      var lo = MIN_QUALITY, hi = MAX_QUALITY, found = null, smallest = null, step = 0;
      function next() {
        if (step++ >= STEPS) {
          if (found) return found;
          if (side + 1 < SIDES.length) return encode(image, side + 1);
          return smallest; // the smallest tried: the budget cannot hold without losing the text
        }
        var mid = step === 1 ? lo : (lo + hi) / 2;
        return jpeg(c, mid).then(function (blob) {
          if (!smallest || blob.size < smallest.size) smallest = Object.assign(blob, { quality: mid, side: SIDES[side] });
          if (blob.size <= TARGET) {
            found = Object.assign(blob, { quality: mid, side: SIDES[side] });
            lo = mid;
          } else if (step === 1) {
            step = STEPS; // even the lowest quality is too big at this size
          } else {
            hi = mid;
          }
          return next();
        });
      }
      return next();
    });
  }

  function jpegName(name) {
    return (name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
  }

  function prepare(file) {
    var before = file.size;
    var keep = function () {
      return readBuffer(file).then(function (data) {
        return { data: data, name: file.name, type: file.type, before: before, after: before, blurry: false, dark: false };
      });
    };
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return keep();
    return decode(file).then(function (image) {
      var q = quality(image);
      return encode(image).then(function (blob) {
        if (image.close) image.close();
        if (!blob || blob.size >= before) {
          // Already small: keep the original bytes.
          return keep().then(function (kept) { return Object.assign(kept, { blurry: q.sharpness < BLUR_LIMIT, dark: q.brightness < DARK_LIMIT }); });
        }
        return readBuffer(blob).then(function (data) {
          return {
            data: data,
            name: jpegName(file.name),
            type: "image/jpeg",
            before: before,
            after: blob.size,
            quality: blob.quality,
            side: blob.side,
            blurry: q.sharpness < BLUR_LIMIT,
            dark: q.brightness < DARK_LIMIT,
          };
        });
      });
    }, keep);
  }

  (self.Sesame = self.Sesame || {}).compress = { prepare: prepare, quality: quality };
})(self);
