//! (written by its helper)
