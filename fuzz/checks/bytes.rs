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
