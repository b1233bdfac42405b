//! What a person types: a line read as a [`Command`], and why one cannot
//! be sent ([`ClientError`]).

use thiserror::Error;

use super::wire::{Name, Request};

/// A command for the client: what a person types, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Send a request to the server.
    Request(Request),
    /// `$msg USER TEXT`: a private message to a poked user.
    Private {
        /// The recipient.
        to: Name,
        /// The text.
        text: String,
    },
    /// `$quit`: unregister (`by`) and close.
    Quit,
}

impl Command {
    /// Reads a line a person typed:
    ///
    /// | line | command |
    /// |---|---|
    /// | `$userlist` | `ul` |
    /// | `$roomlist` | `rl` |
    /// | `$roomcreate NAME` | `rc NAME` |
    /// | `$roomjoin NAME` | `rj NAME` |
    /// | `$roomleave` | `rk` |
    /// | `$poke USER` | `ar USER` |
    /// | `$kick` | `kk` |
    /// | `$quit` | `by`, then close |
    /// | `$msg USER TEXT` | `pm` to USER |
    /// | anything else | `ms LINE` |
    ///
    /// A trailing CR or LF is ignored. Any line that is not one of the
    /// commands above, including an unknown `$word`, is said in the room.
    ///
    /// ```
    /// use sockwire::room::{Command, Request};
    /// assert_eq!(Command::parse_line("$roomlist")?, Command::Request(Request::RoomList));
    /// assert_eq!(Command::parse_line("hi all")?, Command::Request(Request::Say("hi all".into())));
    /// assert!(Command::parse_line("$roomjoin").is_err());
    /// # Ok::<(), sockwire::room::ClientError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ClientError::BadCommand`] for a known command with a missing,
    /// extra or invalid argument.
    pub fn parse_line(line: &str) -> Result<Command, ClientError> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (word, rest) = match line.split_once(' ') {
            Some((w, r)) => (w, Some(r)),
            None => (line, None),
        };
        let bad = |reason: &str| ClientError::BadCommand {
            command: word.to_owned(),
            reason: reason.to_owned(),
        };
        let no_arg = |request: Request| match rest {
            None => Ok(Command::Request(request)),
            Some(_) => Err(bad("takes no argument")),
        };
        let name = |what: &str| {
            let arg = rest.ok_or_else(|| bad(&format!("needs a {what} name")))?;
            Name::new(arg).map_err(|e| bad(&e.to_string()))
        };
        match word {
            "$userlist" => no_arg(Request::UserList),
            "$roomlist" => no_arg(Request::RoomList),
            "$roomleave" => no_arg(Request::LeaveRoom),
            "$kick" => no_arg(Request::Kick),
            "$quit" => match rest {
                None => Ok(Command::Quit),
                Some(_) => Err(bad("takes no argument")),
            },
            "$roomcreate" => Ok(Command::Request(Request::CreateRoom(name("room")?))),
            "$roomjoin" => Ok(Command::Request(Request::JoinRoom(name("room")?))),
            "$poke" => Ok(Command::Request(Request::Poke(name("user")?))),
            "$msg" => {
                let (user, text) = rest
                    .and_then(|r| r.split_once(' '))
                    .ok_or_else(|| bad("needs a user and a text"))?;
                let to = Name::new(user).map_err(|e| bad(&e.to_string()))?;
                Ok(Command::Private {
                    to,
                    text: text.to_owned(),
                })
            }
            _ => Ok(Command::Request(Request::Say(line.to_owned()))),
        }
    }
}

/// Why a command could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A `$` command with a missing, extra or invalid argument.
    #[error("{command}: {reason}")]
    BadCommand {
        /// The command word.
        command: String,
        /// What is wrong.
        reason: String,
    },
    /// `$msg` to a user whose address no `pa` has told.
    #[error("no address for {user}: $poke them first")]
    NotPoked {
        /// The user.
        user: Name,
    },
    /// The datagram would be longer than 4,096 bytes.
    #[error("message too long: {size} bytes, the limit is {max}")]
    TooLong {
        /// The datagram's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Too many requests await a reply.
    #[error("{max} requests already await a reply")]
    TooManyPending {
        /// The limit.
        max: usize,
    },
    /// The client has quit.
    #[error("the client has quit")]
    Closed,
}

/// The error for an encoder's refusal: the datagram would be too long.
pub(crate) fn too_long(e: crate::EncodeError) -> ClientError {
    match e {
        crate::EncodeError::TooLarge { size, max } => ClientError::TooLong {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            max: usize::try_from(max).unwrap_or(usize::MAX),
        },
        other => ClientError::BadCommand {
            command: "send".into(),
            reason: other.to_string(),
        },
    }
}
