//! The parts of the OpenAPI document that no handler states: its info, the bearer
//! security scheme, and the problem+json error responses every endpoint may give.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, ResponseBuilder, ResponsesBuilder};
use utoipa::{IntoResponses, OpenApi as _, PartialSchema as _};

use crate::serve::problem::ProblemBody;

/// The document's root: the handlers' paths are added to it by the router.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "aiops",
        description = "aiops's REST API: findings, cycles, remediations and their approval, \
            notifications, silences, plugins and the audit log. Errors are RFC 9457 problem \
            details (application/problem+json).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&BearerScheme),
    components(schemas(ProblemBody)),
)]
struct Root;

/// The document before the handlers' paths are added.
pub fn base() -> OpenApi {
    Root::openapi()
}

/// Adds the `bearer` security scheme (API tokens, `api.tokens` in the config).
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from `api.tokens` (its value from the environment or a file)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The errors any `/api/v1` endpoint may answer with, all problem+json: bad input (400),
/// no or an unknown token (401), a role too low (403), nothing there (404), a method
/// the endpoint does not take (405), a body over the limit (413), a body that is not
/// JSON (415) or not of the documented shape (422), the store unavailable or the request too slow (503).
pub struct Problems;

impl IntoResponses for Problems {
    fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(ProblemBody::schema()))
                        .build(),
                )
                .build()
        };
        ResponsesBuilder::new()
            .response(
                "400",
                problem("Bad input: the detail says which parameter and why"),
            )
            .response(
                "401",
                problem("No token, or a token this host does not know"),
            )
            .response("403", problem("The token's role may not do this"))
            .response("404", problem("No such thing"))
            .response("405", problem("The endpoint does not take this method"))
            .response(
                "413",
                problem("The request body is over `api.max_body_bytes`"),
            )
            .response("415", problem("The request body is not JSON"))
            .response(
                "422",
                problem("The request body is JSON but not of the documented shape"),
            )
            .response(
                "503",
                problem("The store is unavailable, or the request took too long"),
            )
            .build()
            .into()
    }
}
