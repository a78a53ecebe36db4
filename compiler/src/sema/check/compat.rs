//! Type compatibility: does an actual type fit an expected one (and how builtin type variables bind).

use super::Checker;
use crate::builtins::sig::SigTy;
use crate::sema::ty::Ty;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Mismatch {
    General,
    /// Embedding dimensions disagree: (expected, found).
    Dim(u64, u64),
}

impl Checker<'_> {
    /// Whether `actual` can be used where `expected` is wanted. Records are compared by width:
    /// the actual record must have every expected field with a fitting type.
    pub fn compat(&self, expected: &Ty, actual: &Ty) -> Result<(), Mismatch> {
        use Ty::*;
        match (expected, actual) {
            (Unknown, _) | (_, Unknown) | (Var(_), _) | (_, Var(_)) => Ok(()),
            (Float, Int) | (Path, Str) | (Str, Path) => Ok(()),
            (Embedding(Some(a)), Embedding(Some(b))) | (Model(Some(a)), Model(Some(b))) if a != b => Err(Mismatch::Dim(*a, *b)),
            (Embedding(_), Embedding(_)) | (Model(_), Model(_)) | (Reward(_), Reward(_)) => Ok(()),
            (Opt(e), Opt(a)) => self.compat(e, a),
            (Opt(e), a) => self.compat(e, a),
            (List(e), List(a)) => self.compat(e, a),
            (Record(e), Record(a)) if e == a => Ok(()),
            (Record(e), Record(a)) => {
                let have = &self.types.record(*a).fields;
                for (name, et) in &self.types.record(*e).fields {
                    match have.iter().find(|(n, _)| n == name) {
                        Some((_, at)) => self.compat(et, at)?,
                        None if matches!(et, Opt(_)) => {}
                        None => return Err(Mismatch::General),
                    }
                }
                Ok(())
            }
            (Fn(ep, er), Fn(ap, ar)) if ep.len() == ap.len() => {
                for (e, a) in ep.iter().zip(ap) {
                    self.compat(a, e)?;
                }
                self.compat(er, ar)
            }
            (Symbol(_), Symbol(_)) => Ok(()),
            (e, a) if e == a => Ok(()),
            _ => Err(Mismatch::General),
        }
    }

    /// Match a signature type against an actual type, binding type variables.
    pub fn unify_sig(&mut self, sig: &SigTy, actual: &Ty, binds: &mut HashMap<char, Ty>) -> Result<(), Mismatch> {
        match (sig, actual) {
            (_, Ty::Unknown) => Ok(()),
            (SigTy::Var(v), a) => match binds.get(v).cloned() {
                Some(Ty::Unknown) | None => {
                    binds.insert(*v, a.clone());
                    Ok(())
                }
                Some(b) => self.compat(&b, a),
            },
            (SigTy::List(s), Ty::List(a)) => self.unify_sig(s, a, binds),
            (SigTy::Opt(s), Ty::Opt(a)) => self.unify_sig(s, a, binds),
            (SigTy::Opt(s), a) => self.unify_sig(s, a, binds),
            (SigTy::Fn(sp, sr), Ty::Fn(ap, ar)) if sp.len() == ap.len() => {
                for (s, a) in sp.iter().zip(ap) {
                    self.unify_sig(s, a, binds)?;
                }
                self.unify_sig(sr, ar, binds)
            }
            (SigTy::App(base, arg), Ty::Record(r)) => {
                let def = self.types.record(*r).clone();
                match def.generic {
                    Some((b, t)) if b == *base => self.unify_sig(arg, &t, binds),
                    None if def.name == *base => Ok(()),
                    _ => {
                        let expected = self.sig_to_ty(sig, binds);
                        self.compat(&expected, actual)
                    }
                }
            }
            (s, a) => {
                let expected = self.sig_to_ty(s, binds);
                self.compat(&expected, a)
            }
        }
    }
}
