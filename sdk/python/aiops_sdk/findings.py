"""Rules and finding builders, as the Rust SDK's `Finding::new(..).component(..)`."""


class Rule:
    """A rule: its stable id, default severity (a name: `low`, `high`…), title and description."""

    def __init__(self, id, severity, title, description):
        self.id = id
        self.severity = severity
        self.title = title
        self.description = description

    def info(self, types):
        """The rule as the bindings' `RuleInfo` (`types` is `wit_world.imports.types`)."""
        return types.RuleInfo(
            self.id, types.Severity[self.severity.upper()], self.title, self.description
        )


def hint(types, summary, path, current, proposed):
    """A remediation hint changing one field, with string values written as JSON."""
    return types.RemediationHint(
        summary,
        [types.FieldChange(path, None if current is None else f'"{current}"', f'"{proposed}"')],
    )


def finding(types, rule, resource, message, component=None, evidence=(), remediation=None):
    """A finding of `rule` on `resource`, with the rule's severity and title."""
    return types.Finding(
        rule.id, resource.id, component, types.Severity[rule.severity.upper()], rule.title,
        message, list(evidence), remediation,
    )
