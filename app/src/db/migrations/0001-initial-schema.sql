-- Users, teams, recipes and sessions. Every query the API runs is served by one of the indexes below.

create table users (
  id            bigint generated always as identity primary key,
  email         text not null check (char_length(email) between 3 and 254),
  name          text not null check (char_length(name) between 1 and 200),
  -- scrypt$N$r$p$salt$hash (base64url), produced by app/src/auth/passwords.ts
  password_hash text not null,
  created       timestamptz not null default now()
);
-- Case-insensitive uniqueness; login looks users up by lower(email).
create unique index users_email_lower_key on users (lower(email));

create table teams (
  id      bigint generated always as identity primary key,
  slug    text not null unique check (slug ~ '^[a-z0-9-]{1,64}$'),
  name    text not null,
  created timestamptz not null default now()
);

create table team_members (
  team_id bigint not null references teams (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  role    text not null default 'member' check (role in ('owner', 'member')),
  created timestamptz not null default now(),
  -- user_id first: every request asks "which teams is this user in?".
  primary key (user_id, team_id)
);
create index team_members_team_id_idx on team_members (team_id);

create table recipes (
  id           bigint generated always as identity primary key,
  team_id      bigint not null references teams (id) on delete cascade,
  name         text not null check (char_length(name) between 1 and 200),
  author       text check (char_length(author) <= 200),
  source       text check (char_length(source) <= 2000),
  servings     integer not null check (servings between 1 and 1000),
  time_minutes integer check (time_minutes between 0 and 100000),
  tags         text[] not null default '{}',
  created      timestamptz not null default now(),
  modified     timestamptz not null default now()
);
-- Keyset pagination of one team's recipes: where team_id = any(...) and id > cursor order by id.
create index recipes_team_id_id_idx on recipes (team_id, id);

create table ingredients (
  recipe_id bigint not null references recipes (id) on delete cascade,
  position  integer not null check (position >= 0),
  name      text not null check (char_length(name) between 1 and 200),
  quantity  text check (char_length(quantity) <= 100),
  primary key (recipe_id, position)
);

create table steps (
  recipe_id bigint not null references recipes (id) on delete cascade,
  position  integer not null check (position >= 0),
  text      text not null check (char_length(text) between 1 and 5000),
  primary key (recipe_id, position)
);

create table sessions (
  -- SHA-256 of the cookie's 256-bit token: a leaked table does not leak usable cookies.
  token_hash bytea primary key check (octet_length(token_hash) = 32),
  user_id    bigint not null references users (id) on delete cascade,
  created    timestamptz not null default now(),
  expires    timestamptz not null
);
create index sessions_user_id_idx on sessions (user_id);
-- Lets a periodic "delete where expires < now()" clean-up avoid a full scan.
create index sessions_expires_idx on sessions (expires);
