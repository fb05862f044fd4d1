"""Hearth: workshop and counseling scheduling for recovery communities.

How the package is laid out, and the rules every change keeps: docs/architecture.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from scheduler import config

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI, error pages."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    register_config(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    register_errors(app)
    register_templates(app)
    register_headers(app)
    register_jobs(app)
    return app


def register_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(config.defaults(app.instance_path))
    overrides = config.from_environment(os.environ) if test_config is None else test_config
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.development_secret_key(app.instance_path)
    base_url = app.config["BASE_URL"]
    # Cookies are Secure when Hearth is reached over HTTPS: a Secure cookie over plain
    # HTTP (a LAN install) is never sent back, and nobody could log in. An explicit
    # SESSION_COOKIE_SECURE wins. (Flask's own default is False.)
    secure = overrides.get("SESSION_COOKIE_SECURE", base_url.startswith("https://"))
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    if not base_url.startswith("https://") and not (
        app.debug or app.testing or config.is_loopback(base_url)
    ):
        app.logger.warning(
            "BASE_URL is %s: passwords and cookies cross the network unencrypted. "
            "Serve Hearth over HTTPS and set BASE_URL to its https:// address.",
            base_url,
        )
    app.config["TRUSTED_HOSTS"] = config.trusted_hosts(base_url, app.config.get("TRUSTED_HOSTS"))
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )


def register_extensions(app: Flask) -> None:
    from flask_babel import gettext

    from scheduler import i18n
    from scheduler.database import configure_engine
    from scheduler.extensions import csrf, db, limiter, login_manager, migrate

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    login_manager.login_view = "auth.login"
    # Kept as English and translated when flashed, in the language of that request.
    login_manager.login_message = i18n.N_("Please log in to continue.")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from scheduler.models import User
    from scheduler.services import sessions
    from scheduler.timeutil import utcnow

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        # The cookies carry a sign-in's token; it opens the account while its row lasts.
        return sessions.user_for(token, utcnow())


def register_blueprints(app: Flask) -> None:
    from scheduler.web import requests
    from scheduler.web.admin.routes import bp as admin_bp
    from scheduler.web.auth.routes import bp as auth_bp
    from scheduler.web.counseling.routes import bp as counseling_bp
    from scheduler.web.counseling.routes import manage_bp as manage_counseling_bp
    from scheduler.web.family.routes import bp as family_bp
    from scheduler.web.feeds.routes import bp as feeds_bp
    from scheduler.web.manage.routes import bp as manage_bp
    from scheduler.web.public.routes import bp as public_bp

    blueprints = (
        public_bp,
        auth_bp,
        family_bp,
        feeds_bp,
        manage_bp,
        admin_bp,
        counseling_bp,
        manage_counseling_bp,
    )
    requests.register(app)  # the id converter must be in place before the first route
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def register_cli(app: Flask) -> None:
    from scheduler.cli import demo_cli, reminders_cli, retention_cli, users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(retention_cli)


def register_errors(app: Flask) -> None:
    from scheduler.web.errors import register

    register(app)


def register_templates(app: Flask) -> None:
    from scheduler.web.filters import register

    register(app)


def register_headers(app: Flask) -> None:
    from scheduler import logs
    from scheduler.web.headers import register

    register(app)
    logs.install(app)


def register_jobs(app: Flask) -> None:
    from scheduler.jobs import start_in_process

    start_in_process(app)
