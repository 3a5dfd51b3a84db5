//! Gamification: a 30-day story (in progress).
