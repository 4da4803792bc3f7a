"""NumPy's ufuncs as ndchunk's elementwise operations.

Each table maps a NumPy ufunc to the name the Rust layer gives the operation.
The dtypes come from :func:`ndchunk._dtypes.resolve`, so results have
NumPy's dtypes.
"""

from __future__ import annotations

import numpy as np

BINARY = {
    np.add: "add", np.subtract: "subtract", np.multiply: "multiply",
    np.true_divide: "divide", np.floor_divide: "floor_divide",
    np.remainder: "remainder", np.fmod: "fmod",
    np.power: "power", np.float_power: "power",
    np.maximum: "maximum", np.minimum: "minimum", np.fmax: "fmax", np.fmin: "fmin",
    np.hypot: "hypot", np.arctan2: "arctan2", np.copysign: "copysign", np.logaddexp: "logaddexp",
    np.bitwise_and: "bitwise_and", np.bitwise_or: "bitwise_or", np.bitwise_xor: "bitwise_xor",
    np.left_shift: "left_shift", np.right_shift: "right_shift",
    np.logical_and: "logical_and", np.logical_or: "logical_or", np.logical_xor: "logical_xor",
    np.equal: "equal", np.not_equal: "not_equal", np.less: "less",
    np.less_equal: "less_equal", np.greater: "greater", np.greater_equal: "greater_equal",
}

# On bool operands NumPy's arithmetic is logic.
BOOL_BINARY = {
    "add": "logical_or", "multiply": "logical_and",
    "maximum": "logical_or", "minimum": "logical_and", "fmax": "logical_or", "fmin": "logical_and",
}

# Logical ufuncs read their operands as truth values.
LOGICAL = {np.logical_and, np.logical_or, np.logical_xor, np.logical_not}

UNARY = {
    np.negative: "negative", np.absolute: "absolute", np.fabs: "absolute", np.sign: "sign",
    np.signbit: "signbit",
    np.sqrt: "sqrt", np.exp: "exp", np.log: "log", np.log10: "log10", np.log2: "log2",
    np.sin: "sin", np.cos: "cos", np.tan: "tan", np.tanh: "tanh",
    np.floor: "floor", np.ceil: "ceil", np.rint: "rint", np.trunc: "trunc",
    np.arcsin: "arcsin", np.arccos: "arccos", np.arctan: "arctan",
    np.sinh: "sinh", np.cosh: "cosh", np.arcsinh: "arcsinh", np.arccosh: "arccosh", np.arctanh: "arctanh",
    np.exp2: "exp2", np.log1p: "log1p", np.expm1: "expm1", np.cbrt: "cbrt",
    np.deg2rad: "deg2rad", np.radians: "deg2rad", np.rad2deg: "rad2deg", np.degrees: "rad2deg",
    np.square: "square", np.reciprocal: "reciprocal",
    np.isnan: "isnan", np.isfinite: "isfinite", np.isinf: "isinf",
    np.logical_not: "logical_not", np.invert: "invert",
}

# Ufuncs that return their input unchanged for the real dtypes ndchunk holds.
IDENTITY = {np.positive, np.conjugate}
