//! Quire's protobuf types, generated at build time from `proto/proto/**.proto`.
//!
//! The sources are compiled with protox, so no system `protoc` is needed.

#![allow(clippy::doc_lazy_continuation, clippy::large_enum_variant)]

/// Every compiled `.proto` file (and the files they import) as an encoded
/// `google.protobuf.FileDescriptorSet`: what gRPC server reflection serves.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/quire_descriptor_set.bin"));

/// The Cosmos SDK services quired serves (auth, bank, staking,
/// distribution, slashing, tx, base tendermint, node), only the methods it
/// answers, with the types they reach: an encoded
/// `google.protobuf.FileDescriptorSet` compiled from `proto/described/`,
/// which `proto/describe_cosmos.py` writes from the prost sources of
/// cosmos-sdk-proto and tendermint-proto (which ship no descriptors).
pub const COSMOS_FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/cosmos_descriptor_set.bin"));

/// `quire.blob.v1`: blob messages and query responses.
pub mod blob {
    /// Version 1 of the blob module's types.
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/quire.blob.v1.rs"));

        /// The `Any` type URL of [`MsgSubmitBlob`].
        pub const MSG_SUBMIT_BLOB_TYPE_URL: &str = "/quire.blob.v1.MsgSubmitBlob";

        /// The `Any` type URL of [`MsgSubmitEncrypted`].
        pub const MSG_SUBMIT_ENCRYPTED_TYPE_URL: &str = "/quire.blob.v1.MsgSubmitEncrypted";

        /// The `Any` type URL of [`MsgSetDkgKey`].
        pub const MSG_SET_DKG_KEY_TYPE_URL: &str = "/quire.blob.v1.MsgSetDkgKey";

        /// The `Any` type URL of [`ChainIdExtension`].
        pub const CHAIN_ID_EXTENSION_TYPE_URL: &str = "/quire.blob.v1.ChainIdExtension";
    }
}

/// `quire.l1.v1`: L1 anchoring messages.
pub mod l1 {
    /// Version 1 of the l1 module's types.
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/quire.l1.v1.rs"));

        /// The `Any` type URL of [`MsgSetL1Key`].
        pub const MSG_SET_L1_KEY_TYPE_URL: &str = "/quire.l1.v1.MsgSetL1Key";
    }
}

/// `quire.sequencer.v1`: the read API (gRPC service and messages, with serde
/// impls in the proto3 JSON mapping for the HTTP API).
pub mod sequencer {
    /// Version 1 of the read API.
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/quire.sequencer.v1.rs"));
        include!(concat!(env!("OUT_DIR"), "/quire.sequencer.v1.serde.rs"));
    }
}
