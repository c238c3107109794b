//! Bearer tokens: read from the environment or files at start, compared in constant
//! time; each has a name (what the audit log records) and a role.

use axum::http::{HeaderMap, StatusCode, header};
use subtle::ConstantTimeEq as _;

use super::config::{ApiConfig, Role};
use super::problem::Problem;

/// A token the API accepts.
#[derive(Clone)]
pub struct Token {
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    secret: Vec<u8>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token({}, {:?}, ***)", self.name, self.role)
    }
}

/// Who a request comes from.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's name (`anonymous` on an open read endpoint).
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// The tokens and whether reading needs one.
#[derive(Debug, Clone)]
pub struct Auth {
    tokens: Vec<Token>,
    read_open: bool,
}

impl Auth {
    /// The tokens of `config`, or one generated admin token named `local-admin` when
    /// none is configured (returned to print once).
    pub fn from_config(config: &ApiConfig) -> anyhow::Result<(Auth, Option<String>)> {
        let mut tokens = Vec::new();
        for t in &config.tokens {
            let value = match (&t.token_env, &t.token_file) {
                (Some(var), _) => std::env::var(var)
                    .map_err(|_| anyhow::anyhow!("api.tokens ({}): ${var} is not set", t.name))?,
                (None, Some(file)) => std::fs::read_to_string(file).map_err(|e| {
                    anyhow::anyhow!("api.tokens ({}): {}: {e}", t.name, file.display())
                })?,
                (None, None) => {
                    anyhow::bail!("api.tokens ({}): no token_env or token_file", t.name)
                }
            };
            let value = value.trim().to_string();
            if value.len() < 16 {
                anyhow::bail!("api.tokens ({}): shorter than 16 characters", t.name);
            }
            tokens.push(Token {
                name: t.name.clone(),
                role: t.role,
                secret: value.into_bytes(),
            });
        }
        let mut generated = None;
        if tokens.is_empty() {
            let mut bytes = [0u8; 24];
            rustix::rand::getrandom(&mut bytes, rustix::rand::GetRandomFlags::empty())?;
            let value = format!("aiops_{}", hex::encode(bytes));
            tokens.push(Token {
                name: "local-admin".into(),
                role: Role::Admin,
                secret: value.clone().into_bytes(),
            });
            generated = Some(value);
        }
        Ok((
            Auth {
                tokens,
                read_open: config.read_open,
            },
            generated,
        ))
    }

    /// The caller of a request that needs `role`: 401 without a known token, 403 when
    /// its role is not enough.
    pub fn check(&self, headers: &HeaderMap, role: Role) -> Result<Caller, Problem> {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let Some(presented) = presented else {
            if role == Role::Read && self.read_open {
                return Ok(Caller {
                    name: "anonymous".into(),
                    role: Role::Read,
                });
            }
            return Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "a bearer token is required",
            ));
        };
        // Every token is compared, in constant time, whichever matches.
        let mut found: Option<&Token> = None;
        for t in &self.tokens {
            if bool::from(t.secret.ct_eq(presented.trim().as_bytes())) {
                found = Some(t);
            }
        }
        let Some(token) = found else {
            return Err(Problem::new(StatusCode::UNAUTHORIZED, "unknown token"));
        };
        if token.role < role {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                format!(
                    "token {} has the {:?} role; this needs {:?}",
                    token.name, token.role, role
                ),
            ));
        }
        Ok(Caller {
            name: token.name.clone(),
            role: token.role,
        })
    }
}
