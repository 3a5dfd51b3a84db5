//! Gamification rules (in progress).
