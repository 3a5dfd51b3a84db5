//! The recommender's ports, answered by tracking, gamification, the brake, the library
//! and identity.

pub mod admins;
pub mod brake;
pub mod gamification;
pub mod nutrition;
pub mod plans;
