"""The platform's documentation: one OpenAPI document merged from the services', Swagger UI, ReDoc."""
