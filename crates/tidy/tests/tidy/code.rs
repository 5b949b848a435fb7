//! Our production code as the compiler sees it, for the checks that read Rust rather than
//! text (`sizes`, `circles`): each crate's files reached from its root by `mod` declarations,
//! parsed, with their module paths; `#[cfg(test)]` items and the files only they declare are
//! left out. Also the bookkeeping both checks share: what a list of known offenders tolerates.

use std::collections::BTreeMap;

use syn::spanned::Spanned;
use syn::{Attribute, ImplItem, Item, Meta, TraitItem};

/// One source file of a crate, parsed.
pub struct ParsedFile {
    /// The path from the crate's `src/` (`http/mod.rs`).
    pub file: String,
    /// Its module path from the crate root (`["http"]`; the root's is empty).
    pub module: Vec<String>,
    /// Lines in the file, tests included.
    pub lines: usize,
    pub syntax: syn::File,
}

/// The files one crate root (`lib.rs` or `main.rs`) reaches, and every module, inline ones too,
/// with the file that holds it.
pub struct ModuleTree {
    pub files: Vec<ParsedFile>,
    pub modules: BTreeMap<Vec<String>, String>,
}

/// The module tree of each crate root among `sources` (paths from `src/` and their text).
pub fn module_trees(sources: &[(String, String)]) -> Vec<ModuleTree> {
    let sources: BTreeMap<&str, &str> = sources
        .iter()
        .map(|(file, text)| (file.as_str(), text.as_str()))
        .collect();
    ["lib.rs", "main.rs"]
        .into_iter()
        .filter(|root| sources.contains_key(root))
        .map(|root| {
            let mut tree = ModuleTree {
                files: Vec::new(),
                modules: BTreeMap::new(),
            };
            add_file(&sources, root, Vec::new(), "", &mut tree);
            tree
        })
        .collect()
}

/// Parses `file` as the module `module`, whose children live in `dir`, and every file its
/// `mod` declarations bring in.
fn add_file(
    sources: &BTreeMap<&str, &str>,
    file: &str,
    module: Vec<String>,
    dir: &str,
    tree: &mut ModuleTree,
) {
    let text = sources[file];
    let syntax = syn::parse_file(text).unwrap_or_else(|e| {
        let at = e.span().start();
        panic!("{file}:{}:{}: {e}", at.line, at.column + 1)
    });
    tree.modules.insert(module.clone(), file.to_owned());
    add_modules(sources, file, &syntax.items, &module, dir, tree);
    tree.files.push(ParsedFile {
        file: file.to_owned(),
        module,
        lines: text.lines().count(),
        syntax,
    });
}

fn add_modules(
    sources: &BTreeMap<&str, &str>,
    file: &str,
    items: &[Item],
    module: &[String],
    dir: &str,
    tree: &mut ModuleTree,
) {
    for item in items {
        let Item::Mod(declared) = item else { continue };
        if is_cfg_test(&declared.attrs) {
            continue;
        }
        assert!(
            !declared.attrs.iter().any(|a| a.path().is_ident("path")),
            "{file}: `#[path]` on `mod {}` is not followed by these checks",
            declared.ident
        );
        let name = declared.ident.to_string();
        let child = [module, std::slice::from_ref(&name)].concat();
        let child_dir = format!("{dir}{name}/");
        if let Some((_, items)) = &declared.content {
            tree.modules.insert(child.clone(), file.to_owned());
            add_modules(sources, file, items, &child, &child_dir, tree);
        } else {
            let flat = format!("{dir}{name}.rs");
            let nested = format!("{child_dir}mod.rs");
            let found = [flat, nested]
                .into_iter()
                .find(|path| sources.contains_key(path.as_str()))
                .unwrap_or_else(|| panic!("{file}: `mod {name};` has no file"));
            add_file(sources, &found, child, &child_dir, tree);
        }
    }
}

/// Whether an item is compiled for tests only: `#[cfg(test)]`, or `test` within `all(..)`.
pub fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"))
        .filter_map(|attr| attr.parse_args::<Meta>().ok())
        .any(|condition| match condition {
            Meta::Path(path) => path.is_ident("test"),
            Meta::List(list) if list.path.is_ident("all") => list
                .parse_args_with(
                    syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated,
                )
                .is_ok_and(|all| all.iter().any(|c| c.path().is_ident("test"))),
            _ => false,
        })
}

pub fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

pub fn impl_item_attrs(item: &ImplItem) -> &[Attribute] {
    match item {
        ImplItem::Const(i) => &i.attrs,
        ImplItem::Fn(i) => &i.attrs,
        ImplItem::Type(i) => &i.attrs,
        ImplItem::Macro(i) => &i.attrs,
        _ => &[],
    }
}

pub fn trait_item_attrs(item: &TraitItem) -> &[Attribute] {
    match item {
        TraitItem::Const(i) => &i.attrs,
        TraitItem::Fn(i) => &i.attrs,
        TraitItem::Type(i) => &i.attrs,
        TraitItem::Macro(i) => &i.attrs,
        _ => &[],
    }
}

/// The first and last line a piece of syntax covers, its attributes and doc comments included.
pub fn lines_of(node: &impl Spanned) -> (usize, usize) {
    let span = node.span();
    (span.start().line, span.end().line)
}

/// What a check found, held against a list of known offenders it tolerates for now.
pub struct Verdict<'a, K> {
    /// Found and not listed: the check fails on these.
    pub new: Vec<&'a K>,
    /// Found and listed.
    pub tolerated: Vec<&'a K>,
    /// Listed but no longer found: fixed, so the list must drop them (it only ever shrinks).
    pub fixed: Vec<&'a K>,
}

impl<K: std::fmt::Debug> Verdict<'_, K> {
    /// Prints what `list` tolerates, then fails on anything new (`problem`, then each shown by
    /// `report`) and on any entry of `list` that is no longer found.
    #[track_caller]
    pub fn enforce(&self, problem: &str, list: &str, report: impl Fn(&[&K]) -> String) {
        println!("tolerated for now ({list}):{}", report(&self.tolerated));
        let mut problems = Vec::new();
        if !self.new.is_empty() {
            problems.push(format!("{problem}:{}", report(&self.new)));
        }
        if !self.fixed.is_empty() {
            problems.push(format!(
                "no longer found as listed, so drop or replace them in {list}: {:?}",
                self.fixed
            ));
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

pub fn judge<'a, K: PartialEq>(found: &'a [K], listed: &'a [K]) -> Verdict<'a, K> {
    let (tolerated, new) = found.iter().partition(|k| listed.contains(k));
    let fixed = listed.iter().filter(|k| !found.contains(k)).collect();
    Verdict {
        new,
        tolerated,
        fixed,
    }
}

#[test]
fn a_listed_offender_that_is_gone_is_called_fixed() {
    let verdict = judge(&["a", "b"], &["b", "c"]);
    assert_eq!(verdict.new, [&"a"]);
    assert_eq!(verdict.tolerated, [&"b"]);
    assert_eq!(verdict.fixed, [&"c"]);
}

#[test]
fn a_cfg_test_module_and_the_file_it_declares_are_left_out() {
    let sources = [
        (
            "lib.rs".to_owned(),
            "mod a;\n#[cfg(test)]\nmod vectors;\n#[cfg(all(test, unix))]\nmod more;\n".to_owned(),
        ),
        ("a.rs".to_owned(), "mod b { mod c; }\n".to_owned()),
        ("a/b/c.rs".to_owned(), "pub struct C;\n".to_owned()),
        ("vectors.rs".to_owned(), "pub struct V;\n".to_owned()),
        ("more.rs".to_owned(), "pub struct M;\n".to_owned()),
    ];
    let trees = module_trees(&sources);
    assert_eq!(trees.len(), 1);
    let files: Vec<&str> = trees[0].files.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(files, ["a/b/c.rs", "a.rs", "lib.rs"]);
    let c = &trees[0].files[0];
    assert_eq!(c.module, ["a", "b", "c"]);
    assert_eq!(
        trees[0].modules[&vec!["a".to_owned(), "b".to_owned()]],
        "a.rs"
    );
}
