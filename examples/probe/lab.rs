//! §8 server-mode cases.

use super::case::Section;

/// Every §8 case.
pub fn cases() -> Section {
    Section::new(8)
}
