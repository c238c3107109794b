//! The small size tables the CPU hint reads: the next larger size in the same family.
//! Sizes outside these tables get no hint rather than a guess.

/// Virtual machine size ladders (`properties.hardwareProfile.vmSize`), each in growing order.
const VM_LADDERS: &[&[&str]] = &[
    &[
        "Standard_D2s_v5",
        "Standard_D4s_v5",
        "Standard_D8s_v5",
        "Standard_D16s_v5",
        "Standard_D32s_v5",
        "Standard_D48s_v5",
        "Standard_D64s_v5",
        "Standard_D96s_v5",
    ],
    &[
        "Standard_B1s",
        "Standard_B1ms",
        "Standard_B2s",
        "Standard_B2ms",
        "Standard_B4ms",
        "Standard_B8ms",
        "Standard_B12ms",
        "Standard_B16ms",
        "Standard_B20ms",
    ],
];

/// MySQL flexible server SKU ladders (`sku.name`), each in growing order.
const MYSQL_LADDERS: &[&[&str]] = &[
    &[
        "Standard_B1s",
        "Standard_B1ms",
        "Standard_B2s",
        "Standard_B2ms",
    ],
    &[
        "Standard_D2ds_v4",
        "Standard_D4ds_v4",
        "Standard_D8ds_v4",
        "Standard_D16ds_v4",
        "Standard_D32ds_v4",
        "Standard_D48ds_v4",
        "Standard_D64ds_v4",
    ],
];

fn next_in(ladders: &[&[&'static str]], size: &str) -> Option<&'static str> {
    ladders.iter().find_map(|ladder| {
        let i = ladder.iter().position(|s| s.eq_ignore_ascii_case(size))?;
        ladder.get(i + 1).copied()
    })
}

/// The next larger VM size in the same family, if the family is in the table.
///
/// ```
/// assert_eq!(azure_monitor::sizes::next_vm_size("Standard_D2s_v5"), Some("Standard_D4s_v5"));
/// assert_eq!(azure_monitor::sizes::next_vm_size("Standard_D96s_v5"), None);
/// assert_eq!(azure_monitor::sizes::next_vm_size("Standard_F4s_v2"), None);
/// ```
pub fn next_vm_size(size: &str) -> Option<&'static str> {
    next_in(VM_LADDERS, size)
}

/// The next larger MySQL flexible server SKU in the same tier, if it is in the table.
///
/// ```
/// assert_eq!(azure_monitor::sizes::next_mysql_sku("Standard_D2ds_v4"), Some("Standard_D4ds_v4"));
/// assert_eq!(azure_monitor::sizes::next_mysql_sku("Standard_E4ds_v4"), None);
/// ```
pub fn next_mysql_sku(sku: &str) -> Option<&'static str> {
    next_in(MYSQL_LADDERS, sku)
}
