//! The DB instance class table: sizes of the families the sizing rules know, in order.

/// One size of a family, e.g. `xlarge` with 4 vCPUs and 32 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Size suffix, e.g. `2xlarge`.
    pub name: &'static str,
    /// Virtual CPUs.
    pub vcpu: u32,
    /// Memory in GiB.
    pub memory_gib: u32,
}

/// A class family, e.g. `db.r5`, with its sizes from smallest to largest.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// Family prefix, e.g. `db.r5`.
    pub name: &'static str,
    /// Sizes, smallest first.
    pub sizes: &'static [Size],
}

const fn s(name: &'static str, vcpu: u32, memory_gib: u32) -> Size {
    Size {
        name,
        vcpu,
        memory_gib,
    }
}

const BURSTABLE: &[Size] = &[
    s("micro", 2, 1),
    s("small", 2, 2),
    s("medium", 2, 4),
    s("large", 2, 8),
    s("xlarge", 4, 16),
    s("2xlarge", 8, 32),
];

/// General purpose (4 GiB per vCPU) up to 24xlarge.
const GENERAL_24: &[Size] = &[
    s("large", 2, 8),
    s("xlarge", 4, 16),
    s("2xlarge", 8, 32),
    s("4xlarge", 16, 64),
    s("8xlarge", 32, 128),
    s("12xlarge", 48, 192),
    s("16xlarge", 64, 256),
    s("24xlarge", 96, 384),
];

/// Memory optimised (8 GiB per vCPU) up to 24xlarge.
const MEMORY_24: &[Size] = &[
    s("large", 2, 16),
    s("xlarge", 4, 32),
    s("2xlarge", 8, 64),
    s("4xlarge", 16, 128),
    s("8xlarge", 32, 256),
    s("12xlarge", 48, 384),
    s("16xlarge", 64, 512),
    s("24xlarge", 96, 768),
];

const GENERAL_32: &[Size] = &[
    s("large", 2, 8),
    s("xlarge", 4, 16),
    s("2xlarge", 8, 32),
    s("4xlarge", 16, 64),
    s("8xlarge", 32, 128),
    s("12xlarge", 48, 192),
    s("16xlarge", 64, 256),
    s("24xlarge", 96, 384),
    s("32xlarge", 128, 512),
];

const MEMORY_32: &[Size] = &[
    s("large", 2, 16),
    s("xlarge", 4, 32),
    s("2xlarge", 8, 64),
    s("4xlarge", 16, 128),
    s("8xlarge", 32, 256),
    s("12xlarge", 48, 384),
    s("16xlarge", 64, 512),
    s("24xlarge", 96, 768),
    s("32xlarge", 128, 1024),
];

/// The families the sizing rules know (Graviton families stop at 16xlarge).
pub const FAMILIES: &[Family] = &[
    Family {
        name: "db.t3",
        sizes: BURSTABLE,
    },
    Family {
        name: "db.t4g",
        sizes: BURSTABLE,
    },
    Family {
        name: "db.m5",
        sizes: GENERAL_24,
    },
    Family {
        name: "db.m6g",
        sizes: GENERAL_24.split_at(7).0,
    },
    Family {
        name: "db.m6i",
        sizes: GENERAL_32,
    },
    Family {
        name: "db.r5",
        sizes: MEMORY_24,
    },
    Family {
        name: "db.r6g",
        sizes: MEMORY_24.split_at(7).0,
    },
    Family {
        name: "db.r6i",
        sizes: MEMORY_32,
    },
];

/// Bytes of instance memory per connection in RDS MySQL's default
/// `max_connections = {DBInstanceClassMemory/12582880}`.
const BYTES_PER_CONNECTION: u64 = 12_582_880;

/// The upper bound RDS applies to that default.
const MAX_CONNECTIONS_CAP: u64 = 16_000;

/// A known instance class: a family and one of its sizes.
#[derive(Debug, Clone, Copy)]
pub struct Class {
    family: &'static Family,
    index: usize,
}

impl Class {
    /// Looks up a class name such as `db.r5.2xlarge`; `None` when not in the table.
    pub fn find(name: &str) -> Option<Class> {
        let (family, size) = name.rsplit_once('.')?;
        let family = FAMILIES.iter().find(|f| f.name == family)?;
        let index = family.sizes.iter().position(|s| s.name == size)?;
        Some(Class { family, index })
    }

    /// The size of this class.
    pub fn size(&self) -> Size {
        self.family.sizes[self.index]
    }

    /// The class name, e.g. `db.r5.2xlarge`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.family.name, self.size().name)
    }

    /// The next smaller class of the same family, if any.
    pub fn smaller(&self) -> Option<Class> {
        let index = self.index.checked_sub(1)?;
        Some(Class { index, ..*self })
    }

    /// The next larger class of the same family, if any.
    pub fn larger(&self) -> Option<Class> {
        let index = self.index + 1;
        (index < self.family.sizes.len()).then_some(Class { index, ..*self })
    }

    /// An estimate of the default `max_connections` of RDS MySQL on this class: memory over
    /// 12,582,880 bytes (the parameter group's formula, on the full memory), capped at 16,000.
    pub fn max_connections(&self) -> u64 {
        let bytes = u64::from(self.size().memory_gib) << 30;
        (bytes / BYTES_PER_CONNECTION).min(MAX_CONNECTIONS_CAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_through_a_family_and_stops_at_its_ends() {
        let c = Class::find("db.r5.2xlarge").unwrap();
        assert_eq!(c.size(), s("2xlarge", 8, 64));
        assert_eq!(c.smaller().unwrap().name(), "db.r5.xlarge");
        assert_eq!(c.larger().unwrap().name(), "db.r5.4xlarge");
        assert!(Class::find("db.t3.micro").unwrap().smaller().is_none());
        assert!(Class::find("db.r6g.16xlarge").unwrap().larger().is_none());
        assert!(Class::find("db.r6g.24xlarge").is_none());
        assert!(Class::find("db.x2g.large").is_none());
        assert!(Class::find("r5.large").is_none());
    }

    #[test]
    fn estimates_max_connections_from_memory() {
        assert_eq!(Class::find("db.t3.micro").unwrap().max_connections(), 85);
        assert_eq!(Class::find("db.r5.large").unwrap().max_connections(), 1365);
        assert_eq!(
            Class::find("db.r6i.32xlarge").unwrap().max_connections(),
            16_000
        );
    }

    #[test]
    fn every_family_grows_strictly() {
        for family in FAMILIES {
            for pair in family.sizes.windows(2) {
                assert!(pair[0].memory_gib < pair[1].memory_gib, "{}", family.name);
                assert!(pair[0].vcpu <= pair[1].vcpu, "{}", family.name);
            }
        }
    }
}
