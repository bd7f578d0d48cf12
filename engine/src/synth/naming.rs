//! Names of generated units, made from their parent's name and their 1-based
//! number, as `wangge gen demo` writes them: 八大湖街道 → 八大湖第2社区 →
//! 八大湖第23号网格 → 八大湖第23号-1楼栋网格 (each level drops its parent's
//! suffix, so community 2's grid 3 reads 第23号; kept as the demo data has it).

use crate::model::Level;

use super::LevelSpec;

/// A community of a street: the street's name without 街道, then 第k社区.
///
/// ```
/// assert_eq!(wangge_engine::synth::naming::community_name("八大湖街道", 2), "八大湖第2社区");
/// ```
pub fn community_name(parent: &str, k: usize) -> String {
    format!("{}第{}社区", parent.trim_end_matches("街道"), k)
}

/// A grid of a community: the community's name without 社区, then k号网格.
pub fn grid_name(parent: &str, k: usize) -> String {
    format!("{}{}号网格", parent.trim_end_matches("社区"), k)
}

/// A building grid of a grid: the grid's name without 网格, then -k楼栋网格.
pub fn building_grid_name(parent: &str, k: usize) -> String {
    format!("{}-{}楼栋网格", parent.trim_end_matches("网格"), k)
}

/// The demo's three generated levels (community, grid, building grid) with
/// `per_parent` children each, named by the rules above.
pub fn demo_levels(communities: usize, grids: usize, building_grids: usize) -> [LevelSpec; 3] {
    [
        LevelSpec { level: Level("community".into()), per_parent: communities, name: community_name },
        LevelSpec { level: Level("grid".into()), per_parent: grids, name: grid_name },
        LevelSpec { level: Level("building_grid".into()), per_parent: building_grids, name: building_grid_name },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_nest_without_repeating_the_suffix() {
        let c = community_name("八大湖街道", 2);
        let g = grid_name(&c, 3);
        assert_eq!(c, "八大湖第2社区");
        assert_eq!(g, "八大湖第23号网格");
        assert_eq!(building_grid_name(&g, 1), "八大湖第23号-1楼栋网格");
        // a parent without the suffix keeps its whole name
        assert_eq!(community_name("Kamppi", 1), "Kamppi第1社区");
    }

    #[test]
    fn demo_levels_are_community_grid_building_grid() {
        let l = demo_levels(4, 3, 2);
        assert_eq!(l.map(|s| (s.level.0, s.per_parent)), [("community".into(), 4), ("grid".into(), 3), ("building_grid".into(), 2)]);
    }
}
