//! The shape of `src/` that ARCHITECTURE.md promises, read from the source itself: no file imports
//! one that imports it back (a parent declaring its children is not an import), the top-level
//! modules depend one way, and no HTTP handler grows past a screenful.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path under the crate root: `["sessions", "actor"]`; `[]` is `lib.rs`.
type ModPath = Vec<String>;

/// Handlers longer than this (body lines) do more than validate, authorize, call and map.
const HANDLER_MAX_LINES: usize = 40;

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every file of the library, by module path, with its non-test source.
fn modules() -> BTreeMap<ModPath, String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = src();
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&root).expect("under src");
        let mut parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let last = parts.pop().expect("a file name");
        if last == "main.rs" && parts.is_empty() {
            continue; // the binary: it uses the library from outside
        }
        if last != "mod.rs" && last != "lib.rs" {
            parts.push(last.trim_end_matches(".rs").to_string());
        }
        let text = std::fs::read_to_string(&file).expect("source is readable");
        // Unit tests sit at the end of a file and may use anything.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String = code
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        out.insert(parts, code);
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands one `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path: Vec<String> = tree
            .split(" as ")
            .next()
            .unwrap_or_default()
            .split("::")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s != "*")
            .collect();
        return vec![path];
    };
    let prefix: Vec<String> = tree[..open]
        .split("::")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    let mut out = Vec::new();
    for item in items.into_iter().filter(|i| !i.trim().is_empty()) {
        for mut rest in expand(item) {
            if rest.first().is_some_and(|s| s == "self") {
                rest.remove(0);
            }
            let mut path = prefix.clone();
            path.extend(rest);
            out.push(path);
        }
    }
    out
}

/// The module file a path names, seen from module `at`; `None` for std and other crates.
fn resolve(
    path: &[String],
    at: &ModPath,
    known: &BTreeMap<ModPath, String>,
    aliases: &BTreeMap<String, ModPath>,
) -> Option<ModPath> {
    let (mut base, mut rest) = (Vec::new(), path);
    match path.first()?.as_str() {
        "crate" => rest = &path[1..],
        "self" => {
            base = at.clone();
            rest = &path[1..];
        }
        "super" => {
            base = at.clone();
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        first => {
            let mut child = at.clone();
            child.push(first.to_string());
            if known.contains_key(&child) {
                base = at.clone();
            } else if let Some(module) = aliases.get(first) {
                base = module.clone();
                rest = &path[1..];
            } else {
                return None;
            }
        }
    }
    let mut best = base.clone();
    let mut walk = base;
    for seg in rest {
        walk.push(seg.clone());
        if known.contains_key(&walk) {
            best = walk.clone();
        } else {
            break;
        }
    }
    Some(best)
}

/// Every module each file imports, by its `use` items and the paths in its code.
fn imports() -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let known = modules();
    let mut graph = BTreeMap::new();
    for (at, code) in &known {
        let mut aliases = BTreeMap::new();
        let mut edges = BTreeSet::new();
        let mut add = |path: &[String], aliases: &BTreeMap<String, ModPath>| {
            if let Some(target) = resolve(path, at, &known, aliases) {
                if &target != at {
                    edges.insert(target);
                }
            }
        };
        // `use` items first: they name modules that the code then reaches through.
        for stmt in code.split(';') {
            let stmt = stmt.trim();
            let Some(pos) = stmt.find("use ") else {
                continue;
            };
            let head = stmt[..pos].trim();
            if !(head.is_empty() || head.starts_with("pub")) {
                continue;
            }
            for path in expand(&stmt[pos + 4..]) {
                if let Some(target) = resolve(&path, at, &known, &aliases) {
                    let named = path.last().cloned().unwrap_or_default();
                    if target.last() == Some(&named) || (named == "crate") {
                        aliases.insert(named, target.clone());
                    }
                }
                add(&path, &aliases);
            }
        }
        // Paths in the code: `crate::a::b`, `super::x`, `alias::y`.
        let chars: Vec<char> = code.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if !is_ident(chars[i]) || (i > 0 && (is_ident(chars[i - 1]) || chars[i - 1] == ':')) {
                i += 1;
                continue;
            }
            let mut segs = Vec::new();
            let mut j = i;
            loop {
                let start = j;
                while j < chars.len() && is_ident(chars[j]) {
                    j += 1;
                }
                segs.push(chars[start..j].iter().collect::<String>());
                if j + 2 < chars.len()
                    && chars[j] == ':'
                    && chars[j + 1] == ':'
                    && is_ident(chars[j + 2])
                {
                    j += 2;
                } else {
                    break;
                }
            }
            if segs.len() > 1 {
                add(&segs, &aliases);
            }
            i = j.max(i + 1);
        }
        graph.insert(at.clone(), edges);
    }
    graph
}

/// The nodes of `graph` that reach themselves, each with one cycle through it.
fn cycles<N: Ord + Clone + std::fmt::Debug>(graph: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    let mut found = Vec::new();
    for start in graph.keys() {
        // Breadth first from `start`, remembering the way back.
        let mut came_from: BTreeMap<N, N> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.clone()]);
        'search: while let Some(node) = queue.pop_front() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    let mut cycle = vec![node.clone()];
                    while let Some(prev) = came_from.get(cycle.last().expect("non-empty")) {
                        cycle.push(prev.clone());
                    }
                    cycle.reverse();
                    found.push(cycle);
                    break 'search;
                }
                if !came_from.contains_key(next) && next != start {
                    came_from.insert(next.clone(), node.clone());
                    queue.push_back(next.clone());
                }
            }
        }
    }
    found
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    let graph = imports();
    assert!(
        graph
            .get(&vec!["sessions".to_string(), "lifecycle".to_string()])
            .is_some_and(|e| e.contains(&vec!["sessions".to_string(), "actor".to_string()])),
        "the checker sees imports (lifecycle uses the actor)"
    );
    let found = cycles(&graph);
    assert!(found.is_empty(), "import cycles between files: {found:?}");
}

#[test]
fn top_level_modules_depend_one_way() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in imports() {
        let Some(top) = from.first() else { continue };
        let entry = graph.entry(top.clone()).or_default();
        for target in targets {
            if let Some(to) = target.first().filter(|t| *t != top) {
                entry.insert(to.clone());
            }
        }
    }
    assert!(
        graph.get("http").is_some_and(|e| e.contains("sessions")),
        "the checker sees that http uses sessions"
    );
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "modules that depend on each other: {found:?}"
    );
}

#[test]
fn handlers_stay_thin() {
    let dir = src().join("http");
    let mut long = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src/http") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            if !lines[i].starts_with("pub async fn ") {
                i += 1;
                continue;
            }
            let name = lines[i]["pub async fn ".len()..]
                .split(['(', '<'])
                .next()
                .unwrap_or_default()
                .to_string();
            let body_start = (i..lines.len())
                .find(|&k| lines[k].ends_with('{'))
                .expect("a body");
            let end = (body_start..lines.len())
                .find(|&k| lines[k] == "}")
                .expect("the end of the body");
            let length = end - body_start - 1;
            if length > HANDLER_MAX_LINES {
                long.push(format!(
                    "{}::{name} ({length} lines)",
                    path.file_stem().unwrap_or_default().to_string_lossy()
                ));
            }
            i = end;
        }
    }
    assert!(
        long.is_empty(),
        "handlers over {HANDLER_MAX_LINES} lines: {long:?}"
    );
}
