//! The serde bridge: typed divex structures (records, consents, certificates) ⇄ [`Value`],
//! always through the strict codec.

use super::decode::{DecodeLimits, decode_with};
use super::encode::encode;
use super::value::{CodecError, Integer, Map, Value};

fn sanitize_serde_message(msg: &str) -> String {
    // serde messages such as "invalid type: string \"...\"" can quote the data itself; keep
    // only the messages that name a field.
    for prefix in [
        "missing field",
        "unknown field",
        "duplicate field",
        "unknown variant",
    ] {
        if let Some(pos) = msg.find(prefix) {
            let rest = msg.get(pos..).unwrap_or(prefix);
            let end = rest.find(", expected").unwrap_or(rest.len());
            return rest.get(..end).unwrap_or(prefix).to_owned();
        }
    }
    "a field has the wrong type or an invalid value".to_owned()
}

fn from_ciborium(v: ciborium::Value) -> Result<Value, CodecError> {
    Ok(match v {
        ciborium::Value::Integer(i) => Value::Integer(Integer::try_from(i128::from(i))?),
        ciborium::Value::Bytes(b) => Value::Bytes(b),
        ciborium::Value::Text(t) => Value::Text(t),
        ciborium::Value::Bool(b) => Value::Bool(b),
        ciborium::Value::Null => Value::Null,
        ciborium::Value::Tag(t, inner) => Value::Tag(t, Box::new(from_ciborium(*inner)?)),
        ciborium::Value::Array(a) => {
            Value::Array(a.into_iter().map(from_ciborium).collect::<Result<_, _>>()?)
        }
        ciborium::Value::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(from_ciborium(k)?, from_ciborium(v)?)?;
            }
            Value::Map(m)
        }
        ciborium::Value::Float(_) => {
            return Err(CodecError::Schema(
                "floating-point numbers are not used by divex".into(),
            ));
        }
        _ => return Err(CodecError::Schema("unsupported CBOR item".into())),
    })
}

fn to_ciborium(v: &Value) -> ciborium::Value {
    match v {
        Value::Integer(i) => match ciborium::value::Integer::try_from(i.get()) {
            Ok(i) => ciborium::Value::Integer(i),
            // Integer's range is exactly CBOR's, which ciborium's covers.
            Err(_) => ciborium::Value::Null,
        },
        Value::Bytes(b) => ciborium::Value::Bytes(b.clone()),
        Value::Text(t) => ciborium::Value::Text(t.clone()),
        Value::Array(a) => ciborium::Value::Array(a.iter().map(to_ciborium).collect()),
        Value::Map(m) => ciborium::Value::Map(
            m.iter()
                .map(|(k, v)| (to_ciborium(k), to_ciborium(v)))
                .collect(),
        ),
        Value::Tag(t, inner) => ciborium::Value::Tag(*t, Box::new(to_ciborium(inner))),
        Value::Bool(b) => ciborium::Value::Bool(*b),
        Value::Null => ciborium::Value::Null,
    }
}

/// A typed value as a [`Value`] (map keys then sort deterministically).
pub fn to_value<T: serde::Serialize + ?Sized>(t: &T) -> Result<Value, CodecError> {
    let v = ciborium::Value::serialized(t)
        .map_err(|e| CodecError::Schema(sanitize_serde_message(&e.to_string())))?;
    from_ciborium(v)
}

/// A typed value from a [`Value`].
pub fn from_value<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, CodecError> {
    to_ciborium(v)
        .deserialized()
        .map_err(|e| CodecError::Schema(sanitize_serde_message(&e.to_string())))
}

/// The strict deterministic encoding of a typed value.
pub fn to_vec<T: serde::Serialize + ?Sized>(t: &T) -> Result<Vec<u8>, CodecError> {
    Ok(encode(&to_value(t)?))
}

/// Decodes a typed value strictly: the bytes must be strict CBOR, match the schema, and be
/// exactly the bytes [`to_vec`] produces for the result.
pub fn from_slice_with<T>(bytes: &[u8], limits: &DecodeLimits) -> Result<T, CodecError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let v = decode_with(bytes, limits)?;
    let t: T = from_value(&v)?;
    if to_value(&t)? != v {
        return Err(CodecError::NotCanonical);
    }
    Ok(t)
}

/// [`from_slice_with`] under [`DecodeLimits::DEFAULT`].
pub fn from_slice<T>(bytes: &[u8]) -> Result<T, CodecError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    from_slice_with(bytes, &DecodeLimits::DEFAULT)
}

/// serde helpers for fixed-size byte arrays as CBOR byte strings (`#[serde(with = ...)]`).
pub mod bytes_array {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises `[u8; N]` as a byte string.
    pub fn serialize<S: Serializer, const N: usize>(b: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }

    /// Deserialises a byte string of exactly `N` bytes.
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let v = ciborium::Value::deserialize(d)?;
        match v {
            ciborium::Value::Bytes(b) => b
                .try_into()
                .map_err(|_| serde::de::Error::custom("byte string has the wrong length")),
            _ => Err(serde::de::Error::custom("expected a byte string")),
        }
    }
}

/// serde helpers for `Vec<u8>` as a CBOR byte string.
pub mod bytes_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises bytes as a byte string.
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }

    /// Deserialises a byte string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match ciborium::Value::deserialize(d)? {
            ciborium::Value::Bytes(b) => Ok(b),
            _ => Err(serde::de::Error::custom("expected a byte string")),
        }
    }
}
