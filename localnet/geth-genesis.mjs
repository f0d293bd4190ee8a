// Reads `geth --dev dumpgenesis` on stdin and writes, on stdout, the genesis
// Quire's L1 runs from: mainnet forks only (through Osaka; the dev genesis
// also turns on forks that are not live, which change gas costs), and each
// address given as an argument funded with 10^24 wei.
//
//   geth --dev dumpgenesis | node localnet/geth-genesis.mjs 0xADDR... > genesis.json
//
// Used by localnet.sh (up --l1) and the Rust test harness (tests/src/geth.rs).
const MAINNET_TIME_FORKS = new Set(["shanghaiTime", "cancunTime", "pragueTime", "osakaTime"]);
const FUNDS = "0xd3c21bcecceda1000000";

const fail = (message) => {
  process.stderr.write(`geth-genesis.mjs: ${message}\n`);
  process.exit(1);
};

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  let genesis;
  try {
    genesis = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (e) {
    fail(`stdin is not geth's genesis JSON: ${e.message}`);
  }
  const config = genesis.config ?? fail("the genesis has no config");
  for (const key of Object.keys(config)) {
    if (key.endsWith("Time") && !MAINNET_TIME_FORKS.has(key)) delete config[key];
  }
  if (!("osakaTime" in config)) fail("this geth's dev genesis has no Osaka: use the pinned geth");
  // A header field of the unreleased fork.
  delete genesis.slotNumber;
  genesis.alloc ??= {};
  for (const address of process.argv.slice(2)) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) fail(`${address} is not a 0x address`);
    genesis.alloc[address] = { balance: FUNDS };
  }
  process.stdout.write(JSON.stringify(genesis, null, 2) + "\n");
});
