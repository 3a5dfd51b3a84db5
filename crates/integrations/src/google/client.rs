//! TODO(google helper)
