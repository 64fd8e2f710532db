//! The typed graph schema: node types, edge types and their properties.

use std::collections::BTreeMap;
use std::fmt;

/// A property's value type as declared in the schema language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropType {
    String,
    Bool,
    I32,
    I64,
    U32,
    U64,
    F32,
    F64,
    Date,
    DateTime,
    List(Box<PropType>),
    Enum(Vec<String>),
    Vector(u32),
    Blob,
}

impl fmt::Display for PropType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropType::String => f.write_str("String"),
            PropType::Bool => f.write_str("Bool"),
            PropType::I32 => f.write_str("I32"),
            PropType::I64 => f.write_str("I64"),
            PropType::U32 => f.write_str("U32"),
            PropType::U64 => f.write_str("U64"),
            PropType::F32 => f.write_str("F32"),
            PropType::F64 => f.write_str("F64"),
            PropType::Date => f.write_str("Date"),
            PropType::DateTime => f.write_str("DateTime"),
            PropType::List(inner) => write!(f, "[{inner}]"),
            PropType::Enum(values) => write!(f, "enum({})", values.join(", ")),
            PropType::Vector(n) => write!(f, "Vector({n})"),
            PropType::Blob => f.write_str("Blob"),
        }
    }
}

/// One declared property of a node or edge type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Name as written in the schema.
    pub declared_name: String,
    /// Column name: snake_case of the declared name.
    pub column: String,
    pub ty: PropType,
    pub nullable: bool,
    pub unique: bool,
    /// `@index`: a secondary index on the column (a `@key` or `@unique` column has one
    /// anyway).
    pub index: Option<IndexDecl>,
}

/// How an index is organised: Lance's scalar indexes, its vector indexes (IVF_PQ and
/// IVF_HNSW_SQ) and its inverted (full-text, BM25) index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexMethod {
    BTree,
    Bitmap,
    LabelList,
    /// IVF partitions of product-quantized vectors.
    IvfPq,
    /// IVF partitions, each an HNSW graph of scalar-quantized vectors (IVF_HNSW_SQ).
    Hnsw,
    /// Inverted index of a text column's tokens, ranked by BM25.
    Inverted,
}

impl IndexMethod {
    /// Every method, by the name `@index(... using m)` and `CREATE INDEX ... USING m` take.
    pub const ALL: [IndexMethod; 6] = [
        IndexMethod::BTree,
        IndexMethod::Bitmap,
        IndexMethod::LabelList,
        IndexMethod::IvfPq,
        IndexMethod::Hnsw,
        IndexMethod::Inverted,
    ];

    /// The name PostgreSQL-style catalogs show (`USING btree`).
    pub fn as_str(&self) -> &'static str {
        match self {
            IndexMethod::BTree => "btree",
            IndexMethod::Bitmap => "bitmap",
            IndexMethod::LabelList => "labellist",
            IndexMethod::IvfPq => "ivf_pq",
            IndexMethod::Hnsw => "hnsw",
            IndexMethod::Inverted => "inverted",
        }
    }

    /// The method named `name` (case-insensitive); `fulltext` is another name of the
    /// inverted index and `ivf_hnsw_sq` of `hnsw`.
    pub fn from_name(name: &str) -> Option<IndexMethod> {
        let alias = match name.to_ascii_lowercase().as_str() {
            "fulltext" => Some(IndexMethod::Inverted),
            "ivf_hnsw_sq" => Some(IndexMethod::Hnsw),
            _ => None,
        };
        alias.or_else(|| {
            IndexMethod::ALL
                .into_iter()
                .find(|m| m.as_str().eq_ignore_ascii_case(name))
        })
    }

    /// The method a column of type `ty` gets when none is named: a bitmap for booleans and
    /// enums (few distinct values), a label list for lists, IVF_PQ for vectors (it reaches
    /// recall@10 of 0.95 at the default search settings where HNSW needs a large
    /// `ef_search`), a B-tree otherwise.
    pub fn default_for(ty: &PropType) -> IndexMethod {
        match ty {
            PropType::Bool | PropType::Enum(_) => IndexMethod::Bitmap,
            PropType::List(_) => IndexMethod::LabelList,
            PropType::Vector(_) => IndexMethod::IvfPq,
            _ => IndexMethod::BTree,
        }
    }

    /// Whether this method indexes vectors by distance.
    pub fn is_vector(&self) -> bool {
        matches!(self, IndexMethod::IvfPq | IndexMethod::Hnsw)
    }

    /// Whether this method can index a column of type `ty` (a label list indexes the
    /// elements of lists, a vector index vectors, an inverted index text, the others
    /// scalar values).
    pub fn supports(&self, ty: &PropType) -> bool {
        match self {
            IndexMethod::IvfPq | IndexMethod::Hnsw => matches!(ty, PropType::Vector(_)),
            IndexMethod::Inverted => matches!(ty, PropType::String),
            IndexMethod::LabelList => matches!(ty, PropType::List(_)),
            IndexMethod::BTree | IndexMethod::Bitmap => {
                !matches!(ty, PropType::List(_) | PropType::Vector(_))
            }
        }
    }
}

impl fmt::Display for IndexMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The distance a vector index orders by, named as pgvector's operator classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VectorMetric {
    /// `vector_l2_ops`: Euclidean distance, the `<->` operator.
    L2,
    /// `vector_cosine_ops`: cosine distance, the `<=>` operator.
    Cosine,
    /// `vector_ip_ops`: negative inner product, the `<#>` operator.
    InnerProduct,
}

impl VectorMetric {
    pub const ALL: [VectorMetric; 3] = [
        VectorMetric::L2,
        VectorMetric::Cosine,
        VectorMetric::InnerProduct,
    ];

    /// The operator class that names it (`vector_cosine_ops`).
    pub fn ops_name(&self) -> &'static str {
        match self {
            VectorMetric::L2 => "vector_l2_ops",
            VectorMetric::Cosine => "vector_cosine_ops",
            VectorMetric::InnerProduct => "vector_ip_ops",
        }
    }

    /// The metric of operator class `name` (case-insensitive).
    pub fn from_ops_name(name: &str) -> Option<VectorMetric> {
        VectorMetric::ALL
            .into_iter()
            .find(|m| m.ops_name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for VectorMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ops_name())
    }
}

/// An `@index` annotation: `@index`, `@index(name)`, `@index(using m)`,
/// `@index(name using m)`, and for a vector index `@index([name] using m ops)` with ops a
/// pgvector operator class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexDecl {
    pub name: Option<String>,
    pub method: Option<IndexMethod>,
    /// The metric of a vector index; `None`: cosine distance.
    pub metric: Option<VectorMetric>,
}

impl fmt::Display for IndexDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("@index")?;
        let method = match (self.method, self.metric) {
            (None, None) => None,
            (Some(m), None) => Some(format!("using {m}")),
            (m, Some(ops)) => Some(match m {
                Some(m) => format!("using {m} {ops}"),
                None => format!("using {} {ops}", IndexMethod::IvfPq),
            }),
        };
        match (&self.name, method) {
            (None, None) => Ok(()),
            (Some(n), None) => write!(f, "({n})"),
            (None, Some(m)) => write!(f, "({m})"),
            (Some(n), Some(m)) => write!(f, "({n} {m})"),
        }
    }
}

/// Edge cardinality per source node: `@card(min..max)`; `max = None` is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cardinality {
    pub min: u64,
    pub max: Option<u64>,
}

impl fmt::Display for Cardinality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(max) => write!(f, "@card({}..{})", self.min, max),
            None => write!(f, "@card({}..)", self.min),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeType {
    pub declared_name: String,
    /// Table name: snake_case of the declared name.
    pub table: String,
    pub properties: Vec<Property>,
    /// Columns of the key, in key order; empty for keyless types (ULID ids).
    pub key: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeType {
    pub declared_name: String,
    pub table: String,
    /// Table name of the source node type.
    pub src_table: String,
    /// Table name of the destination node type.
    pub dst_table: String,
    pub properties: Vec<Property>,
    /// Key columns identifying an edge besides its endpoints; empty for keyless edges.
    pub key: Vec<String>,
    pub cardinality: Option<Cardinality>,
}

/// Whether a table holds nodes or edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableKind {
    Node,
    Edge,
}

impl TableKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            TableKind::Node => "node",
            TableKind::Edge => "edge",
        }
    }
}

/// A borrowed view of either kind of type, for code that treats tables uniformly.
#[derive(Debug, Clone, Copy)]
pub enum TableDef<'a> {
    Node(&'a NodeType),
    Edge(&'a EdgeType),
}

impl<'a> TableDef<'a> {
    pub fn table(&self) -> &'a str {
        match self {
            TableDef::Node(n) => &n.table,
            TableDef::Edge(e) => &e.table,
        }
    }
    pub fn declared_name(&self) -> &'a str {
        match self {
            TableDef::Node(n) => &n.declared_name,
            TableDef::Edge(e) => &e.declared_name,
        }
    }
    pub fn kind(&self) -> TableKind {
        match self {
            TableDef::Node(_) => TableKind::Node,
            TableDef::Edge(_) => TableKind::Edge,
        }
    }
    pub fn properties(&self) -> &'a [Property] {
        match self {
            TableDef::Node(n) => &n.properties,
            TableDef::Edge(e) => &e.properties,
        }
    }
    pub fn key(&self) -> &'a [String] {
        match self {
            TableDef::Node(n) => &n.key,
            TableDef::Edge(e) => &e.key,
        }
    }
    pub fn property(&self, column: &str) -> Option<&'a Property> {
        self.properties()
            .iter()
            .find(|p| p.column.eq_ignore_ascii_case(column))
    }
}

/// A parsed, validated graph schema together with the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphSchema {
    pub source: String,
    /// Keyed by table name, so iteration order is deterministic.
    pub nodes: BTreeMap<String, NodeType>,
    pub edges: BTreeMap<String, EdgeType>,
}

impl GraphSchema {
    pub fn empty() -> Self {
        GraphSchema {
            source: String::new(),
            nodes: BTreeMap::new(),
            edges: BTreeMap::new(),
        }
    }

    /// Looks a table up by table name (case-insensitive) or by declared type name.
    pub fn table(&self, name: &str) -> Option<TableDef<'_>> {
        let lower = name.to_ascii_lowercase();
        let snake = super::names::snake_case(name);
        for candidate in [&lower, &snake] {
            if let Some(n) = self.nodes.get(candidate.as_str()) {
                return Some(TableDef::Node(n));
            }
            if let Some(e) = self.edges.get(candidate.as_str()) {
                return Some(TableDef::Edge(e));
            }
        }
        None
    }

    /// Looks up a node type by its declared name (as used in NDJSON `"type"`) or table name.
    pub fn node(&self, name: &str) -> Option<&NodeType> {
        match self.table(name) {
            Some(TableDef::Node(n)) => Some(n),
            _ => None,
        }
    }

    pub fn edge(&self, name: &str) -> Option<&EdgeType> {
        match self.table(name) {
            Some(TableDef::Edge(e)) => Some(e),
            _ => None,
        }
    }

    /// All tables, nodes first, each group in name order.
    pub fn tables(&self) -> impl Iterator<Item = TableDef<'_>> {
        self.nodes
            .values()
            .map(TableDef::Node)
            .chain(self.edges.values().map(TableDef::Edge))
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.edges.is_empty()
    }
}
