-- The statements GET /api/v1/recipes runs, as the API sends them (app/src/auth/sessions.ts findSessionUser,
-- app/src/recipes/queries.ts listRecipes), for pgbench: :hash, :user_id, :after_id and :rows are its -D variables.
-- app/test/ceiling-script.test.ts checks that this file and the API's statements stay the same.
select u.id, u.email, u.name
    from sessions s
    join users u on u.id = s.user_id
    where s.token_hash = :hash and s.expires > now();
select r.id,
    '{"id":' || r.id
    || ',"team_id":' || r.team_id
    || ',"name":' || to_json(r.name)
    || ',"author":' || coalesce(to_json(r.author), 'null')
    || ',"source":' || coalesce(to_json(r.source), 'null')
    || ',"servings":' || r.servings
    || ',"time":' || coalesce(to_json(r.time_minutes), 'null')
    || ',"tags":' || array_to_json(r.tags)
    || ',"created":"' || to_char(r.created at time zone 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"')
    || '","modified":"' || to_char(r.modified at time zone 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"') || '"}'
   as json
    from recipes r
    where r.team_id in (select team_id from team_members where user_id = :user_id)
      and r.id > :after_id
    order by r.id
    limit :rows;
