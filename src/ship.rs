//! Plans and task results as bytes, for executors in other processes.
//!
//! Plans serialise with serde in two forms. Human-readable formats (JSON, as
//! `serde_json::to_string(&x.plan()?)` gives) describe the plan: data
//! fields (in-memory arrays, index lists, sort orders) are left out. The binary
//! form ([`to_bytes`], postcard) carries everything a worker process needs to
//! run a task: arrays travel as dtype, shape and raw bytes in the machine's byte
//! order (workers run the same binary on the same architecture).
//!
//! ```
//! let block = ndchunk::DynArray::F32(ndarray::arr2(&[[1.0f32, 2.0], [3.0, 4.0]]).into_dyn());
//! let bytes = ndchunk::ship::to_bytes(&block)?;
//! let back: ndchunk::DynArray = ndchunk::ship::from_bytes(&bytes, "a block")?;
//! assert_eq!(back, block);
//! # Ok::<(), ndchunk::Error>(())
//! ```

pub mod side;

use ndarray::{ArrayD, IxDyn};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::block::DynArray;
use crate::element::DType;
use crate::error::{Error, Result};

/// `value` in the binary form.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    postcard::to_stdvec(value).map_err(|e| Error::Executor(format!("cannot serialise: {e}")))
}

/// A value read back from [`to_bytes`]'s form; `what` names it in the error.
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| Error::Executor(format!("cannot read {what}: {e}")))
}

/// A field that only the binary form carries: human-readable forms write `null`.
pub mod binary_only {
    use super::*;

    /// Writes `value`, or `null` in a human-readable form.
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &T,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_none()
        } else {
            value.serialize(s)
        }
    }

    /// Reads the value (binary form only).
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<T, D::Error> {
        if d.is_human_readable() {
            return Err(D::Error::custom(
                "plan data is only carried in the binary form",
            ));
        }
        T::deserialize(d)
    }
}

/// The wire form of a [`DynArray`]: dtype, shape and C-order bytes (`bool` as
/// one byte per element).
#[derive(Serialize, Deserialize)]
struct WireArray<'a> {
    dtype: DType,
    shape: Vec<usize>,
    #[serde(borrow, with = "serde_bytes_cow")]
    bytes: std::borrow::Cow<'a, [u8]>,
}

/// `Cow<[u8]>` as one byte string (not a sequence of integers).
mod serde_bytes_cow {
    use std::borrow::Cow;

    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, [u8]>, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Cow<'de, [u8]>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_bytes(Visit)
    }
}

/// The C-order bytes of `a` (`bool` as one byte per element), borrowed when
/// `a` is in standard layout.
pub(crate) fn c_order_bytes(a: &DynArray) -> std::borrow::Cow<'_, [u8]> {
    macro_rules! numeric {
        ($($v:ident),*) => {
            match a {
                DynArray::Bool(a) => std::borrow::Cow::Owned(a.iter().map(|&b| b as u8).collect()),
                $(DynArray::$v(a) => match a.as_slice() {
                    Some(x) => std::borrow::Cow::Borrowed(bytemuck::cast_slice(x)),
                    None => std::borrow::Cow::Owned(
                        bytemuck::cast_slice(&a.iter().copied().collect::<Vec<_>>()).to_vec(),
                    ),
                },)*
            }
        };
    }
    numeric!(I8, I16, I32, I64, U8, U16, U32, U64, F32, F64)
}

/// The array of `dtype` and `shape` whose C-order bytes are `bytes` (the
/// inverse of [`c_order_bytes`]); an error naming the sizes when they differ.
pub(crate) fn from_c_order_bytes(
    dtype: DType,
    shape: &[usize],
    bytes: &[u8],
) -> std::result::Result<DynArray, String> {
    let count: usize = shape.iter().product();
    if bytes.len() != count * dtype.size() {
        return Err(format!(
            "{} bytes for {count} elements of {dtype}",
            bytes.len()
        ));
    }
    let shape = IxDyn(shape);
    macro_rules! numeric {
        ($($v:ident: $t:ty),*) => {
            match dtype {
                DType::Bool => ArrayD::from_shape_vec(shape, bytes.iter().map(|&b| b != 0).collect())
                    .map(DynArray::Bool),
                $(DType::$v => ArrayD::from_shape_vec(shape, bytemuck::pod_collect_to_vec::<u8, $t>(bytes))
                    .map(DynArray::$v),)*
            }
        };
    }
    numeric!(I8: i8, I16: i16, I32: i32, I64: i64, U8: u8, U16: u16, U32: u32, U64: u64, F32: f32, F64: f64)
        .map_err(|e| e.to_string())
}

/// Reads the C-order bytes of an array of `dtype` and `shape` from `reader`
/// straight into its buffer (the streaming form of [`from_c_order_bytes`]).
pub(crate) fn read_c_order(
    dtype: DType,
    shape: &[usize],
    reader: &mut impl std::io::Read,
) -> std::io::Result<DynArray> {
    let count: usize = shape.iter().product();
    let shape_d = IxDyn(shape);
    let bad = |e: ndarray::ShapeError| std::io::Error::other(e.to_string());
    macro_rules! numeric {
        ($($v:ident: $t:ty),*) => {
            match dtype {
                DType::Bool => {
                    let mut bytes = vec![0u8; count];
                    reader.read_exact(&mut bytes)?;
                    ArrayD::from_shape_vec(shape_d, bytes.into_iter().map(|b| b != 0).collect())
                        .map(DynArray::Bool)
                        .map_err(bad)
                }
                $(DType::$v => {
                    let mut values = vec![<$t>::default(); count];
                    reader.read_exact(bytemuck::cast_slice_mut(&mut values))?;
                    ArrayD::from_shape_vec(shape_d, values).map(DynArray::$v).map_err(bad)
                })*
            }
        };
    }
    numeric!(I8: i8, I16: i16, I32: i32, I64: i64, U8: u8, U16: u16, U32: u32, U64: u64, F32: f32, F64: f64)
}

impl Serialize for DynArray {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        WireArray {
            dtype: self.dtype(),
            shape: self.shape().to_vec(),
            bytes: c_order_bytes(self),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for DynArray {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let w = WireArray::deserialize(d)?;
        from_c_order_bytes(w.dtype, &w.shape, &w.bytes).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn};

    use super::*;
    use crate::element::Element;

    fn round_trip<T: Element>(make: impl Fn(usize) -> T) {
        let a = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |ix| make(ix[0] * 4 + ix[1]));
        // Standard layout, a transposed (non-standard) view, and an empty array.
        for block in [
            T::wrap(a.clone()),
            T::wrap(a.t().to_owned()),
            T::wrap(a.clone().reversed_axes()),
            T::wrap(ArrayD::from_shape_vec(IxDyn(&[0, 2]), vec![]).unwrap()),
        ] {
            let back: DynArray = from_bytes(&to_bytes(&block).unwrap(), "test").unwrap();
            assert_eq!(back, block);
        }
    }

    #[test]
    fn blocks_of_every_dtype_round_trip() {
        round_trip(|i| i % 2 == 0);
        round_trip(|i| i as i8 - 5);
        round_trip(|i| i as i16 * -300);
        round_trip(|i| i as i32 * -70_000);
        round_trip(|i| i as i64 * -(1 << 40));
        round_trip(|i| i as u8);
        round_trip(|i| i as u16 * 1000);
        round_trip(|i| i as u32 * 100_000);
        round_trip(|i| i as u64 * (1 << 40));
        round_trip(|i| i as f32 / 3.0);
        round_trip(|i| i as f64 / 7.0 - 1.0);
    }

    #[test]
    fn truncated_bytes_are_an_error() {
        let block = DynArray::F64(ArrayD::zeros(IxDyn(&[2, 2])));
        let bytes = to_bytes(&block).unwrap();
        assert!(from_bytes::<DynArray>(&bytes[..bytes.len() - 3], "a block").is_err());
    }
}
