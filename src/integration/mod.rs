//! integration.log: Log4j layouts, entries and the REST calls they record.

pub mod layout;
pub mod message;
