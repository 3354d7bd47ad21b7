// A reviewer in a real browser (Debian's chromium, driven by Playwright): sign in with an API
// token, open a release, read its gates, sign an approval with a key file opened in the page,
// and see the status change. Prints what it saw as one JSON object; screenshots go to OUT.
//
//   node review.cjs BASE_URL TOKEN RELEASE_ID KEY_FILE OUT
//
// playwright-core comes from NODE_PATH (scripts/test installs it from npm).
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");

async function main() {
  const [base, token, id, keyFile, out] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const seen = { console: [] };
  // Everything the page sends, to show the secret key never leaves it.
  const seed = fs.readFileSync(keyFile, "utf8").split("\n").map((l) => l.trim())
    .find((l) => l && !l.startsWith("#")).toLowerCase();
  const sent = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (message) => seen.console.push(message.text()));
    page.on("request", (request) =>
      sent.push(`${request.url()} ${JSON.stringify(request.headers())} ${request.postData() || ""}`));
    // Signed out: the sign-in form.
    await page.goto(`${base}/`);
    await page.fill("input[name=token]", token);
    await page.click("button[type=submit]");
    await page.waitForSelector("h1:text('Releases')");
    seen.list = await page.locator("tbody tr").count();
    await page.screenshot({ path: `${out}/releases.png`, fullPage: true });
    // The release: its gates and status, keyboard-reachable form.
    await page.goto(`${base}/releases/${id}`);
    seen.gates = await page.locator("#gates tbody tr").evaluateAll(
      (rows) => rows.map((r) => ({ metric: r.dataset.metric, outcome: r.cells[1].textContent })));
    seen.before = await page.locator("#status-badge").getAttribute("data-status");
    seen.pending_before = await page.locator("#pending").textContent();
    // The lineage graph: drawn (a box per release of the source), with a visible size.
    const graph = await page.locator("#lineage-graph").boundingBox();
    seen.lineage_boxes = await page.locator("#lineage-graph rect.release").count();
    seen.lineage_height = graph ? graph.height : 0;
    await page.screenshot({ path: `${out}/release-before.png`, fullPage: true });
    // Sign: open the key file in the page, press the button with the keyboard.
    await page.setInputFiles("input[name=key]", keyFile);
    await page.fill("textarea[name=comment]", "Reviewed in the browser");
    await page.focus("button[name=sign]");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => {
      const text = document.getElementById("review-status").textContent;
      return text.startsWith("Recorded") || text.startsWith("Refused") || text.startsWith("Signing failed");
    }, null, { timeout: 30000 });
    seen.message = await page.locator("#review-status").textContent();
    seen.after = await page.locator("#status-badge").getAttribute("data-status");
    await page.screenshot({ path: `${out}/release-after.png`, fullPage: true });
    // Reloaded, the page shows the recorded decision.
    await page.reload();
    seen.decisions = await page.locator("#decisions tbody tr").evaluateAll(
      (rows) => rows.map((r) => Array.from(r.cells, (c) => c.textContent)));
    seen.reloaded = await page.locator("#status-badge").getAttribute("data-status");
    // A forged cross-site-style request: the session cookie alone, without the page's token.
    seen.without_csrf = await page.evaluate(async (id) => (await fetch(`/api/releases/${id}/decisions`,
      { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })).status, id);
    seen.requests = sent.length;
    seen.key_sent = sent.some((line) => line.toLowerCase().includes(seed));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(seen) + "\n");
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
