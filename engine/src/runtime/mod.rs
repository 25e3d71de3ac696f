//! The interpreter. Being written.
