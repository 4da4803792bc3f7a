//! Dispatch from a runtime [`DType`](crate::DType) to generic code.
//!
//! `with_dtype!(dt, T => body)` runs `body` with the type alias `T` bound to the
//! Rust type of `dt`. `with_num_dtype!`, `with_int_dtype!` and `with_float_dtype!`
//! do the same for numeric, integer and float dtypes, evaluating their `else`
//! branch for the others.

#[doc(hidden)]
#[macro_export]
macro_rules! with_dtype {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            $crate::DType::Bool => {
                #[allow(dead_code)]
                type $T = bool;
                $body
            }
            other => $crate::with_num_dtype!(other, $T => $body, else => unreachable!("bool handled above")),
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! with_num_dtype {
    ($dt:expr, $T:ident => $body:expr, else => $other:expr) => {
        match $dt {
            dt => $crate::with_float_dtype!(dt, $T => $body,
                else => $crate::with_int_dtype!(dt, $T => $body, else => $other)),
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! with_int_dtype {
    ($dt:expr, $T:ident => $body:expr, else => $other:expr) => {
        match $dt {
            $crate::DType::I8 => {
                #[allow(dead_code)]
                type $T = i8;
                $body
            }
            $crate::DType::I16 => {
                #[allow(dead_code)]
                type $T = i16;
                $body
            }
            $crate::DType::I32 => {
                #[allow(dead_code)]
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                #[allow(dead_code)]
                type $T = i64;
                $body
            }
            $crate::DType::U8 => {
                #[allow(dead_code)]
                type $T = u8;
                $body
            }
            $crate::DType::U16 => {
                #[allow(dead_code)]
                type $T = u16;
                $body
            }
            $crate::DType::U32 => {
                #[allow(dead_code)]
                type $T = u32;
                $body
            }
            $crate::DType::U64 => {
                #[allow(dead_code)]
                type $T = u64;
                $body
            }
            _ => $other,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! with_float_dtype {
    ($dt:expr, $T:ident => $body:expr, else => $other:expr) => {
        match $dt {
            $crate::DType::F32 => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
            _ => $other,
        }
    };
}

/// Runs `$body` with `$a` bound to the typed array inside a `DynArray`
/// (by reference when given a reference) and `$T` to its element type.
#[doc(hidden)]
#[macro_export]
macro_rules! dyn_match {
    ($d:expr, $a:ident : $T:ident => $body:expr) => {
        match $d {
            $crate::block::DynArray::Bool($a) => {
                #[allow(dead_code)]
                type $T = bool;
                $body
            }
            $crate::block::DynArray::I8($a) => {
                #[allow(dead_code)]
                type $T = i8;
                $body
            }
            $crate::block::DynArray::I16($a) => {
                #[allow(dead_code)]
                type $T = i16;
                $body
            }
            $crate::block::DynArray::I32($a) => {
                #[allow(dead_code)]
                type $T = i32;
                $body
            }
            $crate::block::DynArray::I64($a) => {
                #[allow(dead_code)]
                type $T = i64;
                $body
            }
            $crate::block::DynArray::U8($a) => {
                #[allow(dead_code)]
                type $T = u8;
                $body
            }
            $crate::block::DynArray::U16($a) => {
                #[allow(dead_code)]
                type $T = u16;
                $body
            }
            $crate::block::DynArray::U32($a) => {
                #[allow(dead_code)]
                type $T = u32;
                $body
            }
            $crate::block::DynArray::U64($a) => {
                #[allow(dead_code)]
                type $T = u64;
                $body
            }
            $crate::block::DynArray::F32($a) => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            $crate::block::DynArray::F64($a) => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
        }
    };
}
