//! DuckDB values and types as the SQL API answers them: JSON values (BLOBs
//! — WKB geometry — as hex strings, timestamps as RFC 3339 UTC, decimals
//! and big integers as numbers when they fit, NaN and infinities as
//! strings) and CSV cells; type names in DuckDB's words.

use duckdb::arrow::datatypes::DataType;
use duckdb::types::Value;
use serde_json::{Value as Json, json};
use wangge_engine::time::civil_from_days;

/// A value as JSON.
pub fn to_json(v: Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::TinyInt(x) => json!(x),
        Value::SmallInt(x) => json!(x),
        Value::Int(x) => json!(x),
        Value::BigInt(x) => json!(x),
        Value::UTinyInt(x) => json!(x),
        Value::USmallInt(x) => json!(x),
        Value::UInt(x) => json!(x),
        Value::UBigInt(x) => json!(x),
        Value::HugeInt(x) => i64::try_from(x).map_or_else(|_| json!(x.to_string()), |x| json!(x)),
        Value::UHugeInt(x) => u64::try_from(x).map_or_else(|_| json!(x.to_string()), |x| json!(x)),
        Value::Float(x) => float(f64::from(x)),
        Value::Double(x) => float(x),
        Value::Decimal(x) => {
            let s = x.to_string();
            s.parse::<f64>().map_or(json!(s), float)
        }
        Value::Timestamp(unit, x) => json!(timestamp(unit.to_micros(x))),
        Value::Date32(days) => {
            let (y, m, d) = civil_from_days(i64::from(days));
            json!(format!("{y:04}-{m:02}-{d:02}"))
        }
        Value::Time64(unit, x) => json!(time_of_day(unit.to_micros(x))),
        Value::Interval { months, days, nanos } => json!({"months": months, "days": days, "micros": nanos / 1000}),
        Value::Text(s) | Value::Enum(s) => json!(s),
        Value::Blob(b) | Value::Geometry(b) => json!(hex(&b)),
        Value::List(v) | Value::Array(v) => Json::Array(v.into_iter().map(to_json).collect()),
        Value::Struct(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v.clone()))).collect()),
        Value::Map(m) => Json::Array(m.iter().map(|(k, v)| json!([to_json(k.clone()), to_json(v.clone())])).collect()),
        Value::Union(v) => to_json(*v),
        #[allow(unreachable_patterns)]
        other => json!(format!("{other:?}")),
    }
}

fn float(x: f64) -> Json {
    if x.is_finite() { json!(x) } else { json!(x.to_string()) }
}

/// Lower-case hex of bytes (how WKB geometry travels in JSON).
pub fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(D[usize::from(x >> 4)] as char);
        s.push(D[usize::from(x & 15)] as char);
    }
    s
}

fn time_of_day(us: i64) -> String {
    let (s, frac) = (us.div_euclid(1_000_000), us.rem_euclid(1_000_000));
    let mut t = format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    if frac != 0 {
        t.push_str(&format!(".{frac:06}"));
    }
    t
}

/// RFC 3339 in UTC from microseconds since the epoch (fractions only when there are some).
pub fn timestamp(us: i64) -> String {
    let (s, frac) = (us.div_euclid(1_000_000), us.rem_euclid(1_000_000));
    let t = wangge_engine::time::format_time(s);
    if frac == 0 { t } else { format!("{}.{frac:06}Z", t.trim_end_matches('Z')) }
}

/// A JSON answer cell as a CSV cell: strings as they are, NULL empty, lists and structs as JSON.
pub fn csv_cell(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A column type in DuckDB's words.
pub fn type_name(t: &DataType) -> String {
    match t {
        DataType::Null => "NULL".into(),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INTEGER".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::UInt8 => "UTINYINT".into(),
        DataType::UInt16 => "USMALLINT".into(),
        DataType::UInt32 => "UINTEGER".into(),
        DataType::UInt64 => "UBIGINT".into(),
        DataType::Float16 | DataType::Float32 => "FLOAT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("DECIMAL({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "VARCHAR".into(),
        DataType::Binary | DataType::LargeBinary | DataType::FixedSizeBinary(_) | DataType::BinaryView => "BLOB".into(),
        DataType::Timestamp(..) => "TIMESTAMP".into(),
        DataType::Date32 | DataType::Date64 => "DATE".into(),
        DataType::Time32(_) | DataType::Time64(_) => "TIME".into(),
        DataType::Interval(_) | DataType::Duration(_) => "INTERVAL".into(),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => format!("{}[]", type_name(f.data_type())),
        DataType::Struct(_) => "STRUCT".into(),
        DataType::Map(..) => "MAP".into(),
        DataType::Dictionary(_, v) => type_name(v),
        other => format!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::types::TimeUnit;

    #[test]
    fn values_as_json() {
        assert_eq!(to_json(Value::Blob(vec![1, 0xab])), json!("01ab"));
        assert_eq!(to_json(Value::Timestamp(TimeUnit::Microsecond, 1_500_000)), json!("1970-01-01T00:00:01.500000Z"));
        assert_eq!(to_json(Value::Timestamp(TimeUnit::Second, 86_400)), json!("1970-01-02T00:00:00Z"));
        assert_eq!(to_json(Value::Date32(365)), json!("1971-01-01"));
        assert_eq!(to_json(Value::Double(f64::NAN)), json!("NaN"));
        assert_eq!(to_json(Value::HugeInt(i128::MAX)), json!(i128::MAX.to_string()));
        assert_eq!(to_json(Value::List(vec![Value::Int(1), Value::Null])), json!([1, null]));
        assert_eq!(csv_cell(&json!("a,b")), "a,b");
        assert_eq!(csv_cell(&json!(null)), "");
    }
}
