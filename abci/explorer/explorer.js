// Quire explorer: latest blocks with their namespaces and blob sizes, a
// namespace's history with every height's proofs checked here (verify.js),
// accounts, validators, and the L1 anchoring and blind-ordering status.
// Served by quired with its read API (docs/explorer.md); it reads only that
// API, on the same origin.

import * as verify from "./verify.js";

const PREFIX = "quire";
const LATEST_BLOCKS = 10;
const HISTORY_HEIGHTS = 100;
const view = document.getElementById("view");
const status = document.getElementById("status");
const errorBox = document.getElementById("error");

// --- fetching ---------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, body.code ?? String(response.status), body.message ?? response.statusText);
  }
  return body;
}

/** The answer, or `null` when the API says 404 (not there, not anchored…). */
async function optional(path) {
  try {
    return await api(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

// --- formatting -------------------------------------------------------------

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

function polymod(values) {
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= gen[i];
  }
  return chk;
}

/** A 20-byte address in bech32 (BIP-173) with Quire's prefix. */
export function bech32(bytes, prefix = PREFIX) {
  const words = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      words.push((acc >>> bits) & 31);
    }
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31);
  const expanded = [...prefix].map((c) => c.charCodeAt(0) >> 5).concat([0], [...prefix].map((c) => c.charCodeAt(0) & 31));
  const mod = polymod(expanded.concat(words, [0, 0, 0, 0, 0, 0])) ^ 1;
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (mod >>> (5 * (5 - i))) & 31);
  return prefix + "1" + words.concat(checksum).map((w) => CHARSET[w]).join("");
}

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function bytesLabel(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

const short = (h) => (h.length > 16 ? `${h.slice(0, 8)}…${h.slice(-6)}` : h);
const nsLink = (nsHex) => `<a class="mono" href="#/namespace/${nsHex}" title="${nsHex}">${short(nsHex)}</a>`;
const accountLink = (addr) => `<a class="mono" href="#/account/${addr}">${esc(addr)}</a>`;

function preview(data) {
  const bytes = verify.b64(data);
  const head = bytes.subarray(0, 48);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(head);
  const printable = /^[\x20-\x7e]*$/.test(text);
  const more = bytes.length > head.length ? "…" : "";
  return printable ? `“${esc(text)}${more}”` : `<span class="mono">${verify.hex(head)}${more}</span>`;
}

function verdict(result) {
  if (result.ok) {
    const sig = result.value.signaturesChecked
      ? `${result.value.signed}/${result.value.total} power signed`
      : "signatures not checked (no Ed25519 in this browser)";
    return `<span class="ok" data-verified="ok" title="${esc(sig)}">✓ verified</span> <span class="muted">${esc(sig)}</span>`;
  }
  return `<span class="bad" data-verified="failed">✗ ${esc(result.error)}</span>`;
}

async function settle(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (e) {
    return { ok: false, error: e.message };
  }
}

// --- views ------------------------------------------------------------------

/** A block: its namespaces, each checked against the block's attestation. */
async function checkBlock(block) {
  const results = [];
  for (const item of block.namespaces ?? []) {
    results.push(await settle(verify.verifyNamespaceData(item, block.height, verify.b64(item.namespace), block.attestation)));
  }
  if (results.length === 0) {
    // An empty block: the header and the commitment still get checked.
    results.push(await settle(verify.verifyNamespaceData(
      { height: block.height, namespace: btoa(String.fromCharCode(...new Uint8Array(32))), proof: { absence: {} } },
      block.height, new Uint8Array(32), block.attestation)));
  }
  const failed = results.find((r) => !r.ok);
  return failed ?? results[0];
}

function blockSummary(block) {
  const sh = verify.fields(verify.b64(block.attestation?.signedHeader));
  const header = verify.decodeHeader((sh.get(1) ?? [new Uint8Array(0)])[0]);
  let blobs = 0;
  let bytes = 0;
  for (const ns of block.namespaces ?? []) {
    for (const b of ns.blobs ?? []) {
      blobs += 1;
      bytes += verify.b64(b.data).length;
    }
  }
  return { header, blobs, bytes };
}

async function home() {
  const [{ height }, l1, encryption, nodeInfo] = await Promise.all([
    api("/v1/height"),
    optional("/v1/l1/info"),
    optional("/v1/encryption"),
    optional("/cosmos/base/tendermint/v1beta1/node_info"),
  ]);
  const latest = Number(height);
  const chainId = nodeInfo?.default_node_info?.network ?? "";
  const cards = [
    `<div class="card">Chain<b id="chain-id">${esc(chainId)}</b></div>`,
    `<div class="card">Latest served height<b id="latest-height">${latest}</b></div>`,
    `<div class="card">L1 anchoring<b id="l1-status">${
      l1 ? `chain ${esc(l1.l1ChainId ?? "0")}, attested to ${esc(l1.latestAttestedHeight ?? "0")}` : "not anchored"
    }</b></div>`,
    `<div class="card">Blind ordering<b id="encryption-status">${
      encryption ? (encryption.active ? `epoch ${esc(encryption.epoch ?? "0")}, active` : "plaintext only") : "off"
    }</b></div>`,
  ];
  const rows = [];
  for (let h = latest; h >= 1 && h > latest - LATEST_BLOCKS; h--) {
    const block = await api(`/v1/blocks/${h}`);
    const { header, blobs, bytes } = blockSummary(block);
    const check = await checkBlock(block);
    const namespaces = (block.namespaces ?? [])
      .map((ns) => {
        const size = (ns.blobs ?? []).reduce((s, b) => s + verify.b64(b.data).length, 0);
        return `${nsLink(verify.hex(verify.b64(ns.namespace)))} ${(ns.blobs ?? []).length}×, ${bytesLabel(size)}`;
      })
      .join("<br>");
    rows.push(`<tr data-height="${h}">
      <td><a href="#/block/${h}">${h}</a></td>
      <td>${esc(verify.headerTime(header).toISOString())}</td>
      <td class="mono" title="${verify.hex(header.proposerAddress)}">${short(verify.hex(header.proposerAddress))}</td>
      <td data-namespaces="${(block.namespaces ?? []).length}">${namespaces || '<span class="muted">none</span>'}</td>
      <td data-blobs="${blobs}">${blobs}</td><td data-bytes="${bytes}">${bytesLabel(bytes)}</td>
      <td>${verdict(check)}</td></tr>`);
  }
  view.innerHTML = `<div class="cards">${cards.join("")}</div>
    <h2>Latest blocks</h2>
    <table id="blocks"><thead><tr><th>Height</th><th>Time</th><th>Proposer</th><th>Namespaces</th><th>Blobs</th><th>Blob bytes</th><th>Proofs</th></tr></thead>
    <tbody>${rows.join("")}</tbody></table>`;
}

function blobRows(items) {
  return items
    .map(
      (b, i) => `<tr><td>${i}</td><td>${accountLink(bech32(verify.b64(b.signer)))}</td>
      <td data-size="${verify.b64(b.data).length}">${bytesLabel(verify.b64(b.data).length)}</td>
      <td class="mono">${verify.hex(verify.b64(b.txHash))}</td><td>${b.txIndex ?? 0}/${b.msgIndex ?? 0}</td><td>${preview(b.data)}</td></tr>`,
    )
    .join("");
}

const BLOB_HEAD = "<tr><th>#</th><th>Signer</th><th>Size</th><th>Tx hash</th><th>Tx/msg</th><th>Data</th></tr>";

async function block(height) {
  const data = await api(`/v1/blocks/${height}`);
  const { header, blobs, bytes } = blockSummary(data);
  const check = await checkBlock(data);
  const sections = (data.namespaces ?? []).map((ns) => {
    const nsHex = verify.hex(verify.b64(ns.namespace));
    return `<h3>Namespace ${nsLink(nsHex)}</h3><table class="blobs">${BLOB_HEAD}${blobRows(ns.blobs ?? [])}</table>`;
  });
  view.innerHTML = `<h2>Block ${esc(height)}</h2>
    <table id="block"><tbody>
    <tr><th>Time</th><td>${esc(verify.headerTime(header).toISOString())}</td></tr>
    <tr><th>Proposer</th><td class="mono">${verify.hex(header.proposerAddress)}</td></tr>
    <tr><th>Data hash</th><td class="mono">${verify.hex(header.dataHash)}</td></tr>
    <tr><th>App hash</th><td class="mono">${verify.hex(header.appHash)}</td></tr>
    <tr><th>Validators hash</th><td class="mono">${verify.hex(header.validatorsHash)}</td></tr>
    <tr><th>Blobs</th><td>${blobs} (${bytesLabel(bytes)})</td></tr>
    <tr><th>Proofs</th><td id="block-verdict">${verdict(check)}</td></tr>
    </tbody></table>${sections.join("") || '<p class="muted">No blobs in this block.</p>'}`;
}

async function namespaceId(text) {
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(text)) return verify.fromHex(text.replace(/^0x/, "").toLowerCase());
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

async function namespace(text) {
  const ns = await namespaceId(decodeURIComponent(text));
  const nsHex = verify.hex(ns);
  const { height } = await api("/v1/height");
  const to = Number(height);
  const from = Math.max(1, to - HISTORY_HEIGHTS + 1);
  const items = [];
  for (let next = from; next !== 0 && next <= to; ) {
    const page = await api(`/v1/namespaces/${nsHex}/range?from=${next}&to=${to}`);
    items.push(...(page.items ?? []));
    next = Number(page.nextHeight ?? 0);
  }
  // Every height is checked, the absent ones too (the proof that nothing
  // was withheld), and consecutive heights must chain their validator sets.
  let previous = null;
  let verifiedHeights = 0;
  let failures = 0;
  const rows = [];
  for (const item of items) {
    const result = await settle(
      verify.verifyNamespaceData(item, item.height, ns).then((v) => {
        verify.checkChained(previous, v);
        return v;
      }),
    );
    if (result.ok) {
      previous = result.value;
      verifiedHeights += 1;
    } else {
      previous = null;
      failures += 1;
    }
    const blobs = item.blobs ?? [];
    if (blobs.length > 0 || !result.ok) {
      rows.push(`<tr data-height="${item.height}" data-blobs="${blobs.length}"><td><a href="#/block/${item.height}">${item.height}</a></td>
        <td>${verdict(result)}</td></tr>
        <tr><td></td><td><table class="blobs">${BLOB_HEAD}${blobRows(blobs)}</table></td></tr>`);
    }
  }
  view.innerHTML = `<h2>Namespace <span class="mono">${nsHex}</span></h2>
    <p id="history-summary" data-from="${from}" data-to="${to}" data-verified="${verifiedHeights}" data-failed="${failures}">
    Heights ${from}–${to}: ${verifiedHeights} verified (absent heights included), ${failures} failed.</p>
    <table id="history"><thead><tr><th>Height</th><th>Blobs and proofs</th></tr></thead><tbody>${rows.join("") || '<tr><td colspan="2" class="muted">No blobs in these heights.</td></tr>'}</tbody></table>`;
}

async function account(address) {
  const [acct, balances] = await Promise.all([
    optional(`/cosmos/auth/v1beta1/accounts/${encodeURIComponent(address)}`),
    api(`/cosmos/bank/v1beta1/balances/${encodeURIComponent(address)}`),
  ]);
  const base = acct?.account;
  const coins = (balances.balances ?? []).map((c) => `<tr><td>${esc(c.denom)}</td><td data-amount="${esc(c.amount)}">${esc(c.amount)}</td></tr>`);
  view.innerHTML = `<h2>Account <span class="mono">${esc(address)}</span></h2>
    <table id="account"><tbody>
    <tr><th>Account number</th><td>${base ? esc(base.account_number ?? "0") : '<span class="muted">no account yet</span>'}</td></tr>
    <tr><th>Sequence</th><td id="sequence">${base ? esc(base.sequence ?? "0") : "–"}</td></tr>
    </tbody></table>
    <h3>Balances</h3><table id="balances"><thead><tr><th>Denom</th><th>Amount</th></tr></thead><tbody>${coins.join("") || '<tr><td colspan="2" class="muted">none</td></tr>'}</tbody></table>`;
}

async function validators() {
  const set = await api("/cosmos/base/tendermint/v1beta1/validatorsets/latest");
  const list = set.validators ?? [];
  const total = list.reduce((s, v) => s + BigInt(v.voting_power ?? 0), 0n);
  const rows = list.map((v) => {
    const power = BigInt(v.voting_power ?? 0);
    const share = total > 0n ? Number((power * 10000n) / total) / 100 : 0;
    return `<tr><td class="mono">${esc(v.address)}</td><td class="mono">${esc(v.pub_key?.key ?? "")}</td>
      <td data-power="${power}">${power}</td><td>${share.toFixed(2)} %</td><td>${esc(v.proposer_priority ?? "0")}</td></tr>`;
  });
  view.innerHTML = `<h2>Validators at height ${esc(set.block_height ?? "")}</h2>
    <table id="validators"><thead><tr><th>Consensus address</th><th>Ed25519 key</th><th>Power</th><th>Share</th><th>Proposer priority</th></tr></thead>
    <tbody>${rows.join("")}</tbody></table>`;
}

// --- routing ----------------------------------------------------------------

async function route() {
  const path = location.hash.replace(/^#\/?/, "").split("/");
  status.dataset.state = "loading";
  status.textContent = "Loading…";
  errorBox.textContent = "";
  try {
    if (path[0] === "block" && /^\d+$/.test(path[1] ?? "")) await block(path[1]);
    else if (path[0] === "namespace" && path[1]) await namespace(path[1]);
    else if (path[0] === "account" && path[1]) await account(path[1]);
    else if (path[0] === "validators") await validators();
    else await home();
    status.dataset.state = "ready";
    status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    status.dataset.state = "error";
    status.textContent = "";
    errorBox.textContent = `Could not load this view: ${e.message}`;
  }
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = document.getElementById("query").value.trim();
  if (/^\d+$/.test(q)) location.hash = `#/block/${q}`;
  else if (q.startsWith(`${PREFIX}1`)) location.hash = `#/account/${q}`;
  else if (q) location.hash = `#/namespace/${encodeURIComponent(q)}`;
});
window.addEventListener("hashchange", route);
route();
