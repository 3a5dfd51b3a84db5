//! TODO(ics helper)
