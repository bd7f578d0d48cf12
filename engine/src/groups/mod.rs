//! Groups of units: adjacency, alliances (共建联盟), matching and A/B posts.

pub mod abpost;
pub mod adjacency;
pub mod alliance;
pub mod blossom;
pub mod matching;
mod radix_heap;
