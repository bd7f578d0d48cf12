//! A scenario's op log with a cursor: apply, undo, redo.
//!
//! Method: undo replays the log up to the cursor from the base draft (the
//! published version the scenario started from: it is the one stored
//! snapshot, so nothing but the base and the ops needs keeping); redo applies
//! the op at the cursor to the current draft; a new op after an undo drops
//! the ops past the cursor. Ops are deterministic (ids and codes come from the
//! draft they apply to), so a replay gives the same draft again.
//! Complexity: undo is O(cursor) op applications; apply and redo one.

use serde::{Deserialize, Serialize};

use super::{Change, Draft, Op, PlanError, apply};

/// The ops of a scenario and how many of them are in effect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpLog {
    pub ops: Vec<Op>,
    pub cursor: usize,
}

/// The draft after the first `n` ops of `ops`, from `base`.
pub fn replay(base: &Draft, ops: &[Op]) -> Result<Draft, PlanError> {
    let mut d = base.clone();
    for op in ops {
        d = apply(&d, op)?.0;
    }
    Ok(d)
}

impl OpLog {
    pub fn can_undo(&self) -> bool {
        self.cursor > 0
    }

    pub fn can_redo(&self) -> bool {
        self.cursor < self.ops.len()
    }

    /// Apply `op` to `current`; on success it joins the log (dropping any undone ops).
    pub fn apply(&mut self, current: &Draft, op: Op) -> Result<(Draft, Change), PlanError> {
        let out = apply(current, &op)?;
        self.ops.truncate(self.cursor);
        self.ops.push(op);
        self.cursor += 1;
        Ok(out)
    }

    /// Take back the last op in effect: the draft before it, rebuilt from `base`.
    pub fn undo(&mut self, base: &Draft) -> Result<Draft, PlanError> {
        if !self.can_undo() {
            return Err(PlanError::NothingToUndo);
        }
        let d = replay(base, &self.ops[..self.cursor - 1])?;
        self.cursor -= 1;
        Ok(d)
    }

    /// Apply the op after the cursor again.
    pub fn redo(&mut self, current: &Draft) -> Result<(Draft, Change), PlanError> {
        if !self.can_redo() {
            return Err(PlanError::NothingToRedo);
        }
        let out = apply(current, &self.ops[self.cursor])?;
        self.cursor += 1;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn undo_redo_round_trip() {
        let base = Draft::new(two_grids());
        let mut log = OpLog::default();
        let (d1, _) = log
            .apply(&base, Op::Split { unit: "g1".into(), line: vec![coord(50.0, -10.0), coord(50.0, 110.0)], ids: None })
            .expect("split");
        let (d2, _) = log.apply(&d1, Op::MoveVertex { at: coord(200.0, 100.0), to: coord(210.0, 105.0) }).expect("move");
        assert_eq!(log.cursor, 2);
        let u1 = log.undo(&base).expect("undo");
        assert_eq!(u1.record().units, d1.record().units);
        let u0 = log.undo(&base).expect("undo");
        assert_eq!(u0.record().units, base.record().units);
        assert_eq!(log.undo(&base).err(), Some(PlanError::NothingToUndo));
        let (r1, _) = log.redo(&u0).expect("redo");
        let (r2, _) = log.redo(&r1).expect("redo");
        assert_eq!(r2.record().units, d2.record().units);
        assert_eq!(log.redo(&r2).err(), Some(PlanError::NothingToRedo));
        // a new op after an undo drops the undone one
        let u1 = log.undo(&base).expect("undo");
        log.apply(&u1, Op::SetAttributes { unit: "g2".into(), name: Some("东".into()), code: None, attributes: Default::default() })
            .expect("rename");
        assert_eq!(log.ops.len(), 2);
        assert!(!log.can_redo());
        // a failed op changes nothing
        let before = log.clone();
        assert!(log.apply(&u1, Op::Merge { units: vec!["g1-1".into()], id: None }).is_err());
        assert_eq!(log, before);
    }
}
