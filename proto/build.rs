//! Compiles the .proto sources with protox (pure Rust, no system `protoc`) and
//! generates prost messages plus tonic services from the descriptor set.

use std::path::PathBuf;

const PROTO_ROOT: &str = "proto";
const FILES: &[&str] = &["quire/blob/v1/tx.proto", "quire/blob/v1/query.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<PathBuf> = FILES
        .iter()
        .map(|f| PathBuf::from(PROTO_ROOT).join(f))
        .collect();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = protox::compile(&files, [PROTO_ROOT])?;
    tonic_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
