//! No production file over 800 lines and no production function over 80: past that, a reader
//! cannot hold the whole of it, and a change to one part risks another. Tests are not counted
//! (a `#[cfg(test)]` item, such as a file's `mod tests`, counts toward neither rule).

use std::collections::BTreeSet;

use syn::visit::{self, Visit};
use syn::{Block, ImplItem, Item, TraitItem, Visibility};

use crate::code::{
    ModuleTree, impl_item_attrs, is_cfg_test, item_attrs, judge, lines_of, module_trees,
    trait_item_attrs,
};

const MAX_FILE_LINES: usize = 800;
const MAX_FUNCTION_LINES: usize = 80;

/// Long for good, by why: data a reader scans rather than logic they must hold. Keep it
/// short; a long function of logic is split, not listed. Entries are named as in SHRINKING.
const EXCEPTIONS: &[(&str, &[&str])] = &[];

/// Today's long files and functions, by the issue that splits them, tolerated meanwhile and
/// reported on every run: a file by its path, a function by its file and name. The check fails
/// once an entry is no longer long, so the list only shrinks: drop the entry in the change
/// that shortens it.
const SHRINKING: &[(&str, &[&str])] = &[("issue 28", &[])];

/// A file or function over its limit.
#[derive(Debug, PartialEq)]
struct Offender {
    path: String,
    /// The function's name (`Type::method` inside an impl or a trait), or `None` for the file.
    function: Option<String>,
    line: usize,
    lines: usize,
}

impl Offender {
    /// How SHRINKING and EXCEPTIONS name it: without its line, as edits above it move it.
    fn key(&self) -> String {
        match &self.function {
            Some(name) => format!("{} {name}", self.path),
            None => self.path.clone(),
        }
    }
}

impl std::fmt::Display for Offender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.function {
            Some(name) => write!(
                f,
                "{}:{} {name} ({} lines)",
                self.path, self.line, self.lines
            ),
            None => write!(f, "{} ({} lines without its tests)", self.path, self.lines),
        }
    }
}

/// The functions of one file with their lengths, and how many of its lines are tests.
#[derive(Default)]
struct Measure {
    /// The type or trait whose functions are being read.
    owner: Option<String>,
    functions: Vec<(String, usize, usize)>,
    test_lines: usize,
}

impl Measure {
    fn skip_test(&mut self, node: &impl syn::spanned::Spanned) {
        let (first, last) = lines_of(node);
        self.test_lines += last - first + 1;
    }

    /// A function from its signature (visibility included) to its closing brace; a function
    /// nested in it is part of it, so its body is not read further.
    fn function(&mut self, vis: &Visibility, sig: &syn::Signature, body: &Block) {
        let first = match vis {
            Visibility::Inherited => lines_of(sig).0,
            _ => lines_of(vis).0,
        };
        let last = lines_of(body).1;
        let name = match &self.owner {
            Some(owner) => format!("{owner}::{}", sig.ident),
            None => sig.ident.to_string(),
        };
        self.functions.push((name, first, last - first + 1));
    }
}

impl<'ast> Visit<'ast> for Measure {
    fn visit_item(&mut self, item: &'ast Item) {
        if is_cfg_test(item_attrs(item)) {
            self.skip_test(item);
        } else {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        if is_cfg_test(impl_item_attrs(item)) {
            self.skip_test(item);
        } else {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        if is_cfg_test(trait_item_attrs(item)) {
            self.skip_test(item);
        } else {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let owner = match &*item.self_ty {
            syn::Type::Path(ty) => ty.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        let outer = std::mem::replace(&mut self.owner, owner);
        visit::visit_item_impl(self, item);
        self.owner = outer;
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        let outer = self.owner.replace(item.ident.to_string());
        visit::visit_item_trait(self, item);
        self.owner = outer;
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.function(&item.vis, &item.sig, &item.block);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.function(&item.vis, &item.sig, &item.block);
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(body) = &item.default {
            self.function(&Visibility::Inherited, &item.sig, body);
        }
    }
}

/// Every production file and function of a crate over its limit; `cite` turns a path from
/// `src/` into the one reports show.
fn offenders(trees: &[ModuleTree], cite: impl Fn(&str) -> String) -> Vec<Offender> {
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for parsed in trees.iter().flat_map(|tree| &tree.files) {
        if !seen.insert(&parsed.file) {
            continue;
        }
        let mut measure = Measure::default();
        measure.visit_file(&parsed.syntax);
        let production = parsed.lines - measure.test_lines;
        if production > MAX_FILE_LINES {
            found.push(Offender {
                path: cite(&parsed.file),
                function: None,
                line: 1,
                lines: production,
            });
        }
        for (name, line, lines) in measure.functions {
            if lines > MAX_FUNCTION_LINES {
                found.push(Offender {
                    path: cite(&parsed.file),
                    function: Some(name),
                    line,
                    lines,
                });
            }
        }
    }
    found.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    found
}

/// Each entry of EXCEPTIONS or SHRINKING, with the reason or issue it is listed under.
fn entries(list: &[(&'static str, &[&'static str])]) -> Vec<(String, &'static str)> {
    list.iter()
        .flat_map(|(why, entries)| entries.iter().map(move |entry| ((*entry).to_owned(), *why)))
        .collect()
}

#[test]
fn no_file_or_function_is_too_long_but_those_being_split() {
    let mut found = Vec::new();
    for sources in tidy::crate_sources() {
        let trees = module_trees(&sources.files);
        found.extend(offenders(&trees, |file| sources.cite(file)));
    }
    let excepted = entries(EXCEPTIONS);
    found.retain(|offender| !excepted.iter().any(|(key, _)| *key == offender.key()));
    let shrinking = entries(SHRINKING);
    let keys: Vec<String> = found.iter().map(Offender::key).collect();
    let listed: Vec<String> = shrinking.iter().map(|(key, _)| key.clone()).collect();
    let verdict = judge(&keys, &listed);
    let report = |keys: &[&String]| -> String {
        let why = |key: String| {
            shrinking
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, why)| *why)
        };
        found
            .iter()
            .filter(|offender| keys.contains(&&offender.key()))
            .map(|offender| match why(offender.key()) {
                Some(why) => format!("\n  {offender}, {why}"),
                None => format!("\n  {offender}"),
            })
            .collect()
    };
    verdict.enforce(
        &format!(
            "over {MAX_FILE_LINES} lines a file or {MAX_FUNCTION_LINES} a function, tests aside"
        ),
        "SHRINKING in sizes.rs",
        report,
    );
}

/// The offenders among in-memory sources of one crate, as the check reports them.
fn offenders_in(sources: &[(&str, &str)]) -> Vec<String> {
    let sources: Vec<(String, String)> = sources
        .iter()
        .map(|(file, text)| ((*file).to_owned(), (*text).to_owned()))
        .collect();
    offenders(&module_trees(&sources), str::to_owned)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// A function of `lines` lines, signature and closing brace included.
fn function_of(name: &str, lines: usize) -> String {
    format!(
        "pub fn {name}() {{\n{}}}\n",
        "    let _ = 1;\n".repeat(lines - 2)
    )
}

#[test]
fn a_function_over_80_lines_is_reported_and_one_of_80_is_not() {
    let text = format!(
        "fn short() {{\n    let _ = 1;\n}}\n{}{}",
        function_of("eighty", 80),
        function_of("long", 81)
    );
    assert_eq!(
        offenders_in(&[("lib.rs", &text)]),
        ["lib.rs:84 long (81 lines)"]
    );
}

#[test]
fn methods_are_named_by_their_type_and_nested_functions_count_in_their_parent() {
    let body = "        let _ = 1;\n".repeat(40);
    let text = format!(
        "struct S;\nimpl S {{\n    fn method(&self) {{\n        fn inner() {{\n{body}        }}\n\
         {body}    }}\n}}\ntrait T {{\n    fn default(&self) {{\n{body}{body}    }}\n}}\n"
    );
    assert_eq!(
        offenders_in(&[("lib.rs", &text)]),
        [
            "lib.rs:3 S::method (84 lines)",
            "lib.rs:89 T::default (82 lines)"
        ]
    );
}

#[test]
fn tests_count_toward_neither_rule() {
    let production = "pub struct A;\n".repeat(788);
    let tests = format!(
        "#[cfg(test)]\nmod tests {{\n{}}}\n",
        function_of("long_test", 200)
    );
    let method = format!(
        "impl A {{\n    #[cfg(test)]\n{}}}\n",
        function_of("helper", 90)
    );
    let text = format!("mod a;\n#[cfg(test)]\nmod fixtures;\n{production}{tests}{method}");
    let long = "pub struct B;\n".repeat(801);
    let sources = [
        ("lib.rs", text.as_str()),
        ("a.rs", ""),
        ("fixtures.rs", long.as_str()),
    ];
    assert_eq!(offenders_in(&sources), Vec::<String>::new());

    let over = format!("{text}{}", "pub struct C;\n".repeat(10));
    let sources = [("lib.rs", over.as_str()), ("a.rs", long.as_str())];
    assert_eq!(
        offenders_in(&sources),
        [
            "a.rs (801 lines without its tests)",
            "lib.rs (801 lines without its tests)"
        ]
    );
}
