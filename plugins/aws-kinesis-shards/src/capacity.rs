//! Shard capacity arithmetic: what a provisioned shard takes in, and how many shards a
//! load needs at a given utilisation.

/// Write capacity of one shard, bytes per second (1 MiB/s).
pub const BYTES_PER_SHARD: f64 = 1_048_576.0;
/// Write capacity of one shard, records per second.
pub const RECORDS_PER_SHARD: f64 = 1_000.0;

/// An incoming load: bytes and records per second.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Load {
    /// Bytes per second.
    pub bytes: f64,
    /// Records per second.
    pub records: f64,
}

impl Load {
    /// The share of `shards`' capacity this load uses: the larger of bytes and records.
    pub fn utilisation(&self, shards: u64) -> f64 {
        let shards = shards.max(1) as f64;
        (self.bytes / (shards * BYTES_PER_SHARD)).max(self.records / (shards * RECORDS_PER_SHARD))
    }

    /// The fewest shards (at least 1) that carry this load at `utilisation` of capacity.
    pub fn shards_at(&self, utilisation: f64) -> u64 {
        let by_bytes = self.bytes / (utilisation * BYTES_PER_SHARD);
        let by_records = self.records / (utilisation * RECORDS_PER_SHARD);
        // Round away float noise before taking the ceiling (0.6 / 0.6 * 2 is 2.0000000000000004).
        let needed = (by_bytes.max(by_records) * 1e9).round() / 1e9;
        (needed.ceil() as u64).max(1)
    }
}

/// Bytes per second in MiB/s for messages, at most two decimals (`0.3`, `1.25`).
pub fn mib_per_s(bytes: f64) -> String {
    let text = format!("{:.2}", bytes / BYTES_PER_SHARD);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_shards_for_the_larger_of_bytes_and_records() {
        let load = Load {
            bytes: 0.3 * BYTES_PER_SHARD,
            records: 900.0,
        };
        assert_eq!(load.shards_at(0.6), 2);
        assert_eq!(load.utilisation(8), 900.0 / 8000.0);
        assert_eq!(Load::default().shards_at(0.6), 1);
        let exact = Load {
            bytes: 1.2 * BYTES_PER_SHARD,
            records: 0.0,
        };
        assert_eq!(exact.shards_at(0.6), 2);
    }

    #[test]
    fn formats_mib_per_second() {
        assert_eq!(mib_per_s(0.3 * BYTES_PER_SHARD), "0.3");
        assert_eq!(mib_per_s(2.0 * BYTES_PER_SHARD), "2");
        assert_eq!(mib_per_s(1.25 * BYTES_PER_SHARD), "1.25");
    }
}
