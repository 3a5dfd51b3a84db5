//! Web push: webpush.
