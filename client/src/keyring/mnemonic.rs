//! BIP-39 mnemonics and BIP-32/44 derivation, as every Cosmos wallet does
//! it: the seed of the phrase (no BIP-39 password), the secp256k1 key at
//! `m/44'/118'/0'/0/0` (coin type 118), so Keplr, cosmjs'
//! `DirectSecp256k1HdWallet` and `quired keys add --recover` agree on the
//! address of a phrase.

use bip39::{Language, Mnemonic};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

/// The Cosmos HD path (BIP-44, coin type 118, account 0, index 0).
pub const DEFAULT_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// Words in a new mnemonic (256 bits of entropy, the Cosmos SDK's default).
pub const NEW_MNEMONIC_WORDS: usize = 24;

/// A new random mnemonic of [`NEW_MNEMONIC_WORDS`] English words.
pub fn generate() -> Result<Zeroizing<String>, String> {
    let mut entropy = Zeroizing::new([0u8; 32]);
    OsRng
        .try_fill_bytes(entropy.as_mut())
        .map_err(|e| format!("no randomness: {e}"))?;
    let mnemonic = Mnemonic::from_entropy_in(Language::English, entropy.as_ref())
        .map_err(|e| format!("cannot make a mnemonic: {e}"))?;
    Ok(Zeroizing::new(mnemonic.to_string()))
}

/// The phrase as BIP-39 reads it: lower case, single spaces.
fn normalized(phrase: &str) -> Zeroizing<String> {
    Zeroizing::new(
        phrase
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The 32-byte secp256k1 secret at `hd_path` of the English mnemonic
/// `phrase` (12, 15, 18, 21 or 24 words, checksum checked).
pub fn derive(phrase: &str, hd_path: &str) -> Result<Zeroizing<[u8; 32]>, String> {
    let phrase = normalized(phrase);
    let mnemonic = Mnemonic::parse_in_normalized(Language::English, &phrase)
        .map_err(|e| format!("not a BIP-39 English mnemonic of 12 to 24 words: {e}"))?;
    let seed = Zeroizing::new(mnemonic.to_seed_normalized(""));
    let path: bip32::DerivationPath = hd_path
        .parse()
        .map_err(|e| format!("bad HD path {hd_path:?}: {e}"))?;
    let key = bip32::XPrv::derive_from_path(seed.as_ref(), &path)
        .map_err(|e| format!("cannot derive {hd_path}: {e}"))?;
    Ok(Zeroizing::new(key.private_key().to_bytes().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn the_cosmos_test_vector() {
        // The well-known 12-word test phrase's Cosmos account
        // (cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4 at m/44'/118'/0'/0/0).
        let secret = derive(ABANDON, DEFAULT_HD_PATH).unwrap();
        let key = cosmrs::crypto::secp256k1::SigningKey::from_slice(secret.as_ref()).unwrap();
        let address = quire_core::builder::address_of(&key);
        assert_eq!(
            address.to_bech32_with("cosmos"),
            "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
        );
        // Case and spacing do not matter; another index is another key.
        let loose = format!("  {}  ", ABANDON.to_uppercase().replace(' ', "   "));
        assert_eq!(*derive(&loose, DEFAULT_HD_PATH).unwrap(), *secret);
        assert_ne!(*derive(ABANDON, "m/44'/118'/0'/0/1").unwrap(), *secret);
    }

    #[test]
    fn new_phrases_have_24_words_and_derive() {
        let phrase = generate().unwrap();
        assert_eq!(phrase.split(' ').count(), NEW_MNEMONIC_WORDS);
        assert_ne!(*phrase, *generate().unwrap());
        derive(&phrase, DEFAULT_HD_PATH).unwrap();
    }

    #[test]
    fn bad_phrases_and_paths_are_refused() {
        let wrong_checksum = ABANDON.replace("about", "abandon");
        let err = derive(&wrong_checksum, DEFAULT_HD_PATH).unwrap_err();
        assert!(err.contains("not a BIP-39"), "{err}");
        assert!(derive("hello world", DEFAULT_HD_PATH).is_err());
        assert!(derive("", DEFAULT_HD_PATH).is_err());
        let err = derive(ABANDON, "m/44'/x").unwrap_err();
        assert!(err.contains("bad HD path"), "{err}");
    }
}
