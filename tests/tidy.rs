//! Tidy checks of the source text, run with the tests (`cargo test --test tidy`).
//!
//! - The modules of `projections/src`, `events/src` and `src/` form no circle: no file
//!   depends, through others, on itself. Each crate's `src/` can be checked the same way: [`check_crate`] takes its
//!   directory.
//! - `projections/` outside its tests names no SQLite and reads no clock and no randomness.
//! - No source file of `src/`, `events/src` or `projections/src` holds more than
//!   [`FILE_LINES_MAX`] lines outside its test items: a file that long holds more than one
//!   idea, and is split along them.
//!
//! The checks read the source with a small parser rather than the compiler:
//!
//! - comments, string literals and character literals are blanked first, so nothing written
//!   in them counts;
//! - an item under `#[cfg(test)]` is left out, and so is a module declared under it, with its
//!   file and the modules below it;
//! - a module is a file declared by `mod name;` (`name.rs` or `name/mod.rs`), from `lib.rs`
//!   down; the crate root (`lib.rs`) is a module like the others, so an item reached through
//!   a re-export in `lib.rs` counts as a use of `lib.rs`;
//! - a module uses another when one of its paths reaches it: a path that starts with `crate`,
//!   `super`, `self` or the name of one of its child modules, including every branch of a
//!   `use` group (`crate::{a::X, b}`). The module a path names is the deepest one it reaches.
//!
//! Not followed: `#[path]` attributes, modules written inline (`mod name { … }`, whose paths
//! count as their file's), and paths that macros assemble from fragments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What `projections/` must not name outside its tests, in any path it writes: SQLite, the
/// clock, randomness. Each entry is matched against every path as written and as expanded
/// from `use` groups, at a boundary of `::`-separated segments. (`RandomState`, which seeds
/// every `HashMap`, is not here: no answer depends on a hash seed.)
const PROJECTIONS_FORBIDDEN_PATHS: &[&str] = &[
    "rusqlite",
    "std::time::Instant",
    "std::time::SystemTime",
    "SystemTime",
    "UNIX_EPOCH",
    "Instant::now",
    "Timestamp::now",
    "Zoned::now",
    "rand",
    "getrandom",
    "Ulid::new",
];

/// Words that name the clock or randomness wherever they are written, even alone.
const PROJECTIONS_FORBIDDEN_WORDS: &[&str] = &[
    "SystemTime",
    "UNIX_EPOCH",
    "getrandom",
    "thread_rng",
    "rusqlite",
];

#[test]
fn the_modules_of_projections_form_no_circle() {
    let report = check_crate(&workspace().join("projections"));
    assert!(report.modules.len() > 10, "{:?}", report.modules);
    if let Some(circle) = &report.circle {
        panic!("projections/src has an import circle:\n{circle}");
    }
}

#[test]
fn projections_name_no_sqlite_and_read_no_clock_or_randomness() {
    let crate_dir = workspace().join("projections");
    let mut found = Vec::new();
    for module in load_crate(&crate_dir).modules {
        for (line, path) in paths_written(&module.code) {
            if let Some(pattern) = PROJECTIONS_FORBIDDEN_PATHS
                .iter()
                .find(|pattern| path_names(&path, pattern))
            {
                found.push(format!(
                    "{}:{line}: {path} ({pattern})",
                    module.file.display()
                ));
            }
        }
        for (line, word) in words(&module.code) {
            if word.to_ascii_lowercase().contains("sqlite")
                || PROJECTIONS_FORBIDDEN_WORDS.contains(&word.as_str())
            {
                found.push(format!("{}:{line}: {word}", module.file.display()));
            }
        }
    }
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    for dependency in dependencies(&manifest) {
        if dependency.contains("sqlite") || dependency == "rand" || dependency == "getrandom" {
            found.push(format!("projections/Cargo.toml: depends on {dependency}"));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_modules_of_events_form_no_circle() {
    let report = check_crate(&workspace().join("events"));
    assert!(report.modules.len() > 15, "{:?}", report.modules);
    if let Some(circle) = &report.circle {
        panic!("events/src has an import circle:\n{circle}");
    }
}

#[test]
fn the_modules_of_the_binarys_library_form_no_circle() {
    let report = check_crate(&workspace());
    assert!(report.modules.len() > 15, "{:?}", report.modules);
    if let Some(circle) = &report.circle {
        panic!("src/ has an import circle:\n{circle}");
    }
}

/// Where `events/` may read a clock or randomness, and why: nothing in the record comes from
/// them. `recorded_at` and a new id's time come from the injected clock (`LogOptions::clock`).
const EVENTS_ALLOWED: &[(&str, &str, &str)] = &[
    // Monotonic time, to poll a queue for a few hundred microseconds before sleeping.
    (
        "events/src/store/writer.rs",
        "std::time::Instant",
        "polling",
    ),
    (
        "events/src/store/waiting.rs",
        "std::time::Instant",
        "polling",
    ),
    // Monotonic time, for how long a valid token is answered from the cache (TOKEN_CACHE_TTL).
    (
        "events/src/tokens.rs",
        "std::time::Instant",
        "the age of a cached token",
    ),
    // Monotonic time, for how long a pooled PostgreSQL reader sat idle (READER_IDLE_CHECK_AFTER).
    (
        "events/src/store/postgres/reads.rs",
        "std::time::Instant",
        "the idle time of a pooled reader",
    ),
    // The random part of a token's secret and of a new event id (its time is the clock's).
    ("events/src/tokens.rs", "getrandom", "token secrets"),
    // The secret of a new checkpoint signing key.
    (
        "events/src/checkpoint.rs",
        "getrandom",
        "signing key secrets",
    ),
    (
        "events/src/store/state.rs",
        "getrandom",
        "new ids' random bits",
    ),
];

#[test]
fn events_read_the_clock_and_randomness_only_where_allowed() {
    let crate_dir = workspace().join("events");
    let mut found = Vec::new();
    for module in load_crate(&crate_dir).modules {
        let file = module.file.display().to_string();
        let allowed = |pattern: &str| {
            EVENTS_ALLOWED
                .iter()
                .any(|(allowed_file, allowed_pattern, _)| {
                    file.ends_with(allowed_file) && pattern.starts_with(allowed_pattern)
                })
        };
        for (line, path) in paths_written(&module.code) {
            if let Some(pattern) = PROJECTIONS_FORBIDDEN_PATHS
                .iter()
                .filter(|pattern| **pattern != "rusqlite")
                .find(|pattern| path_names(&path, pattern))
                && !allowed(pattern)
                && !allowed(&path)
            {
                found.push(format!("{file}:{line}: {path} ({pattern})"));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Most lines a source file may hold outside its test items (comments and blank lines count;
/// an item under `#[cfg(test)]` does not).
const FILE_LINES_MAX: usize = 800;

#[test]
fn no_source_file_is_longer_than_the_limit_outside_its_tests() {
    let mut found = Vec::new();
    for crate_dir in [
        workspace(),
        workspace().join("events"),
        workspace().join("projections"),
    ] {
        for module in load_crate(&crate_dir).modules {
            if module.lines_outside_tests > FILE_LINES_MAX {
                found.push(format!(
                    "{}: {} lines outside its tests (at most {FILE_LINES_MAX}): split it along its ideas",
                    module.file.display(),
                    module.lines_outside_tests
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Prints a crate's module graph and its first circle:
/// `TIDY_CRATE=events cargo test --test tidy -- --ignored --nocapture module_graph`.
#[test]
#[ignore = "prints, checks nothing"]
fn print_the_module_graph() {
    let dir = std::env::var("TIDY_CRATE").unwrap_or_else(|_| "projections".to_owned());
    let report = check_crate(&workspace().join(dir));
    for module in &report.modules {
        let uses: Vec<&str> = report
            .edges
            .keys()
            .filter(|(from, _)| from == module)
            .map(|(_, to)| to.as_str())
            .collect();
        println!("{module} → {}", uses.join(", "));
    }
    match &report.circle {
        Some(circle) => println!("circle:\n{circle}"),
        None => println!("no circle"),
    }
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ----- The checker -----

/// One module of a crate: its path (`a::b`, `crate` for the root), its file, and its text with
/// comments, literals and test-only items blanked.
#[derive(Debug)]
struct Module {
    name: String,
    file: PathBuf,
    code: String,
    /// Child modules declared outside tests.
    children: Vec<String>,
    /// How many lines of the file are not part of a test item.
    lines_outside_tests: usize,
}

#[derive(Debug)]
struct Crate {
    modules: Vec<Module>,
}

/// What [`check_crate`] found.
#[derive(Debug)]
struct Report {
    modules: Vec<String>,
    /// `from → to` with where `from` first reaches `to`.
    edges: BTreeMap<(String, String), String>,
    /// The first circle found, one line per step, naming where each step is made.
    circle: Option<String>,
}

/// Reads the crate in `crate_dir` (its `src/lib.rs` and the modules declared from it) and looks
/// for a circle among its modules.
fn check_crate(crate_dir: &Path) -> Report {
    analyse(&load_crate(crate_dir))
}

fn load_crate(crate_dir: &Path) -> Crate {
    let src = crate_dir.join("src");
    let root = src.join("lib.rs");
    let mut modules = Vec::new();
    let mut pending = vec![("crate".to_owned(), root, src)];
    while let Some((name, file, dir)) = pending.pop() {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        let shown = file.strip_prefix(workspace()).unwrap_or(&file);
        let module = parse_module(&name, shown, &text);
        for child in &module.children {
            let (child_file, child_dir) = if dir.join(format!("{child}.rs")).is_file() {
                (dir.join(format!("{child}.rs")), dir.join(child))
            } else {
                (dir.join(child).join("mod.rs"), dir.join(child))
            };
            let child_name = if name == "crate" {
                child.clone()
            } else {
                format!("{name}::{child}")
            };
            pending.push((child_name, child_file, child_dir));
        }
        modules.push(module);
    }
    modules.sort_by(|a, b| a.name.cmp(&b.name));
    Crate { modules }
}

fn parse_module(name: &str, file: &Path, text: &str) -> Module {
    let blanked = blank_comments_and_literals(text);
    let code = without_test_items(&blanked);
    let children = declared_modules(&code);
    let line_of = |at: usize| blanked[..at].matches('\n').count();
    let test_lines: usize = test_items(&blanked)
        .into_iter()
        .map(|(start, end)| line_of(end.max(start + 1) - 1) - line_of(start) + 1)
        .sum();
    Module {
        name: name.to_owned(),
        file: file.to_owned(),
        code,
        children,
        lines_outside_tests: text.lines().count() - test_lines,
    }
}

fn analyse(krate: &Crate) -> Report {
    let children: BTreeMap<&str, &[String]> = krate
        .modules
        .iter()
        .map(|module| (module.name.as_str(), module.children.as_slice()))
        .collect();
    let mut edges = BTreeMap::new();
    for module in &krate.modules {
        for (line, target) in modules_reached(module, &children) {
            if target != module.name {
                edges
                    .entry((module.name.clone(), target))
                    .or_insert_with(|| format!("{}:{line}", module.file.display()));
            }
        }
    }
    let modules: Vec<String> = krate.modules.iter().map(|m| m.name.clone()).collect();
    let circle = find_circle(&modules, &edges).map(|circle| {
        circle
            .windows(2)
            .map(|step| {
                let (from, to) = (&step[0], &step[1]);
                format!("  {from} → {to} ({})", edges[&(from.clone(), to.clone())])
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Report {
        modules,
        edges,
        circle,
    }
}

/// A circle as the list of modules along it, the first repeated at the end.
fn find_circle(
    modules: &[String],
    edges: &BTreeMap<(String, String), String>,
) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        module: &str,
        edges: &BTreeMap<(String, String), String>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(module.to_owned(), Mark::OnPath);
        path.push(module.to_owned());
        let targets = edges
            .keys()
            .filter(|(from, _)| from == module)
            .map(|(_, to)| to.clone());
        for target in targets {
            match marks.get(&target).copied().unwrap_or(Mark::New) {
                Mark::OnPath => {
                    let start = path.iter().position(|m| *m == target).unwrap();
                    let mut circle = path[start..].to_vec();
                    circle.push(target);
                    return Some(circle);
                }
                Mark::New => {
                    if let Some(circle) = visit(&target, edges, marks, path) {
                        return Some(circle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(module.to_owned(), Mark::Done);
        None
    }
    let mut marks: BTreeMap<String, Mark> =
        modules.iter().map(|m| (m.clone(), Mark::New)).collect();
    for module in modules {
        if marks[module] == Mark::New
            && let Some(circle) = visit(module, edges, &mut marks, &mut Vec::new())
        {
            return Some(circle);
        }
    }
    None
}

/// `text` with every comment, string literal and character literal replaced by spaces, line
/// breaks kept, so that positions and line numbers stay as they were.
fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            loop {
                if i >= chars.len() {
                    break;
                }
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if c == 'r'
            && (i == 0 || !ident(chars[i - 1]) || matches!(chars[i - 1], 'b' | 'c'))
            && matches!(next, Some('"') | Some('#'))
            && raw_string_hashes(&chars, i + 1).is_some()
        {
            let hashes = raw_string_hashes(&chars, i + 1).unwrap();
            out.push('r');
            let mut j = i + 1 + hashes + 1;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            for &c in &chars[i + 1..j] {
                blank(&mut out, c);
            }
            while j < chars.len() && chars[j..].iter().take(closing.len()).ne(closing.iter()) {
                blank(&mut out, chars[j]);
                j += 1;
            }
            for &c in chars.iter().skip(j).take(closing.len()) {
                blank(&mut out, c);
            }
            i = j + closing.len();
        } else if c == '"' {
            blank(&mut out, c);
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
            if i < chars.len() {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1F600}') or a lifetime ('a, 'static).
            let end = if next == Some('\\') {
                (i + 3..chars.len()).find(|&j| chars[j] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    for &c in &chars[i..=end] {
                        blank(&mut out, c);
                    }
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// How many `#` open a raw string at `chars[at..]` (`"`, `#"`, `##"`, …), if one does.
fn raw_string_hashes(chars: &[char], at: usize) -> Option<usize> {
    let hashes = chars[at..].iter().take_while(|&&c| c == '#').count();
    (chars.get(at + hashes) == Some(&'"')).then_some(hashes)
}

/// `code` (already blanked) with every item under `#[cfg(test)]` blanked too: the item runs to
/// its first `;` or its first `{ … }` block outside brackets.
fn without_test_items(code: &str) -> String {
    let mut out = code.to_owned().into_bytes();
    for (start, end) in test_items(code) {
        for byte in &mut out[start..end] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    }
    String::from_utf8(out).expect("an item is blanked from an ASCII byte to an ASCII byte")
}

/// Where each item under `#[cfg(test)]` in `code` (comments and literals blanked) starts, at
/// its attribute, and ends, just past its `;` or `}`.
fn test_items(code: &str) -> Vec<(usize, usize)> {
    let bytes = code.as_bytes();
    let mut items = Vec::new();
    let mut search = 0;
    while let Some(found) = find_cfg_test(code, search) {
        let (attribute_start, mut i) = found;
        // Further attributes of the same item.
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if bytes.get(i) == Some(&b'#') {
                i = skip_balanced(bytes, i + 1, b'[', b']');
            } else {
                break;
            }
        }
        let mut depth = 0i32;
        let mut end = bytes.len();
        while i < bytes.len() {
            match bytes[i] {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                b'{' if depth == 0 => {
                    end = skip_balanced(bytes, i, b'{', b'}');
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        items.push((attribute_start, end));
        search = end;
    }
    items
}

/// Where the next `#[cfg(test)]` (spaces allowed between its tokens) starts, and where it ends.
fn find_cfg_test(code: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = code.as_bytes();
    let mut at = from;
    while let Some(offset) = code[at..].find('#') {
        let start = at + offset;
        let mut i = start + 1;
        let mut matched = true;
        for token in ["[", "cfg", "(", "test", ")", "]"] {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if code[i..].starts_with(token) {
                i += token.len();
            } else {
                matched = false;
                break;
            }
        }
        if matched {
            return Some((start, i));
        }
        at = start + 1;
    }
    None
}

/// The index just past the bracket that closes the one at `bytes[open_at]` (or the first
/// `open` after it).
fn skip_balanced(bytes: &[u8], open_at: usize, open: u8, close: u8) -> usize {
    let mut depth = 0;
    let mut i = open_at;
    while i < bytes.len() {
        if bytes[i] == open {
            depth += 1;
        } else if bytes[i] == close {
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        }
        i += 1;
    }
    bytes.len()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    PathSeparator,
    Open,
    Close,
    Comma,
    Semicolon,
    Other,
}

/// The tokens of blanked code that paths are made of, each with its line.
fn tokens(code: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push((line, Token::Word(chars[start..i].iter().collect())));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push((line, Token::PathSeparator));
            i += 2;
        } else {
            tokens.push((
                line,
                match c {
                    '{' => Token::Open,
                    '}' => Token::Close,
                    ',' => Token::Comma,
                    ';' => Token::Semicolon,
                    _ => Token::Other,
                },
            ));
            i += 1;
        }
    }
    tokens
}

/// Every path written in `code` that has at least two segments, each `use` group expanded
/// into its branches (`a::{b, c::d}` gives `a::b` and `a::c::d`), with its line.
fn paths_written(code: &str) -> Vec<(usize, String)> {
    let tokens = tokens(code);
    let mut paths = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let starts_path = matches!(tokens[i].1, Token::Word(_))
            && tokens.get(i + 1).map(|t| &t.1) == Some(&Token::PathSeparator)
            && (i == 0 || tokens[i - 1].1 != Token::PathSeparator);
        if starts_path {
            let mut expanded = Vec::new();
            let end = expand_path(&tokens, i, Vec::new(), &mut expanded);
            paths.extend(
                expanded
                    .into_iter()
                    .map(|segments| (tokens[i].0, segments.join("::"))),
            );
            i = end;
        } else {
            i += 1;
        }
    }
    paths
}

/// Expands the path at `tokens[at..]` after `prefix`; returns where it ends.
fn expand_path(
    tokens: &[(usize, Token)],
    mut at: usize,
    mut prefix: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        match tokens.get(at).map(|t| &t.1) {
            Some(Token::Word(word)) => {
                prefix.push(word.clone());
                at += 1;
                if tokens.get(at).map(|t| &t.1) == Some(&Token::PathSeparator) {
                    at += 1;
                } else {
                    out.push(prefix);
                    return at;
                }
            }
            Some(Token::Open) => {
                at += 1;
                loop {
                    match tokens.get(at).map(|t| &t.1) {
                        Some(Token::Close) => return at + 1,
                        Some(Token::Comma) => at += 1,
                        Some(Token::Word(_)) | Some(Token::Open) => {
                            at = expand_path(tokens, at, prefix.clone(), out);
                            // `as name` and the like run to the next comma or brace.
                            while let Some(token) = tokens.get(at).map(|t| &t.1) {
                                if matches!(token, Token::Comma | Token::Close) {
                                    break;
                                }
                                at += 1;
                            }
                        }
                        Some(_) => at += 1,
                        None => return at,
                    }
                }
            }
            // `a::*`, `a::<T>` and the like: the path so far.
            _ => {
                out.push(prefix);
                return at;
            }
        }
    }
}

/// Every word (identifier) of blanked code, with its line.
fn words(code: &str) -> Vec<(usize, String)> {
    tokens(code)
        .into_iter()
        .filter_map(|(line, token)| match token {
            Token::Word(word) => Some((line, word)),
            _ => None,
        })
        .collect()
}

/// Whether `path` names `pattern`: the pattern's segments appear in it, in a row.
fn path_names(path: &str, pattern: &str) -> bool {
    let path: Vec<&str> = path.split("::").collect();
    let pattern: Vec<&str> = pattern.split("::").collect();
    path.windows(pattern.len()).any(|window| window == pattern)
}

/// The modules declared by `mod name;` in blanked code (test-only items already removed).
fn declared_modules(code: &str) -> Vec<String> {
    let tokens = tokens(code);
    let mut modules = Vec::new();
    for (i, (_, token)) in tokens.iter().enumerate() {
        if *token == Token::Word("mod".to_owned())
            && let Some((_, Token::Word(name))) = tokens.get(i + 1)
            && tokens.get(i + 2).map(|t| &t.1) == Some(&Token::Semicolon)
        {
            modules.push(name.clone());
        }
    }
    modules
}

/// The modules each path of `module` reaches, with the line of the path.
fn modules_reached(module: &Module, children: &BTreeMap<&str, &[String]>) -> Vec<(usize, String)> {
    let parent = |name: &str| -> String {
        match name.rfind("::") {
            Some(at) => name[..at].to_owned(),
            None => "crate".to_owned(),
        }
    };
    let child = |of: &str, name: &str| -> Option<String> {
        let known = children.get(of)?.iter().any(|child| child == name);
        known.then(|| {
            if of == "crate" {
                name.to_owned()
            } else {
                format!("{of}::{name}")
            }
        })
    };
    let mut reached = Vec::new();
    for (line, path) in paths_written(&module.code) {
        let segments: Vec<&str> = path.split("::").collect();
        let (mut at, rest) = match segments[0] {
            "crate" => ("crate".to_owned(), &segments[1..]),
            "self" => (module.name.clone(), &segments[1..]),
            "super" => {
                let supers = segments.iter().take_while(|s| **s == "super").count();
                let mut at = module.name.clone();
                for _ in 0..supers {
                    at = parent(&at);
                }
                (at, &segments[supers..])
            }
            first => match child(&module.name, first) {
                Some(child) => (child, &segments[1..]),
                None => continue,
            },
        };
        for segment in rest {
            match child(&at, segment) {
                Some(deeper) => at = deeper,
                None => break,
            }
        }
        reached.push((line, at));
    }
    reached
}

/// The names of a manifest's `[dependencies]` (not dev- or build-dependencies).
fn dependencies(manifest: &str) -> Vec<String> {
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
        } else if in_dependencies && let Some((name, _)) = line.split_once('=') {
            names.push(name.trim().trim_end_matches(".workspace").to_owned());
        }
    }
    names
}

// ----- Tests of the checker itself -----

fn crate_of(files: &[(&str, &str, &str)]) -> Crate {
    Crate {
        modules: files
            .iter()
            .map(|(name, file, text)| parse_module(name, Path::new(file), text))
            .collect(),
    }
}

#[test]
fn a_circle_is_found_and_shown_with_where_each_step_is() {
    let krate = crate_of(&[
        ("crate", "lib.rs", "mod a;\nmod b;\nmod c;\n"),
        ("a", "a.rs", "use crate::b::B;\n"),
        ("b", "b.rs", "pub struct B;\nfn f() { crate::c::g() }\n"),
        ("c", "c.rs", "\n\nuse crate::{a::A, d};\n"),
    ]);
    let report = analyse(&krate);
    let circle = report.circle.expect("a → b → c → a");
    assert_eq!(
        circle, "  a → b (a.rs:1)\n  b → c (b.rs:2)\n  c → a (c.rs:3)",
        "{circle}"
    );
}

#[test]
fn lines_of_test_items_are_not_counted() {
    let text = "fn a() {}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n\
                #[cfg(test)]\nuse x;\n// a comment counts\n";
    let module = parse_module("crate", Path::new("lib.rs"), text);
    assert_eq!(module.lines_outside_tests, 3);
}

#[test]
fn comments_strings_and_test_items_are_not_uses() {
    let krate = crate_of(&[
        (
            "crate",
            "lib.rs",
            "mod a;\nmod b;\n#[cfg(test)]\nmod tests;\n",
        ),
        ("a", "a.rs", "use crate::b::B;\n"),
        (
            "b",
            "b.rs",
            r##"
            // use crate::a::A;
            /* crate::a::A /* nested */ crate::a::A */
            const TEXT: &str = "crate::a::A";
            const RAW: &str = r#"crate::a::A "quoted" "#;
            const QUOTE: char = '"';
            fn f<'a>(x: &'a str) -> &'a str { x }
            #[cfg(test)]
            mod tests {
                use crate::a::A;
            }
            #[cfg(test)]
            fn helper() -> crate::a::A { crate::a::A }
            #[cfg(test)]
            use crate::a::{A, B};
            pub struct B;
            "##,
        ),
    ]);
    let report = analyse(&krate);
    assert!(report.circle.is_none(), "{:?}", report.circle);
    assert_eq!(
        report.edges.keys().cloned().collect::<Vec<_>>(),
        [("a".to_owned(), "b".to_owned())]
    );
    // The test-only module is not one of the crate's.
    assert_eq!(krate.modules[0].children, ["a", "b"]);
}

#[test]
fn re_exports_of_the_root_and_relative_paths_count() {
    // `a` uses an item through the root, which re-exports `a`: a circle through `lib.rs`.
    let krate = crate_of(&[
        (
            "crate",
            "lib.rs",
            "mod a;\nmod b;\npub use a::A;\npub fn helper() {}\n",
        ),
        ("a", "a.rs", "pub struct A;\nfn f() { super::helper() }\n"),
        ("b", "b.rs", "use crate::a;\nfn g() -> a::A { a::A }\n"),
    ]);
    let report = analyse(&krate);
    let keys: BTreeSet<(String, String)> = report.edges.keys().cloned().collect();
    let edge = |from: &str, to: &str| (from.to_owned(), to.to_owned());
    assert_eq!(
        keys,
        BTreeSet::from([edge("crate", "a"), edge("a", "crate"), edge("b", "a")])
    );
    assert!(report.circle.unwrap().contains("a → crate"));
}

#[test]
fn use_groups_expand_into_every_branch() {
    let paths: Vec<String> = paths_written("use std::{time::{Duration, Instant as Clock}, io};")
        .into_iter()
        .map(|(_, path)| path)
        .collect();
    assert_eq!(
        paths,
        ["std::time::Duration", "std::time::Instant", "std::io"]
    );
    assert!(path_names("std::time::Instant", "std::time::Instant"));
    assert!(path_names("jiff::Timestamp::now", "Timestamp::now"));
    assert!(!path_names("acta_events::Instant", "Instant::now"));
    assert!(!path_names("operand::x", "rand"));
}
