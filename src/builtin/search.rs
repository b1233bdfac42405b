//! The §6 search service: the server's answer to each request.

use bytes::Bytes;

use crate::ContentError;
use crate::app::{AppMessage, AppRequest, AppResponse};

/// The search table: VALUE and its ANSWER.
const TABLE: [(&str, &str); 3] = [
    ("morpheus", "Follow the white rabbit. 🐰"),
    ("ring", "In the caves beneath the Misty Mountains. 💍"),
    ("🐶", "🐾 Playing ball! 🏐"),
];

/// The §6 server's answer policy, sans-IO: one reply per
/// request, in order.
///
/// - `text/json`, action `search`: `{"result": ANSWER}` from the table, or
///   `No match for 'VALUE'.`;
/// - `text/json`, any other action: `Error: invalid action 'ACTION'.`;
/// - binary: [`AppResponse::BINARY_CONTENT_TYPE`](crate::app::AppResponse::BINARY_CONTENT_TYPE) content
///   `First 10 bytes of request: ` and the request's first 10 bytes (an
///   empty request gets a reply too).
///
/// A server hosts it with a [`ServerCodec`](crate::app::ServerCodec): decode a
/// request, `respond`, encode the reply.
///
/// ```
/// use sockwire::app::{AppRequest, AppResponse};
/// use sockwire::builtin::SearchService;
/// let mut service = SearchService::new();
/// assert_eq!(
///     service.respond(&AppRequest::new("search", "ring")),
///     AppResponse::json("In the caves beneath the Misty Mountains. 💍")
/// );
/// assert_eq!(
///     service.respond(&AppRequest::new("search", "neo")),
///     AppResponse::json("No match for 'neo'.")
/// );
/// assert_eq!(
///     service.respond(&AppRequest::json("find", "neo")),
///     AppResponse::json("Error: invalid action 'find'.")
/// );
/// assert_eq!(
///     service.respond(&AppRequest::new("double", "0123456789abc")),
///     AppResponse::binary(&b"First 10 bytes of request: double0123"[..])
/// );
/// assert_eq!(service.answered(), 4);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchService {
    answered: u64,
}

impl SearchService {
    /// What a binary reply starts with.
    pub const BINARY_REPLY_PREFIX: &'static [u8] = b"First 10 bytes of request: ";

    /// How many bytes of a binary request the reply quotes.
    pub const BINARY_QUOTE_LEN: usize = 10;

    /// A fresh service.
    #[must_use]
    pub const fn new() -> Self {
        SearchService { answered: 0 }
    }

    /// The reply to `request`.
    pub fn respond(&mut self, request: &AppRequest) -> AppResponse {
        self.answered += 1;
        match request {
            AppRequest::Json { action, value } if action == "search" => match Self::lookup(value) {
                Some(answer) => AppResponse::json(answer),
                None => AppResponse::json(format!("No match for '{value}'.")),
            },
            AppRequest::Json { action, .. } => {
                AppResponse::json(format!("Error: invalid action '{action}'."))
            }
            AppRequest::Binary { content, .. } => {
                let quote = content.slice(..content.len().min(Self::BINARY_QUOTE_LEN));
                let mut reply = Vec::with_capacity(Self::BINARY_REPLY_PREFIX.len() + quote.len());
                reply.extend_from_slice(Self::BINARY_REPLY_PREFIX);
                reply.extend_from_slice(&quote);
                AppResponse::binary(Bytes::from(reply))
            }
        }
    }

    /// The reply message to a request message, for servers that frame
    /// with [`AppCodec`](crate::app::AppCodec) rather than
    /// [`ServerCodec`](crate::app::ServerCodec). The reply has the native byte
    /// order.
    ///
    /// # Errors
    ///
    /// A [`ContentError`] if the request's `text/json` content is not a
    /// valid request; the server should close the connection.
    ///
    /// ```
    /// use sockwire::app::AppRequest;
    /// use sockwire::builtin::SearchService;
    /// let request = AppRequest::new("search", "🐶").to_message();
    /// let reply = SearchService::new().respond_message(&request)?;
    /// assert_eq!(&reply.content()[..], r#"{"result": "🐾 Playing ball! 🏐"}"#.as_bytes());
    /// # Ok::<(), sockwire::ContentError>(())
    /// ```
    pub fn respond_message(&mut self, request: &AppMessage) -> Result<AppMessage, ContentError> {
        let request = AppRequest::from_message(request)?;
        Ok(self.respond(&request).to_message())
    }

    /// How many requests this service has answered.
    #[must_use]
    pub const fn answered(&self) -> u64 {
        self.answered
    }

    /// The table's answer for a search `value`, if it has one.
    ///
    /// ```
    /// use sockwire::builtin::SearchService;
    /// assert_eq!(SearchService::lookup("🐶"), Some("🐾 Playing ball! 🏐"));
    /// assert_eq!(SearchService::lookup("Morpheus"), None);
    /// ```
    #[must_use]
    pub fn lookup(value: &str) -> Option<&'static str> {
        TABLE
            .iter()
            .find(|(key, _)| *key == value)
            .map(|(_, answer)| *answer)
    }
}
