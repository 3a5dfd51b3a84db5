//! `rec_signals` and the consent-withdrawal deletes: SQL only.
