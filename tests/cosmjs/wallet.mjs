// A stock cosmjs client does what a wallet does against a Quire node: connect
// with a signer, read accounts and balances, simulate, sign and broadcast a
// MsgSend and a MsgSubmitBlob (its registry entry loaded from Quire's .proto
// files), with no account number or sequence given by hand. Run by
// tests/tests/cosmjs.rs, which checks the JSON it prints (the last line of
// stdout) against the chain.
//
// Environment: QUIRE_RPC (CometBFT RPC URL), QUIRE_KEY_HEX (a funded
// account's secp256k1 secret key), QUIRE_PROTO (path of Quire's
// proto/quire/blob/v1/tx.proto), QUIRE_DENOM (the fee denom), QUIRE_OPERATOR
// (a validator operator's account address).

import {
  DirectSecp256k1Wallet,
  Registry,
} from "@cosmjs/proto-signing";
import {
  assertIsDeliverTxSuccess,
  defaultRegistryTypes,
  GasPrice,
  SigningStargateClient,
} from "@cosmjs/stargate";
import { createHash, randomBytes } from "node:crypto";
import protobuf from "protobufjs";

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const rpc = env("QUIRE_RPC");
const denom = env("QUIRE_DENOM");
const MSG_SUBMIT_BLOB = "/quire.blob.v1.MsgSubmitBlob";

const root = protobuf.loadSync(env("QUIRE_PROTO"));
const registry = new Registry([
  ...defaultRegistryTypes,
  [MSG_SUBMIT_BLOB, root.lookupType("quire.blob.v1.MsgSubmitBlob")],
]);
const options = { registry, gasPrice: GasPrice.fromString(`1${denom}`) };

const alice = await DirectSecp256k1Wallet.fromKey(
  Uint8Array.from(Buffer.from(env("QUIRE_KEY_HEX"), "hex")),
  "quire",
);
const [{ address: aliceAddress }] = await alice.getAccounts();
const client = await SigningStargateClient.connectWithSigner(rpc, alice, options);

const out = { alice: aliceAddress };
out.chainId = await client.getChainId();
out.height = await client.getHeight();
const account = await client.getAccount(aliceAddress);
out.aliceAccount = {
  accountNumber: account.accountNumber,
  sequence: account.sequence,
};
out.aliceBalance = (await client.getBalance(aliceAddress, denom)).amount;

// A new key: no account yet (cosmjs returns null), a zero balance.
const fresh = await DirectSecp256k1Wallet.fromKey(randomBytes(32), "quire");
const [{ address: freshAddress }] = await fresh.getAccounts();
out.fresh = freshAddress;
out.freshAccountBefore = await client.getAccount(freshAddress);
out.freshBalanceBefore = await client.getBalance(freshAddress, denom);

// A MsgSend with the fee simulated ("auto"), committed.
async function transfer(from, fromAddress, toAddress, amount) {
  const result = await from.sendTokens(fromAddress, toAddress, [{ denom, amount }], "auto");
  assertIsDeliverTxSuccess(result);
  return result;
}

const send = await transfer(client, aliceAddress, freshAddress, "5000000");
out.send = { hash: send.transactionHash, height: send.height };
out.freshBalanceAfter = (await client.getBalance(freshAddress, denom)).amount;
const sendTx = await client.getTx(send.transactionHash);
out.sendTxFound = sendTx !== null && sendTx.height === send.height;

// MsgSubmitBlob: the estimate first, then signed and broadcast.
const data = Buffer.from(`blob from cosmjs ${new Date().toISOString()}`);
const namespace = createHash("sha256").update("cosmjs-rollup").digest();
const blobMsg = {
  typeUrl: MSG_SUBMIT_BLOB,
  value: { signer: aliceAddress, namespace, data },
};
out.blobGasEstimate = await client.simulate(aliceAddress, [blobMsg], "");
const blob = await client.signAndBroadcast(aliceAddress, [blobMsg], "auto");
assertIsDeliverTxSuccess(blob);
out.blob = {
  hash: blob.transactionHash,
  height: blob.height,
  namespaceHex: namespace.toString("hex"),
  dataHex: data.toString("hex"),
};

// The new account's first tx: its number and sequence come from the chain.
const freshClient = await SigningStargateClient.connectWithSigner(rpc, fresh, options);
const back = await transfer(freshClient, freshAddress, aliceAddress, "1000");
out.back = { hash: back.transactionHash, height: back.height };
const freshAccount = await client.getAccount(freshAddress);
out.freshAccountAfter = {
  accountNumber: freshAccount.accountNumber,
  sequence: freshAccount.sequence,
};

// A denom Quire does not have: a zero coin, not an error.
out.otherDenomBalance = await client.getBalance(aliceAddress, "uatom");
out.aliceAllBalances = await client.getAllBalances(aliceAddress);
// The bank query extension (what explorers and Keplr read).
const bank = client.forceGetQueryClient().bank;
out.supplyOf = await bank.supplyOf(denom);
out.totalSupply = (await bank.totalSupply()).supply;
out.metadata = await bank.denomMetadata(denom);

// The staking query extension (Keplr's staking page, explorers).
const staking = client.forceGetQueryClient().staking;
const bonded = await staking.validators("BOND_STATUS_BONDED");
out.bondedValidators = bonded.validators.map((v) => ({
  operator: v.operatorAddress,
  tokens: v.tokens,
  status: v.status,
  moniker: v.description?.moniker,
}));
out.oneValidator = (await staking.validator(bonded.validators[0].operatorAddress)).validator.operatorAddress;
out.stakingPool = (await staking.pool()).pool;
const stakingParams = (await staking.params()).params;
out.stakingParams = { bondDenom: stakingParams.bondDenom, maxValidators: stakingParams.maxValidators };
const operator = env("QUIRE_OPERATOR");
out.operatorDelegations = (await staking.delegatorDelegations(operator)).delegationResponses.map((d) => ({
  validator: d.delegation.validatorAddress,
  amount: d.balance.amount,
}));
out.selfDelegation = await client.getDelegation(operator, bonded.validators[0].operatorAddress);

client.disconnect();
freshClient.disconnect();
// BigInts (gas figures) as numbers.
console.log(JSON.stringify(out, (_, v) => (typeof v === "bigint" ? Number(v) : v)));
