// Tree reductions across a 64-invocation workgroup, prepended to the shaders that reduce a row
// per workgroup (rows, pooling, mix). Call from uniform control flow with the invocation's
// `local_invocation_index`; every invocation gets the result.

var<workgroup> red: array<f32, 64>;

fn workgroup_sum(t: u32, x: f32) -> f32 {
    red[t] = x;
    for (var s = 32u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        if t < s { red[t] = red[t] + red[t + s]; }
    }
    workgroupBarrier();
    let total = red[0];
    workgroupBarrier();
    return total;
}

fn workgroup_max(t: u32, x: f32) -> f32 {
    red[t] = x;
    for (var s = 32u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        if t < s { red[t] = max(red[t], red[t + s]); }
    }
    workgroupBarrier();
    let top = red[0];
    workgroupBarrier();
    return top;
}

