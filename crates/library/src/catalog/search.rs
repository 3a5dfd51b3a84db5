//! Search ranking: pure, the same on both dialects (ADR 0015).
