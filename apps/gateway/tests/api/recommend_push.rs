//! Web push: subscriptions, schedules, decision points delivered to a fake push service that decrypts.
