//! The read API over gRPC (tonic): `quire.sequencer.v1.SequencerService`.

// `tonic::Status` is what tonic handlers must return; its size is not ours to choose.
#![allow(clippy::result_large_err)]

use super::{parse_namespace, ApiError, ReadApi};
use quire_proto::sequencer::v1 as pb;
use quire_proto::sequencer::v1::sequencer_service_server::{
    SequencerService, SequencerServiceServer,
};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        let message = error.to_string();
        match error {
            ApiError::InvalidArgument(_) => Status::invalid_argument(message),
            ApiError::NotYetAvailable { .. } => Status::out_of_range(message),
            ApiError::NotFound(_) => Status::not_found(message),
            ApiError::Unavailable(_) => Status::unavailable(message),
            ApiError::TooManyStreams(_) => Status::resource_exhausted(message),
            ApiError::Timeout(_) => Status::deadline_exceeded(message),
            ApiError::NotAnchored | ApiError::NoEncryption => Status::failed_precondition(message),
            ApiError::Internal(_) => Status::internal(message),
        }
    }
}

/// The gRPC service over a [`ReadApi`].
#[derive(Clone)]
pub struct GrpcApi {
    api: Arc<ReadApi>,
}

async fn with_timeout<T>(
    api: &ReadApi,
    work: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, Status> {
    let limit = api.limits().request_timeout;
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result.map_err(Status::from),
        Err(_) => Err(ApiError::Timeout(limit).into()),
    }
}

#[tonic::async_trait]
impl SequencerService for GrpcApi {
    async fn get_latest_height(
        &self,
        _: Request<pb::GetLatestHeightRequest>,
    ) -> Result<Response<pb::GetLatestHeightResponse>, Status> {
        Ok(Response::new(pb::GetLatestHeightResponse {
            height: self.api.latest_height(),
        }))
    }

    async fn get_namespace_data(
        &self,
        request: Request<pb::GetNamespaceDataRequest>,
    ) -> Result<Response<pb::NamespaceData>, Status> {
        let request = request.into_inner();
        let namespace = parse_namespace(&request.namespace)?;
        with_timeout(
            &self.api,
            self.api.namespace_data(request.height, namespace),
        )
        .await
        .map(Response::new)
    }

    async fn get_namespace_range(
        &self,
        request: Request<pb::GetNamespaceRangeRequest>,
    ) -> Result<Response<pb::GetNamespaceRangeResponse>, Status> {
        let request = request.into_inner();
        let namespace = parse_namespace(&request.namespace)?;
        with_timeout(
            &self.api,
            self.api
                .namespace_range(namespace, request.from_height, request.to_height),
        )
        .await
        .map(Response::new)
    }

    type StreamNamespaceStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<pb::NamespaceData, Status>> + Send + 'static>,
    >;

    async fn stream_namespace(
        &self,
        request: Request<pb::StreamNamespaceRequest>,
    ) -> Result<Response<Self::StreamNamespaceStream>, Status> {
        let request = request.into_inner();
        let namespace = parse_namespace(&request.namespace)?;
        let receiver = self.api.stream(namespace, request.from_height)?;
        let stream = ReceiverStream::new(receiver).map(|item| item.map_err(Status::from));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get_block(
        &self,
        request: Request<pb::GetBlockRequest>,
    ) -> Result<Response<pb::BlockData>, Status> {
        let height = request.into_inner().height;
        with_timeout(&self.api, self.api.block(height))
            .await
            .map(Response::new)
    }

    async fn get_light_block(
        &self,
        request: Request<pb::GetLightBlockRequest>,
    ) -> Result<Response<pb::Attestation>, Status> {
        let height = request.into_inner().height;
        with_timeout(&self.api, self.api.light_block(height))
            .await
            .map(Response::new)
    }

    async fn get_l1_info(
        &self,
        _: Request<pb::GetL1InfoRequest>,
    ) -> Result<Response<pb::L1Info>, Status> {
        Ok(Response::new(self.api.l1_info()?))
    }

    async fn get_encryption(
        &self,
        _: Request<pb::GetEncryptionRequest>,
    ) -> Result<Response<pb::EncryptionInfo>, Status> {
        Ok(Response::new(self.api.encryption()?))
    }

    async fn get_reveal_record(
        &self,
        request: Request<pb::GetRevealRecordRequest>,
    ) -> Result<Response<pb::RevealRecord>, Status> {
        Ok(Response::new(
            self.api.reveal_record(request.into_inner().height)?,
        ))
    }

    async fn get_checkpoint(
        &self,
        request: Request<pb::GetCheckpointRequest>,
    ) -> Result<Response<pb::SignedCheckpoint>, Status> {
        let request = request.into_inner();
        Ok(Response::new(
            self.api
                .checkpoint(request.height, request.rotation_after)?,
        ))
    }

    async fn get_history_proof(
        &self,
        request: Request<pb::GetHistoryProofRequest>,
    ) -> Result<Response<pb::HistoryProof>, Status> {
        let request = request.into_inner();
        Ok(Response::new(
            self.api.history_proof(request.height, request.size)?,
        ))
    }
}

/// Largest gRPC message quired sends or accepts (a block's blobs plus proofs).
const MAX_MESSAGE_BYTES: usize = 1 << 30;

/// Serves the gRPC read API on `addr` until the process ends, with the
/// Cosmos services when the API has them.
pub async fn serve(api: Arc<ReadApi>, addr: SocketAddr) -> Result<(), tonic::transport::Error> {
    use crate::cosmos::grpc::{
        Auth, Bank, CosmosService, Distribution, Node, Slashing, Staking, Tendermint, Tx,
    };
    use crate::cosmos::CosmosServices;
    fn cosmos_service<S>(services: &CosmosServices) -> CosmosService<S> {
        CosmosService::new(services.clone(), crate::cosmos::MAX_REQUEST_BYTES)
    }
    let limits = api.limits();
    let cosmos = api.cosmos();
    let service = SequencerServiceServer::new(GrpcApi { api })
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
        .max_decoding_message_size(64 * 1024);
    // Reflection describes what this listener answers: the Cosmos
    // services only when they are served.
    let reflection = || {
        let builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(quire_proto::FILE_DESCRIPTOR_SET);
        if cosmos.is_some() {
            builder.register_encoded_file_descriptor_set(quire_proto::COSMOS_FILE_DESCRIPTOR_SET)
        } else {
            builder
        }
    };
    let (reflection_v1, reflection_v1alpha) =
        match (reflection().build_v1(), reflection().build_v1alpha()) {
            (Ok(v1), Ok(v1alpha)) => (Some(v1), Some(v1alpha)),
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "gRPC reflection is off: the descriptors do not load");
                (None, None)
            }
        };
    tracing::info!(%addr, cosmos = cosmos.is_some(), "gRPC read API listening");
    tonic::transport::Server::builder()
        .concurrency_limit_per_connection(256)
        .timeout(limits.request_timeout)
        .layer(crate::metrics::GrpcMetricsLayer)
        .add_service(service)
        .add_optional_service(reflection_v1)
        .add_optional_service(reflection_v1alpha)
        .add_optional_service(cosmos.as_ref().map(cosmos_service::<Auth>))
        .add_optional_service(cosmos.as_ref().map(cosmos_service::<Bank>))
        .add_optional_service(cosmos.as_ref().map(cosmos_service::<Staking>))
        .add_optional_service(cosmos.as_ref().map(cosmos_service::<Distribution>))
        .add_optional_service(cosmos.as_ref().map(cosmos_service::<Slashing>))
        .add_optional_service(cosmos.as_ref().map(cosmos_service::<Tx>))
        .add_optional_service(cosmos.as_ref().map(cosmos_service::<Tendermint>))
        .add_optional_service(cosmos.as_ref().map(cosmos_service::<Node>))
        .serve(addr)
        .await
}
