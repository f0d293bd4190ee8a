// Drives quired's explorer page in a real headless chromium (Debian's, via
// puppeteer-core) and prints, as JSON, what each view shows; run by
// tests/tests/explorer.rs, which checks it against the chain.
//
// Env: QUIRE_EXPLORER (the page's URL), QUIRE_NAMESPACE (hex), QUIRE_BLOCK
// (a height with blobs), QUIRE_ACCOUNT (a bech32 address), QUIRE_SHOTS (a
// directory for the screenshots), CHROMIUM (default /usr/bin/chromium).

import puppeteer from "puppeteer-core";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const url = env("QUIRE_EXPLORER");
const nsHex = env("QUIRE_NAMESPACE");
const blockHeight = env("QUIRE_BLOCK");
const address = env("QUIRE_ACCOUNT");
const shots = env("QUIRE_SHOTS");

const browser = await puppeteer.launch({
  executablePath: env("CHROMIUM", "/usr/bin/chromium"),
  headless: true,
  // --no-sandbox: CI runs as root, where chromium's sandbox cannot start.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  timeout: 60_000,
});
const out = { consoleErrors: [] };
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on("console", (m) => m.type() === "error" && out.consoleErrors.push(m.text()));
  page.on("pageerror", (e) => out.consoleErrors.push(String(e)));

  // Opens a view and waits until it has rendered (or failed to).
  const open = async (hash) => {
    await page.evaluate((h) => {
      document.getElementById("status").dataset.state = "loading";
      location.hash = h;
    }, hash);
    await page.waitForFunction(() => document.getElementById("status").dataset.state !== "loading", { timeout: 60_000 });
    return page.evaluate(() => ({
      state: document.getElementById("status").dataset.state,
      error: document.getElementById("error").textContent,
    }));
  };

  await page.goto(url, { waitUntil: "load", timeout: 60_000 });
  await page.waitForFunction(() => document.getElementById("status").dataset.state !== "loading", { timeout: 60_000 });
  out.home = await page.evaluate(() => ({
    state: document.getElementById("status").dataset.state,
    error: document.getElementById("error").textContent,
    chainId: document.getElementById("chain-id")?.textContent,
    latest: Number(document.getElementById("latest-height")?.textContent),
    l1: document.getElementById("l1-status")?.textContent,
    encryption: document.getElementById("encryption-status")?.textContent,
    blocks: [...document.querySelectorAll("#blocks tbody tr")].map((tr) => ({
      height: Number(tr.dataset.height),
      namespaces: Number(tr.querySelector("[data-namespaces]").dataset.namespaces),
      blobs: Number(tr.querySelector("[data-blobs]").dataset.blobs),
      bytes: Number(tr.querySelector("[data-bytes]").dataset.bytes),
      verified: tr.querySelector("[data-verified]")?.dataset.verified,
    })),
  }));
  await page.screenshot({ path: `${shots}/explorer-home.png`, fullPage: true });

  out.namespace = { ...(await open(`#/namespace/${nsHex}`)) };
  Object.assign(
    out.namespace,
    await page.evaluate(() => {
      const summary = document.getElementById("history-summary");
      return {
        from: Number(summary?.dataset.from),
        to: Number(summary?.dataset.to),
        verifiedHeights: Number(summary?.dataset.verified),
        failedHeights: Number(summary?.dataset.failed),
        rows: [...document.querySelectorAll("#history > tbody > tr[data-height]")].map((tr) => ({
          height: Number(tr.dataset.height),
          blobs: Number(tr.dataset.blobs),
          verified: tr.querySelector("[data-verified]")?.dataset.verified,
          sizes: [...tr.nextElementSibling.querySelectorAll("[data-size]")].map((td) => Number(td.dataset.size)),
          signers: [...tr.nextElementSibling.querySelectorAll("a[href^='#/account/']")].map((a) => a.textContent),
        })),
      };
    }),
  );
  await page.screenshot({ path: `${shots}/explorer-namespace.png`, fullPage: true });

  out.block = { ...(await open(`#/block/${blockHeight}`)) };
  out.block.verified = await page.evaluate(() => document.querySelector("#block-verdict [data-verified]")?.dataset.verified);
  out.block.sizes = await page.evaluate(() => [...document.querySelectorAll(".blobs [data-size]")].map((td) => Number(td.dataset.size)));

  out.account = { ...(await open(`#/account/${address}`)) };
  Object.assign(
    out.account,
    await page.evaluate(() => ({
      sequence: document.getElementById("sequence")?.textContent,
      balances: Object.fromEntries([...document.querySelectorAll("#balances tbody tr")].map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])),
    })),
  );

  out.validators = { ...(await open("#/validators")) };
  out.validators.powers = await page.evaluate(() => [...document.querySelectorAll("#validators [data-power]")].map((td) => Number(td.dataset.power)));
  await page.screenshot({ path: `${shots}/explorer-validators.png`, fullPage: true });

  // The page's checks can fail: the same item, altered in ways a lying node
  // could, must be refused by the page's own verifier.
  out.tampering = await page.evaluate(
    async (ns, height) => {
      const v = await import("/explorer/verify.js");
      const fetched = await (await fetch(`/v1/namespaces/${ns}/heights/${height}`)).json();
      const nsBytes = v.fromHex(ns);
      const copy = () => JSON.parse(JSON.stringify(fetched));
      const flip = (b64text, at = 0) => {
        const bytes = v.b64(b64text);
        bytes[at] ^= 1;
        return btoa(String.fromCharCode(...bytes));
      };
      const attempts = {
        untouched: copy(),
        changedData: (() => { const c = copy(); c.blobs[0].data = flip(c.blobs[0].data); return c; })(),
        droppedBlob: (() => { const c = copy(); c.blobs.pop(); return c; })(),
        changedSigner: (() => { const c = copy(); c.blobs[0].signer = flip(c.blobs[0].signer); return c; })(),
        forgedSignature: (() => {
          const c = copy();
          const sh = v.b64(c.attestation.signedHeader);
          sh[sh.length - 1] ^= 1; // the last byte of the last commit signature
          c.attestation.signedHeader = btoa(String.fromCharCode(...sh));
          return c;
        })(),
        otherCommitment: (() => { const c = copy(); c.attestation.commitmentTx = flip(c.attestation.commitmentTx, 40); return c; })(),
        claimedAbsent: (() => { const c = copy(); c.blobs = []; c.proof = { absence: {} }; return c; })(),
      };
      const results = {};
      for (const [name, item] of Object.entries(attempts)) {
        try {
          const r = await v.verifyNamespaceData(item, height, nsBytes);
          results[name] = { ok: true, signed: String(r.signed), total: String(r.total), signaturesChecked: r.signaturesChecked };
        } catch (e) {
          results[name] = { ok: false, error: e.message, isVerifyError: e instanceof v.VerifyError };
        }
      }
      return results;
    },
    nsHex,
    Number(blockHeight),
  );
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
