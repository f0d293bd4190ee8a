#!/usr/bin/env node
// Compiles contracts/src/*.sol with the solc-js pinned in package.json (offline:
// the compiler is the package's own soljson.js, never a downloaded one) and
// writes contracts/out/<ContractName>.json for every concrete contract.
//
//   node build.mjs           compile and (re)write out/
//   node build.mjs --check   compile in memory; exit 1 if out/ differs
//
// Any compiler error fails the build; warnings are printed.

import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const SOLC_VERSION = "0.8.37";
const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, "src");
const outDir = join(here, "out");

// The settings that determine the bytecode; recorded in every artifact.
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "prague",
  viaIR: false,
  // No metadata hash in the bytecode: comments and formatting do not change it.
  metadata: { bytecodeHash: "none" },
};

function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(1);
}

function loadCompiler() {
  const require = createRequire(import.meta.url);
  let solc;
  try {
    solc = require("solc");
  } catch (e) {
    fail(`cannot load the solc package (run \`npm ci\` in contracts/): ${e.message}`);
  }
  const installed = require("solc/package.json").version;
  if (installed !== SOLC_VERSION) {
    fail(`solc ${installed} is installed, ${SOLC_VERSION} is pinned (run \`npm ci\` in contracts/)`);
  }
  const version = solc.version();
  if (!version.startsWith(`${SOLC_VERSION}+`)) {
    fail(`the solc package reports compiler ${version}, want ${SOLC_VERSION}`);
  }
  return solc;
}

/// Compiles every src/*.sol; returns Map(file name in out/ -> file content).
function compile() {
  const solc = loadCompiler();
  const files = readdirSync(srcDir)
    .filter((f) => f.endsWith(".sol"))
    .sort();
  if (files.length === 0) fail(`no .sol files in ${srcDir}`);
  const sources = {};
  for (const f of files) {
    sources[`src/${f}`] = { content: readFileSync(join(srcDir, f), "utf8") };
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      ...SETTINGS,
      outputSelection: {
        "*": {
          "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"],
          "": ["ast"],
        },
      },
    },
  };
  // No import callback: an import of anything outside src/ is an error.
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  let errors = 0;
  for (const e of output.errors ?? []) {
    const text = (e.formattedMessage ?? e.message).trimEnd();
    if (e.severity === "error") {
      errors += 1;
      console.error(text);
    } else {
      console.error(`${e.severity}: ${text}`);
    }
  }
  if (errors > 0) fail(`${errors} compiler error(s)`);

  const artifacts = new Map();
  for (const unit of Object.keys(sources)) {
    const ast = output.sources?.[unit]?.ast;
    if (!ast) fail(`no AST for ${unit}`);
    for (const node of ast.nodes) {
      if (node.nodeType !== "ContractDefinition") continue;
      // Libraries and interfaces are inlined or only describe; abstract
      // contracts cannot be deployed.
      if (node.contractKind !== "contract" || node.abstract) continue;
      const name = node.name;
      const fileName = `${name}.json`;
      if (artifacts.has(fileName)) fail(`two contracts named ${name}`);
      const c = output.contracts?.[unit]?.[name];
      if (!c) fail(`no output for ${unit}:${name}`);
      const bytecode = c.evm?.bytecode?.object;
      const deployed = c.evm?.deployedBytecode?.object;
      if (!bytecode || !deployed) fail(`${unit}:${name} has no bytecode`);
      if (/__\$[0-9a-f]{34}\$__/.test(bytecode)) fail(`${unit}:${name} needs library linking`);
      const artifact = {
        contractName: name,
        abi: c.abi,
        bytecode: `0x${bytecode}`,
        deployedBytecode: `0x${deployed}`,
        compiler: SOLC_VERSION,
        settings: SETTINGS,
      };
      artifacts.set(fileName, `${JSON.stringify(artifact, null, 2)}\n`);
    }
  }
  if (artifacts.size === 0) fail("no contracts compiled");
  return artifacts;
}

function committed() {
  if (!existsSync(outDir)) return new Map();
  const files = readdirSync(outDir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  return new Map(files.map((f) => [f, readFileSync(join(outDir, f), "utf8")]));
}

const args = process.argv.slice(2);
const check = args.includes("--check");
for (const a of args) {
  if (a !== "--check") fail(`unknown argument ${a} (usage: node build.mjs [--check])`);
}

const fresh = compile();
const old = committed();

if (check) {
  const problems = [];
  for (const [f, content] of fresh) {
    if (!old.has(f)) problems.push(`contracts/out/${f} is missing`);
    else if (old.get(f) !== content) problems.push(`contracts/out/${f} differs from a fresh build`);
  }
  for (const f of old.keys()) {
    if (!fresh.has(f)) problems.push(`contracts/out/${f} is not produced by any contract in src/`);
  }
  if (problems.length > 0) {
    for (const p of problems) console.error(`build.mjs --check: ${p}`);
    fail("contracts/out/ is out of date: run `node build.mjs` in contracts/ and commit out/");
  }
  console.log(`build.mjs --check: ${fresh.size} artifact(s) up to date (solc ${SOLC_VERSION})`);
} else {
  mkdirSync(outDir, { recursive: true });
  for (const f of old.keys()) {
    if (!fresh.has(f)) {
      unlinkSync(join(outDir, f));
      console.log(`removed out/${f}`);
    }
  }
  for (const [f, content] of fresh) {
    if (old.get(f) !== content) {
      writeFileSync(join(outDir, f), content);
      console.log(`wrote out/${f}`);
    } else {
      console.log(`unchanged out/${f}`);
    }
  }
}
