//! Statistics for survey reports, as docs/statistics.md defines them: distributions,
//! means and intervals, SERVQUAL gaps, reliability, importance–performance, NPS / CSAT / CES,
//! sampling, and the mergeable sufficient statistics that keep reports current without
//! re-reading the answers. Plain f64 code, no I/O; a figure that cannot be computed is `None`
//! (`null` in JSON) with a note saying why, never NaN.

pub mod accumulator;
pub mod competitor;
pub mod descriptive;
pub mod distributions;
pub mod ipa;
pub mod reliability;
pub mod sampling;
pub mod scales;
pub mod servqual;

pub use accumulator::ServqualAccumulator;
pub use descriptive::{Interval, MeanSummary, Share};
pub use servqual::{Note, ServqualLayout, ServqualReport, ServqualResponse, servqual_report};
