//! §7 server-mode cases.

use super::case::Section;

/// Every §7 case.
pub fn cases() -> Section {
    Section::new(7)
}
