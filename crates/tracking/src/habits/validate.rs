//! Habit schedule requests' checks that are not the schedule's own (see
//! [`super::schedule::validate`]): pure, field names as in the request.

use crate::error::{Result, TrackingError};
use crate::plans::{Node, NodeType};

/// Only habit nodes have schedules.
pub fn habit(node: &Node) -> Result<()> {
    if node.node_type != NodeType::Habit {
        return Err(TrackingError::invalid(
            "nodeId",
            "only habit nodes have schedules",
        ));
    }
    Ok(())
}

/// A schedule of a locked node cannot change.
pub fn unlocked(node: &Node) -> Result<()> {
    if node.locked {
        return Err(TrackingError::NodeLocked);
    }
    Ok(())
}
