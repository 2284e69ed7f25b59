/* Photos, made small and checked on the phone before they are queued.
 *
 * prepare(file) → {data: ArrayBuffer, name, type, before, after, blurry, dark}
 *   - images are resized so the long side is at most 2000 px and re-encoded as
 *     JPEG at quality 0.8 (a 12-megapixel photo ends well under 500 KB);
 *   - PDFs, and images the browser cannot decode (HEIC on most Androids), are
 *     kept as they are;
 *   - blur is the variance of the Laplacian of a 512 px grey copy (a sharp page
 *     of text scores in the hundreds; a shaken photo, under ~60), darkness the
 *     mean brightness. The caller asks the person, and lets them keep it.
 */
(function (self) {
  "use strict";
  var LONG_SIDE = 2000;
  var QUALITY = 0.8;
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

  function encode(image) {
    var scale = Math.min(1, LONG_SIDE / Math.max(image.width, image.height));
    var c = canvas(Math.round(image.width * scale), Math.round(image.height * scale));
    c.getContext("2d").drawImage(image, 0, 0, c.width, c.height);
    return new Promise(function (resolve) {
      c.toBlob(resolve, "image/jpeg", QUALITY);
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
            blurry: q.sharpness < BLUR_LIMIT,
            dark: q.brightness < DARK_LIMIT,
          };
        });
      });
    }, keep);
  }

  (self.Sesame = self.Sesame || {}).compress = { prepare: prepare, quality: quality };
})(self);
