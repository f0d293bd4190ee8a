//! Vote extensions: each component's section of a validator's vote, and the
//! check of another validator's.
//!
//! Encoding (explicit bytes, no re-encoding anywhere): the extension is its
//! sections one after another, in component order, each component at most
//! once, each non-empty:
//! `name_len (u8) ‖ name (ASCII) ‖ data_len (u32 BE) ‖ data`.
//! An extension with no sections is empty (zero bytes): what every vote
//! carries while no component makes one.

use crate::error::VoteExtensionError;

/// Largest vote extension accepted, all sections together (1 MiB).
pub const MAX_VOTE_EXTENSION_BYTES: usize = 1024 * 1024;

/// One component's part of a vote extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'a> {
    /// The component's name.
    pub component: &'a str,
    /// Its data.
    pub data: &'a [u8],
}

/// Encodes sections (the caller keeps them in component order).
pub fn encode(sections: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in sections {
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(data);
    }
    out
}

/// Splits an extension into its sections, checking every length; no section
/// data is copied. Order and names are checked by the caller.
pub fn decode(bytes: &[u8]) -> Result<Vec<Section<'_>>, VoteExtensionError> {
    if bytes.len() > MAX_VOTE_EXTENSION_BYTES {
        return Err(VoteExtensionError::TooLarge {
            size: bytes.len(),
            max: MAX_VOTE_EXTENSION_BYTES,
        });
    }
    let malformed = |what: &str| VoteExtensionError::Malformed(what.to_string());
    let mut sections = Vec::new();
    let mut rest = bytes;
    while let Some((&name_len, after)) = rest.split_first() {
        let (name, after) = after
            .split_at_checked(usize::from(name_len))
            .ok_or_else(|| malformed("truncated section name"))?;
        let name = std::str::from_utf8(name)
            .ok()
            .filter(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| malformed("section name is not printable ASCII"))?;
        let (len, after) = after
            .split_first_chunk::<4>()
            .ok_or_else(|| malformed("truncated section length"))?;
        let len = u32::from_be_bytes(*len) as usize;
        let (data, after) = after
            .split_at_checked(len)
            .ok_or_else(|| malformed("truncated section data"))?;
        if data.is_empty() {
            return Err(malformed("empty section"));
        }
        sections.push(Section {
            component: name,
            data,
        });
        rest = after;
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip_and_bad_bytes_are_refused() {
        let bytes = encode(&[("blob", vec![1, 2]), ("staking", vec![3])]);
        let sections = decode(&bytes).unwrap();
        assert_eq!(
            sections,
            vec![
                Section {
                    component: "blob",
                    data: &[1, 2]
                },
                Section {
                    component: "staking",
                    data: &[3]
                }
            ]
        );
        assert_eq!(decode(&[]).unwrap(), vec![]);
        for cut in 1..bytes.len() {
            if cut == 11 {
                continue; // a whole first section
            }
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(decode(&encode(&[("x", vec![])])).is_err());
        assert!(decode(&[1, 0xff, 0, 0, 0, 1, 7]).is_err());
        assert!(matches!(
            decode(&vec![0; MAX_VOTE_EXTENSION_BYTES + 1]),
            Err(VoteExtensionError::TooLarge { .. })
        ));
    }
}
