//! Deck trust: which ngspice decks `thermocad spice` runs without `--trust-deck`.
//!
//! ngspice executes whatever a deck's `.control` block says (`shell`, file writes anywhere) and
//! reads any file a `.include`/`.lib` names, so a deck is only run when it is (a) unchanged
//! since thermocad wrote it, if it carries thermocad's checksum line, and (b) made only of the
//! lines the netlist writer produces (the allow-list of [`check`]). The checksum is FNV-1a
//! (64 bit) over every byte before the footer line `* thermocad-deck: fnv1a64=<16 hex>`; it
//! detects edits, not forgery (there is no secret), which is why the allow-list is applied to
//! every deck as well.

use std::io::{self, Write};

/// Start of the checksum footer line the netlist writer puts just before `.end`.
pub const FOOTER: &str = "* thermocad-deck: fnv1a64=";

/// FNV-1a, 64 bit.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Add bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The hash so far.
    pub fn value(&self) -> u64 {
        self.0
    }
}

/// A writer that hashes everything written through it.
pub struct Hashing<'a, W: Write + ?Sized> {
    inner: &'a mut W,
    /// Hash of the bytes written so far.
    pub hash: Fnv,
}

impl<'a, W: Write + ?Sized> Hashing<'a, W> {
    /// Wrap `inner`.
    pub fn new(inner: &'a mut W) -> Self {
        Hashing {
            inner,
            hash: Fnv::default(),
        }
    }
}

impl<W: Write + ?Sized> Write for Hashing<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Why a deck is not run.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// 1-based line number (0: the whole deck).
    pub line: usize,
    /// What is wrong.
    pub why: String,
}

/// Check `text` (a whole deck): its checksum footer, if present, must match, and every line
/// must be of a kind the netlist writer produces. Returns whether the deck carries a valid
/// thermocad checksum.
pub fn check(text: &str) -> Result<bool, Refusal> {
    let signed = verify_checksum(text)?;
    // A first line `*ng_script` makes ngspice read the whole file as control commands.
    if text
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("*ng_script")
    {
        return Err(Refusal {
            line: 1,
            why: "`*ng_script` (a control script, not a deck)".into(),
        });
    }
    let mut control = false;
    for (k, raw) in text.lines().enumerate().skip(1) {
        let line = raw.trim();
        let refuse = |why: &str| {
            Err(Refusal {
                line: k + 1,
                why: format!("`{}` {why}", shorten(line)),
            })
        };
        // ngspice executes `*#` lines as control commands; other `*` lines are comments.
        if line.starts_with("*#") {
            return refuse("is a `*#` control command");
        }
        if line.is_empty() || line.starts_with('*') {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let mut f = lower.split_whitespace();
        let head = f.next().unwrap_or("");
        let rest: Vec<&str> = f.collect();
        let ok = if control {
            match head {
                "set" => {
                    rest.len() == 1
                        && (rest[0] == "wr_singlescale"
                            || rest[0] == "wr_vecnames"
                            || rest[0].strip_prefix("rndseed=").is_some_and(is_digits))
                }
                "option" => {
                    rest.len() == 1 && rest[0].strip_prefix("numdgt=").is_some_and(is_digits)
                }
                "run" | "quit" => rest.is_empty(),
                "wrdata" => {
                    rest.len() >= 2
                        && super::netlist::is_safe_file_name(rest[0])
                        && rest[1..].iter().all(|v| is_voltage(v))
                }
                ".endc" => {
                    control = false;
                    rest.is_empty()
                }
                _ => false,
            }
        } else {
            match head {
                ".control" => {
                    control = true;
                    rest.is_empty()
                }
                ".end" => rest.is_empty(),
                ".options" | ".option" => rest.iter().all(|kv| {
                    kv.split_once('=').is_some_and(|(k, v)| {
                        k.chars().all(|c| c.is_ascii_alphanumeric()) && is_number(v)
                    })
                }),
                ".ic" => rest.iter().all(|kv| {
                    kv.split_once('=')
                        .is_some_and(|(k, v)| is_voltage(k) && is_number(v))
                }),
                ".tran" => rest
                    .iter()
                    .enumerate()
                    .all(|(i, v)| is_number(v) || (i + 1 == rest.len() && *v == "uic")),
                "+" => line[1..]
                    .split_whitespace()
                    .all(|v| is_number(v) || v == ")"),
                _ => is_element(&lower),
            }
        };
        if !ok {
            return refuse(if control {
                "is not a .control command thermocad writes"
            } else {
                "is not a line thermocad writes"
            });
        }
    }
    Ok(signed)
}

/// A valid checksum footer → true; none → false; a wrong one → refused.
fn verify_checksum(text: &str) -> Result<bool, Refusal> {
    let Some(at) = text.rfind(FOOTER) else {
        return Ok(false);
    };
    let line = text[..at].matches('\n').count() + 1;
    if at > 0 && !text[..at].ends_with('\n') {
        return Err(Refusal {
            line,
            why: "checksum footer is not at the start of a line".into(),
        });
    }
    let tail = &text[at + FOOTER.len()..];
    let (hex, after) = tail.split_once('\n').unwrap_or((tail, ""));
    let mut h = Fnv::default();
    h.update(&text.as_bytes()[..at]);
    let expected = format!("{:016x}", h.value());
    if hex.trim() != expected {
        return Err(Refusal {
            line,
            why: "the deck was changed after thermocad wrote it (checksum mismatch)".into(),
        });
    }
    if after.trim() != ".end" {
        return Err(Refusal {
            line: line + 1,
            why: "lines after the checksum footer (only `.end` may follow)".into(),
        });
    }
    Ok(true)
}

/// An element line of the kinds the netlist writer emits (R, C, L, G, E, V, I, B), made of
/// node names, numbers, `DC`, `PWL(…)`, `TRNOISE(…)` or a cubic B-source expression.
fn is_element(lower: &str) -> bool {
    let first = lower.chars().next().unwrap_or(' ');
    "rclgevib".contains(first)
        && lower
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.+-()=*".contains(c))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

fn is_number(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// `v(node)` with an identifier node name.
fn is_voltage(s: &str) -> bool {
    s.strip_prefix("v(")
        .and_then(|r| r.strip_suffix(')'))
        .is_some_and(|n| {
            n.starts_with(|c: char| c.is_ascii_alphabetic())
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn shorten(line: &str) -> String {
    let s: String = line.chars().take(60).collect();
    if s.len() < line.len() {
        format!("{s}…")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(body: &str) -> String {
        let mut h = Fnv::default();
        h.update(body.as_bytes());
        format!("{body}{FOOTER}{:016x}\n.end\n", h.value())
    }

    #[test]
    fn fnv_matches_the_published_test_vectors() {
        let mut h = Fnv::default();
        assert_eq!(h.value(), 0xcbf29ce484222325);
        h.update(b"a");
        assert_eq!(h.value(), 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn signed_deck_passes_and_an_edit_is_caught() {
        let body = "title\nC0 v0 0 1e-9\n.tran 1e-9 1e-6 0 1e-9 uic\n.control\nrun\nwrdata o.data v(v0)\nquit\n.endc\n";
        assert_eq!(check(&signed(body)), Ok(true));
        let edited = signed(body).replace("1e-9 uic", "2e-9 uic");
        assert!(check(&edited).unwrap_err().why.contains("checksum"));
    }

    #[test]
    fn dangerous_lines_are_refused_even_when_signed() {
        for bad in [
            ".control\nshell touch MARK\n.endc\n",
            ".include /etc/passwd\n",
            ".lib x.lib\n",
            ".control\nwrdata ../x v(v0)\n.endc\n",
            "X1 a b sub\n",
            ".control\nsource other.cir\n.endc\n",
            "*# shell touch MARK\n",
        ] {
            let deck = signed(&format!("title\nR1 a 0 1\n{bad}"));
            let e = check(&deck).unwrap_err();
            assert!(e.line >= 3, "{bad}: {e:?}");
        }
        // Unsigned but plain decks run (not written by thermocad, but harmless).
        assert_eq!(check("t\nR1 a 0 1\n.end\n"), Ok(false));
        assert_eq!(check("*ng_script\nR1 a 0 1\n").unwrap_err().line, 1);
    }
}
