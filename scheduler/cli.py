"""Command-line tools: accounts and demo data."""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup

from scheduler import demo
from scheduler.models import Role
from scheduler.services import account_admin, accounts
from scheduler.services.errors import DomainError
from scheduler.services.passwords import weakness
from scheduler.timeutil import utcnow

users_cli = AppGroup("users", help="Manage accounts.")
reminders_cli = AppGroup("reminders", help="Send queued email: confirmations, changes, reminders.")
demo_cli = AppGroup("demo", help="Demo data for trying Hearth out.")
retention_cli = AppGroup("retention", help="Purge what Hearth no longer needs to keep.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.FAMILY.value)
@click.option("--password", help="Omit to be asked, or to get a generated one with --generate.")
@click.option("--timezone", default="America/New_York", show_default=True)
@click.option("--generate", is_flag=True, help="Generate a strong password and print it once.")
def create_user(
    email: str, name: str, role: str, password: str | None, timezone: str, generate: bool
) -> None:
    """Create an account."""
    if password is None:
        if generate:
            password = secrets.token_urlsafe(12)
            click.echo(f"Generated password: {password}")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.UsageError("The password needs at least 10 characters.")
    if why := weakness(password, email=email, name=name):
        raise click.UsageError(why)
    try:
        user = accounts.create_user(
            email=email, name=name, password=password, role=role, timezone=timezone
        )
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.role} account {user.email} (id {user.id}).")


@users_cli.command("deactivate")
@click.option("--email", required=True)
def deactivate_user(email: str) -> None:
    """Switch an account off: it can't log in, and its sign-ins end at once."""
    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the address {email}.")
    upcoming = account_admin.upcoming_of(user.id, utcnow())
    if upcoming.sessions or upcoming.appointments:
        # Never silently: families booked with them must hear what happens.
        raise click.ClickException(
            f"{user.email} has {upcoming.sessions} upcoming sessions and "
            f"{upcoming.appointments} counseling appointments. Switch the account off on "
            "its admin page (/admin/accounts), which asks what happens to them."
        )
    stepped = account_admin.deactivate_by_command(user.id, now=utcnow())
    click.echo(f"Deactivated {user.email}; every device it was logged in on is logged out.")
    if stepped.left:
        click.echo(f"It no longer runs the {len(stepped.left)} workshop(s) it shared.")
    if stepped.passed_on:
        click.echo(
            f"{len(stepped.passed_on)} workshop(s) it led with others are led by a "
            "co-facilitator now."
        )


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist.")
def load_demo(if_empty: bool) -> None:
    """Load demo facilitators, families, workshops and bookings; print the logins."""
    if if_empty and demo.has_accounts():
        click.echo("Demo data not loaded: the database already has accounts.")
        return
    logins = demo.load()
    click.echo("Demo data loaded. Log in at http://127.0.0.1:5000/login with:")
    for login in logins:
        click.echo(f"  {login.role:<12} {login.email:<34} password: {login.password}")


@reminders_cli.command("send-due")
def send_due() -> None:
    """Queue due digests, send every queued email that is due, once; print the counts."""
    from scheduler.jobs import sweep_once
    from scheduler.services import digest
    from scheduler.timeutil import utcnow

    digest.queue_due(utcnow())
    result = sweep_once()
    click.echo(f"{result.sent} sent, {result.failed} failed, {result.skipped} skipped")


@reminders_cli.command("run")
def run_dispatcher() -> None:
    """Run the dispatcher in the foreground (production: under a process manager)."""
    from flask import current_app

    from scheduler.jobs import build_scheduler

    seconds = current_app.config["OUTBOX_SWEEP_SECONDS"]
    click.echo(f"Sweeping the outbox every {seconds} seconds. Ctrl+C stops.", err=True)
    build_scheduler(current_app._get_current_object(), blocking=True).start()  # type: ignore[attr-defined]


@retention_cli.command("run")
def run_retention() -> None:
    """Run today's retention purge (the dispatcher runs it daily); print what it purged."""
    from scheduler.services import retention

    run = retention.run_daily(utcnow())
    if run is None:
        click.echo("Today's purge has already run (see /admin/retention).")
        return
    for name, count in run.counts.items():
        click.echo(f"{name}: {'failed (see the log)' if count is None else count}")
