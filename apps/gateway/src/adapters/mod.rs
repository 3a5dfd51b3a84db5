//! Ports one domain declares, adapted from another domain by the gateway (the only crate
//! that sees both).

pub mod for_brake;
pub mod for_integrations;
pub mod for_recommender;
pub mod plans_for_gamification;
