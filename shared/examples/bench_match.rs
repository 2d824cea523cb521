//! Matching cost (R7): an index of 100,000 entries (one in a hundred a wildcard pattern) and
//! 1,000,000 plates matched against it, a tenth of them listed plates and a tenth misreads of
//! listed plates. Prints nanoseconds a read.
//!
//! `cargo run --release -p shared --example bench_match [ENTRIES] [READS]`

use shared::hotlists::{EntryPattern, MatchIndex, MatchKind};
use std::time::Instant;

/// xorshift64*: a small, seeded generator, so every run matches the same plates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn plate(&mut self) -> String {
        const L: &[u8] = b"ABCDEFGHJKLMNOPRSTUVWXYZ";
        let mut p = String::with_capacity(7);
        for i in 0..7 {
            if i == 2 || i == 3 {
                p.push((b'0' + self.below(10) as u8) as char);
            } else {
                p.push(L[self.below(L.len())] as char);
            }
        }
        p
    }
}

fn misread(plate: &str, rng: &mut Rng) -> String {
    let swaps = [
        ('0', 'O'),
        ('O', '0'),
        ('1', 'I'),
        ('I', '1'),
        ('5', 'S'),
        ('S', '5'),
        ('8', 'B'),
        ('B', '8'),
        ('2', 'Z'),
        ('Z', '2'),
    ];
    let mut chars: Vec<char> = plate.chars().collect();
    let i = rng.below(chars.len());
    if let Some((_, to)) = swaps.iter().find(|(from, _)| *from == chars[i]) {
        chars[i] = *to;
    }
    chars.into_iter().collect()
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("a number"));
    let entries = args.next().unwrap_or(100_000);
    let reads = args.next().unwrap_or(1_000_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let plates: Vec<String> = (0..entries).map(|_| rng.plate()).collect();

    let started = Instant::now();
    let mut index = MatchIndex::new();
    let mut wildcards = 0;
    for (i, plate) in plates.iter().enumerate() {
        let pattern = if i % 100 == 0 {
            wildcards += 1;
            if i % 200 == 0 {
                format!("{}?{}", &plate[..4], &plate[5..])
            } else {
                format!("{}*", &plate[..5])
            }
        } else {
            plate.clone()
        };
        index.insert(&EntryPattern::parse(&pattern).expect("valid"), i);
    }
    let build_ms = started.elapsed().as_secs_f64() * 1000.0;

    let probes: Vec<String> = (0..reads)
        .map(|i| match i % 10 {
            0 => plates[rng.below(plates.len())].clone(),
            1 => misread(&plates[rng.below(plates.len())], &mut rng),
            _ => rng.plate(),
        })
        .collect();
    let started = Instant::now();
    let (mut hits, mut possible) = (0usize, 0usize);
    for plate in &probes {
        for (_, kind) in index.matches(plate) {
            hits += 1;
            possible += usize::from(kind == MatchKind::Possible);
        }
    }
    let ns = started.elapsed().as_nanos() as f64 / reads.max(1) as f64;
    println!(
        "match: {entries} entries ({wildcards} wildcards), {reads} reads: {ns:.0} ns/read; {hits} hits ({possible} possible); index built in {build_ms:.0} ms"
    );

    // A change as the server makes it: one entry put in or taken out of the full index.
    let changes = 10_000;
    let added: Vec<(EntryPattern, usize)> = (0..changes)
        .map(|i| {
            let plate = rng.plate();
            let pattern = if i % 100 == 0 { format!("{}*", &plate[..5]) } else { plate };
            (EntryPattern::parse(&pattern).expect("valid"), entries + i)
        })
        .collect();
    let started = Instant::now();
    for (pattern, id) in &added {
        index.insert(pattern, *id);
    }
    let insert_ns = started.elapsed().as_nanos() as f64 / changes as f64;
    let started = Instant::now();
    for (pattern, id) in &added {
        assert!(index.remove(pattern, id));
    }
    let remove_ns = started.elapsed().as_nanos() as f64 / changes as f64;
    println!(
        "change: one entry put in {insert_ns:.0} ns, taken out {remove_ns:.0} ns (mean of {changes}, index of {entries})"
    );
}
