//! Web push: schedule.
