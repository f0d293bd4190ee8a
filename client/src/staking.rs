//! Staking reads over a node's ABCI queries: the Cosmos SDK's own response
//! types (`cosmos.staking.v1beta1`), as quired answers them (unverified:
//! for verified reads use a state proof, `NodeClient::verified_account`'s
//! way).

use crate::rpc::{ClientError, NodeClient};
use cosmrs::proto::cosmos::staking::v1beta1 as sdk;
use prost::Message;
use quire_core::Address;

fn decode<T: Message + Default>(what: &'static str, bytes: Vec<u8>) -> Result<T, ClientError> {
    T::decode(bytes.as_slice()).map_err(|e| ClientError::Malformed(what, e.to_string()))
}

impl NodeClient {
    async fn staking<T: Message + Default>(
        &self,
        what: &'static str,
        path: String,
    ) -> Result<Option<T>, ClientError> {
        self.query(path)
            .await?
            .map(|bytes| decode(what, bytes))
            .transpose()
    }

    /// Every validator, in operator order.
    pub async fn validators(&self) -> Result<Vec<sdk::Validator>, ClientError> {
        let answer: Option<sdk::QueryValidatorsResponse> = self
            .staking("validators query", "/staking/validators".into())
            .await?;
        Ok(answer.map(|a| a.validators).unwrap_or_default())
    }

    /// The validator `operator` runs, if any.
    pub async fn validator(
        &self,
        operator: &Address,
    ) -> Result<Option<sdk::Validator>, ClientError> {
        let answer: Option<sdk::QueryValidatorResponse> = self
            .staking(
                "validator query",
                format!("/staking/validator/{}", operator.to_valoper()),
            )
            .await?;
        Ok(answer.and_then(|a| a.validator))
    }

    /// A delegation and the tokens it is worth, if any.
    pub async fn delegation(
        &self,
        delegator: &Address,
        operator: &Address,
    ) -> Result<Option<sdk::DelegationResponse>, ClientError> {
        let answer: Option<sdk::QueryDelegationResponse> = self
            .staking(
                "delegation query",
                format!("/staking/delegation/{delegator}/{}", operator.to_valoper()),
            )
            .await?;
        Ok(answer.and_then(|a| a.delegation_response))
    }

    /// Every delegation of `delegator`, with the tokens each is worth.
    pub async fn delegations(
        &self,
        delegator: &Address,
    ) -> Result<Vec<sdk::DelegationResponse>, ClientError> {
        let answer: Option<sdk::QueryDelegatorDelegationsResponse> = self
            .staking(
                "delegations query",
                format!("/staking/delegations/{delegator}"),
            )
            .await?;
        Ok(answer.map(|a| a.delegation_responses).unwrap_or_default())
    }

    /// A delegator's unbonding entries at one validator, if any.
    pub async fn unbonding(
        &self,
        delegator: &Address,
        operator: &Address,
    ) -> Result<Option<sdk::UnbondingDelegation>, ClientError> {
        let answer: Option<sdk::QueryUnbondingDelegationResponse> = self
            .staking(
                "unbonding query",
                format!("/staking/unbonding/{delegator}/{}", operator.to_valoper()),
            )
            .await?;
        Ok(answer.and_then(|a| a.unbond))
    }

    /// The bonded and not-bonded pools.
    pub async fn staking_pool(&self) -> Result<sdk::Pool, ClientError> {
        let answer: Option<sdk::QueryPoolResponse> =
            self.staking("pool query", "/staking/pool".into()).await?;
        answer
            .and_then(|a| a.pool)
            .ok_or(ClientError::Malformed("pool query", "no pool".into()))
    }
}
