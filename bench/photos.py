"""A 12-megapixel photo through the phone's preparation (pwa/compress.js)."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from .loads import ARGS, CHROMIUM, _context
from .server import App

BUDGET = 500 * 1024

# Camera-like photos: 4000 x 3000, a page of "text" on a background, sensor
# noise; encoded as JPEG at 0.92 as phone cameras do (several MB). "smooth": a
# gradient and light grain. "textured": a patterned cloth under the page and
# strong per-channel noise, as a cheap sensor in a dim room gives: what a fixed
# JPEG quality could not hold under the budget. "dark": the textured scene in a
# dim room, a fifth of the light and the sensor's gain turned up (noise twice as
# strong, colour noise too): the hardest to compress, and one the page warns
# about (too dark).
MAKE_AND_PREPARE = """async ([kind]) => {
  const w = 4000, h = 3000, dark = kind === 'dark', textured = kind === 'textured' || dark;
  const c = document.createElement('canvas'); c.width = w; c.height = h;
  const x = c.getContext('2d');
  const g = x.createLinearGradient(0, 0, w, h); g.addColorStop(0, '#6b5a48'); g.addColorStop(1, '#d8cdb8');
  x.fillStyle = g; x.fillRect(0, 0, w, h);
  if (textured) {
    let seed = 7; const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 60000; i++) {
      x.strokeStyle = `hsl(${20 + rnd() * 30}, 40%, ${25 + rnd() * 50}%)`;
      x.lineWidth = 1 + rnd() * 3;
      const px = rnd() * w, py = rnd() * h;
      x.beginPath(); x.moveTo(px, py); x.lineTo(px + (rnd() - 0.5) * 60, py + (rnd() - 0.5) * 60); x.stroke();
    }
  }
  x.fillStyle = '#f4f1ea'; x.fillRect(600, 300, 2800, 2400);
  x.fillStyle = '#222'; x.font = '48px serif';
  for (let line = 0; line < 38; line++) x.fillText('RÉPUBLIQUE FRANÇAISE — titre de séjour — ligne ' + line + ' 0123456789', 700, 400 + line * 60);
  const img = x.getImageData(0, 0, w, h); const d = img.data;
  const amp = dark ? 96 : textured ? 48 : 24, light = dark ? 0.2 : 1, chroma = dark ? 32 : textured ? 16 : 0;
  for (let i = 0; i < d.length; i += 4) {
    const n = (Math.random() - 0.5) * amp;
    d[i] = d[i] * light + n + (Math.random() - 0.5) * chroma;
    d[i+1] = d[i+1] * light + n + (Math.random() - 0.5) * chroma;
    d[i+2] = d[i+2] * light + n + (Math.random() - 0.5) * chroma;
  }
  x.putImageData(img, 0, 0);
  const blob = await new Promise(r => c.toBlob(r, 'image/jpeg', 0.92));
  const file = new File([blob], 'IMG_0001.jpg', {type: 'image/jpeg'});
  const t = performance.now();
  const p = await Sesame.compress.prepare(file);
  return {before: p.before, after: p.after, ms: Math.round(performance.now() - t), blurry: p.blurry,
          dark: p.dark, quality: p.quality, side: p.side};
}"""

KINDS = ("smooth", "textured", "dark")


def measure(app: App) -> dict[str, dict[str, int]]:
    results: dict[str, dict[str, int]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = _context(browser, app, service_workers="block")
        page = context.new_page()
        page.goto(f"/files/{app.file_id}/checklist")
        for kind in KINDS:
            results[kind] = page.evaluate(MAKE_AND_PREPARE, [kind])
        context.close()
        browser.close()
    print("\nPhotos prepared on the phone (budget: a 12-megapixel photo becomes <= 500 KB)")
    for kind, result in results.items():
        within = "ok" if result["after"] <= BUDGET else "OVER BUDGET"
        print(
            f"  {kind:9} 4000x3000 JPEG {result['before'] / 1048576:.1f} MB -> {result['after'] / 1024:.0f} KB"
            f" ({within}; long side {result['side']} px, quality {result['quality']:.2f})"
            f" in {result['ms']} ms (blurry: {result['blurry']}, dark: {result['dark']})"
        )
    return results
