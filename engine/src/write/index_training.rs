//! A B-tree segment's training rows, sorted in memory.
//!
//! Lance trains a B-tree from its column scanned in value order, which it gets from
//! DataFusion: every scanned batch sorted alone, then all of them merged row by row on one
//! thread. For the millions of rows a bulk load indexes at its commit that merge was most
//! of the load. Here a segment's column is read once with its row addresses, checked for
//! order (a write's fresh ids are stored ascending), sorted as one array when it is not,
//! and handed to Lance as the `(value, _rowaddr)` batches it trains from. A column larger
//! than [`SORT_BUDGET_BYTES`] is left to Lance's own spilling sort.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchReader, UInt32Array, UInt64Array};
use arrow_ord::ord::make_comparator;
use arrow_ord::sort::{SortOptions, sort_to_indices};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use arrow_select::concat::concat;
use arrow_select::take::take;
use futures::TryStreamExt;
use lance::Dataset;
use lance_core::ROW_ADDR;

use crate::error::{Error, Result};

/// Most bytes of column and row addresses a segment sorts in memory.
pub const SORT_BUDGET_BYTES: usize = 768 << 20;

/// Rows from which a string sort runs on two threads.
const PARALLEL_SORT_ROWS: usize = 1 << 20;

/// Scanned batches copied together into one chunk of the column.
const COMPACTED_BATCHES: usize = 16;

/// Rows per batch handed to the B-tree trainer.
const TRAINING_BATCH_ROWS: usize = 65_536;

/// The B-tree order: ascending, NULLs first (the order Lance's own training scan sorts in).
const ORDER: SortOptions = SortOptions {
    descending: false,
    nulls_first: true,
};

/// `column` of `ds` (of the fragments `fragments`, or all) as B-tree training rows in value
/// order, or `None` when it is larger than [`SORT_BUDGET_BYTES`] or empty.
pub(crate) async fn sorted_training_rows(
    ds: &Dataset,
    column: &str,
    fragments: Option<&[u32]>,
) -> Result<Option<SortedRows>> {
    let mut scan = ds.scan();
    scan.project(&[column])?;
    scan.with_row_address();
    if let Some(ids) = fragments {
        scan.with_fragments(
            ds.manifest
                .fragments
                .iter()
                .filter(|f| ids.contains(&(f.id as u32)))
                .cloned()
                .collect(),
        );
    }
    let mut stream = scan.try_into_stream().await?;
    // A scanned batch may slice larger decoded buffers: every few batches are copied into
    // one compact chunk, so those buffers do not stay alive until the sort.
    let (mut values, mut pending) = (Vec::new(), Vec::new());
    let mut addresses: Vec<u64> = Vec::new();
    let mut bytes = 0;
    while let Some(batch) = stream.try_next().await? {
        let (Some(value), Some(address)) =
            (batch.column_by_name(column), batch.column_by_name(ROW_ADDR))
        else {
            return Err(Error::Corrupt(format!(
                "a scan of {column} with row addresses returned columns {:?}",
                batch.schema()
            )));
        };
        bytes += value.to_data().get_slice_memory_size()? + 8 * address.len();
        if bytes > SORT_BUDGET_BYTES {
            return Ok(None);
        }
        pending.push(value.clone());
        if pending.len() == COMPACTED_BATCHES {
            values.push(concat_all(&pending)?);
            pending.clear();
        }
        addresses.extend_from_slice(address.as_primitive::<UInt64Type>().values());
    }
    if !pending.is_empty() {
        values.push(concat_all(&pending)?);
    }
    if values.is_empty() {
        return Ok(None);
    }
    tokio::task::spawn_blocking(move || {
        let values = concat_all(&values)?;
        let addresses: ArrayRef = Arc::new(UInt64Array::from(addresses));
        let order = ascending_order(values.as_ref())?;
        Ok(Some(SortedRows::new(values, addresses, order)))
    })
    .await
    .map_err(|e| Error::Corrupt(format!("index sort failed: {e}")))?
}

fn concat_all(parts: &[ArrayRef]) -> Result<ArrayRef> {
    if let [one] = parts {
        return Ok(one.clone());
    }
    let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
    Ok(concat(&refs)?)
}

/// The permutation that sorts `values` in [`ORDER`], or `None` when they already are.
fn ascending_order(values: &dyn Array) -> Result<Option<UInt32Array>> {
    let compare = make_comparator(values, values, ORDER)?;
    if (1..values.len()).all(|i| compare(i - 1, i) != Ordering::Greater) {
        return Ok(None);
    }
    Ok(Some(match values.data_type() {
        DataType::Utf8 => utf8_order(values.as_string::<i32>()),
        _ => sort_to_indices(values, Some(ORDER), None)?,
    }))
}

/// Sorts strings by an 8-byte big-endian prefix first, so most comparisons are of two
/// integers; equal prefixes compare the rest, equal strings their positions (so the order
/// is total and the segment the same however the sort runs). Halves sort on two threads.
fn utf8_order(values: &arrow_array::StringArray) -> UInt32Array {
    let prefix = |i: usize| -> u64 {
        let bytes = values.value(i).as_bytes();
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        u64::from_be_bytes(word)
    };
    let compare = |a: &(u64, u32), b: &(u64, u32)| -> Ordering {
        a.0.cmp(&b.0)
            .then_with(|| {
                let x = values.value(a.1 as usize).as_bytes();
                let y = values.value(b.1 as usize).as_bytes();
                if x.len() <= 8 && y.len() <= 8 {
                    // Equal zero-padded prefixes: the shorter string is a prefix of the other.
                    x.len().cmp(&y.len())
                } else {
                    x.cmp(y)
                }
            })
            .then(a.1.cmp(&b.1))
    };
    let mut order: Vec<u32> = Vec::with_capacity(values.len());
    let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(values.len() - values.null_count());
    for i in 0..values.len() {
        if values.is_null(i) {
            order.push(i as u32);
        } else {
            keyed.push((prefix(i), i as u32));
        }
    }
    if keyed.len() < PARALLEL_SORT_ROWS {
        keyed.sort_unstable_by(compare);
        order.extend(keyed.iter().map(|(_, i)| *i));
        return UInt32Array::from(order);
    }
    let half = keyed.len() / 2;
    let (left, right) = keyed.split_at_mut(half);
    std::thread::scope(|scope| {
        scope.spawn(|| left.sort_unstable_by(compare));
        right.sort_unstable_by(compare);
    });
    let (mut l, mut r) = (left.iter().peekable(), right.iter().peekable());
    while let (Some(a), Some(b)) = (l.peek(), r.peek()) {
        if compare(a, b) == Ordering::Greater {
            order.push(b.1);
            r.next();
        } else {
            order.push(a.1);
            l.next();
        }
    }
    order.extend(l.chain(r).map(|(_, i)| *i));
    UInt32Array::from(order)
}

/// A segment's training rows: the column and its row addresses, and the permutation that
/// puts them in value order (none when they are in it).
pub(crate) struct SortedRows {
    schema: SchemaRef,
    values: ArrayRef,
    addresses: ArrayRef,
    order: Option<UInt32Array>,
    next: usize,
}

impl SortedRows {
    fn new(values: ArrayRef, addresses: ArrayRef, order: Option<UInt32Array>) -> SortedRows {
        let schema = Arc::new(Schema::new(vec![
            Field::new("value", values.data_type().clone(), true),
            Field::new(ROW_ADDR, DataType::UInt64, false),
        ]));
        SortedRows {
            schema,
            values,
            addresses,
            order,
            next: 0,
        }
    }

    fn batch(&self, start: usize, len: usize) -> std::result::Result<RecordBatch, ArrowError> {
        let columns = match &self.order {
            None => vec![
                self.values.slice(start, len),
                self.addresses.slice(start, len),
            ],
            Some(order) => {
                let rows = order.slice(start, len);
                vec![
                    take(self.values.as_ref(), &rows, None)?,
                    take(self.addresses.as_ref(), &rows, None)?,
                ]
            }
        };
        RecordBatch::try_new(self.schema.clone(), columns)
    }
}

impl Iterator for SortedRows {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.next;
        let len = TRAINING_BATCH_ROWS.min(self.values.len() - start);
        if len == 0 {
            return None;
        }
        self.next += len;
        Some(self.batch(start, len))
    }
}

impl RecordBatchReader for SortedRows {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
