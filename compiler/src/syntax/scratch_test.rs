#[test]
fn scratch() {
    let text = std::fs::read_to_string("/tmp/scratch/a.pipe").unwrap();
    let (m, d) = super::source_to_ast(crate::source::FileId(0), &text);
    for x in d.iter() { eprintln!("{:?}", x); }
    eprintln!("{} items", m.items.len());
}
