//! The Cosmos staking listings by validator and of redelegations, and the
//! distribution methods, answered over a chain state with delegations and a
//! redelegation (the state machine's own blocks, invariants checked after
//! each: the by-validator index matches the delegations).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::distribution::v1beta1 as distribution;
use cosmrs::proto::cosmos::staking::v1beta1 as staking;
use prost::Message;
use quire_app::staking::GenesisBond;
use quire_app::{GenesisAccount, GenesisState, StateMachine};
use quire_core::builder::address_of;
use quire_core::msg::CheckedCoin;
use quire_core::staking::msg::{BeginRedelegate, Delegate};
use quire_core::{Address, Msg, Params};
use quire_test_utils::{consensus_key, key, signed_tx, MemState};
use quired::cosmos::{answer, CosmosError, QueryContext, StatusCode};

const CHAIN: &str = "quire-cosmos-staking";
const M: u128 = 1_000_000;

fn addr(seed: u8) -> Address {
    address_of(&key(seed))
}

/// Validators 1 and 2 (self-bonded); 3, 4 and 5 delegate to 1; 3 then
/// redelegates part of it to 2.
fn chain() -> (StateMachine, MemState) {
    let machine = StateMachine::standard()
        .check_invariants(true)
        .build()
        .unwrap();
    let mut genesis = GenesisState {
        params: Params::default(),
        accounts: (1..=6)
            .map(|seed| GenesisAccount {
                address: addr(seed).to_bech32(),
                balance: 1_000 * M,
            })
            .collect(),
        staking: Default::default(),
        l1: None,
        encryption: None,
    };
    for seed in [1, 2] {
        genesis.staking.validators.push(GenesisBond::new(
            &addr(seed),
            &consensus_key(seed),
            &format!("v{seed}"),
            10 * M,
        ));
    }
    let mut state = MemState::from_genesis(&machine, &genesis, CHAIN);
    let coin = |amount| CheckedCoin::new("uquire", amount);
    let tx = |seed: u8, sequence: u64, msg: Msg| {
        signed_tx(
            CHAIN,
            &key(seed),
            u64::from(seed - 1),
            sequence,
            10_000,
            &[msg],
        )
    };
    let delegations: Vec<Vec<u8>> = [3u8, 4, 5]
        .iter()
        .map(|&seed| {
            tx(
                seed,
                0,
                Msg::Delegate(Delegate {
                    validator: addr(1),
                    amount: coin(u128::from(seed) * M),
                }),
            )
        })
        .collect();
    let block = state.finalize(&machine, &delegations);
    assert!(
        block.txs.iter().all(|t| t.result.is_ok()),
        "delegations refused"
    );
    state.commit(&block);
    let redelegation = tx(
        3,
        1,
        Msg::BeginRedelegate(BeginRedelegate {
            src: addr(1),
            dst: addr(2),
            amount: coin(M),
        }),
    );
    let block = state.finalize(&machine, &[redelegation]);
    assert!(block.txs[0].result.is_ok(), "{:?}", block.txs[0].result);
    state.commit(&block);
    (machine, state)
}

fn ask<Resp: Message + Default>(
    machine: &StateMachine,
    state: &MemState,
    path: &str,
    request: impl Message,
) -> Result<Resp, CosmosError> {
    let ctx = QueryContext {
        state,
        height: state.height,
        machine,
    };
    answer(path, &request.encode_to_vec(), &ctx).map(|bytes| Resp::decode(&bytes[..]).unwrap())
}

#[test]
fn validator_delegations_page_through_the_by_validator_index() {
    let (machine, state) = chain();
    let mut delegators = Vec::new();
    let mut key = Vec::new();
    for _ in 0..10 {
        let page: staking::QueryValidatorDelegationsResponse = ask(
            &machine,
            &state,
            "/cosmos.staking.v1beta1.Query/ValidatorDelegations",
            staking::QueryValidatorDelegationsRequest {
                validator_addr: addr(1).to_valoper(),
                pagination: Some(PageRequest {
                    key: key.clone(),
                    limit: 3,
                    ..PageRequest::default()
                }),
            },
        )
        .unwrap();
        assert!(page.delegation_responses.len() <= 3);
        for d in &page.delegation_responses {
            let delegation = d.delegation.as_ref().unwrap();
            assert_eq!(delegation.validator_address, addr(1).to_valoper());
            assert_eq!(d.balance.as_ref().unwrap().denom, "uquire");
            delegators.push(delegation.delegator_address.clone());
        }
        key = page.pagination.unwrap().next_key;
        if key.is_empty() {
            break;
        }
    }
    let mut expected: Vec<String> = [1, 3, 4, 5].map(|s| addr(s).to_bech32()).to_vec();
    // The index is in delegator address order, as a page walk gives it.
    expected.sort_by_key(|a| a.parse::<Address>().unwrap().as_bytes().to_vec());
    assert_eq!(delegators, expected);

    let to_two: staking::QueryValidatorDelegationsResponse = ask(
        &machine,
        &state,
        "/cosmos.staking.v1beta1.Query/ValidatorDelegations",
        staking::QueryValidatorDelegationsRequest {
            validator_addr: addr(2).to_valoper(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(
        to_two.delegation_responses.len(),
        2,
        "its own and 3's redelegation"
    );

    let unknown = ask::<staking::QueryValidatorDelegationsResponse>(
        &machine,
        &state,
        "/cosmos.staking.v1beta1.Query/ValidatorDelegations",
        staking::QueryValidatorDelegationsRequest {
            validator_addr: addr(6).to_valoper(),
            pagination: None,
        },
    )
    .unwrap_err();
    assert_eq!(unknown.code, StatusCode::NotFound);
}

fn redelegations(
    machine: &StateMachine,
    state: &MemState,
    delegator: &str,
    src: &str,
    dst: &str,
) -> Result<staking::QueryRedelegationsResponse, CosmosError> {
    ask(
        machine,
        state,
        "/cosmos.staking.v1beta1.Query/Redelegations",
        staking::QueryRedelegationsRequest {
            delegator_addr: delegator.into(),
            src_validator_addr: src.into(),
            dst_validator_addr: dst.into(),
            pagination: None,
        },
    )
}

#[test]
fn redelegations_by_delegator_source_and_destination() {
    let (machine, state) = chain();
    let (three, v1, v2) = (
        addr(3).to_bech32(),
        addr(1).to_valoper(),
        addr(2).to_valoper(),
    );
    let all = redelegations(&machine, &state, &three, "", "").unwrap();
    assert_eq!(all.redelegation_responses.len(), 1);
    let response = &all.redelegation_responses[0];
    let redelegation = response.redelegation.as_ref().unwrap();
    assert_eq!(redelegation.delegator_address, three);
    assert_eq!(redelegation.validator_src_address, v1);
    assert_eq!(redelegation.validator_dst_address, v2);
    assert_eq!(response.entries.len(), 1);
    assert_eq!(response.entries[0].balance, M.to_string());
    let entry = response.entries[0].redelegation_entry.as_ref().unwrap();
    assert_eq!(entry.initial_balance, M.to_string());
    assert_eq!(entry.creation_height, 2);

    let from_v1 = redelegations(&machine, &state, &three, &v1, "").unwrap();
    assert_eq!(from_v1.redelegation_responses, all.redelegation_responses);
    let one = redelegations(&machine, &state, &three, &v1, &v2).unwrap();
    assert_eq!(one.redelegation_responses, all.redelegation_responses);
    let from_v2 = redelegations(&machine, &state, &three, &v2, "").unwrap();
    assert!(from_v2.redelegation_responses.is_empty());
    let none = redelegations(&machine, &state, &three, &v2, &v1).unwrap_err();
    assert_eq!(none.code, StatusCode::NotFound);
    let four = redelegations(&machine, &state, &addr(4).to_bech32(), "", "").unwrap();
    assert!(four.redelegation_responses.is_empty());

    for (delegator, src, dst) in [("", v1.as_str(), ""), (three.as_str(), "", v2.as_str())] {
        let refused = redelegations(&machine, &state, delegator, src, dst).unwrap_err();
        assert_eq!(
            refused.code,
            StatusCode::InvalidArgument,
            "{}",
            refused.message
        );
    }
}

#[test]
fn distribution_answers_nothing_to_withdraw_for_what_exists_only() {
    let (machine, state) = chain();
    let (three, v1, v2) = (
        addr(3).to_bech32(),
        addr(1).to_valoper(),
        addr(2).to_valoper(),
    );
    let validators: distribution::QueryDelegatorValidatorsResponse = ask(
        &machine,
        &state,
        "/cosmos.distribution.v1beta1.Query/DelegatorValidators",
        distribution::QueryDelegatorValidatorsRequest {
            delegator_address: three.clone(),
        },
    )
    .unwrap();
    let mut expected = vec![v1.clone(), v2.clone()];
    expected.sort_by_key(|v| Address::from_valoper(v).unwrap().as_bytes().to_vec());
    assert_eq!(validators.validators, expected);

    let rewards: distribution::QueryDelegationRewardsResponse = ask(
        &machine,
        &state,
        "/cosmos.distribution.v1beta1.Query/DelegationRewards",
        distribution::QueryDelegationRewardsRequest {
            delegator_address: three.clone(),
            validator_address: v2.clone(),
        },
    )
    .unwrap();
    assert!(rewards.rewards.is_empty());
    let no_delegation = ask::<distribution::QueryDelegationRewardsResponse>(
        &machine,
        &state,
        "/cosmos.distribution.v1beta1.Query/DelegationRewards",
        distribution::QueryDelegationRewardsRequest {
            delegator_address: addr(6).to_bech32(),
            validator_address: v1.clone(),
        },
    )
    .unwrap_err();
    assert_eq!(no_delegation.code, StatusCode::NotFound);

    let commission: distribution::QueryValidatorCommissionResponse = ask(
        &machine,
        &state,
        "/cosmos.distribution.v1beta1.Query/ValidatorCommission",
        distribution::QueryValidatorCommissionRequest {
            validator_address: v1.clone(),
        },
    )
    .unwrap();
    assert!(commission.commission.unwrap().commission.is_empty());
    let unknown = ask::<distribution::QueryValidatorOutstandingRewardsResponse>(
        &machine,
        &state,
        "/cosmos.distribution.v1beta1.Query/ValidatorOutstandingRewards",
        distribution::QueryValidatorOutstandingRewardsRequest {
            validator_address: addr(6).to_valoper(),
        },
    )
    .unwrap_err();
    assert_eq!(unknown.code, StatusCode::NotFound);

    let info: distribution::QueryValidatorDistributionInfoResponse = ask(
        &machine,
        &state,
        "/cosmos.distribution.v1beta1.Query/ValidatorDistributionInfo",
        distribution::QueryValidatorDistributionInfoRequest {
            validator_address: v1,
        },
    )
    .unwrap();
    assert_eq!(info.operator_address, addr(1).to_bech32());

    let withdraw: distribution::QueryDelegatorWithdrawAddressResponse = ask(
        &machine,
        &state,
        "/cosmos.distribution.v1beta1.Query/DelegatorWithdrawAddress",
        distribution::QueryDelegatorWithdrawAddressRequest {
            delegator_address: three.clone(),
        },
    )
    .unwrap();
    assert_eq!(withdraw.withdraw_address, three);

    let params: distribution::QueryParamsResponse = ask(
        &machine,
        &state,
        "/cosmos.distribution.v1beta1.Query/Params",
        distribution::QueryParamsRequest {},
    )
    .unwrap();
    let params = params.params.unwrap();
    assert_eq!(params.community_tax, "0");
    assert!(!params.withdraw_addr_enabled);
    let pool: distribution::QueryCommunityPoolResponse = ask(
        &machine,
        &state,
        "/cosmos.distribution.v1beta1.Query/CommunityPool",
        distribution::QueryCommunityPoolRequest {},
    )
    .unwrap();
    assert!(pool.pool.is_empty());
}
