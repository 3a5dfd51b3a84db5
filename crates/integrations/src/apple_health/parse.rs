//! TODO(apple health helper)
