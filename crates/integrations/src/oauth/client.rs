//! TODO(oauth helper)
