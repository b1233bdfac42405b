//! The one setter style of every config: `with_<field>(self, value) -> Self`.

/// Writes a consuming setter for each listed field of a config struct, so a
/// config is built in one expression, with no `.clone()`:
/// `ServerConfig::default().with_max_users(10).with_max_rooms(5)`.
///
/// Each setter is listed with its doc, which says what the field means and
/// states its default, once; the field's own doc links to the setter.
///
/// ```text
/// config_setters!(ServerConfig {
///     /// Most registered users. Default: 1,024.
///     with_max_users => max_users: usize,
/// });
/// ```
macro_rules! config_setters {
    ($config:ty { $( $(#[doc = $doc:expr])* $setter:ident => $field:ident: $ty:ty, )* }) => {
        impl $config {
            $(
                $(#[doc = $doc])*
                #[must_use]
                pub fn $setter(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}
pub(crate) use config_setters;
