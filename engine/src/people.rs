//! People and machines acting on the system: their role and jurisdiction.
//!
//! A role says what kind of work one does (受理/派遣, 处置, 巡查上报, …); a
//! jurisdiction is a unit id — one acts on that unit's subtree — or nothing
//! (the whole district). Which role may take which route is the server's
//! access table (`docs/ACCESS.md`); which role may take which lifecycle step
//! is the lifecycle's (`incidents::lifecycle`).

use serde::{Deserialize, Serialize};

/// What kind of work a user does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users, tokens and the audit log.
    Admin,
    /// 受理/派遣: accepts or refuses reports and dispatches cases at a level.
    Dispatcher,
    /// 处置部门: sees and handles the cases dispatched to it.
    Department,
    /// 网格员/监督员: reports and verifies in their grid.
    GridWorker,
    /// 指挥中心 display: reads, never writes.
    Screen,
    /// Redraws grid boundaries (layers, camera edits).
    Planner,
    /// Queries coverage and incidents; reads only.
    Analyst,
    /// A machine that registers sensors and posts their readings (物联感知).
    Sensor,
}

impl Role {
    pub const ALL: [Role; 8] =
        [Role::Admin, Role::Dispatcher, Role::Department, Role::GridWorker, Role::Screen, Role::Planner, Role::Analyst, Role::Sensor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dispatcher => "dispatcher",
            Role::Department => "department",
            Role::GridWorker => "grid_worker",
            Role::Screen => "screen",
            Role::Planner => "planner",
            Role::Analyst => "analyst",
            Role::Sensor => "sensor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The Chinese name shown on the page.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Dispatcher => "受理派遣员",
            Role::Department => "处置部门",
            Role::GridWorker => "网格员",
            Role::Screen => "指挥中心大屏",
            Role::Planner => "规划人员",
            Role::Analyst => "分析人员",
            Role::Sensor => "物联感知设备",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who takes an action: a person or a machine credential's owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user's name (unique).
    pub name: String,
    pub role: Role,
    /// The unit whose subtree they act on; `None` is the whole district.
    pub unit: Option<String>,
    /// For `department` users: the department (from the taxonomy's list) whose cases they handle.
    pub department: Option<String>,
}

impl Actor {
    /// The actor of a store with no users: open local mode, everything allowed.
    pub fn local() -> Actor {
        Actor { name: "local".into(), role: Role::Admin, unit: None, department: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).ok(), Some(serde_json::Value::String(r.as_str().into())));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
