//! The physical plan of built-in ops is plain data: it serialises to JSON, names
//! every fused op, and refers to user functions by their registered name.

use ndchunk::expr::ElemOp;
use ndchunk::prelude::*;

#[test]
fn plans_serialise_to_json_with_their_ops() {
    let x = ndchunk::random::uniform::<f32>(&[1000, 8], [250, 8], 3).unwrap();
    let y = ((&x * 2.0 + 1.0).powi(2)).mean_axis(Axis(1)).unwrap();
    let plan = y.plan().unwrap();
    let json = serde_json::to_value(&plan).unwrap();
    let text = json.to_string();
    for needle in [
        "\"mul\"",
        "\"add\"",
        "\"powi\"",
        "\"random\"",
        "\"blockwise\"",
        "\"mean\"",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    assert_eq!(json["tasks"].as_array().unwrap().len(), plan.tasks.len());
    assert_eq!(json["outputs"].as_array().unwrap().len(), 4);
}

#[test]
fn user_functions_appear_by_name() {
    let x = ndchunk::arange::<i32>(0, 10, 1, [5])
        .unwrap()
        .mapv(|v| v * 3);
    let text = serde_json::to_string(&x.plan().unwrap()).unwrap();
    assert!(text.contains("mapv#"), "{text}");
}

#[test]
fn built_in_ops_round_trip_through_serde() {
    let ops = [
        ElemOp::Powi(3),
        ElemOp::Clip(ndchunk::Scalar::F64(0.0), ndchunk::Scalar::F64(1.0)),
        ElemOp::Cast(DType::U16),
        ElemOp::Where,
    ];
    for op in ops {
        let text = serde_json::to_string(&op).unwrap();
        let back: ElemOp = serde_json::from_str(&text).unwrap();
        assert_eq!(back.to_string(), op.to_string(), "{text}");
    }
}
