//! No import circle between the files of a crate: when file A names an item of file B and B,
//! directly or through others, names one of A, neither can be read, moved or split alone.
//!
//! A file names another through a path: `use crate::…`, `use super::…`, `use self::…`, a path
//! that starts at a child module (`pub use child::X`) or at a module a `use` brought in, and the
//! same paths in code, macro calls and attributes. A path goes to the deepest module file along
//! it (`crate::http::error::ApiError` → `http/error.rs`). A `mod child;` declaration alone is no
//! edge, and `#[cfg(test)]` items are skipped.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{ImplItem, Item, TraitItem, UseTree};

use crate::code::{
    ModuleTree, impl_item_attrs, is_cfg_test, item_attrs, judge, module_trees, trait_item_attrs,
};

/// Today's circles, by their files and the issue that breaks them, tolerated meanwhile. The
/// check fails once a listed circle is gone or has changed, so the list only shrinks: replace
/// or drop the entry in the change that breaks (part of) it.
const SHRINKING: &[(&str, &[&[&str]])] = &[("issue 28", &[])];

/// File A names items of file B: the names taken, by edge.
type Edges = BTreeMap<(String, String), BTreeSet<String>>;

/// Collects the paths one file names, resolved to the files of its crate.
struct References<'a> {
    modules: &'a BTreeMap<Vec<String>, String>,
    file: &'a str,
    /// The module being read: the file's own, or an inline one within it.
    module: Vec<String>,
    /// Modules a `use` brought in under a name, by the module the `use` is in.
    aliases: BTreeMap<(Vec<String>, String), Vec<String>>,
    edges: &'a mut Edges,
}

impl References<'_> {
    /// The module a path reaches, deepest first, and the name it takes there (`None` when the
    /// path ends at the module itself); `None` for a path outside the crate.
    fn resolve(&self, path: &[String]) -> Option<(Vec<String>, Option<String>)> {
        let first = path.first()?.as_str();
        let (mut module, rest) = match first {
            "crate" => (Vec::new(), &path[1..]),
            "self" => (self.module.clone(), &path[1..]),
            "super" => {
                let ups = path.iter().take_while(|s| *s == "super").count();
                let depth = self.module.len().checked_sub(ups)?;
                (self.module[..depth].to_vec(), &path[ups..])
            }
            _ => {
                let key = (self.module.clone(), first.to_owned());
                if let Some(target) = self.aliases.get(&key) {
                    (target.clone(), &path[1..])
                } else if self.modules.contains_key(&joined(&self.module, first)) {
                    (self.module.clone(), path)
                } else {
                    return None;
                }
            }
        };
        let mut rest = rest.iter();
        let name = loop {
            match rest.next() {
                Some(segment) if self.modules.contains_key(&joined(&module, segment)) => {
                    module.push(segment.clone());
                }
                other => break other.cloned(),
            }
        };
        Some((module, name))
    }

    /// Records the edge a path makes, if it reaches another file of the crate; the module it
    /// ends at, if it names a module rather than an item.
    fn reference(&mut self, path: &[String]) -> Option<Vec<String>> {
        let (module, name) = self.resolve(path)?;
        let target = &self.modules[&module];
        let taken = match &name {
            Some(name) => name.clone(),
            None => module.last().cloned().unwrap_or_else(|| "crate".to_owned()),
        };
        if target != self.file {
            self.edges
                .entry((self.file.to_owned(), target.clone()))
                .or_default()
                .insert(taken);
        }
        name.is_none().then_some(module)
    }

    /// Paths inside tokens syn does not parse (macro calls, attribute arguments): every
    /// `a::b::c` run of identifiers, `$crate::x` included; paths from `::` are not ours.
    fn scan(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut at = 0;
        while at < trees.len() {
            match &trees[at] {
                TokenTree::Group(group) => {
                    self.scan(group.stream());
                    at += 1;
                }
                TokenTree::Ident(_) => {
                    let (path, next) = path_at(&trees, at);
                    if path.len() > 1 {
                        self.reference(&path);
                    }
                    at = next;
                }
                TokenTree::Punct(_) if is_path_separator(&trees, at) => {
                    at = path_at(&trees, at + 2).1;
                }
                _ => at += 1,
            }
        }
    }
}

/// A module path, or a path within a module, one segment longer.
fn joined(path: &[String], name: &str) -> Vec<String> {
    let mut longer = path.to_vec();
    longer.push(name.to_owned());
    longer
}

/// `::` at `at`.
fn is_path_separator(trees: &[TokenTree], at: usize) -> bool {
    let colon =
        |tree: Option<&TokenTree>| matches!(tree, Some(TokenTree::Punct(p)) if p.as_char() == ':');
    colon(trees.get(at))
        && colon(trees.get(at + 1))
        && matches!(&trees[at], TokenTree::Punct(p) if p.spacing() == proc_macro2::Spacing::Joint)
}

/// The identifiers of the path starting at `at` (none if no identifier is there), and where
/// the tokens after it start.
fn path_at(trees: &[TokenTree], mut at: usize) -> (Vec<String>, usize) {
    let mut path = Vec::new();
    while let Some(TokenTree::Ident(ident)) = trees.get(at) {
        path.push(ident.to_string());
        if is_path_separator(trees, at + 1) {
            at += 3;
        } else {
            at += 1;
            break;
        }
    }
    (path, at)
}

/// Each path a `use` tree names, with the name it is brought in under (`None` for a glob).
fn use_paths(
    tree: &UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    match tree {
        UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_paths(&path.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(name) if name.ident == "self" => {
            out.push((prefix.clone(), prefix.last().cloned()));
        }
        UseTree::Name(name) => {
            let name = name.ident.to_string();
            out.push((joined(prefix, &name), Some(name)));
        }
        UseTree::Rename(rename) => {
            let path = if rename.ident == "self" {
                prefix.clone()
            } else {
                joined(prefix, &rename.ident.to_string())
            };
            out.push((path, Some(rename.rename.to_string())));
        }
        UseTree::Glob(_) => out.push((joined(prefix, "*"), None)),
        UseTree::Group(group) => {
            for tree in &group.items {
                use_paths(tree, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for References<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if !is_cfg_test(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        if !is_cfg_test(impl_item_attrs(item)) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        if !is_cfg_test(trait_item_attrs(item)) {
            visit::visit_trait_item(self, item);
        }
    }

    /// An inline module's paths are relative to it; `mod child;` names nothing.
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        for attr in &item.attrs {
            self.visit_attribute(attr);
        }
        if let Some((_, items)) = &item.content {
            self.module.push(item.ident.to_string());
            for item in items {
                self.visit_item(item);
            }
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if item.leading_colon.is_some() {
            return;
        }
        let mut paths = Vec::new();
        use_paths(&item.tree, &mut Vec::new(), &mut paths);
        for (path, local_name) in paths {
            if let (Some(module), Some(local_name)) = (self.reference(&path), local_name) {
                self.aliases
                    .insert((self.module.clone(), local_name), module);
            }
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        // One segment is a local name (`meetings`, a variable), not a path to another file.
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.reference(&segments);
        }
        visit::visit_path(self, path);
    }

    fn visit_vis_restricted(&mut self, _: &'ast syn::VisRestricted) {
        // `pub(in crate::run)` says where an item may be seen; it takes nothing from there.
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan(mac.tokens.clone());
        visit::visit_macro(self, mac);
    }

    fn visit_meta_list(&mut self, list: &'ast syn::MetaList) {
        self.scan(list.tokens.clone());
        visit::visit_meta_list(self, list);
    }
}

/// Which file of a crate names which items of which other file.
fn edges(tree: &ModuleTree) -> Edges {
    let mut edges = Edges::new();
    for parsed in &tree.files {
        let mut references = References {
            modules: &tree.modules,
            file: &parsed.file,
            module: parsed.module.clone(),
            aliases: BTreeMap::new(),
            edges: &mut edges,
        };
        references.visit_file(&parsed.syntax);
    }
    edges
}

/// The strongly connected components of more than one file, each sorted: the files each
/// file both reaches and is reached from. Quadratic, which a crate's few dozen files afford.
fn circles(edges: &Edges) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    let reached: BTreeMap<&str, BTreeSet<&str>> = next
        .keys()
        .map(|&start| {
            let mut seen = BTreeSet::new();
            let mut todo = vec![start];
            while let Some(file) = todo.pop() {
                for &to in next.get(file).into_iter().flatten() {
                    if seen.insert(to) {
                        todo.push(to);
                    }
                }
            }
            (start, seen)
        })
        .collect();
    let mut found = BTreeSet::new();
    for (&file, reaches) in &reached {
        let circle: Vec<String> = reaches
            .iter()
            .filter(|other| reached.get(*other).is_some_and(|back| back.contains(file)))
            .map(|other| (*other).to_owned())
            .collect();
        if circle.len() > 1 {
            found.insert(circle);
        }
    }
    found.into_iter().collect()
}

/// A circle as the check reports it: each edge within it, with the names it takes.
fn describe(circle: &[String], edges: &Edges, cite: &dyn Fn(&str) -> String) -> String {
    let mut text = circle
        .iter()
        .map(|f| cite(f))
        .collect::<Vec<_>>()
        .join(", ");
    for ((from, to), names) in edges {
        if circle.contains(from) && circle.contains(to) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            text.push_str(&format!(
                "\n    {} -> {}: {}",
                cite(from),
                cite(to),
                names.join(", ")
            ));
        }
    }
    text
}

#[test]
fn no_files_of_a_crate_import_each_other_in_a_circle_but_those_being_broken() {
    let mut found = Vec::new();
    let mut described = BTreeMap::new();
    for sources in tidy::crate_sources() {
        for tree in module_trees(&sources.files) {
            let edges = edges(&tree);
            let cite = |file: &str| sources.cite(file);
            for circle in circles(&edges) {
                let files: Vec<String> = circle.iter().map(|f| cite(f)).collect();
                described.insert(files.clone(), describe(&circle, &edges, &cite));
                found.push(files);
            }
        }
    }
    let listed: Vec<Vec<String>> = SHRINKING
        .iter()
        .flat_map(|(_, circles)| circles.iter())
        .map(|files| {
            let mut files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
            files.sort();
            files
        })
        .collect();
    let verdict = judge(&found, &listed);
    let report = |circles: &[&Vec<String>]| -> String {
        circles
            .iter()
            .map(|files| format!("\n  {}", described[*files]))
            .collect()
    };
    verdict.enforce(
        "files that import each other in a circle",
        "SHRINKING in circles.rs",
        report,
    );
}

/// The edges among in-memory sources of one crate, as `from -> to: names`, and its circles.
fn read(sources: &[(&str, &str)]) -> (Vec<String>, Vec<Vec<String>>) {
    let sources: Vec<(String, String)> = sources
        .iter()
        .map(|(file, text)| ((*file).to_owned(), (*text).to_owned()))
        .collect();
    let trees = module_trees(&sources);
    let edges = edges(&trees[0]);
    let listed = edges
        .iter()
        .map(|((from, to), names)| {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            format!("{from} -> {to}: {}", names.join(", "))
        })
        .collect();
    (listed, circles(&edges))
}

#[test]
fn two_files_that_name_each_others_items_are_a_circle_with_the_names_on_each_edge() {
    let (edges, circles) = read(&[
        ("lib.rs", "mod a;\nmod b;\n"),
        ("a.rs", "use crate::b::{B, make};\npub struct A;\n"),
        (
            "b.rs",
            "pub struct B;\npub fn make(_: crate::a::A) -> B { B }\n",
        ),
    ]);
    assert_eq!(edges, ["a.rs -> b.rs: B, make", "b.rs -> a.rs: A"]);
    assert_eq!(circles, [["a.rs", "b.rs"]]);
}

#[test]
fn a_chain_is_no_circle_until_its_last_file_names_its_first() {
    let chain = [
        ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
        ("a.rs", "pub fn a() { crate::b::b() }\n"),
        ("b.rs", "pub fn b() { crate::c::c() }\n"),
        ("c.rs", "pub fn c() {}\n"),
    ];
    assert_eq!(read(&chain).1, Vec::<Vec<String>>::new());
    let mut circle = chain;
    circle[3] = ("c.rs", "pub fn c() { println!(\"{:?}\", crate::a::a()) }\n");
    assert_eq!(read(&circle).1, [["a.rs", "b.rs", "c.rs"]]);
}

#[test]
fn paths_go_to_the_deepest_module_file_along_them() {
    let (edges, _) = read(&[
        ("lib.rs", "mod http;\npub struct Settings;\n"),
        (
            "http/mod.rs",
            "mod error;\nmod meetings;\npub struct AppState;\n",
        ),
        ("http/error.rs", "pub struct ApiError;\n"),
        (
            "http/meetings.rs",
            "use super::AppState;\nfn f(_: crate::http::error::ApiError, _: crate::Settings) {}\n",
        ),
    ]);
    assert_eq!(
        edges,
        [
            "http/meetings.rs -> http/error.rs: ApiError",
            "http/meetings.rs -> http/mod.rs: AppState",
            "http/meetings.rs -> lib.rs: Settings",
        ]
    );
}

#[test]
fn a_re_export_is_an_edge_and_a_mod_declaration_is_not() {
    let (edges, circles) = read(&[
        ("lib.rs", "mod quiet;\nmod loud;\npub use loud::Loud;\n"),
        ("quiet.rs", "pub struct Quiet;\n"),
        ("loud.rs", "pub struct Loud(pub crate::quiet::Quiet);\n"),
    ]);
    assert_eq!(
        edges,
        ["lib.rs -> loud.rs: Loud", "loud.rs -> quiet.rs: Quiet"]
    );
    assert!(circles.is_empty());
}

#[test]
fn a_visibility_restricted_to_a_module_takes_nothing_from_it() {
    let (edges, circles) = read(&[
        ("lib.rs", "mod run;\n"),
        ("run/mod.rs", "mod step;\npub fn go() { step::step() }\n"),
        ("run/step.rs", "pub(in crate::run) fn step() {}\n"),
    ]);
    assert_eq!(edges, ["run/mod.rs -> run/step.rs: step"]);
    assert!(circles.is_empty());
}

#[test]
fn tests_name_nothing_and_macros_and_imported_modules_do() {
    let (edges, _) = read(&[
        ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
        (
            "a.rs",
            "use crate::c;\n\
             pub fn a() { println!(\"{}\", crate::b::B); c::run(); }\n\
             #[cfg(test)]\nmod tests { use crate::c::Only; }\n",
        ),
        ("b.rs", "pub const B: u8 = 1;\n"),
        (
            "c.rs",
            "pub fn run() {}\n#[cfg(test)]\npub fn helper() { crate::a::a() }\n",
        ),
    ]);
    assert_eq!(edges, ["a.rs -> b.rs: B", "a.rs -> c.rs: c, run"]);
}
