// Input bytes read as small numbers; shared by the fuzz checks through include!.

struct Bytes<'a>(std::slice::Iter<'a, u8>);

impl Bytes<'_> {
    fn next(&mut self, modulo: usize) -> usize {
        self.0.next().map(|&b| b as usize % modulo.max(1)).unwrap_or(0)
    }
    fn signed(&mut self, span: i64) -> i64 {
        self.0.next().map(|&b| (b as i64 % (2 * span + 3)) - span - 1).unwrap_or(0)
    }
}

/// Chunk lengths covering an axis of length `n`, each at most `largest`
/// (one chunk of length 0 for an empty axis).
fn chunks_for(b: &mut Bytes, n: usize, largest: usize) -> Vec<usize> {
    if n == 0 {
        return vec![0];
    }
    let mut lens = Vec::new();
    let mut left = n;
    while left > 0 {
        let c = 1 + b.next(left.min(largest));
        lens.push(c);
        left -= c;
    }
    lens
}
