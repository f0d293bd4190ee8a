// Quire explorer: checks a namespace's data at a height in the browser,
// trusting nothing the node says but the validator set the reader pins.
//
// The same checks as quire-client's Verifier (docs/read-api.md), written
// here with the browser's WebCrypto (SHA-256, Ed25519):
//   1. the blobs hash to the namespace leaf (count, signers, data, order),
//      and the leaf is in the block's namespace tree (or, for absence, the
//      neighbouring leaves leave no room for the namespace);
//   2. the tree's root is the one of the block's commitment tx, whose height
//      is the block's, and that tx is tx 0 under the header's data_hash;
//   3. the header hashes to the block id the commit signed, and validators
//      holding more than 2/3 of the power of the set whose hash is the
//      header's validators_hash signed it (Ed25519 over CanonicalVote).
// What (3) trusts is that validator set: the page shows its hash, and a
// history of consecutive heights must chain (each header's validators_hash
// is the previous header's next_validators_hash). A reader who must not
// trust the node at all uses `quired query blobs --verify`, which follows
// the set from genesis with the light-client rules.

/** A check that failed: what, in words a reader can act on. */
export class VerifyError extends Error {}

const te = new TextEncoder();

function fail(message) {
  throw new VerifyError(message);
}

/** Base64 (standard or URL alphabet, padded or not) to bytes. */
export function b64(text) {
  if (text === undefined || text === null || text === "") return new Uint8Array(0);
  const normal = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(normal);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) fail(`not hex: ${text}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytewise order, as Rust's `Ord` for byte arrays. */
function compare(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

function u32be(n) {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

function u64be(n) {
  const out = new Uint8Array(8);
  let v = BigInt(n);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 255n);
    v >>= 8n;
  }
  return out;
}

function readU64be(bytes, at) {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// --- RFC 6962 / CometBFT Merkle trees ---------------------------------------

export const leafHash = (item) => sha256(concat(new Uint8Array([0]), item));
const innerHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

/** The root over already-hashed leaves (odd last node carried up). */
export async function rootOfLeafHashes(leaves) {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  let level = leaves;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(await innerHash(level[i], level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

function splitPoint(n) {
  let k = 1n;
  while (k * 2n < n) k *= 2n;
  return k;
}

/** Hashes `leaf` up a CometBFT proof {index, total, aunts (bottom-up)}. */
export async function rootOfPath(proof, leaf) {
  let index = BigInt(proof.index ?? 0);
  let total = BigInt(proof.total ?? 0);
  if (total === 0n) fail("merkle path of an empty tree");
  if (index >= total) fail(`merkle path index ${index} not below ${total}`);
  const sides = [];
  while (total > 1n) {
    const split = splitPoint(total);
    if (index < split) {
      sides.push(true);
      total = split;
    } else {
      sides.push(false);
      index -= split;
      total -= split;
    }
  }
  const aunts = (proof.aunts ?? []).map(b64);
  if (aunts.length !== sides.length) fail(`merkle path has ${aunts.length} aunts, needs ${sides.length}`);
  let hash = leaf;
  for (let i = 0; i < aunts.length; i++) {
    hash = sides[sides.length - 1 - i] ? await innerHash(hash, aunts[i]) : await innerHash(aunts[i], hash);
  }
  return hash;
}

// --- protobuf, just enough to read CometBFT's types -------------------------

/** The fields of a protobuf message: number → list of raw values. */
export function fields(bytes) {
  const out = new Map();
  let at = 0;
  const varint = () => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= bytes.length || shift > 63n) fail("truncated protobuf varint");
      const b = bytes[at++];
      v |= BigInt(b & 127) << shift;
      if (b < 128) return v;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const num = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value;
    if (wire === 0) value = varint();
    else if (wire === 1) {
      if (at + 8 > bytes.length) fail("truncated protobuf fixed64");
      value = bytes.subarray(at, at + 8);
      at += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      if (at + len > bytes.length) fail("truncated protobuf field");
      value = bytes.subarray(at, at + len);
      at += len;
    } else if (wire === 5) {
      if (at + 4 > bytes.length) fail("truncated protobuf fixed32");
      value = bytes.subarray(at, at + 4);
      at += 4;
    } else fail(`protobuf wire type ${wire}`);
    if (!out.has(num)) out.set(num, []);
    out.get(num).push(value);
  }
  return out;
}

const one = (f, n, empty = new Uint8Array(0)) => (f.get(n) ?? [empty])[0];
const num = (f, n) => BigInt((f.get(n) ?? [0n])[0]);

function encodeVarint(v) {
  const out = [];
  let x = BigInt(v);
  do {
    let b = Number(x & 127n);
    x >>= 7n;
    if (x > 0n) b |= 128;
    out.push(b);
  } while (x > 0n);
  return new Uint8Array(out);
}

/** A length-delimited field (omitted when empty, as proto3 does). */
function bytesField(n, value) {
  if (value.length === 0) return new Uint8Array(0);
  return concat(encodeVarint((n << 3) | 2), encodeVarint(value.length), value);
}

/** A length-delimited field that is always written (gogoproto non-nullable). */
function messageField(n, value) {
  return concat(encodeVarint((n << 3) | 2), encodeVarint(value.length), value);
}

function varintField(n, value) {
  if (BigInt(value) === 0n) return new Uint8Array(0);
  return concat(encodeVarint(n << 3), encodeVarint(value));
}

function sfixed64Field(n, value) {
  if (BigInt(value) === 0n) return new Uint8Array(0);
  const out = new Uint8Array(8);
  let v = BigInt.asUintN(64, BigInt(value));
  for (let i = 0; i < 8; i++) {
    out[i] = Number(v & 255n);
    v >>= 8n;
  }
  return concat(encodeVarint((n << 3) | 1), out);
}

/** tendermint.types.Header, with the raw sub-messages the hash needs. */
export function decodeHeader(bytes) {
  const f = fields(bytes);
  const bytesOf = (n) => one(f, n);
  return {
    version: bytesOf(1),
    chainId: new TextDecoder().decode(bytesOf(2)),
    height: num(f, 3),
    time: bytesOf(4),
    lastBlockId: f.has(5) ? bytesOf(5) : null,
    lastCommitHash: bytesOf(6),
    dataHash: bytesOf(7),
    validatorsHash: bytesOf(8),
    nextValidatorsHash: bytesOf(9),
    consensusHash: bytesOf(10),
    appHash: bytesOf(11),
    lastResultsHash: bytesOf(12),
    evidenceHash: bytesOf(13),
    proposerAddress: bytesOf(14),
  };
}

/** The header's hash, as CometBFT's Header.Hash. */
export async function headerHash(h) {
  const wrapped = (b) => bytesField(1, b); // gogotypes.BytesValue / StringValue
  const items = [
    h.version,
    wrapped(te.encode(h.chainId)),
    varintField(1, h.height), // gogotypes.Int64Value
    h.time,
    // A missing last block id (height 1) hashes as the empty BlockID, whose
    // non-nullable part-set header is still written.
    h.lastBlockId ?? new Uint8Array([0x12, 0x00]),
    wrapped(h.lastCommitHash),
    wrapped(h.dataHash),
    wrapped(h.validatorsHash),
    wrapped(h.nextValidatorsHash),
    wrapped(h.consensusHash),
    wrapped(h.appHash),
    wrapped(h.lastResultsHash),
    wrapped(h.evidenceHash),
    wrapped(h.proposerAddress),
  ];
  const leaves = [];
  for (const item of items) leaves.push(await leafHash(item));
  return rootOfLeafHashes(leaves);
}

/** The time of a header (google.protobuf.Timestamp), as a JS Date. */
export function headerTime(h) {
  const f = fields(h.time);
  const seconds = num(f, 1);
  const nanos = num(f, 2);
  return new Date(Number(seconds * 1000n + nanos / 1000000n));
}

/** tendermint.types.ValidatorSet: each validator's address, key and power. */
export function decodeValidatorSet(bytes) {
  const f = fields(bytes);
  return (f.get(1) ?? []).map((raw) => {
    const v = fields(raw);
    const pubKey = one(v, 2);
    const key = fields(pubKey);
    return {
      address: one(v, 1),
      pubKeyMessage: pubKey,
      ed25519: key.has(1) ? one(key, 1) : null,
      power: num(v, 3),
    };
  });
}

/** The set's hash, as CometBFT's ValidatorSet.Hash (SimpleValidator leaves). */
export async function validatorSetHash(validators) {
  const leaves = [];
  for (const v of validators) {
    leaves.push(await leafHash(concat(bytesField(1, v.pubKeyMessage), varintField(2, v.power))));
  }
  return rootOfLeafHashes(leaves);
}

let ed25519Support;

async function ed25519Verify(publicKey, signature, message) {
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

/** Whether this browser's WebCrypto has Ed25519 (Chromium 137 and later). */
export async function hasEd25519() {
  if (ed25519Support === undefined) {
    try {
      await crypto.subtle.importKey("raw", new Uint8Array(32), { name: "Ed25519" }, false, ["verify"]);
      ed25519Support = true;
    } catch {
      ed25519Support = false;
    }
  }
  return ed25519Support;
}

/** CanonicalVote sign bytes of a precommit, length-delimited. */
function precommitSignBytes(chainId, height, round, blockId, timestamp) {
  const b = fields(blockId);
  const psh = fields(one(b, 2));
  const canonicalBlockId = concat(
    bytesField(1, one(b, 1)),
    messageField(2, concat(varintField(1, num(psh, 1)), bytesField(2, one(psh, 2)))),
  );
  const vote = concat(
    varintField(1, 2n), // SIGNED_MSG_TYPE_PRECOMMIT
    sfixed64Field(2, height),
    sfixed64Field(3, round),
    messageField(4, canonicalBlockId),
    messageField(5, timestamp),
    bytesField(6, te.encode(chainId)),
  );
  return concat(encodeVarint(vote.length), vote);
}

/**
 * Checks a signed header against its validator set (protobuf bytes of
 * tendermint.types.SignedHeader and ValidatorSet). Returns the header, the
 * set's hash and the share of power that signed.
 */
export async function verifySignedHeader(signedHeaderBytes, validatorSetBytes) {
  const sh = fields(signedHeaderBytes);
  const header = decodeHeader(one(sh, 1));
  const commit = fields(one(sh, 2));
  const validators = decodeValidatorSet(validatorSetBytes);
  if (validators.length === 0) fail("the validator set is empty");
  const setHash = await validatorSetHash(validators);
  if (!equal(setHash, header.validatorsHash)) fail("the validator set is not the one the header names");
  const hash = await headerHash(header);
  const blockId = one(commit, 3);
  if (!equal(one(fields(blockId), 1), hash)) fail("the commit signs another block than this header");
  if (num(commit, 1) !== header.height) fail("the commit is for another height");
  const round = num(commit, 2);
  const signatures = commit.get(4) ?? [];
  if (signatures.length !== validators.length) fail("the commit's signatures do not match the validator set");
  const total = validators.reduce((s, v) => s + v.power, 0n);
  let signed = 0n;
  let checked = false;
  if (await hasEd25519()) {
    checked = true;
    for (let i = 0; i < signatures.length; i++) {
      const s = fields(signatures[i]);
      if (num(s, 1) !== 2n) continue; // BLOCK_ID_FLAG_COMMIT only
      const v = validators[i];
      if (!equal(one(s, 2), v.address)) fail(`signature ${i} is not from validator ${i} of the set`);
      if (!v.ed25519) fail(`validator ${i} has no Ed25519 key`);
      const message = precommitSignBytes(header.chainId, header.height, round, blockId, one(s, 3));
      if (!(await ed25519Verify(v.ed25519, one(s, 4), message))) fail(`validator ${i}'s signature does not verify`);
      signed += v.power;
    }
    if (signed * 3n <= total * 2n) fail(`only ${signed} of ${total} power signed`);
  }
  return { header, hash, setHash, signed, total, signaturesChecked: checked };
}

// --- Quire's namespace commitment -------------------------------------------

const COMMITMENT_PREFIX = concat(new Uint8Array([0]), te.encode("quire/commitment/v1"), new Uint8Array([0]));

export function decodeCommitment(tx) {
  if (tx.length !== COMMITMENT_PREFIX.length + 44 || !equal(tx.subarray(0, COMMITMENT_PREFIX.length), COMMITMENT_PREFIX)) {
    fail("tx 0 is not a namespace commitment");
  }
  const at = COMMITMENT_PREFIX.length;
  const count = ((tx[at + 8] << 24) >>> 0) + (tx[at + 9] << 16) + (tx[at + 10] << 8) + tx[at + 11];
  return { height: readU64be(tx, at), namespaceCount: count, namespaceRoot: tx.subarray(at + 12, at + 44) };
}

async function namespaceLeafHash(leaf) {
  return leafHash(concat(b64(leaf.namespace), u32be(leaf.blobCount ?? 0), b64(leaf.blobsRoot)));
}

/** Checks a LeafProof against the commitment; returns its index and namespace. */
async function verifyLeafProof(lp, commitment) {
  if (!lp?.leaf || !lp?.proof) fail("a leaf proof is incomplete");
  if (BigInt(lp.proof.total ?? 0) !== BigInt(commitment.namespaceCount)) {
    fail(`the proof is for a tree of ${lp.proof.total ?? 0} namespaces, the commitment has ${commitment.namespaceCount}`);
  }
  const root = await rootOfPath(lp.proof, await namespaceLeafHash(lp.leaf));
  if (!equal(root, commitment.namespaceRoot)) fail("the namespace leaf is not in the committed tree");
  return { index: BigInt(lp.proof.index ?? 0), namespace: b64(lp.leaf.namespace) };
}

/** Checks that `blobs` are exactly what `namespace` has under `commitment`. */
export async function verifyNamespaceProof(proof, commitment, namespace, blobs) {
  if (proof?.inclusion) {
    const { leaf } = proof.inclusion;
    if (!equal(b64(leaf?.namespace), namespace)) fail("the proof is for another namespace");
    if (blobs.length === 0 || (leaf.blobCount ?? 0) === 0) fail("an inclusion proof must come with blobs");
    if (blobs.length !== leaf.blobCount) fail(`the leaf commits to ${leaf.blobCount} blobs, ${blobs.length} were given`);
    const leaves = [];
    for (const blob of blobs) leaves.push(await leafHash(concat(b64(blob.signer), b64(blob.data))));
    if (!equal(await rootOfLeafHashes(leaves), b64(leaf.blobsRoot))) fail("the blobs do not match the namespace leaf");
    await verifyLeafProof(proof.inclusion, commitment);
    return "present";
  }
  const absence = proof?.absence;
  if (!absence) fail("no namespace proof");
  if (blobs.length !== 0) fail("blobs given with an absence proof");
  const { left, right } = absence;
  if (!left && !right) {
    const empty = await sha256(new Uint8Array(0));
    if (commitment.namespaceCount !== 0 || !equal(commitment.namespaceRoot, empty)) fail("claimed an empty block, but it has namespaces");
    return "absent";
  }
  const l = left ? await verifyLeafProof(left, commitment) : null;
  const r = right ? await verifyLeafProof(right, commitment) : null;
  if ((l && equal(l.namespace, namespace)) || (r && equal(r.namespace, namespace))) fail("claimed absence, but the namespace is present");
  if (!l && r.index !== 0n) fail("the leaf given is not the first");
  if (!r && l.index + 1n !== BigInt(commitment.namespaceCount)) fail("the leaf given is not the last");
  if (l && r && l.index + 1n !== r.index) fail("the leaves given are not adjacent");
  if ((l && compare(l.namespace, namespace) >= 0) || (r && compare(namespace, r.namespace) >= 0)) fail("the leaves given do not bound the namespace");
  return "absent";
}

/**
 * Verifies one NamespaceData (proto3 JSON, as GET
 * /v1/namespaces/{ns}/heights/{h} gives it) for `height` and `namespace`
 * (32 bytes). `attestation` defaults to the item's own (BlockData carries it
 * once for the block). Resolves to what was proven; throws VerifyError.
 */
export async function verifyNamespaceData(item, height, namespace, attestation = item.attestation) {
  if (BigInt(item.height ?? 0) !== BigInt(height)) fail(`the answer is for height ${item.height}, not ${height}`);
  if (!equal(b64(item.namespace), namespace)) fail("the answer is for another namespace");
  if (!attestation) fail("the answer has no attestation");
  const tx = b64(attestation.commitmentTx);
  const commitment = decodeCommitment(tx);
  if (commitment.height !== BigInt(height)) fail(`the commitment is for height ${commitment.height}`);
  const blobs = item.blobs ?? [];
  const status = await verifyNamespaceProof(item.proof, commitment, namespace, blobs);
  const proof = attestation.commitmentTxProof;
  if (!proof || BigInt(proof.index ?? 0) !== 0n) fail("the commitment is not proven as tx 0");
  const signed = await verifySignedHeader(b64(attestation.signedHeader), b64(attestation.validatorSet));
  if (signed.header.height !== BigInt(height)) fail(`the header is for height ${signed.header.height}`);
  const dataRoot = await rootOfPath(proof, await leafHash(await sha256(tx)));
  if (!equal(dataRoot, signed.header.dataHash)) fail("the commitment tx is not in the header's data_hash");
  const nextSet = decodeValidatorSet(b64(attestation.nextValidatorSet));
  const nextSetHash = await validatorSetHash(nextSet);
  if (!equal(nextSetHash, signed.header.nextValidatorsHash)) fail("the next validator set is not the one the header names");
  return { status, blobs: blobs.length, ...signed };
}

/**
 * Checks that verified heights in ascending order chain: each header's
 * validator set is the one the previous header announced as next.
 */
export function checkChained(previous, current) {
  if (previous && current.header.height === previous.header.height + 1n && !equal(current.header.validatorsHash, previous.header.nextValidatorsHash)) {
    fail(`height ${current.header.height}'s validators are not the ones height ${previous.header.height} announced`);
  }
}
