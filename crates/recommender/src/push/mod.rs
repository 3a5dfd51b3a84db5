//! Web push (RFC 8030, VAPID RFC 8292, payload encryption RFC 8291): browsers'
//! subscriptions, each person's decision points (by default five a day, quiet hours
//! respected), and the scheduler that decides at those points and pushes the tip.

pub mod http;
pub mod schedule;
pub mod scheduler;
pub mod service;
pub mod store;
pub mod webpush;

/// Web push settings (`LIFEOS_VAPID_*`).
#[derive(Clone, Default)]
pub struct PushConfig {
    /// The VAPID private key (base64url, 32 raw bytes); `None`: one generated and kept in
    /// the database (fine for one server; set it when running replicas).
    pub vapid_private_key: Option<String>,
    /// The VAPID `sub` claim (`mailto:` or `https:`).
    pub subject: String,
}

impl std::fmt::Debug for PushConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConfig")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}
