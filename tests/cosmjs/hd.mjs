// cosmjs' HD wallet (BIP-39, m/44'/118'/0'/0/0), for tests/tests/cosmjs.rs to
// check `quired keys` against: the address of QUIRE_MNEMONIC (a phrase
// quired made), and a new 12-word phrase cosmjs makes with its address (for
// `quired keys add --recover`). Prints one JSON line.

import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";

const given = process.env.QUIRE_MNEMONIC;
if (!given) {
  throw new Error("QUIRE_MNEMONIC is not set");
}
const options = { prefix: "quire" };
const [{ address: givenAddress }] = await (
  await DirectSecp256k1HdWallet.fromMnemonic(given, options)
).getAccounts();
const fresh = await DirectSecp256k1HdWallet.generate(12, options);
const [{ address: freshAddress }] = await fresh.getAccounts();
console.log(JSON.stringify({ givenAddress, freshMnemonic: fresh.mnemonic, freshAddress }));
