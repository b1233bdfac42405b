//! A parser for JSON objects that keeps their keys in order and borrows
//! what holds no escape: how the §6 header and contents are read.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Why [`parse_object`] failed.
#[derive(Debug)]
pub(crate) enum ObjectError {
    InvalidUtf8 { offset: usize },
    InvalidJson(String),
    NotAnObject,
}

/// The value of a key [`parse_object`] was asked for, typed as far as the
/// header and the contents need: a string (borrowing the input unless it
/// holds an escape), a non-negative integer, or anything else.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field<'a> {
    Str(Cow<'a, str>),
    U64(u64),
    Other,
}

/// A JSON object as [`parse_object`] reads it: the values of the keys
/// asked for, in the order asked, and the other entries in the order they
/// came (when kept). A key given twice keeps its first position and its
/// last value, as Python's `dict` does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Object<'a, const N: usize> {
    pub(crate) fields: [Option<Field<'a>>; N],
    pub(crate) extra: Vec<(Cow<'a, str>, Value)>,
}

/// Parses `bytes` as one JSON object (surrounding whitespace allowed),
/// borrowing every key and string value that holds no escape. The values
/// of `keys` are typed as [`Field`]s; other entries are kept as
/// [`Value`]s if `keep_extra`, or checked and skipped (nothing allocated).
///
/// Only the first of many equal keys is searched for linearly: past
/// [`INDEX_EXTRA`] extra keys an index finds repeats, so an adversarial
/// header of thousands of keys costs no more than building the index.
pub(crate) fn parse_object<'a, const N: usize>(
    bytes: &'a [u8],
    keys: &[&str; N],
    keep_extra: bool,
) -> Result<Object<'a, N>, ObjectError> {
    // `simdutf8` for speed; the standard library's check names the offset.
    let text = match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => std::str::from_utf8(bytes).map_err(|e| ObjectError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = ObjectSeed { keys, keep_extra };
    let parsed = seed
        .deserialize(&mut de)
        .and_then(|object| de.end().map(|()| object))
        .map_err(|e| ObjectError::InvalidJson(e.to_string()))?;
    parsed.ok_or(ObjectError::NotAnObject)
}

/// Extra keys searched linearly for a repeat; more get an index.
const INDEX_EXTRA: usize = 16;

/// Reads any JSON value: `Some` object, `None` for anything else.
struct ObjectSeed<'k, const N: usize> {
    keys: &'k [&'k str; N],
    keep_extra: bool,
}

impl<'de, const N: usize> DeserializeSeed<'de> for ObjectSeed<'_, N> {
    type Value = Option<Object<'de, N>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for ObjectSeed<'_, N> {
    type Value = Option<Object<'de, N>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip::drain_seq(seq).map(|_| None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields: [Option<Field<'de>>; N] = std::array::from_fn(|_| None);
        let mut extra: Vec<(Cow<'de, str>, Value)> = Vec::new();
        let mut index: Option<HashMap<Cow<'de, str>, usize>> = None;
        while let Some(Key(key)) = map.next_key()? {
            if let Some(slot) = self
                .keys
                .iter()
                .position(|k| *k == key)
                .and_then(|i| fields.get_mut(i))
            {
                *slot = Some(map.next_value()?);
                continue;
            }
            if !self.keep_extra {
                map.next_value::<Skip>()?;
                continue;
            }
            let value: Value = map.next_value()?;
            let seen = match &index {
                Some(index) => index.get(&key).copied(),
                None => extra.iter().position(|(k, _)| *k == key),
            };
            if let Some(entry) = seen.and_then(|i| extra.get_mut(i)) {
                entry.1 = value;
                continue;
            }
            if let Some(index) = &mut index {
                index.insert(key.clone(), extra.len());
            }
            extra.push((key, value));
            if index.is_none() && extra.len() > INDEX_EXTRA {
                let built = extra
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect();
                index = Some(built);
            }
        }
        Ok(Some(Object { fields, extra }))
    }
}

/// An object key, borrowing the input unless it holds an escape.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(StrVisitor).map(Key)
    }
}

/// A string, borrowed when the deserializer can lend it.
struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(s)))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Field::U64(n))
    }

    // What `serde_json::Value::as_u64` accepts: any integer that fits.
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(n).map_or(Field::Other, Field::U64))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip::drain_seq(seq).map(|_| Field::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Skip::drain_map(map).map(|_| Field::Other)
    }
}

/// Any JSON value, read and dropped. Unlike [`IgnoredAny`] it reads
/// numbers as a [`Value`] does (`1e400` is out of range), so skipping a
/// value accepts exactly what parsing it would.
struct Skip;

impl Skip {
    fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Skip, A::Error> {
        while map.next_key::<Key<'de>>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Skip, A::Error> {
        Skip::drain_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Skip, A::Error> {
        Skip::drain_map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extra(bytes: &[u8]) -> Vec<(Cow<'_, str>, Value)> {
        parse_object(bytes, &[], true).unwrap().extra
    }

    #[test]
    fn parse_object_keeps_order_and_python_duplicate_rule() {
        assert_eq!(
            extra(br#" {"b": 1, "a": 2, "b": 3} "#),
            vec![("b".into(), Value::from(3)), ("a".into(), Value::from(2))]
        );
        // An escaped key is the same key as its plain spelling.
        assert_eq!(
            extra(br#"{"a": 1, "\u0061": 2}"#),
            vec![("a".into(), Value::from(2))]
        );
    }

    #[test]
    fn parse_object_indexes_many_extra_keys_with_the_same_rule() {
        let mut json = String::from("{");
        for i in 0..40 {
            json.push_str(&format!("\"k{i}\": {i}, "));
        }
        json.push_str("\"k3\": \"last\", \"k39\": null, \"k40\": 40}");
        let entries = extra(json.as_bytes());
        assert_eq!(entries.len(), 41);
        assert_eq!(entries[3], ("k3".into(), Value::from("last")));
        assert_eq!(entries[39], ("k39".into(), Value::Null));
        assert_eq!(entries[40], ("k40".into(), Value::from(40)));
        let keys: Vec<String> = entries.iter().map(|(k, _)| k.to_string()).collect();
        let expected: Vec<String> = (0..=40).map(|i| format!("k{i}")).collect();
        assert_eq!(keys, expected);
    }

    #[test]
    fn parse_object_types_the_keys_asked_for_last_value_wins() {
        let object = parse_object(
            br#"{"s": "plain", "e": "t\u00e9", "n": 7, "m": -1, "f": 1.0, "x": [1], "n": 8}"#,
            &["s", "e", "n", "m", "f", "x", "absent"],
            false,
        )
        .unwrap();
        assert!(matches!(
            &object.fields[0],
            Some(Field::Str(Cow::Borrowed("plain")))
        ));
        assert!(matches!(&object.fields[1], Some(Field::Str(Cow::Owned(s))) if s == "té"));
        assert_eq!(object.fields[2], Some(Field::U64(8)));
        assert_eq!(object.fields[3], Some(Field::Other));
        assert_eq!(object.fields[4], Some(Field::Other));
        assert_eq!(object.fields[5], Some(Field::Other));
        assert_eq!(object.fields[6], None);
        assert!(object.extra.is_empty());
    }

    #[test]
    fn skipped_values_are_checked_as_values_are() {
        // Out of range as a `Value` is out of range skipped, too.
        for keep in [true, false] {
            assert!(matches!(
                parse_object(br#"{"x": 1e400}"#, &["a"], keep),
                Err(ObjectError::InvalidJson(_))
            ));
            assert!(matches!(
                parse_object(br#"{"x": [{"y": [1e400]}]}"#, &["a"], keep),
                Err(ObjectError::InvalidJson(_))
            ));
        }
        assert!(matches!(
            parse_object(br#"{"a": {"y": 1e400}}"#, &["a"], false),
            Err(ObjectError::InvalidJson(_))
        ));
    }

    #[test]
    fn parse_object_rejects_non_objects_and_bad_json() {
        // (input, whether it is JSON: then it is not an object)
        let cases: [(&[u8], bool); 13] = [
            (b"[1, {}]", true),
            (b"1", true),
            (b"-1", true),
            (b"1.5", true),
            (b"\"x\"", true),
            (b"null", true),
            (b"true", true),
            (b"{", false),
            (b"{} x", false),
            (b"", false),
            (b"{'a': 1}", false),
            (b"{\"a\" 1}", false),
            (b"[1e400]", false),
        ];
        for (input, is_json) in cases {
            let got = parse_object(input, &["a"], true);
            let as_expected = match got {
                Err(ObjectError::NotAnObject) => is_json,
                Err(ObjectError::InvalidJson(_)) => !is_json,
                _ => false,
            };
            assert!(as_expected, "{input:?}: {got:?}");
        }
        assert!(matches!(
            parse_object(b"{\"a\xff\": 1}", &["a"], true),
            Err(ObjectError::InvalidUtf8 { offset: 3 })
        ));
    }
}
