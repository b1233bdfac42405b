//! User and room names.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;
use std::sync::Arc;

use thiserror::Error;

use crate::room::words::cut;

/// A user or room name: 1 to [`Name::MAX_LEN`] characters of
/// `A-Z a-z 0-9 _ -`. Ordered as strings (byte-wise), which is the order of
/// the `ul` and `rl` lists. Shared, not copied, when cloned: the server
/// hands the same names to many events and notifications.
///
/// ```
/// use sockwire::room::Name;
/// assert_eq!(Name::new("bob_2")?.as_str(), "bob_2");
/// assert!(Name::new("no spaces").is_err());
/// assert!(Name::new("").is_err());
/// # Ok::<(), sockwire::room::BadName>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<str>);

/// The error for a string that is not a valid [`Name`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not a valid name (1 to 32 of A-Z a-z 0-9 _ -)")]
pub struct BadName(pub String);

impl Name {
    /// Longest name, in characters (all ASCII, so also bytes).
    pub const MAX_LEN: usize = 32;

    /// Validates `name`.
    ///
    /// # Errors
    ///
    /// [`BadName`] if it is empty, longer than 32 characters, or holds a
    /// character outside `A-Z a-z 0-9 _ -`.
    pub fn new(name: &str) -> Result<Self, BadName> {
        if Self::is_valid(name) {
            Ok(Name(Arc::from(name)))
        } else {
            Err(BadName(cut(name, 40)))
        }
    }

    /// Whether `name` is a valid name.
    #[must_use]
    pub fn is_valid(name: &str) -> bool {
        (1..=Self::MAX_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    /// The name as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Name {
    type Err = BadName;
    fn from_str(s: &str) -> Result<Self, BadName> {
        Name::new(s)
    }
}

impl TryFrom<&str> for Name {
    type Error = BadName;
    fn try_from(s: &str) -> Result<Self, BadName> {
        Name::new(s)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}
