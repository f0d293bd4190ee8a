//! Compiles the .proto sources with protox (pure Rust, no system `protoc`) and
//! generates prost messages, tonic services, and (for the read API) serde
//! impls in the proto3 JSON mapping with pbjson.

use std::path::PathBuf;

const PROTO_ROOT: &str = "proto";
const FILES: &[&str] = &[
    "quire/blob/v1/tx.proto",
    "quire/blob/v1/query.proto",
    "quire/l1/v1/tx.proto",
    "quire/sequencer/v1/sequencer.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<PathBuf> = FILES
        .iter()
        .map(|f| PathBuf::from(PROTO_ROOT).join(f))
        .collect();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = protox::compile(&files, [PROTO_ROOT])?;
    // The encoded descriptors (with their imports), for gRPC reflection.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("quire_descriptor_set.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    // Unknown JSON fields are skipped, as the proto3 JSON mapping allows:
    // the HTTP read API adds readable forms beside the fields (bech32
    // signers, hex hashes), and its JSON still decodes into the messages.
    pbjson_build::Builder::new()
        .register_descriptors(&prost::Message::encode_to_vec(&descriptors))?
        .ignore_unknown_fields()
        .build(&[".quire.sequencer.v1"])?;
    describe_cosmos(&out_dir)?;
    tonic_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}

/// The Cosmos SDK services quired serves, as declared in `described/` (by
/// `describe_cosmos.py`): compiled to descriptors only, for reflection.
fn describe_cosmos(out_dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    const ROOT: &str = "described";
    let list = PathBuf::from(ROOT).join("FILES");
    println!("cargo:rerun-if-changed={}", list.display());
    let files: Vec<PathBuf> = std::fs::read_to_string(&list)?
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| PathBuf::from(ROOT).join(line.trim()))
        .collect();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = protox::compile(&files, [ROOT])?;
    std::fs::write(
        out_dir.join("cosmos_descriptor_set.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    Ok(())
}
