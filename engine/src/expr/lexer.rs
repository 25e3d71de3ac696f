//! Tokens inside `${...}`, following JUEL's hand-written scanner.

/// A token kind. Identifiers carry no text: the parser slices it from the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Int(i64),
    Float(f64),
    Str(String),
    Ident,
    True,
    False,
    Null,
    Empty,
    /// Reserved by EL but unsupported by JUEL's grammar, so always a syntax error.
    Instanceof,
    Not,
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Mul,
    Div,
    Mod,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Dot,
    Comma,
    Question,
    Colon,
    EndEval,
    Eof,
}

/// A token and its byte range in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// A lexical (or literal-range) error, located by byte offset; the parser turns it into
/// an [`super::ExprError`] with a character position.
#[derive(Debug)]
pub(crate) struct LexError {
    pub(crate) at: usize,
    pub(crate) encountered: String,
    pub(crate) expected: &'static str,
    /// JUEL says "lexical error" for scanner errors and "syntax error" for the rest.
    pub(crate) lexical: bool,
}

/// A cursor into the source. It is `Copy`, so the parser peeks ahead by copying it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

/// `Character.isJavaIdentifierStart`, closely enough for expression sources.
fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

/// `Character.isJavaIdentifierPart`, closely enough for expression sources.
fn is_ident_part(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

fn keyword(word: &str) -> Option<Tok> {
    Some(match word {
        "null" => Tok::Null,
        "true" => Tok::True,
        "false" => Tok::False,
        "empty" => Tok::Empty,
        "div" => Tok::Div,
        "mod" => Tok::Mod,
        "not" => Tok::Not,
        "and" => Tok::And,
        "or" => Tok::Or,
        "le" => Tok::Le,
        "lt" => Tok::Lt,
        "eq" => Tok::Eq,
        "ne" => Tok::Ne,
        "ge" => Tok::Ge,
        "gt" => Tok::Gt,
        "instanceof" => Tok::Instanceof,
        _ => return None,
    })
}

impl<'s> Lexer<'s> {
    /// A lexer positioned at byte `pos` of `src` (just after a `${`).
    pub(crate) fn new(src: &'s str, pos: usize) -> Self {
        Lexer { src, pos }
    }

    fn rest(&self) -> &'s str {
        self.src.get(self.pos..).unwrap_or("")
    }

    /// The next token, skipping whitespace.
    pub(crate) fn next_token(&mut self) -> Result<Token, LexError> {
        let skipped = self.rest().len() - self.rest().trim_start().len();
        self.pos += skipped;
        let start = self.pos;
        let rest = self.rest();
        let mut chars = rest.chars();
        let Some(c) = chars.next() else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
        };
        let c2 = chars.next();
        let fixed = |tok: Tok, len: usize| (tok, len);
        let (tok, len) = match (c, c2) {
            ('}', _) => fixed(Tok::EndEval, 1),
            ('*', _) => fixed(Tok::Mul, 1),
            ('/', _) => fixed(Tok::Div, 1),
            ('%', _) => fixed(Tok::Mod, 1),
            ('+', _) => fixed(Tok::Plus, 1),
            ('-', _) => fixed(Tok::Minus, 1),
            ('?', _) => fixed(Tok::Question, 1),
            (':', _) => fixed(Tok::Colon, 1),
            ('[', _) => fixed(Tok::LBrack, 1),
            (']', _) => fixed(Tok::RBrack, 1),
            ('(', _) => fixed(Tok::LParen, 1),
            (')', _) => fixed(Tok::RParen, 1),
            (',', _) => fixed(Tok::Comma, 1),
            ('.', d) if !d.is_some_and(|d| d.is_ascii_digit()) => fixed(Tok::Dot, 1),
            ('=', Some('=')) => fixed(Tok::Eq, 2),
            ('&', Some('&')) => fixed(Tok::And, 2),
            ('|', Some('|')) => fixed(Tok::Or, 2),
            ('!', Some('=')) => fixed(Tok::Ne, 2),
            ('!', _) => fixed(Tok::Not, 1),
            ('<', Some('=')) => fixed(Tok::Le, 2),
            ('<', _) => fixed(Tok::Lt, 1),
            ('>', Some('=')) => fixed(Tok::Ge, 2),
            ('>', _) => fixed(Tok::Gt, 1),
            ('"' | '\'', _) => return self.string(c),
            (c, _) if c.is_ascii_digit() || c == '.' => return self.number(),
            (c, _) if is_ident_start(c) => {
                let len = rest
                    .char_indices()
                    .find(|&(_, ch)| !is_ident_part(ch))
                    .map_or(rest.len(), |(i, _)| i);
                let word = rest.get(..len).unwrap_or("");
                (keyword(word).unwrap_or(Tok::Ident), len)
            }
            (c, _) => {
                return Err(LexError {
                    at: start,
                    encountered: format!("invalid character '{c}'"),
                    expected: "expression token",
                    lexical: true,
                })
            }
        };
        self.pos += len;
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }

    /// A quoted string. `\\`, `\'` and `\"` are the only escapes, as in JUEL.
    fn string(&mut self, quote: char) -> Result<Token, LexError> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ ('\\' | '\'' | '"'))) => out.push(e),
                    Some((_, e)) => {
                        return Err(LexError {
                            at: start,
                            encountered: format!("invalid escape sequence \\{e}"),
                            expected: "\\' or \\\" or \\\\",
                            lexical: true,
                        })
                    }
                    None => break,
                },
                c if c == quote => {
                    self.pos = start + i + 1;
                    return Ok(Token {
                        tok: Tok::Str(out),
                        start,
                        end: self.pos,
                    });
                }
                c => out.push(c),
            }
        }
        Err(LexError {
            at: start,
            encountered: "unterminated string".to_owned(),
            expected: if quote == '"' { "\"" } else { "'" },
            lexical: true,
        })
    }

    /// `digits ('.' digits?)? exponent?` or `'.' digits exponent?`; a '.' or an
    /// exponent makes it floating.
    fn number(&mut self) -> Result<Token, LexError> {
        let start = self.pos;
        let bytes = self.rest().as_bytes();
        let digits = |from: usize| {
            bytes
                .get(from..)
                .map_or(0, |b| b.iter().take_while(|c| c.is_ascii_digit()).count())
        };
        let mut i = digits(0);
        let mut float = false;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            i += digits(i);
            float = true;
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(bytes.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            let exp = digits(j);
            if exp > 0 {
                i = j + exp;
                float = true;
            }
        }
        let text = self.rest().get(..i).unwrap_or("");
        let tok = if float {
            text.parse::<f64>().ok().map(Tok::Float)
        } else {
            text.parse::<i64>().ok().map(Tok::Int)
        };
        let Some(tok) = tok else {
            return Err(LexError {
                at: start,
                encountered: format!("'{text}'"),
                expected: if float { "<FLOAT>" } else { "<INTEGER>" },
                lexical: false,
            });
        };
        self.pos += i;
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        let mut lx = Lexer::new(src, 0);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().unwrap();
            if t.tok == Tok::Eof {
                return out;
            }
            out.push(t.tok);
        }
    }

    #[test]
    fn numbers_follow_el_literal_rules() {
        assert_eq!(toks("5"), [Tok::Int(5)]);
        assert_eq!(
            toks("1e3 .5 1.5E-3 2."),
            [
                Tok::Float(1000.0),
                Tok::Float(0.5),
                Tok::Float(0.0015),
                Tok::Float(2.0)
            ]
        );
        // `1e` is the integer 1 followed by the identifier `e`.
        assert_eq!(toks("1e"), [Tok::Int(1), Tok::Ident]);
        assert!(Lexer::new("99999999999999999999", 0).next_token().is_err());
    }

    #[test]
    fn word_operators_are_keywords() {
        assert_eq!(
            toks("a eq b and not c"),
            [
                Tok::Ident,
                Tok::Eq,
                Tok::Ident,
                Tok::And,
                Tok::Not,
                Tok::Ident
            ]
        );
    }

    #[test]
    fn strings_unescape() {
        assert_eq!(
            toks(r#"'it\'s' "a \"b\" \\""#),
            [Tok::Str("it's".into()), Tok::Str("a \"b\" \\".into())]
        );
        assert!(Lexer::new("'abc", 0).next_token().is_err());
        assert!(Lexer::new(r"'\n'", 0).next_token().is_err());
    }
}
