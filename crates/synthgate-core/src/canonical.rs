//! JSON for bytes that are hashed, signed or kept as a record, failing closed.
//!
//! `serde_json` writes a NaN or an infinity as `null` without complaint, so a digest or a
//! signature made over its output can silently cover a value other than the one in memory.
//! [`to_json`] and [`to_json_pretty`] first walk the value with a serializer that only looks at
//! numbers and refuses any non-finite one, naming where it sits, then serialise it; every other
//! serialisation failure is an error too, never empty bytes.

use serde::Serialize;
use serde::ser::{self, Impossible};

use crate::{Error, Result};

/// Compact JSON of `value` (the canonical form that is hashed and signed), or an internal error
/// naming `what` when it holds a NaN or an infinity or cannot be serialised.
pub fn to_json<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<Vec<u8>> {
    check_finite(value, what)?;
    serde_json::to_vec(value)
        .map_err(|error| Error::internal(format!("{what} could not be serialised: {error}")))
}

/// Pretty JSON of `value` with a final newline (files people read), failing as [`to_json`].
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<Vec<u8>> {
    check_finite(value, what)?;
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|error| Error::internal(format!("{what} could not be serialised: {error}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// One compact JSON line of `value` with its newline, failing as [`to_json`].
pub fn to_json_line<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<String> {
    let mut bytes = to_json(value, what)?;
    bytes.push(b'\n');
    String::from_utf8(bytes)
        .map_err(|_| Error::internal(format!("{what} serialised to bytes that are not UTF-8")))
}

/// An error unless every number inside `value` is finite.
pub fn check_finite<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<()> {
    let mut path = Vec::new();
    value
        .serialize(&mut Finder { path: &mut path })
        .map_err(|error| {
            Error::internal(format!(
                "{what} holds {} at {}; it would be written as null, so it is not written at all",
                error.found,
                if error.at.is_empty() {
                    "its top level".to_string()
                } else {
                    error.at
                }
            ))
        })
}

#[derive(Debug)]
struct NonFinite {
    found: String,
    at: String,
}

impl std::fmt::Display for NonFinite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}", self.found, self.at)
    }
}

impl std::error::Error for NonFinite {}

impl ser::Error for NonFinite {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        NonFinite {
            found: format!("an unserialisable value ({message})"),
            at: String::new(),
        }
    }
}

/// Walks a value; fails on the first non-finite float with its path.
struct Finder<'a> {
    path: &'a mut Vec<String>,
}

impl Finder<'_> {
    fn float(&self, value: f64) -> std::result::Result<(), NonFinite> {
        if value.is_finite() {
            return Ok(());
        }
        Err(NonFinite {
            found: format!("the non-finite number {value}"),
            at: self.path.join("."),
        })
    }

    fn nested<T: Serialize + ?Sized>(
        &mut self,
        key: String,
        value: &T,
    ) -> std::result::Result<(), NonFinite> {
        self.path.push(key);
        let result = value.serialize(&mut Finder { path: self.path });
        self.path.pop();
        result
    }
}

type Done = std::result::Result<(), NonFinite>;

impl<'a, 'b> ser::Serializer for &'a mut Finder<'b> {
    type Ok = ();
    type Error = NonFinite;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, _: bool) -> Done {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Done {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Done {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Done {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Done {
        Ok(())
    }
    fn serialize_i128(self, _: i128) -> Done {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Done {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Done {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Done {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Done {
        Ok(())
    }
    fn serialize_u128(self, _: u128) -> Done {
        Ok(())
    }
    fn serialize_f32(self, value: f32) -> Done {
        self.float(f64::from(value))
    }
    fn serialize_f64(self, value: f64) -> Done {
        self.float(value)
    }
    fn serialize_char(self, _: char) -> Done {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Done {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Done {
        Ok(())
    }
    fn serialize_none(self) -> Done {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Done {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Done {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Done {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Done {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Done {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Done {
        self.nested(variant.to_string(), value)
    }
    fn serialize_seq(self, _: Option<usize>) -> std::result::Result<Compound<'a, 'b>, NonFinite> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple(self, _: usize) -> std::result::Result<Compound<'a, 'b>, NonFinite> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Compound<'a, 'b>, NonFinite> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> std::result::Result<Compound<'a, 'b>, NonFinite> {
        Ok(Compound::variant(self, variant))
    }
    fn serialize_map(self, _: Option<usize>) -> std::result::Result<Compound<'a, 'b>, NonFinite> {
        Ok(Compound::new(self))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Compound<'a, 'b>, NonFinite> {
        Ok(Compound::new(self))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> std::result::Result<Compound<'a, 'b>, NonFinite> {
        Ok(Compound::variant(self, variant))
    }
}

/// A sequence, tuple, map or struct being walked: elements are named by index, fields and
/// string keys by name, an enum variant's fields after the variant's name.
struct Compound<'a, 'b> {
    finder: &'a mut Finder<'b>,
    index: usize,
    key: Option<String>,
    variant: bool,
}

impl<'a, 'b> Compound<'a, 'b> {
    fn new(finder: &'a mut Finder<'b>) -> Self {
        Compound {
            finder,
            index: 0,
            key: None,
            variant: false,
        }
    }

    /// A variant's fields: its name stays on the path until [`Compound::close`] (on an error
    /// the walk stops there, so the path names it).
    fn variant(finder: &'a mut Finder<'b>, name: &str) -> Self {
        finder.path.push(name.to_string());
        Compound {
            finder,
            index: 0,
            key: None,
            variant: true,
        }
    }

    fn close(self) -> Done {
        if self.variant {
            self.finder.path.pop();
        }
        Ok(())
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Done {
        let key = format!("[{}]", self.index);
        self.index += 1;
        self.finder.nested(key, value)
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Done {
        self.element(value)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Done {
        self.element(value)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Done {
        self.element(value)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Done {
        self.element(value)
    }
    fn end(self) -> Done {
        self.close()
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Done {
        // Keys are named by their text form where they have one.
        self.key = Some(key.serialize(KeyName).unwrap_or_else(|_| "?".to_string()));
        key.serialize(&mut *self.finder)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Done {
        let key = self.key.take().unwrap_or_else(|| "?".to_string());
        self.finder.nested(key, value)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Done {
        self.finder.nested(key.to_string(), value)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Done {
        self.finder.nested(key.to_string(), value)
    }
    fn end(self) -> Done {
        self.close()
    }
}

/// The text of a map key that is a string or a number; anything else is unnamed.
struct KeyName;

impl ser::Error for KeyNameError {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        KeyNameError
    }
}

#[derive(Debug)]
struct KeyNameError;

impl std::fmt::Display for KeyNameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a key name")
    }
}

impl std::error::Error for KeyNameError {}

macro_rules! key_number {
    ($($method:ident: $type:ty),*) => {
        $(fn $method(self, value: $type) -> std::result::Result<String, KeyNameError> {
            Ok(value.to_string())
        })*
    };
}

impl ser::Serializer for KeyName {
    type Ok = String;
    type Error = KeyNameError;
    type SerializeSeq = Impossible<String, KeyNameError>;
    type SerializeTuple = Impossible<String, KeyNameError>;
    type SerializeTupleStruct = Impossible<String, KeyNameError>;
    type SerializeTupleVariant = Impossible<String, KeyNameError>;
    type SerializeMap = Impossible<String, KeyNameError>;
    type SerializeStruct = Impossible<String, KeyNameError>;
    type SerializeStructVariant = Impossible<String, KeyNameError>;

    key_number!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_f32: f32, serialize_f64: f64, serialize_char: char, serialize_bool: bool);

    fn serialize_str(self, value: &str) -> std::result::Result<String, KeyNameError> {
        Ok(value.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> std::result::Result<String, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_none(self) -> std::result::Result<String, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_some<T: Serialize + ?Sized>(
        self,
        value: &T,
    ) -> std::result::Result<String, KeyNameError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> std::result::Result<String, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_unit_struct(self, _: &'static str) -> std::result::Result<String, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> std::result::Result<String, KeyNameError> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> std::result::Result<String, KeyNameError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> std::result::Result<String, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_seq(
        self,
        _: Option<usize>,
    ) -> std::result::Result<Self::SerializeSeq, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_tuple(self, _: usize) -> std::result::Result<Self::SerializeTuple, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeTupleStruct, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeTupleVariant, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_map(
        self,
        _: Option<usize>,
    ) -> std::result::Result<Self::SerializeMap, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeStruct, KeyNameError> {
        Err(KeyNameError)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeStructVariant, KeyNameError> {
        Err(KeyNameError)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Serialize)]
    struct Inner {
        values: Vec<f64>,
    }

    #[derive(Serialize)]
    struct Outer {
        name: String,
        inner: Inner,
        map: BTreeMap<String, f32>,
    }

    fn outer(value: f64, mapped: f32) -> Outer {
        Outer {
            name: "x".into(),
            inner: Inner {
                values: vec![1.0, value],
            },
            map: [("k".to_string(), mapped)].into_iter().collect(),
        }
    }

    #[test]
    fn finite_values_serialise_as_serde_json_does() {
        let value = outer(2.5, 1.0);
        assert_eq!(
            to_json(&value, "x").ok(),
            serde_json::to_vec(&value).ok(),
            "the canonical bytes are serde_json's"
        );
    }

    #[test]
    fn non_finite_numbers_are_refused_with_their_place() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let error = to_json(&outer(bad, 1.0), "the manifest").err();
            let message = error.map(|e| e.message().to_string()).unwrap_or_default();
            assert!(message.contains("inner.values.[1]"), "{message}");
            assert!(message.contains("the manifest"), "{message}");
        }
        let message = to_json_pretty(&outer(1.0, f32::NAN), "x")
            .err()
            .map(|e| e.message().to_string())
            .unwrap_or_default();
        assert!(message.contains("map.k"), "{message}");
        // serde_json's own Value cannot hold one, but a json! literal of a NaN becomes null:
        // the check runs on the typed value before that can happen.
        assert!(check_finite(&serde_json::json!({"a": 1.0}), "x").is_ok());
        assert!(to_json_line(&Some(f64::INFINITY), "x").is_err());
    }
}
