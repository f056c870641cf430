//! Time-based one-time passwords (RFC 6238, HMAC-SHA1, 30-second steps,
//! 6 digits): the second factor every staff and provider sign-in needs.
//! These are the settings every authenticator app supports.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Codes from one step either side of now are accepted, for clock drift.
const DRIFT_STEPS: i64 = 1;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A shared secret (at least 160 bits, as RFC 4226 recommends).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A secret from 20 random bytes.
    pub fn from_bytes(bytes: [u8; 20]) -> TotpSecret {
        TotpSecret(bytes.to_vec())
    }

    /// Base32 (RFC 4648, no padding), as authenticator apps take it.
    pub fn to_base32(&self) -> String {
        let mut out = String::new();
        let (mut buffer, mut bits) = (0u32, 0u32);
        for &b in &self.0 {
            buffer = (buffer << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                out.push(BASE32[((buffer >> (bits - 5)) & 31) as usize] as char);
                bits -= 5;
            }
        }
        if bits > 0 {
            out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
        }
        out
    }

    /// Parses base32, ignoring case, spaces and padding.
    pub fn parse_base32(input: &str) -> Result<TotpSecret, &'static str> {
        let mut bytes = Vec::new();
        let (mut buffer, mut bits) = (0u32, 0u32);
        for c in input.chars().filter(|c| !c.is_whitespace() && *c != '=') {
            let v = BASE32.iter().position(|&b| b as char == c.to_ascii_uppercase()).ok_or("is not base32")?;
            buffer = (buffer << 5) | v as u32;
            bits += 5;
            if bits >= 8 {
                bytes.push((buffer >> (bits - 8)) as u8);
                bits -= 8;
            }
        }
        if bytes.len() < 16 {
            return Err("is too short: a secret has at least 128 bits");
        }
        Ok(TotpSecret(bytes))
    }

    /// The code for time step `step`.
    pub fn code_for_step(&self, step: i64) -> u32 {
        let mut mac = Hmac::<Sha1>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = (digest[19] & 0x0f) as usize;
        let value =
            u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
        value % 10u32.pow(DIGITS)
    }

    /// Checks `code` at `unix_seconds`. Returns the step it matched, which
    /// the caller stores: a code for that step or an earlier one is then
    /// refused, so an overheard code cannot be replayed.
    pub fn verify(&self, code: &str, unix_seconds: i64, last_used_step: Option<i64>) -> Option<i64> {
        let code = code.trim().replace(' ', "");
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let wanted: u32 = code.parse().ok()?;
        let now = unix_seconds.div_euclid(STEP_SECONDS);
        (now - DRIFT_STEPS..=now + DRIFT_STEPS)
            .filter(|step| last_used_step.is_none_or(|last| *step > last))
            .find(|step| self.code_for_step(*step) == wanted)
    }

    /// The `otpauth://` address an authenticator app reads (usually from a
    /// QR code).
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            enc(issuer),
            enc(account),
            self.to_base32(),
            enc(issuer)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret.
    fn rfc_secret() -> TotpSecret {
        TotpSecret(b"12345678901234567890".to_vec())
    }

    #[test]
    fn matches_the_rfc_6238_test_vectors() {
        // The RFC lists 8-digit codes; ours are their last 6 digits.
        let vectors = [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
        ];
        for (t, code) in vectors {
            assert_eq!(rfc_secret().code_for_step(t / STEP_SECONDS), code % 1_000_000, "at {t}");
        }
    }

    #[test]
    fn accepts_one_step_of_drift_and_refuses_replay() {
        let s = rfc_secret();
        let t = 1_234_567_890;
        let code = format!("{:06}", s.code_for_step(t / STEP_SECONDS));
        let step = s.verify(&code, t, None).unwrap();
        assert_eq!(s.verify(&code, t + 30, None), Some(step), "30 seconds late is fine");
        assert_eq!(s.verify(&code, t + 90, None), None, "90 seconds late is not");
        assert_eq!(s.verify(&code, t, Some(step)), None, "a used code cannot be used again");
        assert_eq!(s.verify("12345", t, None), None);
        assert_eq!(s.verify("abcdef", t, None), None);
    }

    #[test]
    fn base32_round_trips() {
        let s = TotpSecret::from_bytes([0xA5; 20]);
        assert_eq!(TotpSecret::parse_base32(&s.to_base32().to_lowercase()).unwrap(), s);
        assert_eq!(rfc_secret().to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert!(TotpSecret::parse_base32("GEZD").is_err());
        assert!(TotpSecret::parse_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1").is_err());
    }

    #[test]
    fn provisioning_uri_names_the_issuer_and_account() {
        let uri = rfc_secret().provisioning_uri("Allot Wyvern Vale", "a.jones@wyvern.example");
        assert_eq!(
            uri,
            "otpauth://totp/Allot%20Wyvern%20Vale:a.jones@wyvern.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Allot%20Wyvern%20Vale&algorithm=SHA1&digits=6&period=30"
        );
    }
}
