-- The statements GET /api/v1/recipes runs, as the API sends them (app/src/auth/sessions.ts findSessionUser,
-- app/src/recipes/queries.ts listRecipes), for pgbench: :hash, :user_id, :after_id and :rows are its -D variables.
-- app/test/ceiling-script.test.ts checks that this file and the API's statements stay the same.
select u.id, u.email, u.name
    from sessions s
    join users u on u.id = s.user_id
    where s.token_hash = :hash and s.expires > now();
select r.id, r.team_id, r.name, r.author, r.source, r.servings, r.time_minutes as time, r.tags, r.created, r.modified
    from recipes r
    where r.team_id in (select team_id from team_members where user_id = :user_id)
      and r.id > :after_id
    order by r.id
    limit :rows;
