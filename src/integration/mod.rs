//! integration.log: Log4j layouts, entries and the REST calls they record.

pub mod aggregate;
pub mod call;
pub mod entry;
pub mod fast_hash;
pub mod histogram;
pub mod layout;
pub mod message;
pub mod overlap;
pub mod path_memo;
pub mod scan;
pub mod shapes;
