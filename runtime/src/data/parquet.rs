//! Parquet through arrow-rs: a reader that turns each row into a record and validates it against
//! the element type (errors name file, row and field), and an atomic writer whose Arrow schema is
//! derived from the Plan's `DataTy` (records -> structs, lists -> lists, optionals -> nullable).

use super::jsonl::{MAX_REPORTED, ReadErrors};
use super::validate::conform;
use super::{DataError, Value, atomic};
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use pipec_compiler::plan::DataTy;
use std::path::Path;
use std::sync::Arc;

/// Read every row of `path` as a record of type `elem`.
pub fn read(path: &Path, display: &str, elem: &DataTy) -> Result<Vec<Value>, ReadErrors> {
    let fail = |row: usize, expected: &str, found: String| ReadErrors { errors: vec![DataError { file: display.into(), line: row, field: String::new(), expected: expected.into(), found }], total: 1 };
    let file = std::fs::File::open(path).map_err(|e| fail(0, "a readable file", e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).and_then(|b| b.build()).map_err(|e| fail(0, "a Parquet file", e.to_string()))?;
    let mut rows = Vec::new();
    let mut bad = ReadErrors { errors: vec![], total: 0 };
    for batch in reader {
        let batch = batch.map_err(|e| fail(rows.len() + 1, "a readable row group", e.to_string()))?;
        let mut writer = arrow_json::LineDelimitedWriter::new(Vec::new());
        writer.write(&batch).map_err(|e| fail(rows.len() + 1, "rows JSON can represent", e.to_string()))?;
        writer.finish().map_err(|e| fail(rows.len() + 1, "rows JSON can represent", e.to_string()))?;
        for line in writer.into_inner().split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let row_no = rows.len() + bad.total + 1;
            let mut v: Value = serde_json::from_slice(line).map_err(|e| fail(row_no, "a row", e.to_string()))?;
            match conform(&mut v, elem) {
                Ok(()) => rows.push(v),
                Err(m) => {
                    bad.total += 1;
                    if bad.errors.len() < MAX_REPORTED {
                        bad.errors.push(DataError { file: display.into(), line: row_no, field: m.path, expected: m.expected, found: m.found });
                    }
                }
            }
        }
    }
    if bad.total > 0 { Err(bad) } else { Ok(rows) }
}

/// Write `rows` (records of type `elem`) as one Snappy-compressed Parquet file, atomically.
pub fn write(path: &Path, scratch: &Path, rows: &[Value], elem: &DataTy) -> Result<(), String> {
    let DataType::Struct(fields) = arrow_type(elem).ok_or_else(|| format!("Parquet needs records of a known type, not `{}`", elem.display()))? else {
        return Err(format!("Parquet rows must be records, not `{}`", elem.display()));
    };
    let schema = Arc::new(Schema::new(fields));
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone()).with_batch_size(rows.len().max(1)).build_decoder().map_err(|e| e.to_string())?;
    decoder.serialize(rows).map_err(|e| e.to_string())?;
    let batch = decoder.flush().map_err(|e| e.to_string())?;
    let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    atomic::write_atomic(path, scratch, |w| {
        let mut writer = ArrowWriter::try_new(w, schema.clone(), Some(props)).map_err(std::io::Error::other)?;
        if let Some(b) = &batch {
            writer.write(b).map_err(std::io::Error::other)?;
        }
        writer.close().map(|_| ()).map_err(std::io::Error::other)
    })
    .map_err(|e| e.to_string())
}

/// The Arrow type of a data type; `None` where Parquet has no column type for it.
fn arrow_type(t: &DataTy) -> Option<DataType> {
    Some(match t {
        DataTy::Int => DataType::Int64,
        DataTy::Float => DataType::Float64,
        DataTy::Bool => DataType::Boolean,
        DataTy::Str | DataTy::Enum { .. } => DataType::Utf8,
        DataTy::Optional { of } => return arrow_type(of),
        DataTy::List { of } => DataType::List(Arc::new(Field::new("item", arrow_type(of)?, true))),
        DataTy::Embedding { .. } => DataType::List(Arc::new(Field::new("item", DataType::Float64, false))),
        DataTy::Record { fields, .. } => {
            let fs: Option<Vec<Field>> = fields.iter().map(|f| Some(Field::new(&f.name, arrow_type(&f.ty)?, matches!(f.ty, DataTy::Optional { .. })))).collect();
            DataType::Struct(Fields::from(fs?))
        }
        DataTy::Any => return None,
    })
}
