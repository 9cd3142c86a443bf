-- The statement GET /api/v1/recipes runs, as the API sends it (app/src/recipes/queries.ts listRecipes: the session
-- check and the page in one), for pgbench: :hash, :after_id and :rows are its -D variables.
-- bench/test/list-endpoint-sql.test.ts checks that this file and the API's statement stay the same.
select page.id, page.json
    from sessions s
    left join lateral (
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
      where r.team_id in (select team_id from team_members where user_id = s.user_id)
        and r.id > :after_id
      order by r.id
      limit :rows
    ) page on true
    where s.token_hash = :hash and s.expires > now();
