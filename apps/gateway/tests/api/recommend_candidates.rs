//! Candidates from real domain data through the gateway's ports.
