//! Decoding and signature checking of Cosmos SDK transactions (TxRaw,
//! SIGN_MODE_DIRECT, one secp256k1 signer).
//!
//! The signature is checked over a SignDoc built from the *raw* `body_bytes`
//! and `auth_info_bytes` the submitter sent, never over a re-encoding.
//!
//! Which signatures are accepted: exactly 64 bytes `r ‖ s` with `r` and `s`
//! in `1..n` (k256's parser decides this, at decoding), and only the low-S
//! form (`s ≤ n/2`), as the Cosmos SDK requires. The ECDSA verification itself
//! and the parsing of the 33-byte compressed public key run in libsecp256k1
//! (the `secp256k1` crate, built from its C sources), ~2.6× faster than k256
//! here; the tests below check both libraries accept and reject the same
//! keys and signatures.

use crate::error::{InvalidTx, TxError};
use crate::router::{ActionHandler, MsgRouter};
use crate::sigcache::SignatureCache;
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmrs::proto::cosmos::tx::v1beta1::{mode_info, AuthInfo, TxBody, TxRaw};
use prost::Message;
use quire_core::builder::SECP256K1_PUBKEY_TYPE_URL;
use quire_core::Address;
use quire_proto::blob::v1::{ChainIdExtension, CHAIN_ID_EXTENSION_TYPE_URL};
mod signature;

use secp256k1::ecdsa::Signature;
use secp256k1::PublicKey;
use sha2::{Digest, Sha256};
use signature::decompress;

/// Most messages one transaction may carry.
pub const MAX_MESSAGES_PER_TX: usize = 256;

/// A transaction that decoded and is well-formed. Its signature is not yet
/// checked: that needs the signer's account number (see
/// [`DecodedTx::verify_signature`]).
#[derive(Debug)]
pub struct DecodedTx {
    /// SHA-256 of the transaction bytes: CometBFT's tx hash.
    pub hash: [u8; 32],
    /// Encoded size in bytes.
    pub size: usize,
    /// The single signer, derived from its public key.
    pub signer: Address,
    /// The signer's sequence this transaction uses.
    pub sequence: u64,
    /// The fee offered: `(denom, amount)`, `None` when no fee coin is given.
    pub fee: Option<(String, u128)>,
    /// Block height after which the tx is void; 0 for none.
    pub timeout_height: u64,
    /// The chain id named in the body's [`ChainIdExtension`], if any.
    pub chain_id: Option<String>,
    /// The messages, in order, decoded by their components' decoders.
    pub messages: Vec<Box<dyn ActionHandler>>,
    /// Each message's `Any` type URL, in the same order (for the SDK-style
    /// `message` events).
    pub message_types: Vec<String>,
    /// The signer's compressed (SEC1, 33-byte) public key.
    public_key: [u8; 33],
    /// The parsed (decompressed) key, when decoding computed it (see
    /// [`DecodedTx::decode_cached`]).
    point: Option<PublicKey>,
    authorization: Authorization,
    body_bytes: Vec<u8>,
    auth_info_bytes: Vec<u8>,
}

fn invalid(reason: InvalidTx) -> TxError {
    TxError::Invalid(reason)
}

/// What authorizes a decoded transaction.
#[derive(Debug, Clone, Copy)]
enum Authorization {
    /// A SIGN_MODE_DIRECT signature, still to be checked.
    Signed(Signature),
    /// None: a wallet's unsigned draft, decoded only by
    /// [`DecodedTx::decode_for_simulation`] to estimate its fee. Such a tx
    /// is never checked in, proposed or delivered (only
    /// [`crate::StateMachine::simulate`] makes one and it keeps no state).
    Simulation,
}

/// Which signatures decoding accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignatureRule {
    /// Exactly one well-formed SIGN_MODE_DIRECT signature.
    Required,
    /// One signature entry of any content (cosmjs sends an empty one) and
    /// SIGN_MODE_DIRECT or SIGN_MODE_UNSPECIFIED: a simulation.
    Simulation,
}

impl DecodedTx {
    /// Decodes and checks the form of a transaction, its messages through
    /// `router`. `max_tx_bytes` is checked before anything is decoded.
    ///
    /// The public key's decompression (a field square root, the costliest
    /// step of decoding) is skipped when `sigs` holds a verified signature of
    /// this very tx: its key is then known to be a valid point. The key is
    /// decompressed later, if a signature check misses the cache. The result
    /// is the same with any cache.
    pub fn decode(
        bytes: &[u8],
        max_tx_bytes: u64,
        router: &MsgRouter,
        sigs: &SignatureCache,
    ) -> Result<Self, TxError> {
        Self::decode_with(bytes, max_tx_bytes, router, sigs, SignatureRule::Required)
    }

    /// Decodes a wallet's draft for a simulation (Cosmos `Simulate`): every
    /// rule of [`DecodedTx::decode`] except the signature, which may be
    /// empty, and the sign mode, which may be unspecified. The result
    /// passes every signature check unverified, so it must never reach
    /// CheckTx or a block: only [`crate::StateMachine::simulate`] calls this.
    pub(crate) fn decode_for_simulation(
        bytes: &[u8],
        max_tx_bytes: u64,
        router: &MsgRouter,
    ) -> Result<Self, TxError> {
        Self::decode_with(
            bytes,
            max_tx_bytes,
            router,
            &SignatureCache::disabled(),
            SignatureRule::Simulation,
        )
    }

    fn decode_with(
        bytes: &[u8],
        max_tx_bytes: u64,
        router: &MsgRouter,
        sigs: &SignatureCache,
        rule: SignatureRule,
    ) -> Result<Self, TxError> {
        if bytes.len() as u64 > max_tx_bytes {
            return Err(TxError::TooLarge {
                size: bytes.len(),
                max: max_tx_bytes,
            });
        }
        if let Some(tag) = router.system_tx(bytes) {
            return Err(invalid(InvalidTx::SystemTx { kind: tag.kind }));
        }
        let raw = TxRaw::decode(bytes)
            .map_err(|e| TxError::Decode(format!("not a cosmos TxRaw: {e}")))?;
        // The envelope is not signed: only its canonical encoding is accepted,
        // so nobody can give a signed tx a second hash (unknown, repeated or
        // reordered fields, non-minimal lengths).
        if !is_canonical_tx_raw(&raw, bytes) {
            return Err(TxError::Decode(
                "TxRaw is not canonically encoded (unknown, repeated or reordered fields)".into(),
            ));
        }
        let body = TxBody::decode(raw.body_bytes.as_slice())
            .map_err(|e| TxError::Decode(format!("body_bytes is not a TxBody: {e}")))?;
        let auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
            .map_err(|e| TxError::Decode(format!("auth_info_bytes is not an AuthInfo: {e}")))?;

        let [signature] = raw.signatures.as_slice() else {
            return Err(invalid(InvalidTx::SignatureCount(raw.signatures.len())));
        };
        let authorization = match rule {
            SignatureRule::Simulation => Authorization::Simulation,
            // k256's parser defines the accepted encodings (64 bytes, r and s
            // in 1..n); libsecp256k1 takes every one of them.
            SignatureRule::Required => k256::ecdsa::Signature::from_slice(signature)
                .ok()
                .and_then(|_| Signature::from_compact(signature).ok())
                .map(Authorization::Signed)
                .ok_or_else(|| invalid(InvalidTx::SignatureEncoding(signature.len())))?,
        };

        let [signer_info] = auth_info.signer_infos.as_slice() else {
            return Err(invalid(InvalidTx::SignerCount(
                auth_info.signer_infos.len(),
            )));
        };
        let public_key = signer_info
            .public_key
            .as_ref()
            .ok_or_else(|| invalid(InvalidTx::NoPublicKey))?;
        if public_key.type_url != SECP256K1_PUBKEY_TYPE_URL {
            return Err(invalid(InvalidTx::PublicKeyType(
                public_key.type_url.clone(),
            )));
        }
        let key_bytes = PubKey::decode(public_key.value.as_slice())
            .map_err(|e| TxError::Decode(format!("bad secp256k1 public key: {e}")))?
            .key;
        let Ok(compressed) = <[u8; 33]>::try_from(key_bytes.as_slice()) else {
            return Err(invalid(InvalidTx::PublicKeyLength(key_bytes.len())));
        };
        // Only SEC1's compressed forms, as the Cosmos SDK: the "compact" 05
        // prefix would give one key a second address.
        if !matches!(compressed[0], 0x02 | 0x03) {
            return Err(invalid(InvalidTx::PublicKeyPrefix(compressed[0])));
        }
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        // Only a successful verification of this tx is cached, and it needed
        // the key as a point: a hit proves the key valid without the work.
        let point = if sigs.knows_tx(&hash) {
            None
        } else {
            Some(decompress(&compressed)?)
        };
        match signer_info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
            Some(mode_info::Sum::Single(single)) if single.mode == SignMode::Direct as i32 => {}
            Some(mode_info::Sum::Single(single))
                if rule == SignatureRule::Simulation
                    && single.mode == SignMode::Unspecified as i32 => {}
            _ => return Err(invalid(InvalidTx::SignMode)),
        }
        let signer = Address::from_secp256k1(&compressed);

        let fee = auth_info
            .fee
            .as_ref()
            .ok_or_else(|| invalid(InvalidTx::NoFee))?;
        if !fee.payer.is_empty() || !fee.granter.is_empty() {
            return Err(invalid(InvalidTx::FeePayer));
        }
        let fee = match fee.amount.as_slice() {
            [] => None,
            [coin] => Some((coin.denom.clone(), parse_amount(&coin.amount, "fee")?)),
            coins => return Err(invalid(InvalidTx::FeeCoins(coins.len()))),
        };

        if let Some(option) = body.extension_options.first() {
            return Err(invalid(InvalidTx::CriticalExtension(
                option.type_url.clone(),
            )));
        }
        let mut chain_id = None;
        for option in &body.non_critical_extension_options {
            if option.type_url == CHAIN_ID_EXTENSION_TYPE_URL {
                let ext = ChainIdExtension::decode(option.value.as_slice())
                    .map_err(|e| TxError::Decode(format!("bad ChainIdExtension: {e}")))?;
                chain_id = Some(ext.chain_id);
            }
        }

        if body.messages.is_empty() {
            return Err(invalid(InvalidTx::NoMessages));
        }
        if body.messages.len() > MAX_MESSAGES_PER_TX {
            return Err(invalid(InvalidTx::TooManyMessages {
                count: body.messages.len(),
                max: MAX_MESSAGES_PER_TX,
            }));
        }
        let messages = body
            .messages
            .iter()
            .enumerate()
            .map(|(index, any)| router.decode(index, &any.type_url, &any.value, &signer))
            .collect::<Result<Vec<_>, _>>()?;
        let message_types = body
            .messages
            .iter()
            .map(|any| any.type_url.clone())
            .collect();

        Ok(DecodedTx {
            hash,
            size: bytes.len(),
            signer,
            sequence: signer_info.sequence,
            fee,
            timeout_height: body.timeout_height,
            chain_id,
            messages,
            message_types,
            public_key: compressed,
            point,
            authorization,
            body_bytes: raw.body_bytes,
            auth_info_bytes: raw.auth_info_bytes,
        })
    }

    /// The messages that are `T`s, in order (a component looking at its own
    /// messages across the transaction).
    pub fn messages_of<T: 'static>(&self) -> impl Iterator<Item = &T> {
        self.messages
            .iter()
            .filter_map(|msg| msg.as_any().downcast_ref::<T>())
    }
}

/// Whether `bytes` are exactly the canonical protobuf encoding of `raw`
/// (fields 1, 2, 3 in order, each present field once, minimal lengths, nothing
/// else). Compared in place: no copy of the (up to megabytes large) tx.
fn is_canonical_tx_raw(raw: &TxRaw, bytes: &[u8]) -> bool {
    use prost::encoding::{encode_key, encode_varint, WireType};
    if raw.encoded_len() != bytes.len() {
        return false;
    }
    let fields = [(1u32, &raw.body_bytes), (2, &raw.auth_info_bytes)]
        .into_iter()
        .filter(|(_, field)| !field.is_empty())
        .chain(raw.signatures.iter().map(|signature| (3u32, signature)));
    let mut rest = bytes;
    let mut header = Vec::with_capacity(16);
    for (tag, field) in fields {
        header.clear();
        encode_key(tag, WireType::LengthDelimited, &mut header);
        encode_varint(field.len() as u64, &mut header);
        let Some(after_header) = rest.strip_prefix(header.as_slice()) else {
            return false;
        };
        let Some(after_field) = after_header.strip_prefix(field.as_slice()) else {
            return false;
        };
        rest = after_field;
    }
    rest.is_empty()
}

fn parse_amount(text: &str, what: &'static str) -> Result<u128, TxError> {
    text.parse::<u128>().map_err(|_| {
        invalid(InvalidTx::Amount {
            what,
            text: text.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::signature::{sign_doc_digest, verify_prehash};
    use super::*;
    use cosmrs::proto::cosmos::tx::v1beta1::SignDoc;
    use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use quire_core::{Msg, Namespace};

    /// Deterministic test bytes: `sha256(tag ‖ i)`.
    fn decode(bytes: &[u8]) -> Result<DecodedTx, TxError> {
        let machine = crate::StateMachine::standard().build().unwrap();
        DecodedTx::decode(
            bytes,
            u64::MAX,
            machine.router(),
            &SignatureCache::disabled(),
        )
    }

    fn bytes32(tag: &str, i: u64) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(tag.as_bytes());
        hasher.update(i.to_be_bytes());
        hasher.finalize().into()
    }

    fn k256_key(i: u64) -> k256::ecdsa::SigningKey {
        (0..)
            .find_map(|j| k256::ecdsa::SigningKey::from_slice(&bytes32("key", i * 1000 + j)).ok())
            .unwrap()
    }

    /// The same signature with `s` replaced by `n - s`.
    fn negate_s(signature: &[u8; 64]) -> [u8; 64] {
        let parsed = k256::ecdsa::Signature::from_slice(signature).unwrap();
        let negated = -*parsed.s().as_ref();
        let mut out = *signature;
        out[32..].copy_from_slice(&negated.to_bytes());
        out
    }

    /// What k256 and what this module (libsecp256k1) say of a signature over
    /// `digest` by the compressed `key`, when k256 parses the signature (what
    /// it does not parse never reaches verification: decoding refuses it).
    fn both_verify(
        key: &[u8; 33],
        digest: &[u8; 32],
        signature: &[u8; 64],
    ) -> Option<(bool, bool)> {
        let k256_sig = k256::ecdsa::Signature::from_slice(signature).ok()?;
        let k256_key = k256::ecdsa::VerifyingKey::from_sec1_bytes(key).unwrap();
        let ours = verify_prehash(
            &decompress(key).unwrap(),
            digest,
            &Signature::from_compact(signature).unwrap(),
        );
        Some((
            k256_key.verify_prehash(digest, &k256_sig).is_ok(),
            ours.is_ok(),
        ))
    }

    #[test]
    fn libsecp256k1_accepts_and_rejects_the_signatures_k256_does() {
        let (mut accepted, mut high_s, mut rejected) = (0, 0, 0);
        for i in 0..200 {
            let signer = k256_key(i);
            let key: [u8; 33] = signer
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .try_into()
                .unwrap();
            let other: [u8; 33] = k256_key(i + 10_000)
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .try_into()
                .unwrap();
            let digest = bytes32("digest", i);
            let signature: k256::ecdsa::Signature = signer.sign_prehash(&digest).unwrap();
            let signature: [u8; 64] = signature.to_bytes().into();
            let mut tweaked_r = signature;
            tweaked_r[(i % 32) as usize] ^= 1 << (i % 8);
            let mut tweaked_s = signature;
            tweaked_s[32 + (i % 32) as usize] ^= 1 << (i % 8);
            let mut random = [0u8; 64];
            random[..32].copy_from_slice(&bytes32("r", i));
            random[32..].copy_from_slice(&bytes32("s", i));
            let cases = [
                (key, digest, signature, true),
                (key, digest, negate_s(&signature), false),
                (key, bytes32("other digest", i), signature, false),
                (other, digest, signature, false),
                (key, digest, tweaked_r, false),
                (key, digest, tweaked_s, false),
                (key, digest, random, false),
                (key, digest, negate_s(&random), false),
            ];
            for (n, (key, digest, signature, valid)) in cases.into_iter().enumerate() {
                let Some((k256_ok, ours_ok)) = both_verify(&key, &digest, &signature) else {
                    continue;
                };
                assert_eq!(k256_ok, ours_ok, "seed {i}, case {n}");
                assert_eq!(ours_ok, valid, "seed {i}, case {n}");
                match (ours_ok, n) {
                    (true, _) => accepted += 1,
                    (false, 1) => high_s += 1,
                    (false, _) => rejected += 1,
                }
            }
        }
        assert!(
            accepted == 200 && high_s == 200,
            "{accepted} accepted, {high_s} high-S"
        );
        assert!(rejected >= 1_000, "{rejected}");
    }

    #[test]
    fn libsecp256k1_parses_the_public_keys_k256_does() {
        // p, the field modulus: x ≥ p is no coordinate.
        let p = hex::decode("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f")
            .unwrap();
        let mut candidates: Vec<[u8; 33]> = Vec::new();
        for i in 0..600u64 {
            let mut key = [0u8; 33];
            key[0] = [2, 3, 2, 3, 0, 1, 4, 5, 6, 7][(i % 10) as usize];
            key[1..].copy_from_slice(&bytes32("x", i));
            candidates.push(key);
        }
        for prefix in [2u8, 3] {
            for delta in [0u8, 1, 2, 3, 0x30, 0xd0] {
                // x = p - 0xd0 + delta ... p + delta - 0xd0: around the modulus.
                let mut x = p.clone();
                x[31] = x[31].wrapping_sub(0xd0).wrapping_add(delta);
                let mut key = [prefix; 33];
                key[1..].copy_from_slice(&x);
                candidates.push(key);
                let mut top = [0xffu8; 33];
                top[0] = prefix;
                top[32] = delta;
                candidates.push(top);
                let mut low = [0u8; 33];
                low[0] = prefix;
                low[32] = delta;
                candidates.push(low);
            }
        }
        let (mut points, mut refused) = (0, 0);
        for key in &candidates {
            // k256 also takes SEC1's compact 05 form, which Quire refuses.
            let theirs = k256::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| ());
            let theirs = if key[0] == 0x05 { Err(()) } else { theirs };
            let ours = decompress(key);
            assert_eq!(theirs.is_ok(), ours.is_ok(), "{}", hex::encode(key));
            if let (Ok(theirs), Ok(ours)) = (theirs, ours) {
                assert_eq!(theirs.to_encoded_point(true).as_bytes(), ours.serialize());
                points += 1;
            } else {
                refused += 1;
            }
        }
        assert!(
            points >= 100 && refused >= 300,
            "{points} points, {refused} refused"
        );
    }

    /// A one-blob tx for chain "c", signed by the key of `secret` for
    /// `account_number`.
    fn signed_blob_tx(secret: u8, account_number: u64) -> Vec<u8> {
        let key = cosmrs::crypto::secp256k1::SigningKey::from_slice(&[secret; 32]).unwrap();
        let params = quire_core::builder::SignerContext {
            chain_id: "c".into(),
            account_number,
            sequence: 0,
            fee_denom: "uquire".into(),
            fee: 1,
            timeout_height: 0,
            memo: String::new(),
        };
        let blob = Msg::submit_blob(Namespace::from_rollup_name("r"), vec![1]);
        quire_core::builder::sign_tx(&key, &params, &[blob]).unwrap()
    }

    #[test]
    fn high_s_signatures_are_refused() {
        let low = signed_blob_tx(9, 4);
        let mut raw = TxRaw::decode(low.as_slice()).unwrap();
        let signature: [u8; 64] = raw.signatures[0].as_slice().try_into().unwrap();
        raw.signatures[0] = negate_s(&signature).to_vec();
        let high = raw.encode_to_vec();
        let low = decode(&low).unwrap();
        let high = decode(&high).unwrap();
        assert_eq!(low.verify_signature("c", 4), Ok(()));
        assert_eq!(
            high.verify_signature("c", 4),
            Err(TxError::BadSignature {
                chain_id: "c".into(),
                account_number: 4
            })
        );
    }

    #[test]
    fn only_02_and_03_public_keys_are_accepted() {
        let good = signed_blob_tx(7, 1);
        assert!(decode(&good).is_ok());
        for prefix in [0x05u8, 0x04, 0x00] {
            let mut raw = TxRaw::decode(good.as_slice()).unwrap();
            let mut auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
            let any = auth_info.signer_infos[0].public_key.as_mut().unwrap();
            let mut pubkey = PubKey::decode(any.value.as_slice()).unwrap();
            pubkey.key[0] = prefix;
            any.value = pubkey.encode_to_vec();
            raw.auth_info_bytes = auth_info.encode_to_vec();
            let err = decode(&raw.encode_to_vec()).unwrap_err();
            assert!(
                matches!(&err, TxError::Invalid(InvalidTx::PublicKeyPrefix(p)) if *p == prefix),
                "prefix {prefix:02x}: {err:?}"
            );
        }
    }

    #[test]
    fn canonical_check_matches_prost_encoding() {
        let raw = TxRaw {
            body_bytes: vec![1; 200],
            auth_info_bytes: vec![2; 3],
            signatures: vec![vec![3; 64], Vec::new()],
        };
        let bytes = raw.encode_to_vec();
        assert!(is_canonical_tx_raw(&raw, &bytes));
        let mut extended = bytes.clone();
        extended.extend_from_slice(&[0x22, 0x01, 0xAA]);
        let decoded = TxRaw::decode(extended.as_slice()).unwrap();
        assert!(!is_canonical_tx_raw(&decoded, &extended));
        let empty = TxRaw::default();
        assert!(is_canonical_tx_raw(&empty, &[]));
    }

    #[test]
    fn streamed_sign_doc_digest_matches_the_encoded_sign_doc() {
        let cases: [(&[u8], &[u8], &str, u64); 4] = [
            (b"body", b"auth", "quire-1", 7),
            (b"", b"auth", "quire-1", 0),
            (&[9u8; 300], b"", "", u64::MAX),
            (b"b", b"a", "c", 1),
        ];
        for (body, auth, chain_id, number) in cases {
            let encoded = SignDoc {
                body_bytes: body.to_vec(),
                auth_info_bytes: auth.to_vec(),
                chain_id: chain_id.to_string(),
                account_number: number,
            }
            .encode_to_vec();
            let expected: [u8; 32] = Sha256::digest(&encoded).into();
            assert_eq!(sign_doc_digest(body, auth, chain_id, number), expected);
        }
    }
}
