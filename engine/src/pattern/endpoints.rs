//! Where an edge table's topology ordinals sit in its node tables: the bridge between a
//! topology's dense ordinals (numbered per edge table) and node positions (numbered per
//! node table), so a path can go from one edge type to another.

use crate::error::Result;
use crate::topology::{IdIndex, Side, Topology};

/// No ordinal: a node without edges in this edge table.
const NONE: u32 = u32::MAX;

#[derive(Debug)]
pub struct EndpointPositions {
    /// Per topology ordinal: the node's position in the node table of its side.
    positions: Vec<u32>,
    /// Per position in the `src` node table: its ordinal, or `NONE`.
    src_ordinals: Vec<u32>,
    /// Per position in the `dst` node table; empty when `src` and `dst` are one table.
    dst_ordinals: Vec<u32>,
}

impl EndpointPositions {
    /// Maps `topology`'s ordinals to positions in `src_ids`/`dst_ids` (`same_table`: the
    /// edge type joins a node type to itself, so the topology numbers one side).
    pub fn build(
        topology: &Topology,
        src_ids: &IdIndex,
        dst_ids: &IdIndex,
        same_table: bool,
    ) -> Result<EndpointPositions> {
        let mut src_ordinals = vec![NONE; src_ids.len()];
        let mut dst_ordinals = if same_table {
            Vec::new()
        } else {
            vec![NONE; dst_ids.len()]
        };
        let mut positions = Vec::with_capacity(topology.node_count());
        for ordinal in 0..topology.node_count() as u32 {
            let id = topology.node_id(ordinal);
            let (ids, ordinals) = match (same_table, topology.side_of(ordinal)) {
                (true, _) | (false, Side::Src) => (src_ids, &mut src_ordinals),
                (false, Side::Dst) => (dst_ids, &mut dst_ordinals),
            };
            // Endpoints exist (the writes check them); a missing one is skipped, never
            // mapped to another node.
            let position = ids.position(id).unwrap_or(NONE);
            if position != NONE {
                ordinals[position as usize] = ordinal;
            }
            positions.push(position);
        }
        Ok(EndpointPositions {
            positions,
            src_ordinals,
            dst_ordinals,
        })
    }

    /// The node table position of `ordinal`, `None` for an endpoint with no node.
    #[inline]
    pub fn position(&self, ordinal: u32) -> Option<u32> {
        let p = self.positions[ordinal as usize];
        (p != NONE).then_some(p)
    }

    /// The ordinal of the node at `position` of `side`'s node table, if it has edges.
    #[inline]
    pub fn ordinal(&self, side: Side, position: u32) -> Option<u32> {
        let ordinals = match side {
            Side::Dst if !self.dst_ordinals.is_empty() => &self.dst_ordinals,
            _ => &self.src_ordinals,
        };
        ordinals
            .get(position as usize)
            .copied()
            .filter(|&o| o != NONE)
    }

    pub fn memory_size(&self) -> usize {
        (self.positions.len() + self.src_ordinals.len() + self.dst_ordinals.len()) * 4
    }
}
