// The README's pictures (docs/*.png), made by the end-to-end tests. They are written only when
// asked (UPDATE_SCREENSHOTS=1); otherwise a test compares what it sees with the tracked picture
// and fails when that is stale, so a clean checkout stays clean after the tests.
//
// The comparison has a tolerance: fonts and anti-aliasing differ between machines (another
// Chromium or fontconfig), so a pixel counts as different only when a channel differs by more than
// PIXEL_THRESHOLD, and the picture is stale when more than MAX_DIFFERENT of its pixels do, or its
// size changed. A changed layout, colour or wording is well above that; a single changed glyph
// may be below it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, waitForState, settled } from './harness.mjs';

const PIXEL_THRESHOLD = 48; // of 255, on any channel
const MAX_DIFFERENT = 0.005; // of all pixels

export const UPDATING = process.env.UPDATE_SCREENSHOTS === '1';

/** The moment the pictures show (message times): fixed, so that they do not change each run. */
export const PICTURE_TIME = new Date('2026-03-02T10:30:00');

/**
 * Takes a screenshot of `page` for docs/<name>.png: writes it with UPDATE_SCREENSHOTS=1, and
 * otherwise fails if the tracked picture is stale (the new one is then left in tests/e2e/out/).
 */
export async function checkScreenshot(page, name) {
  const file = path.join(ROOT, 'docs', `${name}.png`);
  const shot = await page.screenshot({ animations: 'disabled', caret: 'hide' });
  if (UPDATING) {
    fs.writeFileSync(file, shot);
    return;
  }
  assert.ok(fs.existsSync(file), `docs/${name}.png is missing: run the tests with UPDATE_SCREENSHOTS=1`);
  const diff = await compare(page, fs.readFileSync(file), shot);
  if (diff.stale) {
    const out = path.join(ROOT, 'tests/e2e/out');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, `${name}.png`), shot);
  }
  assert.ok(!diff.stale, `docs/${name}.png is stale (${diff.why}); the new picture is in tests/e2e/out/${name}.png; `
    + 'run the tests with UPDATE_SCREENSHOTS=1 to update it');
}

/** The README's three looks of a picture: `<prefix>light`, `<prefix>dark` and `<prefix>rtl`
 *  (Arabic), as browser context options for `checkPictures`. */
export function looks(prefix = '') {
  return [
    [`${prefix}light`, {}],
    [`${prefix}dark`, { colorScheme: 'dark' }],
    [`${prefix}rtl`, { locale: 'ar' }],
  ];
}

/**
 * The README's pictures of one state of the widget: for each `[name, contextOptions]` of `shots`,
 * a fresh 1100×760 context at PICTURE_TIME on `url`, the panel opened, `prepare(page, name)`,
 * then `checkScreenshot` of the settled page.
 */
export async function checkPictures(browser, url, shots, prepare) {
  for (const [name, options] of shots) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, ...options });
    const page = await context.newPage();
    await page.clock.install({ time: PICTURE_TIME });
    await page.goto(url);
    await waitForState(page);
    await page.locator('helpwire-chat .launcher').click();
    await prepare(page, name);
    await settled(page);
    await checkScreenshot(page, name);
    await context.close();
  }
}

/** Decodes both PNGs in a blank page of the same browser and counts the pixels that differ. */
async function compare(page, tracked, taken) {
  const blank = await page.context().newPage();
  try {
    return await blank.evaluate(async ({ a, b, threshold, max }) => {
      const decode = async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = canvas.getContext('2d');
        ctx.drawImage(bitmap, 0, 0);
        return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
      };
      const [x, y] = await Promise.all([decode(a), decode(b)]);
      if (x.width !== y.width || x.height !== y.height) {
        return { stale: true, why: `its size is ${x.width}×${x.height}, now ${y.width}×${y.height}` };
      }
      let different = 0;
      for (let i = 0; i < x.data.length; i += 4) {
        if (Math.abs(x.data[i] - y.data[i]) > threshold || Math.abs(x.data[i + 1] - y.data[i + 1]) > threshold
          || Math.abs(x.data[i + 2] - y.data[i + 2]) > threshold) different++;
      }
      const share = different / (x.width * x.height);
      return { stale: share > max, why: `${(share * 100).toFixed(2)} % of its pixels differ; stale above ${max * 100} %` };
    }, { a: tracked.toString('base64'), b: taken.toString('base64'), threshold: PIXEL_THRESHOLD, max: MAX_DIFFERENT });
  } finally {
    await blank.close();
  }
}
