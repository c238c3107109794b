//! Terraform values: reading a literal out of an HCL expression, writing a JSON value as
//! an HCL literal of the same type, and describing a non-literal expression for people.

use hcl_edit::expr::{Expression, TraversalOperator};
use serde_json::Value;

/// What an attribute's expression is, as far as a remediator may trust it.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    /// A literal: a string without interpolation, a number, a bool or null.
    Literal(Value),
    /// Anything else (a variable, a local, a conditional, a function call, a template…),
    /// described for a message, e.g. "the variable `var.reports_class`".
    Computed(String),
}

/// Reads an expression as a literal, or describes it.
pub fn setting(expr: &Expression) -> Setting {
    match expr {
        Expression::String(s) => Setting::Literal(Value::String(s.value().to_string())),
        Expression::Bool(b) => Setting::Literal(Value::Bool(*b.value())),
        Expression::Null(_) => Setting::Literal(Value::Null),
        Expression::Number(n) => {
            let n = n.value();
            let value = if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                n.as_f64().map(Value::from).unwrap_or(Value::Null)
            };
            Setting::Literal(value)
        }
        other => Setting::Computed(describe(other)),
    }
}

/// "the variable `var.x`", "the local value `local.y`", "a conditional `a ? b : c`"…
fn describe(expr: &Expression) -> String {
    let text = compact(&expr.to_string());
    match expr {
        Expression::Traversal(t) => {
            let root = t.expr.as_variable().map(|v| v.as_str());
            let first_attr = t.operators.first().and_then(|op| match op.value() {
                TraversalOperator::GetAttr(_) => Some(()),
                _ => None,
            });
            match (root, first_attr) {
                (Some("var"), Some(())) => format!("the variable `{text}`"),
                (Some("local"), Some(())) => format!("the local value `{text}`"),
                (Some("each" | "count"), _) => {
                    format!("`{text}`, which differs per instance")
                }
                _ => format!("the reference `{text}`"),
            }
        }
        Expression::Variable(_) => format!("the reference `{text}`"),
        Expression::Conditional(_) => format!("the conditional `{text}`"),
        Expression::FuncCall(_) => format!("the function call `{text}`"),
        Expression::StringTemplate(_) | Expression::HeredocTemplate(_) => {
            format!("the template `{text}`")
        }
        _ => format!("the expression `{text}`"),
    }
}

/// Collapses whitespace runs (multi-line expressions) to single spaces, for messages.
fn compact(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A JSON scalar (from a remediation hint) as an HCL literal expression of the same
/// Terraform type: strings quoted, numbers and bools bare. Objects and arrays are refused.
pub fn literal(value: &Value) -> Result<Expression, String> {
    match value {
        Value::String(s) => Ok(Expression::from(s.as_str())),
        Value::Bool(b) => Ok(Expression::from(*b)),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(Expression::from(u))
            } else if let Some(i) = n.as_i64() {
                Ok(Expression::from(i))
            } else {
                Ok(Expression::from(n.as_f64().unwrap_or_default()))
            }
        }
        Value::Null => Ok(Expression::null()),
        other => Err(format!("`{other}` is not a single value")),
    }
}

/// True when a literal from the file means the same as a JSON value from the hint,
/// allowing for Terraform's conversions (`"7"` and `7`, `"true"` and `true`).
pub fn same(file: &Value, hint: &Value) -> bool {
    if file == hint {
        return true;
    }
    match (file, hint) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::String(s), Value::Number(_) | Value::Bool(_)) => {
            s.as_str() == hint.to_string().as_str()
        }
        (Value::Number(_) | Value::Bool(_), Value::String(s)) => {
            s.as_str() == file.to_string().as_str()
        }
        _ => false,
    }
}

/// A value for messages: strings quoted, the rest as JSON.
pub fn show(value: &Value) -> String {
    match literal(value) {
        Ok(expr) => expr.to_string(),
        Err(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expr(text: &str) -> Expression {
        hcl_edit::parser::parse_expr(text).unwrap()
    }

    #[test]
    fn literals_keep_their_terraform_type() {
        assert_eq!(
            setting(&expr("\"db.r5.large\"")),
            Setting::Literal(json!("db.r5.large"))
        );
        assert_eq!(setting(&expr("7")), Setting::Literal(json!(7)));
        assert_eq!(setting(&expr("false")), Setting::Literal(json!(false)));
        assert_eq!(literal(&json!(200)).unwrap().to_string(), "200");
        assert_eq!(literal(&json!(true)).unwrap().to_string(), "true");
        assert_eq!(literal(&json!("a\"b")).unwrap().to_string(), r#""a\"b""#);
        assert!(literal(&json!({"a": 1})).is_err());
    }

    #[test]
    fn computed_values_are_described() {
        let d = |t| match setting(&expr(t)) {
            Setting::Computed(d) => d,
            other => panic!("{other:?}"),
        };
        assert_eq!(d("var.db_class"), "the variable `var.db_class`");
        assert_eq!(
            d("local.sizes.orders"),
            "the local value `local.sizes.orders`"
        );
        assert_eq!(
            d("each.value.class"),
            "`each.value.class`, which differs per instance"
        );
        assert_eq!(d("var.prod ? 2 : 1"), "the conditional `var.prod ? 2 : 1`");
        assert_eq!(d("max(1, 2)"), "the function call `max(1, 2)`");
        assert_eq!(d("\"db-${var.env}\""), "the template `\"db-${var.env}\"`");
    }

    #[test]
    fn conversions_count_as_the_same_value() {
        assert!(same(&json!("7"), &json!(7)));
        assert!(same(&json!(7), &json!(7.0)));
        assert!(same(&json!("true"), &json!(true)));
        assert!(!same(&json!("db.r5.large"), &json!("db.r5.xlarge")));
    }
}
