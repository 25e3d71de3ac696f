//! The parser: JUEL's grammar (EL 2.2, which Camunda 7 uses), by precedence climbing.
//!
//! ```text
//! text    := TEXT? ((${ | #{) expr } TEXT?)*
//! expr    := or (? expr : expr)?
//! or      := and (|| and)*          and := eq (&& eq)*
//! eq      := cmp ((== | !=) cmp)*   cmp := add ((< | > | <= | >=) add)*
//! add     := mul ((+ | -) mul)*     mul := unary ((* | / | %) unary)*
//! unary   := (! | - | empty) unary | value
//! value   := (IDENT | function | ( expr ) | literal) (. IDENT params? | [ expr ])*
//! function:= (IDENT :)? IDENT params
//! ```
//!
//! Both the parser's recursion and the height of the tree are bounded by
//! [`super::MAX_NESTING`], so that neither parsing, evaluating nor dropping an
//! expression can overflow the stack, whatever the text.

use super::ast::{
    Accessor, Arith, ArithOp, Body, Call, CmpOp, Func, FuncCall, Node, Part, Path, Step,
};
use super::error::ExprError;
use super::lexer::{LexError, Lexer, Tok, Token};
use super::methods::Method;
use super::value::ElValue;
use super::MAX_NESTING;

/// What may start an expression, in JUEL's words.
const EXPR_FIRST: &str =
    "<IDENTIFIER>|<STRING>|<FLOAT>|<INTEGER>|'true'|'false'|'null'|'-'|'!'|'not'|'empty'|'('";

/// Texts longer than this are shortened in error messages.
const MESSAGE_TEXT_LIMIT: usize = 200;

/// A node and the height of its tree.
type Parsed = (Node, u32);

/// Parses a whole attribute text.
pub(crate) fn parse(src: &str) -> Result<Body, ExprError> {
    let mut parts: Vec<Part> = Vec::new();
    let mut pos = 0;
    loop {
        let (text, at) = scan_text(src, pos);
        if !text.is_empty() {
            parts.push(Part::Text(text.into_boxed_str()));
        }
        if at >= src.len() {
            break;
        }
        let mut p = Parser::new(src, at + 2)?;
        let (node, _) = p.expr()?;
        if p.tok.tok != Tok::EndEval {
            return Err(p.fail("'}'"));
        }
        pos = p.tok.end;
        parts.push(Part::Expr(node));
    }
    let mut parts = parts.into_iter();
    Ok(match (parts.next(), parts.next()) {
        (None, _) => Body::Literal("".into()),
        (Some(Part::Text(t)), None) => Body::Literal(t),
        (Some(Part::Expr(n)), None) => Body::Single(n),
        (Some(first), Some(second)) => {
            let mut all = vec![first, second];
            all.extend(parts);
            Body::Composite(all.into_boxed_slice())
        }
    })
}

/// Literal text up to the next unescaped `${` or `#{`, exactly as JUEL's scanner reads
/// it: a backslash escapes a following `${`/`#{` and is otherwise kept. Returns the
/// text and the byte offset of the `${` (or the end of the source).
fn scan_text(src: &str, from: usize) -> (String, usize) {
    let mut out = String::new();
    let mut escaped = false;
    let rest = src.get(from..).unwrap_or("");
    for (i, c) in rest.char_indices() {
        let at = from + i;
        match c {
            '\\' => {
                // JUEL quirk: a second backslash is kept and the escape stays armed.
                if escaped {
                    out.push('\\');
                } else {
                    escaped = true;
                }
            }
            '$' | '#' => {
                if src.as_bytes().get(at + 1) == Some(&b'{') {
                    if escaped {
                        out.push(c);
                    } else {
                        return (out, at);
                    }
                } else {
                    if escaped {
                        out.push('\\');
                    }
                    out.push(c);
                }
                escaped = false;
            }
            c => {
                if escaped {
                    out.push('\\');
                }
                out.push(c);
                escaped = false;
            }
        }
    }
    if escaped {
        out.push('\\');
    }
    (out, src.len())
}

/// The source for an error message, shortened if huge.
fn shown(src: &str) -> String {
    match src.char_indices().nth(MESSAGE_TEXT_LIMIT) {
        Some((i, _)) => format!("{}...", src.get(..i).unwrap_or("")),
        None => src.to_owned(),
    }
}

/// An error at byte offset `at`; `detail` receives JUEL's 0-based character position.
fn error_at(src: &str, at: usize, detail: impl FnOnce(usize) -> String) -> ExprError {
    let position = src.get(..at).map_or(0, |s| s.chars().count());
    ExprError {
        message: format!("Error parsing '{}': {}", shown(src), detail(position)),
        column: position + 1,
    }
}

fn lex_error(src: &str, e: LexError) -> ExprError {
    let kind = if e.lexical { "lexical" } else { "syntax" };
    error_at(src, e.at, |p| {
        format!(
            "{kind} error at position {p}, encountered {}, expected {}",
            e.encountered, e.expected
        )
    })
}

/// A binary operator and its precedence (higher binds tighter).
#[derive(Clone, Copy)]
enum BinOp {
    Or,
    And,
    Cmp(CmpOp),
    Arith(ArithOp),
}

fn binary_op(tok: &Tok) -> Option<(BinOp, u8)> {
    Some(match tok {
        Tok::Or => (BinOp::Or, 1),
        Tok::And => (BinOp::And, 2),
        Tok::Eq => (BinOp::Cmp(CmpOp::Eq), 3),
        Tok::Ne => (BinOp::Cmp(CmpOp::Ne), 3),
        Tok::Lt => (BinOp::Cmp(CmpOp::Lt), 4),
        Tok::Le => (BinOp::Cmp(CmpOp::Le), 4),
        Tok::Gt => (BinOp::Cmp(CmpOp::Gt), 4),
        Tok::Ge => (BinOp::Cmp(CmpOp::Ge), 4),
        Tok::Plus => (BinOp::Arith(ArithOp::Add), 5),
        Tok::Minus => (BinOp::Arith(ArithOp::Sub), 5),
        Tok::Mul => (BinOp::Arith(ArithOp::Mul), 6),
        Tok::Div => (BinOp::Arith(ArithOp::Div), 6),
        Tok::Mod => (BinOp::Arith(ArithOp::Mod), 6),
        _ => return None,
    })
}

/// Joins `l op r`, extending `l` when it is already a chain of the same level: the
/// fold is left to right either way, and a flat chain keeps the tree shallow.
fn combine(op: BinOp, (l, hl): Parsed, (r, hr): Parsed) -> Parsed {
    let joined = hl.max(hr + 1);
    let fresh = 1 + hl.max(hr);
    match (op, l) {
        (BinOp::Or, Node::Or(mut items)) => {
            items.push(r);
            (Node::Or(items), joined)
        }
        (BinOp::Or, l) => (Node::Or(vec![l, r]), fresh),
        (BinOp::And, Node::And(mut items)) => {
            items.push(r);
            (Node::And(items), joined)
        }
        (BinOp::And, l) => (Node::And(vec![l, r]), fresh),
        (BinOp::Arith(op), Node::Arith(mut a))
            if a.rest.first().map(|(o, _)| o.is_additive()) == Some(op.is_additive()) =>
        {
            a.rest.push((op, r));
            (Node::Arith(a), joined)
        }
        (BinOp::Arith(op), l) => (
            Node::Arith(Box::new(Arith {
                first: l,
                rest: vec![(op, r)],
            })),
            fresh,
        ),
        (BinOp::Cmp(op), l) => (Node::Cmp(op, Box::new([l, r])), fresh),
    }
}

fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

struct Parser<'s> {
    src: &'s str,
    lex: Lexer<'s>,
    /// The current (not yet consumed) token.
    tok: Token,
    depth: u32,
}

impl<'s> Parser<'s> {
    fn new(src: &'s str, pos: usize) -> Result<Self, ExprError> {
        let mut lex = Lexer::new(src, pos);
        let tok = lex.next_token().map_err(|e| lex_error(src, e))?;
        Ok(Parser {
            src,
            lex,
            tok,
            depth: 0,
        })
    }

    /// Consumes the current token and returns it.
    fn advance(&mut self) -> Result<Token, ExprError> {
        let next = self.lex.next_token().map_err(|e| lex_error(self.src, e))?;
        Ok(std::mem::replace(&mut self.tok, next))
    }

    /// The two tokens after the current one, without consuming anything.
    fn peek2(&self) -> (Option<Tok>, Option<Tok>) {
        let mut lx = self.lex;
        let a = lx.next_token().ok().map(|t| t.tok);
        let b = lx.next_token().ok().map(|t| t.tok);
        (a, b)
    }

    fn text(&self, t: &Token) -> &'s str {
        self.src.get(t.start..t.end).unwrap_or("")
    }

    /// A syntax error at the current token.
    #[cold]
    #[inline(never)]
    fn fail(&self, expected: &str) -> ExprError {
        let encountered = match self.tok.tok {
            Tok::Eof => "<EOF>".to_owned(),
            _ => format!("'{}'", self.text(&self.tok)),
        };
        error_at(self.src, self.tok.start, |p| {
            format!("syntax error at position {p}, encountered {encountered}, expected {expected}")
        })
    }

    /// Consumes the current token.
    fn skip(&mut self) -> Result<(), ExprError> {
        self.tok = self.lex.next_token().map_err(|e| lex_error(self.src, e))?;
        Ok(())
    }

    /// Consumes the current token, which must be of the kind of `kind`.
    fn skip_expected(&mut self, kind: &Tok, expected: &str) -> Result<Token, ExprError> {
        if std::mem::discriminant(&self.tok.tok) != std::mem::discriminant(kind) {
            return Err(self.fail(expected));
        }
        self.advance()
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&self) -> ExprError {
        error_at(self.src, self.tok.start, |p| {
            format!(
                "expression nested too deeply at position {p}; procos allows {MAX_NESTING} levels"
            )
        })
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.too_deep());
        }
        Ok(())
    }

    fn check_height(&self, h: u32) -> Result<(), ExprError> {
        if h > MAX_NESTING {
            return Err(self.too_deep());
        }
        Ok(())
    }

    // The functions from here on recurse once per nesting level. Each is kept small,
    // with the bulky work (literals, node building, errors) in helpers that are not on
    // the stack while the recursion goes deeper: in debug builds, where the compiler
    // does not share stack slots, that keeps a level of nesting near 2 KB.

    /// `expr := or (? expr : expr)?`
    fn expr(&mut self) -> Result<Parsed, ExprError> {
        self.enter()?;
        let cond = self.binary(0)?;
        let out = if self.tok.tok == Tok::Question {
            self.ternary(cond)?
        } else {
            cond
        };
        self.depth -= 1;
        self.check_height(out.1)?;
        Ok(out)
    }

    /// The `? yes : no` after a condition.
    fn ternary(&mut self, cond: Parsed) -> Result<Parsed, ExprError> {
        self.skip()?;
        let yes = self.expr()?;
        self.skip_expected(&Tok::Colon, "':'")?;
        let no = self.expr()?;
        Ok(choice(cond, yes, no))
    }

    /// Binary operators of precedence `min` and above.
    fn binary(&mut self, min: u8) -> Result<Parsed, ExprError> {
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = binary_op(&self.tok.tok) {
            if prec < min {
                break;
            }
            self.skip()?;
            // `a || b && c == d < ...` recurses once per rising precedence: count it.
            self.enter()?;
            let rhs = self.binary(prec + 1)?;
            self.depth -= 1;
            lhs = combine(op, lhs, rhs);
            self.check_height(lhs.1)?;
        }
        Ok(lhs)
    }

    /// `unary := (! | - | empty) unary | value`
    fn unary(&mut self) -> Result<Parsed, ExprError> {
        let op = match self.tok.tok {
            Tok::Not => Prefix::Not,
            Tok::Minus => Prefix::Neg,
            Tok::Empty => Prefix::Empty,
            _ => return self.value(),
        };
        self.skip()?;
        self.enter()?;
        let x = self.unary()?;
        self.depth -= 1;
        Ok(prefix(op, x))
    }

    /// `value := (IDENT | function | ( expr ) | literal) (. IDENT params? | [ expr ])*`
    fn value(&mut self) -> Result<Parsed, ExprError> {
        let start = self.tok.start;
        let base = match self.tok.tok {
            Tok::Ident => self.identifier()?,
            Tok::LParen => self.nested()?,
            _ => self.literal()?,
        };
        if matches!(self.tok.tok, Tok::Dot | Tok::LBrack) {
            self.postfix(base, start)
        } else {
            Ok(base)
        }
    }

    /// `( expr )`
    fn nested(&mut self) -> Result<Parsed, ExprError> {
        self.skip()?;
        let e = self.expr()?;
        self.skip_expected(&Tok::RParen, "')'")?;
        Ok(e)
    }

    /// An identifier, or a function call `name(...)` / `ns:name(...)`.
    fn identifier(&mut self) -> Result<Parsed, ExprError> {
        let name_tok = self.advance()?;
        let is_function = self.tok.tok == Tok::LParen
            || (self.tok.tok == Tok::Colon
                && self.peek2() == (Some(Tok::Ident), Some(Tok::LParen)));
        if is_function {
            self.function(&name_tok)
        } else {
            Ok((Node::Ident(self.text(&name_tok).into()), 1))
        }
    }

    /// The property, index and method steps after a base.
    fn postfix(&mut self, base: Parsed, start: usize) -> Result<Parsed, ExprError> {
        let (base, mut h) = base;
        let mut steps = Vec::new();
        loop {
            let (step, hs) = match self.tok.tok {
                Tok::Dot => self.dot_step()?,
                Tok::LBrack => self.index_step()?,
                _ => break,
            };
            h = h.max(hs);
            steps.push(step);
        }
        Ok(path(base, steps, start, h))
    }

    /// `. IDENT` or `. IDENT params`.
    fn dot_step(&mut self) -> Result<(Step, u32), ExprError> {
        let dot = self.tok.start;
        self.skip()?;
        let name_tok = self.skip_expected(&Tok::Ident, "<IDENTIFIER>")?;
        let name = self.text(&name_tok);
        if self.tok.tok != Tok::LParen {
            return Ok((prop_step(name), 0));
        }
        let (args, h) = self.params()?;
        Ok((call_step(name, args, dot), h))
    }

    /// `[ expr ]`.
    fn index_step(&mut self) -> Result<(Step, u32), ExprError> {
        self.skip()?;
        let (e, h) = self.expr()?;
        self.skip_expected(&Tok::RBrack, "']'")?;
        if self.tok.tok == Tok::LParen {
            // JUEL allows `a['name'](...)`; nobody writes it, so procos keeps method
            // names static.
            return Err(self.fail("'.' or an operator (procos calls methods only as a.name(...))"));
        }
        Ok((Step::Index(e), h))
    }

    /// `params := ( (expr (, expr)*)? )`, returning the arguments and their height.
    fn params(&mut self) -> Result<(Vec<Node>, u32), ExprError> {
        self.skip_expected(&Tok::LParen, "'('")?;
        let mut args = Vec::new();
        let mut h = 0;
        if self.tok.tok != Tok::RParen {
            loop {
                let (a, ha) = self.expr()?;
                h = h.max(ha);
                args.push(a);
                if self.tok.tok != Tok::Comma {
                    break;
                }
                self.skip()?;
            }
        }
        self.skip_expected(&Tok::RParen, "')'")?;
        Ok((args, h))
    }

    /// A function call; the current token is the `(` or the `:` of a namespace.
    fn function(&mut self, name_tok: &Token) -> Result<Parsed, ExprError> {
        let (prefix, name) = if self.tok.tok == Tok::Colon {
            self.skip()?;
            let local = self.advance()?;
            (Some(self.text(name_tok)), self.text(&local))
        } else {
            (None, self.text(name_tok))
        };
        let (args, h) = self.params()?;
        Ok((function(prefix, name, args), h + 1))
    }

    /// `true`, `false`, `null`, a number or a string.
    fn literal(&mut self) -> Result<Parsed, ExprError> {
        let v = match &self.tok.tok {
            Tok::True => ElValue::Bool(true),
            Tok::False => ElValue::Bool(false),
            Tok::Null => ElValue::Null,
            Tok::Int(n) => ElValue::Long(*n),
            Tok::Float(d) => ElValue::Double(*d),
            Tok::Str(s) => ElValue::String(s.clone()),
            _ => return Err(self.fail(EXPR_FIRST)),
        };
        self.skip()?;
        Ok((lit(v), 1))
    }
}

#[derive(Clone, Copy)]
enum Prefix {
    Not,
    Neg,
    Empty,
}

/// Builds a prefix node; `-5` is folded into a literal rather than a negation evaluated
/// each time.
fn prefix(op: Prefix, (x, h): Parsed) -> Parsed {
    let node = match (op, x) {
        (Prefix::Neg, Node::Lit(v)) => match *v {
            ElValue::Long(n) => return (lit(ElValue::Long(n.wrapping_neg())), h),
            ElValue::Double(d) => return (lit(ElValue::Double(-d)), h),
            other => Node::Neg(Box::new(Node::Lit(Box::new(other)))),
        },
        (Prefix::Neg, x) => Node::Neg(Box::new(x)),
        (Prefix::Not, x) => Node::Not(Box::new(x)),
        (Prefix::Empty, x) => Node::Empty(Box::new(x)),
    };
    (node, h + 1)
}

fn choice((cond, hc): Parsed, (yes, hy): Parsed, (no, hn): Parsed) -> Parsed {
    (
        Node::Cond(Box::new([cond, yes, no])),
        1 + hc.max(hy).max(hn),
    )
}

fn path(base: Node, steps: Vec<Step>, start: usize, h: u32) -> Parsed {
    let path = Path {
        base,
        steps: steps.into_boxed_slice(),
        start: offset(start),
    };
    (Node::Path(Box::new(path)), h + 1)
}

fn prop_step(name: &str) -> Step {
    Step::Prop {
        name: name.into(),
        getter: Method::getter_for_property(name),
    }
}

fn call_step(name: &str, args: Vec<Node>, dot: usize) -> Step {
    Step::Call(Box::new(Call {
        name: name.into(),
        method: Method::from_name(name),
        accessor: Accessor::from_method_name(name),
        args: args.into_boxed_slice(),
        base_end: offset(dot),
    }))
}

fn function(prefix: Option<&str>, name: &str, args: Vec<Node>) -> Node {
    Node::Func(Box::new(FuncCall {
        prefix: prefix.map(Into::into),
        name: name.into(),
        func: Func::resolve(prefix, name),
        args: args.into_boxed_slice(),
    }))
}

fn lit(v: ElValue) -> Node {
    Node::Lit(Box::new(v))
}
