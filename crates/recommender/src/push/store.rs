//! Web push: store.
