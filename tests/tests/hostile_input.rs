//! Hostile input on a real 1-validator localnet: thousands of malformed and
//! adversarial transactions over CometBFT's RPC (`broadcast_tx_sync`) —
//! random bytes, truncated and bit-flipped signed txs, txs around every size
//! limit, wrong chain id, replays (byte-identical and malleated under a new
//! hash), bad fees and sequences, unknown accounts, forged block commitments.
//! Every one must be refused with a documented code (or, for what CometBFT
//! itself refuses, an RPC error), quired's memory must stay bounded, the chain
//! must keep producing blocks and must still accept and commit a valid tx
//! afterwards — and a signed tx sent twice under two hashes is ordered once.
//!
//! Also checks the localnet's security defaults: key files readable by their
//! owner only, every listener on loopback.

use prost::Message;
use quire_client::keyring::Keyring;
use quire_client::{NodeClient, Submitter};
use quire_core::builder::{sign_tx, SignerContext};
use quire_core::codes::CODESPACE;
use quire_core::commitment::{COMMITMENT_TX_LEN, COMMITMENT_TX_PREFIX};
use quire_core::Msg;
use quire_core::Namespace;
use quire_tests::{run_scenario, start_localnet, Localnet, Rng};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Concurrent broadcasters (the node sees interleaved CheckTx calls).
const WORKERS: usize = 4;
/// Most quired may grow (resident set) over the run.
const MAX_RSS_GROWTH_KIB: u64 = 200 * 1024;
/// Longest the chain may go without a new block during the flood.
const MAX_STALL: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_txs_are_refused_and_the_chain_lives_on() {
    let net = start_localnet(1).await;
    run_scenario(Duration::from_secs(150), scenario(&net)).await;
}

/// What CometBFT (and through it quired) may answer to one kind of hostile tx.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// A refusal by quired with one of these codes.
    Codes(&'static [u32]),
    /// A refusal by quired with one of these codes, or an RPC-level refusal by
    /// CometBFT (its cache, its size limits) whose message contains one of
    /// these fragments.
    CodesOrRpc(&'static [u32], &'static [&'static str]),
}

struct Case {
    kind: &'static str,
    tx: Vec<u8>,
    expect: Expect,
}

enum Outcome {
    Answer {
        code: u32,
        codespace: String,
        log: String,
    },
    Rpc(String),
}

fn case(kind: &'static str, tx: Vec<u8>, expect: Expect) -> Case {
    Case { kind, tx, expect }
}

/// The refusal codes docs/transactions.md documents (its "Error codes" table).
fn documented_codes() -> anyhow::Result<BTreeSet<u32>> {
    let path = quire_tests::repo_root().join("docs/transactions.md");
    let text = std::fs::read_to_string(&path)?;
    let section = text
        .split("## Error codes")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .ok_or_else(|| anyhow::anyhow!("{} has no Error codes section", path.display()))?;
    let codes: BTreeSet<u32> = section
        .lines()
        .filter_map(|line| {
            line.strip_prefix('|')?
                .split('|')
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .collect();
    anyhow::ensure!(
        codes.len() >= 10 && !codes.contains(&0),
        "cannot read the code table of {}: {codes:?}",
        path.display()
    );
    Ok(codes)
}

fn read_pid(net: &Localnet, kind: &str) -> anyhow::Result<u32> {
    let path = net.dir().join("pids").join(format!("node0-{kind}.pid"));
    let pid: u32 = std::fs::read_to_string(&path)?.trim().parse()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))?;
    anyhow::ensure!(
        String::from_utf8_lossy(&cmdline).contains(kind),
        "pid {pid} from {} is not {kind}",
        path.display()
    );
    Ok(pid)
}

/// Resident set size of `pid` in KiB (VmRSS of /proc/<pid>/status).
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for pid {pid} (process gone?)"))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The message of an RPC failure without the client's backtrace: the last
/// line before "Location:", e.g. "Internal error: tx already exists in cache
/// (code: -32603)" or "HTTP request failed with non-200 status code: 400 Bad Request".
fn rpc_message(error: &str) -> String {
    let head = error.split("\nLocation:").next().unwrap_or(error);
    let last = head
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .unwrap_or(head);
    last.rsplit_once(" failed: ")
        .map_or(last, |(_, message)| message)
        .to_string()
}

/// Samples the chain height and quired's RSS until stopped.
struct Monitor {
    heights: Vec<(Instant, u64)>,
    peak_rss_kib: u64,
}

fn spawn_monitor(
    client: NodeClient,
    pid: u32,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<anyhow::Result<Monitor>> {
    tokio::spawn(async move {
        let mut monitor = Monitor {
            heights: Vec::new(),
            peak_rss_kib: 0,
        };
        while !stop.load(Ordering::SeqCst) {
            monitor.peak_rss_kib = monitor.peak_rss_kib.max(rss_kib(pid)?);
            if let Ok((_, height)) = client.status().await {
                monitor.heights.push((Instant::now(), height));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Ok(monitor)
    })
}

/// Longest time the height stood still between samples.
fn longest_stall(heights: &[(Instant, u64)]) -> Duration {
    let mut longest = Duration::ZERO;
    let mut since = heights.first().map(|(t, h)| (*t, *h));
    for &(time, height) in heights {
        if let Some((start, last)) = since {
            if height > last {
                since = Some((time, height));
            } else {
                longest = longest.max(time - start);
            }
        }
    }
    longest
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let started = Instant::now();
    check_security_defaults(net)?;

    let client = NodeClient::new(&net.rpc(0)?)?;
    let chain_id = net.chain_id()?.to_string();
    let params = client.params().await?;
    let comet = comet_limits(net)?;
    let documented = documented_codes()?;
    eprintln!(
        "params: max_tx_bytes {} max_blob_bytes {} max_block_blob_bytes {}; \
         CometBFT mempool.max_tx_bytes {} rpc.max_body_bytes {}; documented codes {documented:?}",
        params.max_tx_bytes,
        params.max_blob_bytes,
        params.max_block_blob_bytes,
        comet.mempool_max_tx_bytes,
        comet.rpc_max_body_bytes
    );

    // One valid tx committed first: the source of the replays.
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let alice_key = keyring.signing_key("alice")?;
    let namespace = Namespace::from_rollup_name("hostile-rollup");
    let blob = |data: &[u8]| vec![Msg::submit_blob(namespace, data.to_vec())];
    let mut alice = Submitter::connect(client.clone(), keyring.signing_key("alice")?).await?;
    let committed_tx = alice.sign(&blob(b"committed before the flood"), None)?;
    let first = client.broadcast(committed_tx.clone()).await?;
    anyhow::ensure!(
        first.accepted(),
        "valid tx refused: {} {}",
        first.code,
        first.log
    );
    let first_commit = client
        .wait_for_tx(&first.hash, Duration::from_secs(30))
        .await?;
    anyhow::ensure!(
        first_commit.code == 0,
        "valid tx failed: {}",
        first_commit.log
    );
    alice.resync().await?;
    let account = client
        .account(&alice.address())
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice has no account"))?;
    let next_sequence = account.sequence;
    anyhow::ensure!(
        next_sequence >= 1,
        "the committed tx did not advance the sequence"
    );

    let cases = build_cases(
        &alice_key,
        &chain_id,
        account.account_number,
        next_sequence,
        &params,
        &comet,
        namespace,
        committed_tx,
    )?;
    let total = cases.len();
    let total_bytes: usize = cases.iter().map(|c| c.tx.len()).sum();

    // The flood, with the height and quired's memory watched throughout.
    let quired_pid = read_pid(net, "quired")?;
    let cometbft_pid = read_pid(net, "cometbft")?;
    let rss_start = rss_kib(quired_pid)?;
    let cometbft_rss_start = rss_kib(cometbft_pid)?;
    let (_, height_start) = client.status().await?;
    let stop = Arc::new(AtomicBool::new(false));
    let monitor = spawn_monitor(client.clone(), quired_pid, stop.clone());
    let flood_started = Instant::now();
    let mut lanes: Vec<Vec<Case>> = (0..WORKERS).map(|_| Vec::new()).collect();
    for (i, case) in cases.into_iter().enumerate() {
        lanes[i % WORKERS].push(case);
    }
    let mut workers = Vec::new();
    for lane in lanes {
        let client = client.clone();
        workers.push(tokio::spawn(async move {
            let mut results = Vec::with_capacity(lane.len());
            for case in lane {
                let outcome = match client.broadcast(case.tx.clone()).await {
                    Ok(answer) => Outcome::Answer {
                        code: answer.code,
                        codespace: answer.codespace,
                        log: answer.log,
                    },
                    Err(e) => Outcome::Rpc(rpc_message(&e.to_string())),
                };
                results.push((case, outcome));
            }
            results
        }));
    }
    let mut results = Vec::with_capacity(total);
    for worker in workers {
        results.extend(worker.await?);
    }
    let flood = flood_started.elapsed();
    let (_, height_after_flood) = client.status().await?;
    let rss_after_flood = rss_kib(quired_pid)?;

    // Every tx refused, each in a way its kind allows.
    let mut failures = Vec::new();
    let mut per_kind: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    let mut codes_seen = BTreeMap::new();
    let mut rpc_refusals = 0;
    for (case, outcome) in &results {
        let what = || {
            format!(
                "{} ({} bytes, starts {})",
                case.kind,
                case.tx.len(),
                hex::encode(&case.tx[..case.tx.len().min(24)])
            )
        };
        let label = match outcome {
            Outcome::Answer {
                code,
                codespace,
                log,
            } => {
                *codes_seen.entry(*code).or_insert(0usize) += 1;
                let allowed = match case.expect {
                    Expect::Codes(codes) | Expect::CodesOrRpc(codes, _) => codes,
                };
                if *code == 0 {
                    failures.push(format!("ACCEPTED: {}", what()));
                } else if codespace != CODESPACE || log.is_empty() {
                    failures.push(format!(
                        "{}: code {code} with codespace {codespace:?}, log {log:?}",
                        what()
                    ));
                } else if !documented.contains(code) || *code == 1 {
                    failures.push(format!(
                        "{}: undocumented or internal code {code}: {log}",
                        what()
                    ));
                } else if !allowed.contains(code) {
                    failures.push(format!(
                        "{}: code {code} ({log}), expected one of {allowed:?}",
                        what()
                    ));
                }
                format!("code {code}")
            }
            Outcome::Rpc(error) => {
                rpc_refusals += 1;
                match case.expect {
                    Expect::CodesOrRpc(_, fragments)
                        if fragments.iter().any(|f| error.contains(f)) => {}
                    _ => failures.push(format!("{}: RPC error: {error}", what())),
                }
                let short: String = error.chars().take(60).collect();
                format!("rpc: {short}")
            }
        };
        *per_kind
            .entry(case.kind)
            .or_default()
            .entry(label)
            .or_insert(0) += 1;
    }
    for (kind, outcomes) in &per_kind {
        eprintln!("{kind:>24}: {outcomes:?}");
    }
    eprintln!(
        "{total} hostile txs ({:.1} MiB) in {:.1} s ({:.0} tx/s, {WORKERS} in flight); \
         quire codes {codes_seen:?}; {rpc_refusals} refused by CometBFT's RPC",
        total_bytes as f64 / (1024.0 * 1024.0),
        flood.as_secs_f64(),
        total as f64 / flood.as_secs_f64()
    );
    anyhow::ensure!(
        failures.is_empty(),
        "{} of {total} hostile txs were not refused as expected:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // The chain kept producing blocks during the flood, and still does.
    let (_, tip) = client.status().await?;
    client
        .wait_for_height(tip + 3, Duration::from_secs(30))
        .await?;
    stop.store(true, Ordering::SeqCst);
    let monitor = monitor.await??;
    let stall = longest_stall(&monitor.heights);
    eprintln!(
        "height {height_start} -> {height_after_flood} during the flood, {} samples, \
         longest stall {:.1} s",
        monitor.heights.len(),
        stall.as_secs_f64()
    );
    anyhow::ensure!(
        height_after_flood > height_start,
        "no block during the {:.1} s flood (height {height_start})",
        flood.as_secs_f64()
    );
    anyhow::ensure!(
        stall < MAX_STALL,
        "the chain stood still for {stall:?} during the flood"
    );

    // A valid tx is still accepted and committed, and its blob is served.
    alice.resync().await?;
    anyhow::ensure!(
        alice.next_sequence() == next_sequence,
        "alice's sequence moved from {next_sequence} to {}: a hostile tx was committed",
        alice.next_sequence()
    );
    let data = b"valid after the flood".to_vec();
    let last = alice.submit(&blob(&data), None).await?;
    anyhow::ensure!(
        last.accepted(),
        "valid tx after the flood refused: {} {}",
        last.code,
        last.log
    );
    let committed = client
        .wait_for_tx(&last.hash, Duration::from_secs(30))
        .await?;
    anyhow::ensure!(committed.code == 0, "valid tx failed: {}", committed.log);
    let blobs = client.blobs(committed.height, &namespace).await?.blobs;
    anyhow::ensure!(
        blobs.iter().any(|b| b.data == data),
        "the valid tx's blob is missing at height {}",
        committed.height
    );

    // Malleability: the same signed tx with an unknown TxRaw field appended
    // would have another hash; quired refuses every non-canonical envelope,
    // so only the submitter's own hash can be ordered, exactly once.
    let data = b"signed once, sent twice".to_vec();
    let original = alice.sign(&blob(&data), None)?;
    let mut malleated = original.clone();
    malleated.extend([0x22, 1, 0xAA]);
    let first = client.broadcast(malleated).await?;
    let second = client.broadcast(original).await?;
    eprintln!(
        "malleated copy of a fresh signed tx: code {} {:?}; then the original: code {} {:?}",
        first.code, first.log, second.code, second.log
    );
    let winner = match (first.accepted(), second.accepted()) {
        (false, true) if first.code == 2 => &second,
        _ => anyhow::bail!(
            "malleated copy: code {} ({}), original: code {} ({})",
            first.code,
            first.log,
            second.code,
            second.log
        ),
    };
    let committed = client
        .wait_for_tx(&winner.hash, Duration::from_secs(30))
        .await?;
    anyhow::ensure!(committed.code == 0, "tx failed: {}", committed.log);
    let copies = client
        .blobs(committed.height, &namespace)
        .await?
        .blobs
        .iter()
        .filter(|b| b.data == data)
        .count();
    anyhow::ensure!(
        copies == 1,
        "{copies} copies of the blob at height {}",
        committed.height
    );

    // Memory stayed bounded.
    let rss_end = rss_kib(quired_pid)?;
    let cometbft_rss_end = rss_kib(cometbft_pid)?;
    let peak = monitor.peak_rss_kib.max(rss_after_flood).max(rss_end);
    eprintln!(
        "quired RSS: start {:.1} MiB, after flood {:.1} MiB, peak {:.1} MiB, end {:.1} MiB; \
         CometBFT RSS: start {:.1} MiB, end {:.1} MiB",
        mib(rss_start),
        mib(rss_after_flood),
        mib(peak),
        mib(rss_end),
        mib(cometbft_rss_start),
        mib(cometbft_rss_end)
    );
    anyhow::ensure!(
        peak.saturating_sub(rss_start) < MAX_RSS_GROWTH_KIB,
        "quired grew from {:.1} MiB to a peak of {:.1} MiB",
        mib(rss_start),
        mib(peak)
    );
    eprintln!(
        "valid tx committed at height {}; scenario took {:.1} s",
        committed.height,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Every hostile tx, shuffled so the kinds interleave.
#[allow(clippy::too_many_arguments)]
fn build_cases(
    key: &cosmrs::crypto::secp256k1::SigningKey,
    chain_id: &str,
    account_number: u64,
    next_sequence: u64,
    params: &quire_core::Params,
    comet: &CometLimits,
    namespace: Namespace,
    committed_tx: Vec<u8>,
) -> anyhow::Result<Vec<Case>> {
    let mut rng = Rng::new(0x5155_4952_4521_0001);
    let mut cases = Vec::new();
    let blob = |data: Vec<u8>| vec![Msg::submit_blob(namespace, data)];
    let base = SignerContext {
        chain_id: chain_id.to_string(),
        account_number,
        sequence: next_sequence,
        fee_denom: params.fee_denom.clone(),
        fee: params.fee_for(4096).unwrap_or(u128::MAX),
        timeout_height: 0,
        memo: String::new(),
    };
    let sign =
        |p: SignerContext, msgs: &[Msg]| sign_tx(key, &p, msgs).map_err(|e| anyhow::anyhow!("{e}"));

    // A valid, never-sent tx: the source of truncations and bit flips. Any
    // mutation that were accepted would be caught (code 0 fails the test).
    let valid = sign(
        base.clone(),
        &blob(b"the valid original of every mutation".to_vec()),
    )?;

    // Random bytes of random lengths (log-uniform up to 64 KiB), all distinct
    // so CometBFT's cache never answers for the app.
    let mut seen = HashSet::new();
    while seen.len() < 1200 {
        let len = 1usize << rng.below(17);
        let len = 1 + rng.below(len as u64) as usize;
        let tx = rng.bytes(len);
        if seen.insert(tx.clone()) {
            cases.push(case("random bytes", tx, Expect::Codes(&[2, 4])));
        }
    }
    // Truncated protobuf: every proper prefix of the valid tx.
    cases.push(case("empty tx", Vec::new(), Expect::Codes(&[2, 4])));
    for len in 1..valid.len() {
        cases.push(case(
            "truncated tx",
            valid[..len].to_vec(),
            Expect::Codes(&[2, 4]),
        ));
    }
    // One flipped bit in the valid tx, at 1000 distinct positions.
    let mut bits: Vec<usize> = (0..valid.len() * 8).collect();
    rng.shuffle(&mut bits);
    for &bit in bits.iter().take(1000) {
        let mut tx = valid.clone();
        tx[bit / 8] ^= 1 << (bit % 8);
        cases.push(case("bit-flipped tx", tx, Expect::Codes(&[2, 4, 5, 6, 7])));
    }
    // Well-formed, correctly signed txs that break one rule each; the memo
    // makes each copy distinct.
    let memo = |i: usize| format!("hostile {i}");
    for i in 0..60 {
        let m = memo(i);
        let tx = sign(
            SignerContext {
                chain_id: format!("not-{chain_id}"),
                memo: m.clone(),
                ..base.clone()
            },
            &blob(b"x".to_vec()),
        )?;
        cases.push(case("wrong chain id", tx, Expect::Codes(&[5])));
        let tx = sign(
            SignerContext {
                fee: 0,
                memo: m.clone(),
                ..base.clone()
            },
            &blob(b"x".to_vec()),
        )?;
        cases.push(case("zero fee", tx, Expect::Codes(&[10])));
        let tx = sign(
            SignerContext {
                fee: params.base_fee.saturating_sub(1).max(1),
                memo: m.clone(),
                ..base.clone()
            },
            &blob(vec![7; 512]),
        )?;
        cases.push(case("fee below required", tx, Expect::Codes(&[10])));
        let tx = sign(
            SignerContext {
                sequence: next_sequence - 1,
                memo: m.clone(),
                ..base.clone()
            },
            &blob(b"x".to_vec()),
        )?;
        cases.push(case("re-signed used sequence", tx, Expect::Codes(&[8])));
        let tx = sign(
            SignerContext {
                sequence: next_sequence + 1 + i as u64,
                memo: m.clone(),
                ..base.clone()
            },
            &blob(b"x".to_vec()),
        )?;
        cases.push(case("sequence gap", tx, Expect::Codes(&[9])));
    }
    for i in 0..20 {
        let m = memo(i);
        let tx = sign(
            SignerContext {
                fee_denom: "ufake".into(),
                memo: m.clone(),
                ..base.clone()
            },
            &blob(b"x".to_vec()),
        )?;
        cases.push(case("fee in wrong denom", tx, Expect::Codes(&[11])));
        let tx = sign(
            SignerContext {
                timeout_height: 1,
                memo: m.clone(),
                ..base.clone()
            },
            &blob(b"x".to_vec()),
        )?;
        cases.push(case("timeout height passed", tx, Expect::Codes(&[15])));
        let tx = sign(
            SignerContext {
                memo: m.clone(),
                ..base.clone()
            },
            &[Msg::send(
                quire_core::builder::address_of(key),
                "uquire",
                u128::MAX / 2,
            )],
        )?;
        cases.push(case("send beyond balance", tx, Expect::Codes(&[12])));
        let stranger = loop {
            if let Ok(k) = cosmrs::crypto::secp256k1::SigningKey::from_slice(&rng.bytes(32)) {
                break k;
            }
        };
        let tx = sign_tx(
            &stranger,
            &SignerContext {
                account_number: 0,
                sequence: 0,
                memo: m.clone(),
                ..base.clone()
            },
            &blob(b"x".to_vec()),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        cases.push(case("unknown account", tx, Expect::Codes(&[7])));
    }
    for i in 0..5 {
        let msgs: Vec<Msg> = (0..quire_app::tx::MAX_MESSAGES_PER_TX + 1)
            .map(|_| Msg::submit_blob(namespace, b"y".to_vec()))
            .collect();
        let tx = sign(
            SignerContext {
                memo: memo(i),
                ..base.clone()
            },
            &msgs,
        )?;
        cases.push(case("too many messages", tx, Expect::Codes(&[4])));
    }
    // Replays of the committed tx: CometBFT's cache may refuse the bytes it
    // already committed, else quired refuses the used sequence.
    for _ in 0..20 {
        cases.push(case(
            "replay of committed tx",
            committed_tx.clone(),
            Expect::CodesOrRpc(&[8], &["already exists in cache"]),
        ));
    }
    // Malleated replays of the committed tx: the same signed content under a
    // new hash (an unknown TxRaw field appended; body_bytes repeated, where
    // protobuf keeps the last copy), so CometBFT's cache does not know them.
    // quired accepts only the canonical TxRaw encoding, so they are refused
    // as undecodable before the sequence is even looked at.
    let raw = cosmrs::proto::cosmos::tx::v1beta1::TxRaw::decode(committed_tx.as_slice())?;
    for i in 0..10u8 {
        let mut tx = committed_tx.clone();
        tx.extend([0x22, 1, i]); // field 4, length-delimited, 1 byte
        cases.push(case("malleated replay", tx, Expect::Codes(&[2])));
    }
    let mut repeated = committed_tx.clone();
    prost::encoding::bytes::encode(1, &raw.body_bytes, &mut repeated);
    cases.push(case("malleated replay", repeated, Expect::Codes(&[2])));

    // Forged block commitments: the prefix alone, the prefix with junk, and
    // well-formed-length ones. Only proposers put them in blocks.
    for i in 0..60usize {
        let len = match i {
            0 => 0,
            1..=20 => COMMITMENT_TX_LEN - COMMITMENT_TX_PREFIX.len(),
            _ => 1 + rng.below(4096) as usize,
        };
        let mut tx = COMMITMENT_TX_PREFIX.to_vec();
        tx.extend(rng.bytes(len));
        if i == 1 {
            // A plausible commitment: the next height, zero blobs, a zero root.
            tx.truncate(COMMITMENT_TX_PREFIX.len());
            tx.extend(1000u64.to_be_bytes());
            tx.extend([0u8; 4 + 32]);
        }
        cases.push(case("commitment-prefixed tx", tx, Expect::Codes(&[4])));
    }

    // Huge txs. At the app's limit: junk (does not decode) and a max-size blob
    // with a broken signature (the whole sign doc is hashed).
    let app_max = params.max_tx_bytes as usize;
    for _ in 0..4 {
        let mut tx = rng.bytes(app_max);
        tx[0] = 0x0a; // field 1, length-delimited: a TxRaw that runs off its end
        cases.push(case("junk at max_tx_bytes", tx, Expect::Codes(&[2])));
    }
    for i in 0..4 {
        let mut tx = sign(
            SignerContext {
                fee: params.fee_for(params.max_blob_bytes).unwrap_or(u128::MAX),
                memo: memo(i),
                ..base.clone()
            },
            &blob(rng.bytes(params.max_blob_bytes as usize)),
        )?;
        anyhow::ensure!(
            tx.len() <= app_max,
            "a max-size blob tx is {} bytes",
            tx.len()
        );
        let end = tx.len() - 1;
        tx[end] ^= 0x01;
        cases.push(case("max blob, bad signature", tx, Expect::Codes(&[6])));
    }
    for i in 0..2 {
        let tx = sign(
            SignerContext {
                fee: u128::from(u64::MAX),
                memo: memo(i),
                ..base.clone()
            },
            &blob(vec![0x42; params.max_blob_bytes as usize + 1]),
        )?;
        cases.push(case("blob over max_blob_bytes", tx, Expect::Codes(&[13])));
    }
    // Just over the app's limit: quired's code 3 if CometBFT's mempool admits
    // it, else CometBFT's own refusal (the localnet sets both limits equal).
    let too_large: &[&str] = &["Tx too large"];
    let just_over = if comet.mempool_max_tx_bytes > params.max_tx_bytes {
        Expect::Codes(&[3])
    } else {
        Expect::CodesOrRpc(&[], too_large)
    };
    for _ in 0..3 {
        cases.push(case("max_tx_bytes + 1", rng.bytes(app_max + 1), just_over));
    }
    // Over CometBFT's mempool limit, and (as base64 in the JSON body) over its
    // RPC body limit.
    let over_mempool = comet.mempool_max_tx_bytes as usize + 1;
    for _ in 0..2 {
        cases.push(case(
            "mempool max_tx_bytes + 1",
            rng.bytes(over_mempool),
            Expect::CodesOrRpc(&[], too_large),
        ));
    }
    let over_body = comet.rpc_max_body_bytes as usize / 4 * 3 + 64 * 1024;
    cases.push(case(
        "over rpc.max_body_bytes",
        rng.bytes(over_body),
        Expect::CodesOrRpc(&[], &["400 Bad Request", "413"]),
    ));

    rng.shuffle(&mut cases);
    Ok(cases)
}

/// `[section] key = "value"` lines of a TOML file as written by localnet.sh
/// and `quired init` (one value per line, optional trailing comment): enough
/// to read listen addresses without a TOML dependency.
fn toml_strings(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)?;
    let mut section = String::new();
    let mut values = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = format!("{name}.");
        } else if let Some((key, value)) = line.split_once('=') {
            let value = value.trim();
            let value = match value.strip_prefix('"') {
                Some(rest) => rest.split('"').next().unwrap_or_default().to_string(),
                None => value
                    .split('#')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            };
            values.insert(format!("{section}{}", key.trim()), value);
        }
    }
    Ok(values)
}

/// CometBFT's own size limits, from node 0's config.toml.
struct CometLimits {
    /// `mempool.max_tx_bytes`: CometBFT refuses larger txs itself.
    mempool_max_tx_bytes: u64,
    /// `rpc.max_body_bytes`: CometBFT refuses larger HTTP bodies.
    rpc_max_body_bytes: u64,
}

fn comet_limits(net: &Localnet) -> anyhow::Result<CometLimits> {
    let path = net.dir().join("node0/cometbft/config/config.toml");
    let config = toml_strings(&path)?;
    let get = |key: &str| -> anyhow::Result<u64> {
        Ok(config
            .get(key)
            .ok_or_else(|| anyhow::anyhow!("{} has no {key}", path.display()))?
            .parse()?)
    };
    Ok(CometLimits {
        mempool_max_tx_bytes: get("mempool.max_tx_bytes")?,
        rpc_max_body_bytes: get("rpc.max_body_bytes")?,
    })
}

/// The host of a listen address (`tcp://h:p`, `h:p`, `[v6]:p`) and its port.
fn host_port(addr: &str) -> anyhow::Result<(String, u16)> {
    let rest = addr.split_once("://").map_or(addr, |(_, rest)| rest);
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| anyhow::anyhow!("{addr:?} has no port"))?;
    Ok((host.trim_matches(['[', ']']).to_string(), port.parse()?))
}

/// Local addresses of the TCP sockets listening on `port` (from /proc/net).
fn listeners(port: u16) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else {
                continue;
            };
            let Some((ip, p)) = local.split_once(':') else {
                continue;
            };
            if *state == "0A" && u16::from_str_radix(p, 16).ok() == Some(port) {
                found.push(ip.to_string());
            }
        }
    }
    Ok(found)
}

/// 127.0.0.1 as /proc/net/tcp prints it (little-endian hex), and as an
/// IPv4-mapped IPv6 address in /proc/net/tcp6.
fn is_loopback_hex(ip: &str) -> bool {
    ip == "0100007F"
        || ip == "0000000000000000FFFF00000100007F"
        || ip == "00000000000000000000000001000000"
}

fn check_security_defaults(net: &Localnet) -> anyhow::Result<()> {
    // Key files: owner read/write only.
    let keyring = net.client_home()?.join("keyring");
    let dir_mode = std::fs::metadata(&keyring)?.permissions().mode() & 0o777;
    anyhow::ensure!(
        dir_mode & 0o077 == 0,
        "{} has mode {dir_mode:o}",
        keyring.display()
    );
    let mut key_files = 0;
    for entry in std::fs::read_dir(&keyring)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
            anyhow::ensure!(
                mode == 0o600,
                "{} has mode {mode:o}, expected 600",
                path.display()
            );
            key_files += 1;
        }
    }
    anyhow::ensure!(
        key_files >= 4,
        "only {key_files} key files in {}",
        keyring.display()
    );
    let cmt_config = net.dir().join("node0/cometbft/config");
    for name in ["priv_validator_key.json", "node_key.json"] {
        let path = cmt_config.join(name);
        let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
        anyhow::ensure!(
            mode & 0o077 == 0,
            "{} has mode {mode:o}: readable by others",
            path.display()
        );
    }

    // Listeners: quired's ABCI and read API, CometBFT's RPC, P2P, metrics and
    // (disabled) gRPC/pprof — each on 127.0.0.1 or off, in the config and in
    // the sockets actually bound.
    let quired_toml = net.dir().join("node0/quired/config/quired.toml");
    let quired = toml_strings(&quired_toml)?;
    let cmt_toml = cmt_config.join("config.toml");
    let cmt = toml_strings(&cmt_toml)?;
    let mut checked = Vec::new();
    for (file, config, keys) in [
        (
            &quired_toml,
            &quired,
            &["abci_addr", "grpc_addr", "http_addr"][..],
        ),
        (
            &cmt_toml,
            &cmt,
            &[
                "proxy_app",
                "rpc.laddr",
                "rpc.grpc_laddr",
                "rpc.pprof_laddr",
                "p2p.laddr",
                "instrumentation.prometheus_listen_addr",
                "priv_validator_laddr",
            ][..],
        ),
    ] {
        for key in keys {
            let value = config
                .get(*key)
                .ok_or_else(|| anyhow::anyhow!("{} has no {key}", file.display()))?;
            if value.is_empty() {
                checked.push(format!("{key}=off"));
                continue;
            }
            let (host, port) = host_port(value)?;
            anyhow::ensure!(
                host == "127.0.0.1",
                "{key} = {value:?} in {} is not on loopback",
                file.display()
            );
            let bound = listeners(port)?;
            anyhow::ensure!(
                !bound.is_empty() && bound.iter().all(|ip| is_loopback_hex(ip)),
                "port {port} ({key}) is bound on {bound:?}, expected 127.0.0.1 only"
            );
            checked.push(format!("{key}={value}"));
        }
    }
    eprintln!(
        "security: {key_files} keyring files 0600 (dir {dir_mode:o}); listeners on loopback: {}",
        checked.join(", ")
    );
    Ok(())
}
