// Drives the admin dashboard (GET /) in headless Debian chromium through playwright-core:
// the page loads with no console error, shows each listener's scheme and every target, shows a
// target turning unhealthy when its backend is killed, drains another with a click (and the API
// agrees), and saves a screenshot. Started by tests/integration/dashboard_test.cpp with the real
// fulcrum running:
//
//   node dashboard.mjs ADMIN_URL KILL_ADDRESS DRAIN_ADDRESS SCREENSHOT_PATH
//
// When the page shows every target healthy it prints "kill now": the test then kills the
// backend of KILL_ADDRESS (the test owns that process).
//
// Exit 0 when every check holds; otherwise prints what failed and exits 1.
import { chromium } from "playwright-core";

const [adminUrl, killAddress, drainAddress, screenshot] = process.argv.slice(2);
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("requestfailed", (r) => consoleErrors.push("request failed: " + r.url()));

  await page.goto(adminUrl + "/", { waitUntil: "load" });
  const row = (address) => page.locator(`tr[data-target="${address}"]`);
  await row(killAddress).waitFor({ timeout: 10000 });
  await row(drainAddress).waitFor({ timeout: 10000 });
  // Healthy first (checks every second), with live charts drawn.
  await page.waitForSelector(`tr[data-target="${killAddress}"][data-state="healthy"]`, { timeout: 10000 });
  check(await page.locator("canvas.rps").count() >= 2, "no requests/s chart per target");
  // Each listener's scheme, in its own column (the test's one listener is internet-facing).
  const scheme = await page.locator('tr[data-listener] td:nth-child(4)').first().textContent();
  check(scheme === "internet-facing", "the listener's scheme column shows " + JSON.stringify(scheme));

  // The backend is killed: the page shows the target unhealthy, with its reason.
  console.log("kill now");
  const unhealthy = `tr[data-target="${killAddress}"][data-state="unhealthy"]`;
  try {
    await page.waitForSelector(unhealthy, { timeout: 10000 });
    const reason = await page.locator(unhealthy + " .reason").textContent();
    check(reason.includes("Target."), "no reason code shown for the unhealthy target: " + reason);
  } catch (e) {
    failures.push("the killed target never showed unhealthy");
  }

  // Drain the other one with a click.
  await row(drainAddress).locator("button.drain").click();
  try {
    await page.waitForSelector(`tr[data-target="${drainAddress}"][data-state="draining"]`, { timeout: 5000 });
  } catch (e) {
    failures.push("the drained target never showed draining");
  }
  const group = await (await fetch(adminUrl + "/api/v1/target-groups/pool")).json();
  const drained = group.targets.find((t) => t.address === drainAddress);
  check(drained && drained.reason_code === "Target.OperatorDrain", "the API does not show the operator drain");
  await page.waitForTimeout(1500);  // a couple more points on the charts
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  check(consoleErrors.length === 0, "console errors: " + consoleErrors.join(" | "));
} finally {
  await browser.close();
}
if (failures.length) {
  console.log("FAILED:\n" + failures.join("\n"));
  process.exit(1);
}
console.log("dashboard: ok");
