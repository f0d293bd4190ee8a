//! The Cosmos services over gRPC, on the read API's port: the same method
//! functions as ABCI `Query` ([`super::answer`]), reached by the gRPC method
//! path, so both transports answer the same bytes for the same request.
//!
//! Each service (`cosmos.auth.v1beta1.Query`, `cosmos.bank.v1beta1.Query`,
//! `cosmos.staking.v1beta1.Query`, `cosmos.distribution.v1beta1.Query`,
//! `cosmos.slashing.v1beta1.Query`,
//! `cosmos.tx.v1beta1.Service`, `cosmos.base.tendermint.v1beta1.Service`,
//! `cosmos.base.node.v1beta1.Service`) is a tonic service whose unary handler
//! passes the request's protobuf bytes through unchanged (no re-encoding)
//! and returns the answer's. The height answered at is in the response
//! metadata `x-cosmos-block-height`, as the Cosmos SDK's gRPC server does
//! (for state methods; the CometBFT-backed ones name their heights in the
//! answer); a request may ask for a height with the same header (only the
//! latest is kept).

// `tonic::Status` is what tonic handlers must return; its size is not ours to choose.
#![allow(clippy::result_large_err)]

use super::{CosmosError, CosmosServices, StatusCode};
use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{http, Body, BoxFuture, Service, StdError};
use tonic::server::NamedService;
use tonic::{Request, Response, Status};

/// The metadata key of the height (request and response).
pub const HEIGHT_HEADER: &str = "x-cosmos-block-height";

/// Answers a Cosmos method: `(path, request bytes, height or 0)` → the height
/// answered at and the response bytes (a node's [`crate::node::Node::cosmos_query`]).
pub type CosmosQueries =
    Arc<dyn Fn(&str, &[u8], u64) -> (u64, Result<Vec<u8>, CosmosError>) + Send + Sync>;

impl From<CosmosError> for Status {
    fn from(error: CosmosError) -> Self {
        match error.code {
            StatusCode::InvalidArgument => Status::invalid_argument(error.message),
            StatusCode::NotFound => Status::not_found(error.message),
            StatusCode::Unimplemented => Status::unimplemented(error.message),
            StatusCode::Internal => Status::internal(error.message),
            StatusCode::Unavailable => Status::unavailable(error.message),
        }
    }
}

/// A Cosmos service's full gRPC name.
pub trait ServiceName: Send + Sync + 'static {
    /// e.g. `cosmos.auth.v1beta1.Query`.
    const NAME: &'static str;
}

/// `cosmos.auth.v1beta1.Query`.
#[derive(Debug)]
pub struct Auth;
impl ServiceName for Auth {
    const NAME: &'static str = "cosmos.auth.v1beta1.Query";
}

/// `cosmos.bank.v1beta1.Query`.
#[derive(Debug)]
pub struct Bank;
impl ServiceName for Bank {
    const NAME: &'static str = "cosmos.bank.v1beta1.Query";
}

/// `cosmos.staking.v1beta1.Query`.
#[derive(Debug)]
pub struct Staking;
impl ServiceName for Staking {
    const NAME: &'static str = "cosmos.staking.v1beta1.Query";
}

/// `cosmos.distribution.v1beta1.Query`.
#[derive(Debug)]
pub struct Distribution;
impl ServiceName for Distribution {
    const NAME: &'static str = "cosmos.distribution.v1beta1.Query";
}

/// `cosmos.slashing.v1beta1.Query`.
#[derive(Debug)]
pub struct Slashing;
impl ServiceName for Slashing {
    const NAME: &'static str = "cosmos.slashing.v1beta1.Query";
}

/// `cosmos.tx.v1beta1.Service`.
#[derive(Debug)]
pub struct Tx;
impl ServiceName for Tx {
    const NAME: &'static str = "cosmos.tx.v1beta1.Service";
}

/// `cosmos.base.tendermint.v1beta1.Service`.
#[derive(Debug)]
pub struct Tendermint;
impl ServiceName for Tendermint {
    const NAME: &'static str = "cosmos.base.tendermint.v1beta1.Service";
}

/// `cosmos.base.node.v1beta1.Service`.
#[derive(Debug)]
pub struct Node;
impl ServiceName for Node {
    const NAME: &'static str = "cosmos.base.node.v1beta1.Service";
}

/// One Cosmos service served from [`CosmosServices`].
pub struct CosmosService<S> {
    services: CosmosServices,
    max_request_bytes: usize,
    service: PhantomData<S>,
}

impl<S> Clone for CosmosService<S> {
    fn clone(&self) -> Self {
        CosmosService {
            services: self.services.clone(),
            max_request_bytes: self.max_request_bytes,
            service: PhantomData,
        }
    }
}

impl<S> CosmosService<S> {
    /// The service over `services`, accepting requests up to
    /// `max_request_bytes` (a simulated or broadcast tx is a whole tx).
    pub fn new(services: CosmosServices, max_request_bytes: usize) -> Self {
        CosmosService {
            services,
            max_request_bytes,
            service: PhantomData,
        }
    }
}

impl<S: ServiceName> NamedService for CosmosService<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> Service<http::Request<B>> for CosmosService<S>
where
    S: ServiceName,
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = Method {
            path: request.uri().path().to_string(),
            services: self.services.clone(),
        };
        let max = self.max_request_bytes;
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(PassThrough)
                .max_decoding_message_size(max)
                .max_encoding_message_size(usize::MAX);
            Ok(grpc.unary(method, request).await)
        })
    }
}

/// One call: the method path and where it is answered.
struct Method {
    path: String,
    services: CosmosServices,
}

impl tonic::server::UnaryService<Vec<u8>> for Method {
    type Response = Vec<u8>;
    type Future = BoxFuture<Response<Vec<u8>>, Status>;

    fn call(&mut self, request: Request<Vec<u8>>) -> Self::Future {
        let path = std::mem::take(&mut self.path);
        let services = self.services.clone();
        Box::pin(async move {
            let height = match request.metadata().get(HEIGHT_HEADER) {
                None => 0,
                Some(value) => value
                    .to_str()
                    .ok()
                    .and_then(|text| text.parse::<u64>().ok())
                    .ok_or_else(|| {
                        Status::invalid_argument(format!(
                            "{HEIGHT_HEADER} must be a non-negative integer"
                        ))
                    })?,
            };
            let data = request.into_inner();
            let (at, bytes) = services.call(path, data, height).await?;
            let mut response = Response::new(bytes);
            if at > 0 {
                if let Ok(value) = at.to_string().parse() {
                    response.metadata_mut().insert(HEIGHT_HEADER, value);
                }
            }
            Ok(response)
        })
    }
}

/// A codec that hands the message bytes through: the request is decoded
/// (once) by the method itself, the response is already encoded.
#[derive(Debug, Clone, Copy, Default)]
struct PassThrough;

impl Codec for PassThrough {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = PassThrough;
    type Decoder = PassThrough;

    fn encoder(&mut self) -> Self::Encoder {
        PassThrough
    }

    fn decoder(&mut self) -> Self::Decoder {
        PassThrough
    }
}

impl Encoder for PassThrough {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for PassThrough {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        use bytes::Buf;
        let len = src.remaining();
        let mut out = vec![0; len];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}
