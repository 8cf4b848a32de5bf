"""Sign-in, organisations, parties and users. Only an admin manages users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.service.api.deps import (
    CurrentUser,
    DirectoryReader,
    OrganisationWriter,
    PartyWriter,
    ServicesDep,
    SessionDep,
    UserAdmin,
    WriteOutcome,
    WriterDep,
)
from safepassage.service.api.errors import conflict, not_found, unprocessable
from safepassage.service.auth import Role, issue_token
from safepassage.service.models import Organisation, Party, User
from safepassage.service.schemas import (
    MAX_ID,
    OrganisationCreate,
    OrganisationPublic,
    PartyCreate,
    PartyPublic,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)

router = APIRouter()
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/auth/token", response_model=TokenPublic, tags=["auth"])
def sign_in(services: ServicesDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenPublic:
    """OAuth2 password flow: exchange a username and password for a bearer token."""
    for field, value in (("username", form.username), ("password", form.password)):
        if "\x00" in value:
            raise unprocessable(["body", field], "must not contain a NUL character")
    with services.db.write_session() as session, session.begin():
        user = session.execute(select(User).where(User.username == form.username[:100])).scalar_one_or_none()
        valid = services.passwords.verify(user.password_hash if user else None, form.password)
        if user is None or not valid or not user.active:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
        token, record = issue_token(session, user, services.passwords, services.settings.token_ttl_hours)
        session.flush()
        services.audit.append(session, actor=user.username, action="token.issue", object_type="token", object_id=record.id,
                              payload={"token_id": record.id, "user_id": user.id, "expires_at": record.expires_at.isoformat()})
        return TokenPublic(access_token=token, expires_at=record.expires_at)


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


@router.get("/organisations", response_model=list[OrganisationPublic], tags=["directory"])
def list_organisations(user: DirectoryReader, session: SessionDep) -> list[Organisation]:
    return list(session.execute(select(Organisation).order_by(Organisation.id)).scalars())


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


@router.get("/parties", response_model=list[PartyPublic], tags=["directory"])
def list_parties(user: DirectoryReader, session: SessionDep) -> list[Party]:
    """Every party; a party liaison sees only their own."""
    query = select(Party).order_by(Party.id)
    if user.role == Role.party_liaison:
        query = query.where(Party.id == user.party_id)
    return list(session.execute(query).scalars())


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


@router.post("/users", response_model=UserPublic, status_code=201, tags=["users"])
def create_user(body: UserCreate, user: UserAdmin, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    password_hash = services.passwords.hash(body.password)  # slow on purpose: outside the transaction

    def perform(session: Session) -> WriteOutcome:
        _check_links(session, body.organisation_id, body.party_id)
        if session.execute(select(User.id).where(User.username == body.username)).first():
            raise conflict(f"a user named {body.username!r} exists")
        created = User(username=body.username, full_name=body.full_name, role=body.role.value, organisation_id=body.organisation_id, party_id=body.party_id, password_hash=password_hash)
        session.add(created)
        session.flush()
        return WriteOutcome("user", created.id, UserPublic.model_validate(created).model_dump(mode="json"))

    return write.run(user, "user.create", body.model_copy(update={"password": "***"}), perform)


@router.get("/users", response_model=list[UserPublic], tags=["users"])
def list_users(user: UserAdmin, session: SessionDep) -> list[User]:
    return list(session.execute(select(User).order_by(User.id)).scalars())


@router.get("/users/{user_id}", response_model=UserPublic, tags=["users"])
def get_user(user_id: PathId, user: UserAdmin, session: SessionDep) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise not_found("user", user_id)
    return found


@router.patch("/users/{user_id}", response_model=UserPublic, tags=["users"])
def update_user(user_id: PathId, body: UserUpdate, user: UserAdmin, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    password_hash = services.passwords.hash(body.password) if body.password else None

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
        for name, value in changes.items():
            if name not in ("role", "party_id") and value is not None:
                setattr(target, name, value)
        target.role, target.party_id = str(Role(role).value), party_id
        if password_hash:
            target.password_hash = password_hash
        session.flush()
        services.tokens.clear()  # a role or party change must not wait for the token cache
        return WriteOutcome("user", target.id, UserPublic.model_validate(target).model_dump(mode="json"), status.HTTP_200_OK)

    return write.run(user, "user.update", body.model_copy(update={"password": "***" if body.password else None}), perform)
