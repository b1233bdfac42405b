//! A cursor over the space-separated fields of a datagram after its tag.

use std::net::SocketAddr;

use super::{Name, WireError, parse_tag};
use crate::room::words::cut;

/// The error for an op this direction does not know.
pub(crate) fn unknown(op: &str) -> WireError {
    WireError::UnknownOp { op: cut(op, 16) }
}

/// A cursor over the space-separated fields after the tag.
pub(crate) struct Fields<'a> {
    pub(crate) op: &'a str,
    /// What follows the op (and the space after it); `None` at the end.
    rest: Option<&'a str>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(body: &'a str) -> Result<Self, WireError> {
        let (op, rest) = match body.split_once(' ') {
            Some((op, rest)) => (op, Some(rest)),
            None => (body, None),
        };
        if op.is_empty() {
            return Err(WireError::MissingOp);
        }
        Ok(Fields { op, rest })
    }

    /// The next space-delimited field.
    pub(crate) fn field(
        &mut self,
        op: &'static str,
        field: &'static str,
    ) -> Result<&'a str, WireError> {
        let rest = self.rest.ok_or(WireError::MissingArgument { op, field })?;
        let (value, rest) = match rest.split_once(' ') {
            Some((value, rest)) => (value, Some(rest)),
            None => (rest, None),
        };
        if value.is_empty() {
            return Err(WireError::MissingArgument { op, field });
        }
        self.rest = rest;
        Ok(value)
    }

    pub(crate) fn name(
        &mut self,
        op: &'static str,
        field: &'static str,
    ) -> Result<Name, WireError> {
        let value = self.field(op, field)?;
        Name::new(value).map_err(|e| WireError::BadName { op, name: e.0 })
    }

    /// Every remaining field as a name.
    pub(crate) fn names(&mut self, op: &'static str) -> Result<Vec<Name>, WireError> {
        let mut names = Vec::new();
        while self.rest.is_some() {
            names.push(self.name(op, "name")?);
        }
        Ok(names)
    }

    /// A canonical decimal `u32` above 0.
    pub(crate) fn count(&mut self, op: &'static str) -> Result<u32, WireError> {
        let value = self.field(op, "count")?;
        parse_tag(value.as_bytes())
            .filter(|&n| n > 0)
            .ok_or_else(|| WireError::BadCount {
                op,
                field: cut(value, 16),
            })
    }

    pub(crate) fn addr(&mut self, op: &'static str) -> Result<SocketAddr, WireError> {
        let value = self.field(op, "address")?;
        let bad = || WireError::BadAddress {
            op,
            field: cut(value, 60),
        };
        let addr: SocketAddr = value.parse().map_err(|_| bad())?;
        // Only the canonical form (`[::]:5006`, not `[::0]:5006`), so that
        // every accepted datagram formats back to the same bytes.
        if addr.to_string() != value {
            return Err(bad());
        }
        Ok(addr)
    }

    /// The rest of the datagram, spaces kept (empty if none).
    pub(crate) fn text(&mut self) -> String {
        // no text at all reads as an empty one (the documented leniency)
        self.rest.take().map_or_else(String::new, str::to_owned)
    }

    pub(crate) fn optional_text(&mut self) -> Option<String> {
        self.rest.take().map(str::to_owned)
    }

    pub(crate) fn finish(&self, op: &'static str) -> Result<(), WireError> {
        match self.rest {
            None => Ok(()),
            Some(_) => Err(WireError::UnexpectedArgument { op }),
        }
    }
}

/// The request's name argument that failed validation, for the server's
/// choice of error code.
pub(crate) fn bad_name_op(err: &WireError) -> Option<&'static str> {
    match err {
        WireError::BadName { op, .. } => Some(op),
        _ => None,
    }
}
