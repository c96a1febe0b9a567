//! The placeholder parser: `%provider:path|transformer(args)|…%` into its parts,
//! borrowed from the template, or nothing when the text there is no placeholder.

/// One parsed `%provider:path|…%`; borrowed from the template.
#[derive(Debug)]
pub(super) struct Placeholder<'a> {
    pub(super) provider: &'a str,
    pub(super) path: &'a str,
    pub(super) transformers: Vec<Call<'a>>,
}

/// One `|transformer(args)` of a placeholder.
#[derive(Debug)]
pub(super) struct Call<'a> {
    pub(super) name: &'a str,
    pub(super) args: Vec<String>,
}

impl<'a> Placeholder<'a> {
    /// Parses the placeholder opening at `start` (a `%`), returning it and the
    /// index after its closing `%`; `None` when the text there is no placeholder.
    ///
    /// Only ASCII delimiters are ever sliced at, so every index is a char boundary.
    pub(super) fn parse(s: &'a str, start: usize) -> Option<(Self, usize)> {
        let mut cur = Cursor { s, pos: start + 1 };
        let provider = cur.ident()?;
        if !cur.eat(b':') {
            return None;
        }
        let path_start = cur.pos;
        while let Some(b) = cur.peek() {
            if matches!(b, b'|' | b'%' | b'"' | b'(' | b')') || b.is_ascii_whitespace() {
                break;
            }
            cur.pos += 1;
        }
        let path = &s[path_start..cur.pos];
        let mut transformers = Vec::new();
        loop {
            cur.skip_ws();
            if cur.eat(b'%') {
                return Some((
                    Self {
                        provider,
                        path,
                        transformers,
                    },
                    cur.pos,
                ));
            }
            if !cur.eat(b'|') {
                return None;
            }
            cur.skip_ws();
            let name = cur.ident()?;
            cur.skip_ws();
            let args = if cur.eat(b'(') {
                cur.args()?
            } else {
                Vec::new()
            };
            transformers.push(Call { name, args });
        }
    }
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        self.pos += usize::from(hit);
        hit
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b == b' ' || b == b'\t') {
            self.pos += 1;
        }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`
    fn ident(&mut self) -> Option<&'a str> {
        let start = self.pos;
        if !self
            .peek()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        {
            return None;
        }
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.pos += 1;
        }
        Some(&self.s[start..self.pos])
    }

    /// Arguments after `(`, through `)`: double-quoted strings (with `\"` and `\\`)
    /// or bare tokens such as numbers.
    fn args(&mut self) -> Option<Vec<String>> {
        let mut args = Vec::new();
        self.skip_ws();
        if self.eat(b')') {
            return Some(args);
        }
        loop {
            self.skip_ws();
            args.push(if self.eat(b'"') {
                self.string()?
            } else {
                self.bare()?
            });
            self.skip_ws();
            if self.eat(b')') {
                return Some(args);
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    /// The rest of a string literal after its opening quote.
    fn string(&mut self) -> Option<String> {
        let mut out = String::new();
        let mut chunk = self.pos;
        loop {
            match self.peek()? {
                b'"' => {
                    out.push_str(&self.s[chunk..self.pos]);
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' if matches!(self.s.as_bytes().get(self.pos + 1), Some(b'"' | b'\\')) => {
                    out.push_str(&self.s[chunk..self.pos]);
                    chunk = self.pos + 1; // keep the escaped quote or backslash
                    self.pos += 2;
                }
                _ => self.pos += 1,
            }
        }
    }

    fn bare(&mut self) -> Option<String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'+'))
        {
            self.pos += 1;
        }
        (self.pos > start).then(|| self.s[start..self.pos].to_owned())
    }
}
