//! Identifiers. The core never invents ids itself: a caller-supplied [`IdSource`] does,
//! so tests are deterministic and the server can choose time-ordered UUIDs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 128-bit identifier, shown as a hyphenated UUID like Camunda's ids.
///
/// Kept as an integer so that the interpreter copies ids instead of allocating strings.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Id(pub u128);

impl Id {
    /// Formats the id as a 36-character hyphenated UUID into a stack buffer.
    pub fn encode(self, buf: &mut [u8; 36]) -> &str {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut n = self.0;
        let mut i = 36;
        let mut digits = 0;
        while i > 0 {
            i -= 1;
            if matches!(i, 8 | 13 | 18 | 23) {
                buf[i] = b'-';
                continue;
            }
            buf[i] = HEX[(n & 0xf) as usize];
            n >>= 4;
            digits += 1;
        }
        debug_assert_eq!(digits, 32);
        // Only ASCII hex digits and hyphens were written.
        std::str::from_utf8(buf).unwrap_or_default()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 36];
        f.write_str(self.encode(&mut buf))
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The text was not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid id")]
pub struct InvalidId(pub String);

impl FromStr for Id {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let bad = || InvalidId(s.chars().take(64).collect());
        if bytes.len() != 36 {
            return Err(bad());
        }
        let mut n: u128 = 0;
        for (i, b) in bytes.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if *b != b'-' {
                    return Err(bad());
                }
                continue;
            }
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(bad()),
            };
            n = (n << 4) | u128::from(d);
        }
        Ok(Id(n))
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 36];
        serializer.serialize_str(self.encode(&mut buf))
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where the interpreter gets new ids from.
pub trait IdSource {
    /// Returns a fresh id, never returned before.
    fn next_id(&mut self) -> Id;
}

/// Ids 1, 2, 3, ... above a fixed prefix: deterministic, for tests and benchmarks.
#[derive(Debug, Clone)]
pub struct SequentialIds {
    next: u128,
}

impl SequentialIds {
    /// Starts at `prefix << 64 | 1`.
    pub fn new(prefix: u64) -> Self {
        SequentialIds {
            next: (u128::from(prefix) << 64) | 1,
        }
    }
}

impl Default for SequentialIds {
    fn default() -> Self {
        Self::new(0)
    }
}

impl IdSource for SequentialIds {
    fn next_id(&mut self) -> Id {
        let id = Id(self.next);
        self.next += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_as_uuids() {
        let id = Id(0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        assert_eq!(id.to_string(), "01234567-89ab-cdef-0011-223344556677");
        assert_eq!("01234567-89AB-cdef-0011-223344556677".parse::<Id>(), Ok(id));
        assert!("01234567-89ab-cdef-0011-22334455667".parse::<Id>().is_err());
        assert!("0123456789ab-cdef-0011-2233-44556677"
            .parse::<Id>()
            .is_err());
    }

    #[test]
    fn sequential_ids_never_repeat() {
        let mut ids = SequentialIds::new(7);
        let a = ids.next_id();
        let b = ids.next_id();
        assert_ne!(a, b);
        assert_eq!(a.to_string(), "00000000-0000-0007-0000-000000000001");
    }
}
