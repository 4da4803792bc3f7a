"""Writes NumPy's results of the ufuncs that tests/ufuncs.rs checks.

    python ufunc_cases.py OUT_DIR

OUT_DIR/NAME.npy holds each input and each result; manifest.json lists the
cases as {"op", "dtype", "inputs": [NAME, ...], "out": NAME}. Inputs mix
special values (NaN, infinities, signed zeros, halves, the integer limits,
zero divisors, shift counts past the width and negative) with random ones.
"""
import json
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(14)
cases = []


def save(name, data):
    np.save(os.path.join(out, name + ".npy"), data)
    return name


def case(op, dtype, inputs, result):
    name = f"{op}_{dtype}"
    cases.append({"op": op, "dtype": dtype, "inputs": inputs, "out": save(name, result)})


special = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1e30, -1e-30, 3.0, -7.0, 7.0]
float_unary = ["isinf", "signbit", "sign", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh",
               "arccosh", "arctanh", "exp2", "log1p", "expm1", "cbrt", "trunc", "rint", "deg2rad",
               "rad2deg", "nan_to_num"]
float_binary = ["maximum", "minimum", "fmax", "fmin", "floor_divide", "remainder", "fmod", "hypot",
                "arctan2", "copysign", "logaddexp", "isclose"]
with np.errstate(all="ignore"):
    for dtype in ["float32", "float64"]:
        x = np.concatenate([special, rng.standard_normal(48) * 3, rng.uniform(-1.1, 1.1, 16)]).astype(dtype)
        y = np.concatenate([special[::-1], rng.standard_normal(48) * 3, x[-16:] + 1e-7]).astype(dtype)
        inputs = [save(f"x_{dtype}", x), save(f"y_{dtype}", y)]
        for op in float_unary:
            case(op, dtype, inputs[:1], getattr(np, op)(x))
        for op in float_binary:
            case(op, dtype, inputs, getattr(np, op)(x, y))

    int_unary = ["isinf", "signbit", "sign", "invert"]
    int_binary = ["maximum", "minimum", "fmax", "fmin", "floor_divide", "remainder", "fmod",
                  "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"]
    for dtype in ["int8", "int32", "int64", "uint8", "uint64"]:
        info = np.iinfo(dtype)
        bits = info.bits
        edge = [info.min, info.max, 0, 1, info.max // 3]
        if info.min < 0:
            edge += [-1, -7, 7, info.min + 1]
        x = np.concatenate([np.array(edge, dtype=dtype), rng.integers(info.min, info.max, 40, dtype=dtype, endpoint=True)])
        divisors = [0, 1, 3, info.max] + ([-1, -3, info.min] if info.min < 0 else [2, 5])
        y = np.concatenate([np.array(divisors[: len(edge)] * 2, dtype=dtype)[: len(edge)],
                            rng.integers(info.min, info.max, 40, dtype=dtype, endpoint=True)])
        counts = [0, 1, bits - 1, bits, bits + 1] + ([-1, -bits] if info.min < 0 else [2 * bits, 3])
        shifts = np.concatenate([np.array((counts * 2)[: len(edge)], dtype=dtype),
                                 rng.integers(0, bits + 3, 40).astype(dtype)])
        inputs = [save(f"x_{dtype}", x), save(f"y_{dtype}", y)]
        shift_inputs = [inputs[0], save(f"shifts_{dtype}", shifts)]
        for op in int_unary:
            case(op, dtype, inputs[:1], getattr(np, op)(x))
        for op in int_binary:
            args = shift_inputs if op.endswith("shift") else inputs
            case(op, dtype, args, getattr(np, op)(x, np.load(os.path.join(out, args[1] + ".npy"))))

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(cases, f)
