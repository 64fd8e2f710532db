//! PostgreSQL's ordered-set aggregates DataFusion lacks: `percentile_disc(f) WITHIN
//! GROUP (ORDER BY x)` (the first value at or past fraction `f` of the sorted values) and
//! `mode() WITHIN GROUP (ORDER BY x)` (the most frequent value, the first in the order
//! among equally frequent ones). DataFusion plans `WITHIN GROUP (ORDER BY x)` as `x`
//! prepended to the arguments, with the ordering in the accumulator's arguments.

use std::cmp::Ordering;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Literal;

use super::errors::FunctionError;

/// The ordered-set aggregates.
pub fn aggregates() -> Vec<AggregateUDF> {
    vec![
        AggregateUDF::new_from_impl(OrderedSet {
            kind: Kind::PercentileDisc,
            signature: Signature::any(2, Volatility::Immutable),
        }),
        AggregateUDF::new_from_impl(OrderedSet {
            kind: Kind::Mode,
            signature: Signature::any(1, Volatility::Immutable),
        }),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    PercentileDisc,
    Mode,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct OrderedSet {
    kind: Kind,
    signature: Signature,
}

impl AggregateUDFImpl for OrderedSet {
    fn name(&self) -> &str {
        match self.kind {
            Kind::PercentileDisc => "percentile_disc",
            Kind::Mode => "mode",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(t) => Ok(t.clone()),
            None => plan_err!("{}() needs WITHIN GROUP (ORDER BY ...)", self.name()),
        }
    }

    fn supports_within_group_clause(&self) -> bool {
        true
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let item = args.input_fields[0].data_type().clone();
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "values"),
            DataType::List(Arc::new(Field::new_list_field(item, true))),
            true,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let descending = args
            .order_bys
            .first()
            .is_some_and(|sort| sort.options.descending);
        let fraction = match self.kind {
            Kind::PercentileDisc => Some(fraction(&args)?),
            Kind::Mode => None,
        };
        Ok(Box::new(OrderedSetAccumulator {
            kind: self.kind,
            fraction,
            descending,
            data_type: args.expr_fields[0].data_type().clone(),
            values: vec![],
        }))
    }
}

/// The literal fraction of `percentile_disc`, which PostgreSQL requires in 0..1.
fn fraction(args: &AccumulatorArgs) -> Result<Option<f64>> {
    let Some(literal) = args.exprs.get(1).and_then(|e| e.downcast_ref::<Literal>()) else {
        return exec_err!("percentile_disc takes a constant fraction");
    };
    if literal.value().is_null() {
        return Ok(None);
    }
    let ScalarValue::Float64(Some(f)) = literal.value().cast_to(&DataType::Float64)? else {
        return exec_err!("percentile_disc takes a number");
    };
    if !(0.0..=1.0).contains(&f) {
        return Err(FunctionError::PercentileOutOfRange(f.to_string()).into());
    }
    Ok(Some(f))
}

#[derive(Debug)]
struct OrderedSetAccumulator {
    kind: Kind,
    /// `percentile_disc`'s fraction (none: a null fraction, a null answer).
    fraction: Option<Option<f64>>,
    descending: bool,
    data_type: DataType,
    values: Vec<ScalarValue>,
}

impl OrderedSetAccumulator {
    fn add(&mut self, values: &ArrayRef) -> Result<()> {
        for row in 0..values.len() {
            if values.is_valid(row) {
                self.values.push(ScalarValue::try_from_array(values, row)?);
            }
        }
        Ok(())
    }

    fn sorted(&self) -> Vec<ScalarValue> {
        let mut sorted = self.values.clone();
        sorted.sort_by(|a, b| {
            let order = a.partial_cmp(b).unwrap_or(Ordering::Equal);
            match self.descending {
                true => order.reverse(),
                false => order,
            }
        });
        sorted
    }
}

impl Accumulator for OrderedSetAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(&values[0])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for list in lists.iter().flatten() {
            self.add(&list)?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let list = ScalarValue::new_list_nullable(&self.values, &self.data_type);
        Ok(vec![ScalarValue::List(list)])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let null = ScalarValue::try_from(&self.data_type)?;
        let sorted = self.sorted();
        if sorted.is_empty() {
            return Ok(null);
        }
        let answer = match (self.kind, self.fraction) {
            (Kind::PercentileDisc, Some(Some(fraction))) => {
                // PostgreSQL: the row at ceil(fraction * count), the first for 0.
                let position = (fraction * sorted.len() as f64).ceil() as usize;
                sorted[position.clamp(1, sorted.len()) - 1].clone()
            }
            (Kind::PercentileDisc, _) => null,
            (Kind::Mode, _) => most_frequent(sorted),
        };
        Ok(answer)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.iter().map(ScalarValue::size).sum::<usize>()
    }
}

/// The value of the longest run of equal values in `sorted`, the first on a tie.
fn most_frequent(sorted: Vec<ScalarValue>) -> ScalarValue {
    let mut best: Option<(usize, usize)> = None;
    let mut start = 0;
    for end in 1..=sorted.len() {
        if end == sorted.len() || sorted[end] != sorted[start] {
            let run = end - start;
            if best.is_none_or(|(_, longest)| run > longest) {
                best = Some((start, run));
            }
            start = end;
        }
    }
    let (index, _) = best.expect("sorted is not empty");
    sorted[index].clone()
}
