//! A small, defensive XML tree reader on top of quick-xml's namespace-aware reader.
//!
//! BPMN files come from users and from the network, so this reader is the security
//! boundary: a `<!DOCTYPE>` is refused outright (so no external entity is ever resolved
//! and no entity can be expanded), only the five predefined entities and character
//! references are decoded, and input size, nesting depth and element count are bounded.
//! Diagram interchange (`bpmndi`, `dc`, `di`) subtrees are skipped without building
//! nodes, since execution never needs them and they are often half the file.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::{NsReader, XmlVersion};

/// The namespaces procos understands. Elements in other namespaces are kept as
/// [`Ns::Other`] so that validation can tell a modeller what was ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ns {
    /// `http://www.omg.org/spec/BPMN/20100524/MODEL`
    Bpmn,
    /// `http://camunda.org/schema/1.0/bpmn`
    Camunda,
    /// `http://activiti.org/bpmn`: Activiti's extensions, which Camunda 7 also reads.
    Activiti,
    /// `http://camunda.org/schema/zeebe/1.0`: Camunda 8 extensions.
    Zeebe,
    /// `http://www.w3.org/2001/XMLSchema-instance`
    Xsi,
    /// Diagram interchange (`bpmndi`, `dc`, `di`).
    Diagram,
    /// No namespace (unprefixed attributes).
    None,
    /// Any other namespace.
    Other,
}

const BPMN_NS: &str = "http://www.omg.org/spec/BPMN/20100524/MODEL";
const CAMUNDA_NS: &str = "http://camunda.org/schema/1.0/bpmn";
const ACTIVITI_NS: &str = "http://activiti.org/bpmn";
const ZEEBE_NS: &str = "http://camunda.org/schema/zeebe/1.0";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const DIAGRAM_NS: [&str; 3] = [
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
];

fn classify(resolved: &ResolveResult<'_>) -> Ns {
    match resolved {
        ResolveResult::Bound(Namespace(ns)) => {
            let ns: &str = ns;
            if ns == BPMN_NS {
                Ns::Bpmn
            } else if ns == CAMUNDA_NS {
                Ns::Camunda
            } else if ns == ACTIVITI_NS {
                Ns::Activiti
            } else if ns == ZEEBE_NS {
                Ns::Zeebe
            } else if ns == XSI_NS {
                Ns::Xsi
            } else if DIAGRAM_NS.contains(&ns) {
                Ns::Diagram
            } else {
                Ns::Other
            }
        }
        ResolveResult::Unbound => Ns::None,
        ResolveResult::Unknown(_) => Ns::Other,
    }
}

/// One attribute, with its namespace resolved.
#[derive(Debug, Clone)]
pub struct Attr {
    /// Resolved namespace.
    pub ns: Ns,
    /// The prefix as written (for messages), e.g. `camunda`.
    pub prefix: Option<Box<str>>,
    /// Local name.
    pub name: Box<str>,
    /// Decoded value.
    pub value: Box<str>,
}

/// One element of the tree.
#[derive(Debug, Clone)]
pub struct Element {
    /// Resolved namespace.
    pub ns: Ns,
    /// Local name, e.g. `serviceTask`.
    pub name: Box<str>,
    /// Attributes in document order.
    pub attrs: Vec<Attr>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Concatenated text and CDATA content directly inside this element.
    pub text: String,
    /// 1-based line of the start tag.
    pub line: u32,
    /// 1-based column of the start tag.
    pub column: u32,
}

impl Element {
    /// The value of an unprefixed attribute (BPMN attributes are unqualified).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns == Ns::None && &*a.name == name)
            .map(|a| &*a.value)
    }

    /// The value of an attribute in `ns`.
    pub fn attr_ns(&self, ns: Ns, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns == ns && &*a.name == name)
            .map(|a| &*a.value)
    }

    /// A `camunda:` attribute.
    pub fn camunda(&self, name: &str) -> Option<&str> {
        self.attr_ns(Ns::Camunda, name)
    }

    /// BPMN child elements named `name`.
    pub fn bpmn_children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children
            .iter()
            .filter(move |c| c.ns == Ns::Bpmn && &*c.name == name)
    }

    /// The first BPMN child named `name`.
    pub fn bpmn_child(&self, name: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|c| c.ns == Ns::Bpmn && &*c.name == name)
    }

    /// The element's trimmed text.
    pub fn trimmed_text(&self) -> &str {
        self.text.trim()
    }

    /// True for a BPMN element named `name`.
    pub fn is_bpmn(&self, name: &str) -> bool {
        self.ns == Ns::Bpmn && &*self.name == name
    }
}

/// Limits that keep a hostile or broken document from exhausting memory or stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted document, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted element nesting.
    pub max_depth: usize,
    /// Most elements accepted in one document (diagram elements included).
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 16 * 1024 * 1024,
            max_depth: 128,
            max_elements: 500_000,
        }
    }
}

/// Why a document could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} | line {line} | column {column}")]
pub struct XmlError {
    /// What went wrong, in words a modeller understands.
    pub message: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Maps byte offsets to 1-based line and column numbers.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    fn locate(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }
}

/// Reads `text` into a tree rooted at the document element.
pub fn parse_document(text: &str, limits: Limits) -> Result<Element, XmlError> {
    let index = LineIndex::new(text);
    let err_at = |offset: usize, message: String| {
        let (line, column) = index.locate(offset);
        XmlError {
            message,
            line,
            column,
        }
    };
    if text.len() > limits.max_bytes {
        return Err(err_at(
            0,
            format!(
                "the document is {} bytes; procos accepts BPMN files up to {} bytes",
                text.len(),
                limits.max_bytes
            ),
        ));
    }
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - body.len();

    let mut reader = NsReader::from_str(body);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut skip_depth = 0usize; // >0 while inside a skipped diagram subtree
    let mut elements = 0usize;

    loop {
        let start_offset = bom + usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let (ns, event) = match reader.read_resolved_event() {
            Ok((resolved, event)) => (classify(&resolved), event),
            Err(e) => {
                let message = format!("the document is not well-formed XML: {e}");
                let at = bom + usize::try_from(reader.error_position()).unwrap_or(0);
                return Err(err_at(at, message));
            }
        };
        match event {
            Event::DocType(_) => {
                return Err(err_at(
                    start_offset,
                    "DOCTYPE is not allowed: procos never processes document type declarations or external entities"
                        .to_owned(),
                ));
            }
            Event::Start(_) | Event::Empty(_) if skip_depth > 0 => {
                elements += 1;
                if elements > limits.max_elements {
                    return Err(err_at(start_offset, too_many(limits)));
                }
                // `<a/>` arrives as `Empty`, so only a `Start` has an `End` to wait for.
                if matches!(event, Event::Start(_)) {
                    skip_depth += 1;
                }
            }
            Event::End(_) if skip_depth > 0 => {
                skip_depth -= 1;
            }
            Event::Start(start) => {
                elements += 1;
                if elements > limits.max_elements {
                    return Err(err_at(start_offset, too_many(limits)));
                }
                if stack.len() >= limits.max_depth {
                    return Err(err_at(
                        start_offset,
                        format!(
                            "elements are nested more than {} levels deep",
                            limits.max_depth
                        ),
                    ));
                }
                if ns == Ns::Diagram {
                    skip_depth = 1;
                    continue;
                }
                let el = make_element(&reader, ns, &start, &index, start_offset)?;
                stack.push(el);
            }
            Event::Empty(start) => {
                elements += 1;
                if elements > limits.max_elements {
                    return Err(err_at(start_offset, too_many(limits)));
                }
                if ns == Ns::Diagram {
                    continue;
                }
                let el = make_element(&reader, ns, &start, &index, start_offset)?;
                attach(&mut stack, &mut root, el);
            }
            Event::End(_) => {
                if let Some(el) = stack.pop() {
                    attach(&mut stack, &mut root, el);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err(err_at(
                        start_offset,
                        "the document is not well-formed XML: text outside the root element"
                            .to_owned(),
                    ));
                }
            }
            Event::CData(t) => {
                if skip_depth == 0 {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&t.into_inner());
                    }
                }
            }
            Event::GeneralRef(r) => {
                if skip_depth > 0 {
                    continue;
                }
                let resolved = resolve_reference(&r).ok_or_else(|| {
                    let name: &str = &r;
                    err_at(
                        start_offset,
                        format!(
                            "the entity reference '&{name};' is not allowed: only &lt; &gt; &amp; &quot; &apos; and character references are decoded"
                        ),
                    )
                })?;
                if let Some(top) = stack.last_mut() {
                    top.text.push(resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(err_at(
            text.len(),
            "the document is not well-formed XML: it ends before every element is closed"
                .to_owned(),
        ));
    }
    root.ok_or_else(|| {
        err_at(
            0,
            "the document is empty: no root element was found".to_owned(),
        )
    })
}

fn too_many(limits: Limits) -> String {
    format!(
        "the document has more than {} elements",
        limits.max_elements
    )
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => {
            if root.is_none() {
                *root = Some(el);
            }
        }
    }
}

fn resolve_reference(r: &str) -> Option<char> {
    match r {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let num = r.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

fn make_element(
    reader: &NsReader<&[u8]>,
    ns: Ns,
    start: &BytesStart<'_>,
    index: &LineIndex<'_>,
    offset: usize,
) -> Result<Element, XmlError> {
    let (line, column) = index.locate(offset);
    let err = |message: String| XmlError {
        message,
        line,
        column,
    };
    let local = start.local_name();
    let name = local.as_ref().to_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| err(format!("the document is not well-formed XML: {e}")))?;
        let key = attr.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let (resolved, local) = reader.resolver().resolve_attribute(key);
        let value: Cow<'_, str> = attr.normalized_value(XmlVersion::Implicit1_0).map_err(|e| {
            err(format!(
                "attribute '{}' of <{name}> has an undecodable value (only the predefined entities and character references are allowed): {e}",
                key.as_ref()
            ))
        })?;
        attrs.push(Attr {
            ns: classify(&resolved),
            prefix: key.prefix().map(|p| p.as_ref().into()),
            name: local.as_ref().into(),
            value: value.into(),
        });
    }
    Ok(Element {
        ns,
        name: name.into(),
        attrs,
        children: Vec::new(),
        text: String::new(),
        line,
        column,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Element, XmlError> {
        parse_document(text, Limits::default())
    }

    #[test]
    fn resolves_prefixes_and_default_namespaces_alike() {
        let prefixed = r#"<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"><bpmn:process id="p" camunda:versionTag="v1"/></bpmn:definitions>"#;
        let defaulted = r#"<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:c="http://camunda.org/schema/1.0/bpmn"><process id="p" c:versionTag="v1"/></definitions>"#;
        for text in [prefixed, defaulted] {
            let root = parse(text).expect("valid");
            assert!(root.is_bpmn("definitions"));
            let process = root.bpmn_child("process").expect("process");
            assert_eq!(process.attr("id"), Some("p"));
            assert_eq!(process.camunda("versionTag"), Some("v1"));
        }
    }

    #[test]
    fn a_prefix_bound_to_another_namespace_is_not_bpmn() {
        let text = r#"<x:definitions xmlns:x="urn:other"><x:process id="p"/></x:definitions>"#;
        let root = parse(text).expect("valid xml");
        assert_eq!(root.ns, Ns::Other);
        assert!(root.bpmn_child("process").is_none());
    }

    #[test]
    fn refuses_doctype_so_no_entity_is_ever_resolved() {
        let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<a>&xxe;</a>";
        let err = parse(text).expect_err("doctype");
        assert!(err.message.contains("DOCTYPE is not allowed"), "{err}");
        assert_eq!(err.line, 2);
    }

    #[test]
    fn refuses_undeclared_entities_and_decodes_predefined_ones() {
        let err = parse("<a>&lol;</a>").expect_err("entity");
        assert!(err.message.contains("'&lol;'"), "{err}");
        let root = parse("<a b=\"&lt;&#65;&#x42;\">&amp;&#x43;</a>").expect("valid");
        assert_eq!(root.attr("b"), Some("<AB"));
        assert_eq!(root.text, "&C");
    }

    #[test]
    fn reports_malformed_xml_with_line_and_column() {
        let err = parse("<a>\n  <b>\n</a>").expect_err("mismatched");
        assert!(err.message.contains("not well-formed"), "{err}");
        assert_eq!(err.line, 3);
        let err = parse("<a><b></b>").expect_err("unclosed");
        assert!(err.message.contains("not well-formed"), "{err}");
        assert!(parse("").is_err());
        assert!(parse("   ").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "<a>".repeat(100_000);
        let err = parse(&text).expect_err("too deep");
        assert!(err.message.contains("nested more than 128"), "{err}");
    }

    #[test]
    fn size_and_element_count_are_bounded() {
        let limits = Limits {
            max_bytes: 100,
            ..Limits::default()
        };
        let err = parse_document(&"<a/>".repeat(50), limits).expect_err("too big");
        assert!(err.message.contains("up to 100 bytes"), "{err}");
        let limits = Limits {
            max_elements: 10,
            ..Limits::default()
        };
        let text = format!("<a>{}</a>", "<b/>".repeat(20));
        let err = parse_document(&text, limits).expect_err("too many");
        assert!(err.message.contains("more than 10 elements"), "{err}");
    }

    #[test]
    fn diagram_subtrees_are_skipped() {
        let text = r#"<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"><process id="p"/><bpmndi:BPMNDiagram><bpmndi:BPMNPlane><bpmndi:BPMNShape><dc:Bounds x="1"/></bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>"#;
        let root = parse(text).expect("valid");
        assert_eq!(root.children.len(), 1);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let err = parse("<a>\n<ä></b></a>").expect_err("mismatch");
        assert_eq!(err.line, 2);
    }
}
