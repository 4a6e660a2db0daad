"""The JSON API under /api/v1."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, OpenAPI, Tag

health_bp = APIBlueprint("health", __name__, abp_tags=[Tag(name="health")])


@health_bp.get("/health")
def health():
    # Open to everyone: load balancers and monitors call it without a token.
    return {"status": "ok"}


def register_api(app: OpenAPI) -> None:
    from panel_service.draws.api import bp as draws_bp
    from panel_service.draws.api import public_bp
    from panel_service.experts.api import bp as experts_bp
    from panel_service.imports.api import bp as imports_bp
    from panel_service.institutions.api import bp as institutions_bp
    from panel_service.tasks.api import bp as tasks_bp
    from panel_service.users.api import bp as users_bp

    api = APIBlueprint("api_v1", __name__, url_prefix="/api/v1")
    for blueprint in (health_bp, users_bp, experts_bp, institutions_bp, imports_bp, tasks_bp, draws_bp, public_bp):
        api.register_api(blueprint)
    app.register_api(api)
