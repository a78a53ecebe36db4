//! Builtin signature text -> `Signature` (`filter(input: [T], where: fn(T) -> bool) -> [T]`).
//! Single capital letters are type variables; `a|b|c` is a fixed set of bare words.

#[derive(Debug, Clone, PartialEq)]
pub enum SigTy {
    /// `int`, `str`, `Model`, a prelude record such as `Verdict`, or `any`.
    Named(&'static str),
    Var(char),
    List(Box<SigTy>),
    Opt(Box<SigTy>),
    Fn(Vec<SigTy>, Box<SigTy>),
    Symbols(Vec<&'static str>),
    /// A generic prelude record: `Trajectory<T>`.
    App(&'static str, Box<SigTy>),
}

#[derive(Debug, Clone)]
pub struct SigParam {
    pub name: &'static str,
    pub ty: SigTy,
    /// Default value as written in the signature; `None` and not optional means required.
    pub default: Option<&'static str>,
}

impl SigParam {
    pub fn required(&self) -> bool {
        self.default.is_none() && !matches!(self.ty, SigTy::Opt(_))
    }
}

#[derive(Debug, Clone)]
pub struct Signature {
    pub name: &'static str,
    pub params: Vec<SigParam>,
    pub ret: SigTy,
}

impl Signature {
    pub fn param(&self, name: &str) -> Option<&SigParam> {
        self.params.iter().find(|p| p.name == name)
    }
}

struct Cursor {
    s: &'static str,
    pos: usize,
}

impl Cursor {
    fn skip_ws(&mut self) {
        while self.s[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }
    fn eat(&mut self, tok: &str) -> bool {
        self.skip_ws();
        if self.s[self.pos..].starts_with(tok) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, tok: &str) -> Result<(), String> {
        if self.eat(tok) { Ok(()) } else { Err(format!("expected `{tok}` at {} in `{}`", self.pos, self.s)) }
    }
    fn word(&mut self) -> Result<&'static str, String> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let n = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        if n == 0 {
            return Err(format!("expected a word at {} in `{}`", self.pos, self.s));
        }
        self.pos += n;
        Ok(&self.s[self.pos - n..self.pos])
    }
    /// Text up to the next `,` or `)` at bracket depth 0, outside quotes.
    fn default_text(&mut self) -> &'static str {
        self.skip_ws();
        let start = self.pos;
        let (mut depth, mut quoted) = (0i32, false);
        for (i, c) in self.s[start..].char_indices() {
            match c {
                '"' => quoted = !quoted,
                '(' | '[' if !quoted => depth += 1,
                ')' | ']' if !quoted && depth > 0 => depth -= 1,
                ',' | ')' if !quoted && depth == 0 => {
                    self.pos = start + i;
                    return self.s[start..start + i].trim();
                }
                _ => {}
            }
        }
        self.pos = self.s.len();
        self.s[start..].trim()
    }
}

pub fn parse(s: &'static str) -> Result<Signature, String> {
    let mut c = Cursor { s, pos: 0 };
    let name = c.word()?;
    c.expect("(")?;
    let mut params = Vec::new();
    while !c.eat(")") {
        let pname = c.word()?;
        c.expect(":")?;
        let ty = ty(&mut c)?;
        let default = if c.eat("=") { Some(c.default_text()) } else { None };
        params.push(SigParam { name: pname, ty, default });
        if !c.eat(",") {
            c.expect(")")?;
            break;
        }
    }
    c.expect("->")?;
    let ret = ty(&mut c)?;
    Ok(Signature { name, params, ret })
}

/// A lone signature type (`[float]`, `Verdict`).
pub fn parse_type(s: &'static str) -> Result<SigTy, String> {
    ty(&mut Cursor { s, pos: 0 })
}

fn ty(c: &mut Cursor) -> Result<SigTy, String> {
    let base = if c.eat("[") {
        let inner = ty(c)?;
        c.expect("]")?;
        SigTy::List(Box::new(inner))
    } else if c.eat("fn(") {
        let mut ps = Vec::new();
        while !c.eat(")") {
            ps.push(ty(c)?);
            c.eat(",");
        }
        c.expect("->")?;
        // `fn(T) -> X?` is an optional function argument: no builtin takes a function that
        // returns an optional, and a trailing `?` reads as belonging to the argument.
        return Ok(match ty(c)? {
            SigTy::Opt(ret) => SigTy::Opt(Box::new(SigTy::Fn(ps, ret))),
            ret => SigTy::Fn(ps, Box::new(ret)),
        });
    } else {
        let w = c.word()?;
        if c.eat("|") {
            let mut options = vec![w];
            loop {
                options.push(c.word()?);
                if !c.eat("|") {
                    break;
                }
            }
            SigTy::Symbols(options)
        } else if c.eat("<") {
            let arg = ty(c)?;
            c.expect(">")?;
            SigTy::App(w, Box::new(arg))
        } else if w.len() == 1 && w.chars().all(|ch| ch.is_ascii_uppercase()) {
            SigTy::Var(w.chars().next().unwrap_or('T'))
        } else {
            SigTy::Named(w)
        }
    };
    Ok(if c.eat("?") { SigTy::Opt(Box::new(base)) } else { base })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_generic_stage() {
        let s = parse("filter(input: [T], where: fn(T) -> bool, mode: a|b = a, n: int?) -> [T]").unwrap();
        assert_eq!(s.params.len(), 4);
        assert_eq!(s.params[1].ty, SigTy::Fn(vec![SigTy::Var('T')], Box::new(SigTy::Named("bool"))));
        assert_eq!(s.params[2].ty, SigTy::Symbols(vec!["a", "b"]));
        assert_eq!(s.params[2].default, Some("a"));
        assert!(!s.params[3].required());
    }

    #[test]
    fn a_function_type_ending_in_a_question_mark_is_an_optional_argument() {
        let s = parse("embed(input: [T], text: fn(T) -> str?) -> [T]").unwrap();
        assert_eq!(s.params[1].ty, SigTy::Opt(Box::new(SigTy::Fn(vec![SigTy::Var('T')], Box::new(SigTy::Named("str"))))));
        assert!(!s.params[1].required());
    }
}
