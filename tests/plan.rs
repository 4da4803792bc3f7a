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

/// A serial sink (HDF5's) stores one block at a time, in C order, on any
/// executor: each store task also depends on the previous block's.
#[test]
fn serial_store_tasks_form_one_chain_in_c_order() {
    use ndchunk::expr::{Node, Op, UserFn};
    use std::sync::{Arc, Mutex};
    let x = &ndchunk::random::uniform::<f64>(&[6, 9], [3, 3], 1).unwrap() * 2.0;
    let log: Arc<Mutex<(Vec<Vec<usize>>, bool)>> = Arc::default();
    let seen = log.clone();
    let f: Arc<ndchunk::registry::StoreFn> = Arc::new(move |block: &[usize], _| {
        {
            let mut state = seen.lock().unwrap();
            assert!(!state.1, "two serial stores ran at once");
            state.1 = true;
            state.0.push(block.to_vec());
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
        seen.lock().unwrap().1 = false;
        Ok(())
    });
    let sink = UserFn::new("serial_sink", f);
    let node = Node::new(
        Op::Store { sink, serial: true },
        vec![x.node().clone()],
        x.chunks().clone(),
        ndchunk::DType::F64,
    );
    let plan = ndchunk::plan::lower(&node, &ndchunk::PlanOptions::from_env().unwrap()).unwrap();
    let stores: Vec<usize> = (0..plan.tasks.len())
        .filter(|&t| plan.stages[plan.tasks[t].stage].kind.label() == "store")
        .collect();
    assert_eq!(stores.len(), 6);
    for (k, &t) in stores.iter().enumerate() {
        let deps = &plan.tasks[t].deps;
        match k {
            0 => assert_eq!(deps.len(), 1),
            _ => assert_eq!(
                deps[1],
                stores[k - 1],
                "store {k} waits for store {}",
                k - 1
            ),
        }
    }
    ndchunk::Executor::local().threads(2).run(&plan).unwrap();
    let order = log.lock().unwrap().0.clone();
    let c_order: Vec<Vec<usize>> = (0..2)
        .flat_map(|i| (0..3).map(move |j| vec![i, j]))
        .collect();
    assert_eq!(order, c_order);
}
