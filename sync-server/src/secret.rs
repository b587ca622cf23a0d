//! Secrets: device tokens, one-time enrollment codes and passwords, and how the server keeps them.
//!
//! The server keeps no secret in the clear. A device token is 256 random bits, shown once at
//! enrollment, and kept as its SHA-256 (a hash of that many random bits cannot be guessed back, so
//! a slow hash would add nothing). An enrollment code is 80 random bits, single use and expiring,
//! kept the same way. A password is chosen by a person and may be weak, so it is kept as an
//! Argon2id hash with a random salt.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

/// The first characters of every device token, so a token in a log or a paste is recognisable.
pub const TOKEN_PREFIX: &str = "bq1_";

/// The letters of enrollment codes: Crockford's base 32 (no I, L, O or U, which read as 1, 1, 0
/// and V).
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The number of letters in an enrollment code (5 bits each: 80 bits).
const CODE_LETTERS: usize = 16;

/// The machine could not give random bits.
#[derive(Debug, thiserror::Error)]
#[error("the system's random number source failed: {0}")]
pub struct NoRandomness(String);

fn random<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new device token: the prefix and 256 random bits as 64 hex digits.
pub fn new_token() -> Result<String, NoRandomness> {
    Ok(format!("{TOKEN_PREFIX}{}", hex(&random::<32>()?)))
}

/// What the server keeps of a device token (and looks tokens up by).
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A new one-time enrollment code, in groups of four letters: `7K2M-Q9XD-…`.
pub fn new_enroll_code() -> Result<String, NoRandomness> {
    let bytes = random::<10>()?;
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let letters: Vec<char> = (0..CODE_LETTERS)
        .map(|i| {
            let shift = 5 * (CODE_LETTERS - 1 - i);
            CODE_ALPHABET[((bits >> shift) & 0x1f) as usize] as char
        })
        .collect();
    Ok(letters
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// A code as typed, the way it was made: without dashes and spaces, upper case, and with the
/// letters people mistake for digits read as those digits.
pub fn normalize_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// What the server keeps of an enrollment code.
pub fn code_hash(typed: &str) -> String {
    hex(&Sha256::digest(normalize_code(typed).as_bytes()))
}

/// A password hash for the database: Argon2id (the crate's default parameters) in the PHC format.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = random::<16>().map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` is the one `hash` was made from.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_kept_hashed() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn codes_read_back_however_they_are_typed() {
        let code = new_enroll_code().unwrap();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.matches('-').count(), 3);
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(code_hash(&typed), code_hash(&code));
        assert_eq!(normalize_code("oil-0"), "0110");
        assert_ne!(new_enroll_code().unwrap(), code);
    }

    #[test]
    fn passwords_are_argon2id_and_verify() {
        let hash = hash_password("街道办 2024").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("街道办 2024", &hash));
        assert!(!verify_password("街道办 2025", &hash));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(
            hash_password("same").unwrap(),
            hash_password("same").unwrap()
        );
    }
}
