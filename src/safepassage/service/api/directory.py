"""Sign-in, organisations, parties and users. Only an admin manages users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.service.api.deps import (
    CurrentUser,
    DirectoryReader,
    OrganisationWriter,
    PartyWriter,
    Services,
    ServicesDep,
    SessionDep,
    UserAdmin,
    WriteOutcome,
    WriterDep,
)
from safepassage.service.api.errors import conflict, not_found, unprocessable
from safepassage.service.auth import Role, issue_token, revoke_user_tokens
from safepassage.service.models import ApiToken, Organisation, Party, User
from safepassage.service.pagination import DEFAULT_LIMIT, PAGINATION_HEADERS, After, Limit, next_page
from safepassage.service.password_policy import password_problem
from safepassage.service.schemas import (
    MAX_ID,
    OrganisationCreate,
    OrganisationPublic,
    PartyCreate,
    PartyPublic,
    RevokedPublic,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)

router = APIRouter()
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


SLOT_WAIT_S = 5.0
UNAUTHORIZED = {"description": "Not signed in, or the token is unknown, expired or revoked"}
TOO_MANY = {"description": "Too many failed sign-ins for this account or address (see Retry-After)", "headers": {"Retry-After": {"schema": {"type": "integer"}}}}


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/token", response_model=TokenPublic, tags=["auth"], responses={401: UNAUTHORIZED, 429: TOO_MANY})
def sign_in(request: Request, services: ServicesDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenPublic:
    """OAuth2 password flow: exchange a username and password for a bearer token.

    The password is checked outside any transaction. Repeated failures for an account or from an
    address make the next attempt wait, longer after each failure (429 with ``Retry-After``); every
    failure is recorded in the audit log."""
    for field, value in (("username", form.username), ("password", form.password)):
        if "\x00" in value:
            raise unprocessable(["body", field], "must not contain a NUL character")
    address = _client_address(request)
    wait = services.sign_ins.retry_after(form.username, address)
    if wait:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, f"too many failed sign-ins for this account or address: try again in {wait} s",
                            headers={"Retry-After": str(wait)})
    with services.db.read_session() as session:
        found = session.execute(select(User.id, User.username, User.password_hash, User.active).where(User.username == form.username[:100])).first()
    try:
        valid = services.passwords.verify(found.password_hash if found else None, form.password, wait_s=SLOT_WAIT_S)
    except TimeoutError:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many sign-ins at once: try again in a second", headers={"Retry-After": "1"}) from None
    if found is None or not valid or not found.active:
        services.sign_ins.failed(form.username, address)
        _record_failure(services, form.username, found.id if found else None, address)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    services.sign_ins.succeeded(form.username)

    def issue(session: Session) -> TokenPublic:
        user = session.get(User, found.id)
        if user is None or not user.active or user.password_hash != found.password_hash:  # changed meanwhile
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
        token, record = issue_token(session, user.id, services.token_hasher, services.settings.token_ttl_hours)
        # The token id is in the hashed payload only: exports name the user, never a token id.
        services.audit.append(session, actor=user.username, action="token.issue", object_type="user", object_id=user.id,
                              payload={"token_id": record.id, "user_id": user.id, "expires_at": record.expires_at.isoformat()})
        return TokenPublic(access_token=token, expires_at=record.expires_at)

    return services.writes.submit(issue)


def _record_failure(services: Services, username: str, user_id: int | None, address: str) -> None:
    def record(session: Session) -> None:
        services.audit.append(session, actor="anonymous", action="auth.failed", object_type="user", object_id=user_id or "unknown",
                              payload={"username": username[:100], "client_address": address, "reason": "wrong username or password"})

    services.writes.submit(record)


@router.post("/auth/logout", response_model=RevokedPublic, tags=["auth"], responses={401: UNAUTHORIZED})
async def logout(user: CurrentUser, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    """Revoke the bearer token of this request (other tokens of the user stay valid)."""

    def perform(session: Session) -> WriteOutcome:
        record = session.get(ApiToken, user.token_id) if user.token_id else None
        if record is not None:
            record.revoked = True
        services.tokens.clear()
        return WriteOutcome("user", user.id, {"user_id": user.id, "revoked_tokens": 1 if record is not None else 0}, status.HTTP_200_OK)

    return await write.arun(user, "token.revoke", None, perform)


@router.get("/auth/me", response_model=UserPublic, tags=["auth"])
def me(user: CurrentUser, session: SessionDep) -> User:
    return session.get(User, user.id)  # type: ignore[return-value]


@router.post("/organisations", response_model=OrganisationPublic, status_code=201, tags=["directory"])
async def create_organisation(body: OrganisationCreate, user: OrganisationWriter, write: WriterDep):  # type: ignore[no-untyped-def]
    def perform(session: Session) -> WriteOutcome:
        if session.execute(select(Organisation.id).where(Organisation.name == body.name)).first():
            raise conflict(f"an organisation named {body.name!r} exists")
        organisation = Organisation(name=body.name, kind=body.kind)
        session.add(organisation)
        session.flush()
        return WriteOutcome("organisation", organisation.id, OrganisationPublic.model_validate(organisation).model_dump(mode="json"))

    return await write.arun(user, "organisation.create", body, perform)


@router.get("/organisations", response_model=list[OrganisationPublic], tags=["directory"], responses={200: {"headers": PAGINATION_HEADERS}})
def list_organisations(user: DirectoryReader, session: SessionDep, request: Request, response: Response, limit: Limit = DEFAULT_LIMIT, after: After = 0) -> list[Organisation]:
    """Organisations by id, a page at a time."""
    rows = list(session.execute(select(Organisation).where(Organisation.id > after).order_by(Organisation.id).limit(limit + 1)).scalars())
    return next_page(rows, limit, lambda r: r.id, request, response)


@router.post("/parties", response_model=PartyPublic, status_code=201, tags=["directory"])
async def create_party(body: PartyCreate, user: PartyWriter, write: WriterDep):  # type: ignore[no-untyped-def]
    def perform(session: Session) -> WriteOutcome:
        if session.execute(select(Party.id).where(Party.name == body.name)).first():
            raise conflict(f"a party named {body.name!r} exists")
        party = Party(name=body.name, description=body.description)
        session.add(party)
        session.flush()
        return WriteOutcome("party", party.id, PartyPublic.model_validate(party).model_dump(mode="json"))

    return await write.arun(user, "party.create", body, perform)


@router.get("/parties", response_model=list[PartyPublic], tags=["directory"], responses={200: {"headers": PAGINATION_HEADERS}})
def list_parties(user: DirectoryReader, session: SessionDep, request: Request, response: Response, limit: Limit = DEFAULT_LIMIT, after: After = 0) -> list[Party]:
    """Every party, by id, a page at a time; a party liaison sees only their own."""
    query = select(Party).where(Party.id > after).order_by(Party.id).limit(limit + 1)
    if user.role == Role.party_liaison:
        query = query.where(Party.id == user.party_id)
    return next_page(list(session.execute(query).scalars()), limit, lambda r: r.id, request, response)


@router.get("/parties/{party_id}", response_model=PartyPublic, tags=["directory"])
def get_party(party_id: PathId, user: DirectoryReader, session: SessionDep) -> Party:
    party = session.get(Party, party_id)
    if party is None or (user.role == Role.party_liaison and party.id != user.party_id):
        raise not_found("party", party_id)
    return party


def _check_links(session: Session, organisation_id: int | None, party_id: int | None) -> None:
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise unprocessable(["body", "organisation_id"], f"no organisation {organisation_id}")
    if party_id is not None and session.get(Party, party_id) is None:
        raise unprocessable(["body", "party_id"], f"no party {party_id}")


def _check_password(services: Services, password: str, username: str) -> None:
    problem = password_problem(password, username=username, context=("safepassage", services.settings.deployment_name))
    if problem:
        raise unprocessable(["body", "password"], f"the password {problem} (NIST SP 800-63B)", "password_policy")


def _request_view(services: Services, body: UserCreate | UserUpdate) -> UserCreate | UserUpdate:
    """The body as the idempotency check sees it: the password as a keyed digest (never stored in clear,
    yet two requests with different passwords are different requests)."""
    password = services.token_hasher.digest(body.password, "password-request") if body.password else None
    return body.model_copy(update={"password": password})


@router.post("/users", response_model=UserPublic, status_code=201, tags=["users"])
def create_user(body: UserCreate, user: UserAdmin, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    _check_password(services, body.password, body.username)
    password_hash = services.passwords.hash(body.password)  # slow on purpose: outside the transaction

    def perform(session: Session) -> WriteOutcome:
        _check_links(session, body.organisation_id, body.party_id)
        if session.execute(select(User.id).where(User.username == body.username)).first():
            raise conflict(f"a user named {body.username!r} exists")
        created = User(username=body.username, full_name=body.full_name, role=body.role.value, organisation_id=body.organisation_id, party_id=body.party_id, password_hash=password_hash)
        session.add(created)
        session.flush()
        return WriteOutcome("user", created.id, UserPublic.model_validate(created).model_dump(mode="json"))

    return write.run(user, "user.create", _request_view(services, body), perform)


@router.get("/users", response_model=list[UserPublic], tags=["users"], responses={200: {"headers": PAGINATION_HEADERS}})
def list_users(user: UserAdmin, session: SessionDep, request: Request, response: Response, limit: Limit = DEFAULT_LIMIT, after: After = 0) -> list[User]:
    """Users by id, a page at a time."""
    rows = list(session.execute(select(User).where(User.id > after).order_by(User.id).limit(limit + 1)).scalars())
    return next_page(rows, limit, lambda r: r.id, request, response)


@router.get("/users/{user_id}", response_model=UserPublic, tags=["users"])
def get_user(user_id: PathId, user: UserAdmin, session: SessionDep) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise not_found("user", user_id)
    return found


@router.patch("/users/{user_id}", response_model=UserPublic, tags=["users"])
def update_user(user_id: PathId, body: UserUpdate, user: UserAdmin, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    """Change a user. A new password, or disabling, revokes every token of the user (re-enabling
    revives none). The only active admin cannot be demoted or disabled (409)."""
    password_hash = None
    if body.password:
        with services.db.read_session() as session:
            username = session.execute(select(User.username).where(User.id == user_id)).scalar_one_or_none()
        _check_password(services, body.password, username or "")
        password_hash = services.passwords.hash(body.password)  # slow on purpose: outside the transaction

    def perform(session: Session) -> WriteOutcome:
        target = session.get(User, user_id)
        if target is None:
            raise not_found("user", user_id)
        changes = body.model_dump(exclude_unset=True, exclude={"password"})
        _check_links(session, changes.get("organisation_id"), changes.get("party_id"))
        role = changes.get("role", target.role)
        party_id = changes["party_id"] if "party_id" in changes else target.party_id
        if role == Role.party_liaison and party_id is None:
            raise unprocessable(["body", "party_id"], "a party liaison must belong to a party: give party_id")
        if role != Role.party_liaison:
            party_id = None
        disabling = changes.get("active") is False and target.active
        if target.role == Role.admin and target.active and (role != Role.admin or disabling):
            others = session.execute(select(User.id).where(User.role == Role.admin.value, User.active.is_(True), User.id != target.id).limit(1)).first()
            if others is None:
                raise conflict("this is the only active admin: make another user admin before demoting or disabling this one")
        for name, value in changes.items():
            if name not in ("role", "party_id") and value is not None:
                setattr(target, name, value)
        target.role, target.party_id = str(Role(role).value), party_id
        if password_hash:
            target.password_hash = password_hash
        if password_hash or disabling:
            revoke_user_tokens(session, target.id)
        session.flush()
        services.tokens.clear()  # a role or party change must not wait for the token cache
        return WriteOutcome("user", target.id, UserPublic.model_validate(target).model_dump(mode="json"), status.HTTP_200_OK)

    return write.run(user, "user.update", _request_view(services, body), perform)


@router.post("/users/{user_id}/tokens/revoke", response_model=RevokedPublic, tags=["users"], responses={404: {"description": "No such user"}})
async def revoke_tokens(user_id: PathId, user: UserAdmin, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    """Revoke every bearer token of a user now (this instance at once, others within a second)."""

    def perform(session: Session) -> WriteOutcome:
        if session.get(User, user_id) is None:
            raise not_found("user", user_id)
        revoked = revoke_user_tokens(session, user_id)
        services.tokens.clear()
        return WriteOutcome("user", user_id, {"user_id": user_id, "revoked_tokens": revoked}, status.HTTP_200_OK)

    return await write.arun(user, "user.tokens_revoked", {"user_id": user_id}, perform)
