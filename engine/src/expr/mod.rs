//! The JUEL subset. Being written.
