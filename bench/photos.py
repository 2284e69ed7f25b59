"""A 12-megapixel photo through the phone's preparation (pwa/compress.js)."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from .loads import ARGS, CHROMIUM, _context
from .server import App

BUDGET = 500 * 1024

# A camera-like photo: 4000 x 3000, gradients, a page of "text", grain; encoded
# as JPEG at 0.92 as phone cameras do (several MB).
MAKE_AND_PREPARE = """async () => {
  const w = 4000, h = 3000;
  const c = document.createElement('canvas'); c.width = w; c.height = h;
  const x = c.getContext('2d');
  const g = x.createLinearGradient(0, 0, w, h); g.addColorStop(0, '#6b5a48'); g.addColorStop(1, '#d8cdb8');
  x.fillStyle = g; x.fillRect(0, 0, w, h);
  x.fillStyle = '#f4f1ea'; x.fillRect(600, 300, 2800, 2400);
  x.fillStyle = '#222'; x.font = '48px serif';
  for (let line = 0; line < 38; line++) x.fillText('RÉPUBLIQUE FRANÇAISE — titre de séjour — ligne ' + line + ' 0123456789', 700, 400 + line * 60);
  const img = x.getImageData(0, 0, w, h); const d = img.data;
  for (let i = 0; i < d.length; i += 4) { const n = (Math.random() - 0.5) * 24; d[i] += n; d[i+1] += n; d[i+2] += n; }
  x.putImageData(img, 0, 0);
  const blob = await new Promise(r => c.toBlob(r, 'image/jpeg', 0.92));
  const file = new File([blob], 'IMG_0001.jpg', {type: 'image/jpeg'});
  const t = performance.now();
  const p = await Sesame.compress.prepare(file);
  return {before: p.before, after: p.after, ms: Math.round(performance.now() - t), blurry: p.blurry, dark: p.dark};
}"""


def measure(app: App) -> dict[str, int]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = _context(browser, app, service_workers="block")
        page = context.new_page()
        page.goto(f"/files/{app.file_id}/checklist")
        result = page.evaluate(MAKE_AND_PREPARE)
        context.close()
        browser.close()
    print("\nPhoto prepared on the phone (budget: a 12-megapixel photo becomes <= 500 KB)")
    print(
        f"  4000x3000 JPEG {result['before'] / 1048576:.1f} MB -> {result['after'] / 1024:.0f} KB"
        f" in {result['ms']} ms (blurry: {result['blurry']}, dark: {result['dark']})"
    )
    return result
